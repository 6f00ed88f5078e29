/* tendo sync — download every new recording from the attached pods into
 * session files (acquire/SYNC.md). The work is acquire/sync/tendo_sync.h;
 * this file parses options, draws progress and prints the summary. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "tendo_catalog.h"
#include "tendo_session.h"
#include "tendo_sync.h"
#include "tendo_clock.h"

static void usage(FILE *out)
{
    fprintf(out, "usage: tendo sync [--home DIR] [--athlete ID] [--keep] [--plain] [--wait S]\n"
                 "                  [--json]\n"
                 "\n"
                 "Downloads every recording not yet synced from every attached pod, puts the\n"
                 "left and right recordings of one run into one session file under\n"
                 "HOME/sessions/DATE/, checks it, records it in the catalog, and only then\n"
                 "erases it from the pods. A cable that drops or a crash loses nothing: run\n"
                 "'tendo sync' again and it resumes where it stopped. Running it twice\n"
                 "downloads nothing new and never makes a second copy. A pod synced on its\n"
                 "own after its partner (left today, right tomorrow) joins the same run's\n"
                 "session: one file with both feet replaces the one-foot file.\n"
                 "\n"
                 "Options:\n"
                 "  --home DIR     tendo home (default $TENDO_HOME, else ~/.local/share/tendo)\n"
                 "  --athlete ID   the pods belong to this athlete (remembered for next time;\n"
                 "                 add athletes with 'tendo athlete add'); sessions the pods\n"
                 "                 synced before they had an athlete become this athlete's\n"
                 "  --keep         leave the recordings on the pods after syncing\n"
                 "  --plain        ask pods for uncompressed frames (faster on a fast link)\n"
                 "  --wait S       when a pod is unplugged mid-download, wait S seconds for it\n"
                 "                 to come back and carry on (default 10; 0 = stop at once)\n"
                 "  --json         one JSON object with pods, files and problems\n"
                 "  --help         show this help\n"
                 "\n"
                 "Example, after a run with both pods plugged in:\n"
                 "  tendo pods                 see what is attached\n"
                 "  tendo sync --athlete anna  download, file and erase\n"
                 "  tendo add --pending        then measure the new sessions for load and flags\n"
                 "\n"
                 "No pods at hand? Emulated ones work the same way:\n"
                 "  tendo podsim --pod L1:left:run.h5 --pod R1:right:run.h5 -- tendo sync\n"
                 "\n"
                 "Exit codes: 0 everything synced, 64 bad options, 65 a pod sent data that\n"
                 "fails its checks (it keeps the recording), 66 unknown athlete, 69 no pod\n"
                 "attached or a pod stopped answering (plug it in again and rerun), 73/74 the\n"
                 "home cannot be written (disk full: the pods keep their data).\n");
}

/* --------------------------------------------------------------- progress */

typedef struct progress {
    char serial[64];
    double start, last_draw;
    uint64_t first_done; /* bytes already there when this pod's bar began */
    int drawn;
} progress;

static void draw(const progress *pr, const tendo_sync_progress *p, double t)
{
    const int width = 24;
    double frac = p->total ? (double)p->done / (double)p->total : 1.0;
    if (frac > 1)
        frac = 1;
    double secs = t - pr->start;
    double rate = secs > 0 ? (double)(p->done - pr->first_done) / secs : 0;
    char eta[32] = "--:--";
    if (rate > 0 && p->done < p->total) {
        long left = (long)((double)(p->total - p->done) / rate + 0.5);
        snprintf(eta, sizeof eta, "%ld:%02ld", left / 60, left % 60);
    } else if (p->done >= p->total) {
        snprintf(eta, sizeof eta, "done");
    }
    char bar[32];
    int full = (int)(frac * width);
    for (int i = 0; i < width; i++)
        bar[i] = i < full ? '#' : '.';
    bar[width] = '\0';
    fprintf(stderr, "\r%-12.12s [%s] %7.1f/%.1f MB %6.1f MB/s ETA %-6s", p->serial, bar,
            (double)p->done / 1e6, (double)p->total / 1e6, rate / 1e6, eta);
    fflush(stderr);
}

static void on_progress(void *ctx, const tendo_sync_progress *p)
{
    progress *pr = ctx;
    double t = tendo_monotonic_s();
    if (strcmp(pr->serial, p->serial) != 0) {
        if (pr->drawn)
            fputc('\n', stderr);
        snprintf(pr->serial, sizeof pr->serial, "%s", p->serial);
        pr->start = t;
        pr->first_done = p->done;
        pr->last_draw = 0;
    }
    if (t - pr->last_draw < 0.1 && p->done < p->total)
        return;
    pr->last_draw = t;
    pr->drawn = 1;
    draw(pr, p, t);
}

/* ---------------------------------------------------------------- output */

static void print_summary(const tendo_sync_report *r, double secs, int rc, const char *home_opt)
{
    uint64_t bytes = 0;
    for (size_t i = 0; i < r->npods; i++)
        bytes += r->pods[i].bytes;
    printf("%s %zu pod%s in %.1f s (%.1f MB downloaded)\n",
           rc == TENDO_OK ? "Synced" : "Sync stopped:", r->npods, r->npods == 1 ? "" : "s", secs,
           (double)bytes / 1e6);
    for (size_t i = 0; i < r->npods; i++) {
        const tendo_sync_pod *p = &r->pods[i];
        printf("  %-12s %-5s ", p->serial[0] ? p->serial : "(unknown)", p->side[0] ? p->side : "-");
        if (!p->serial[0]) {
            printf("at %s: not used\n", p->where);
            continue;
        }
        printf("%u new recording%s synced", p->synced, p->synced == 1 ? "" : "s");
        if (p->already)
            printf(", %u synced before", p->already);
        printf(", %u erased", p->erased);
        if (p->failed)
            printf(", %u kept on the pod", p->failed);
        if (p->resumed)
            printf(" (%.1f MB resumed)", (double)p->resumed / 1e6);
        if (p->link_retries) /* recovered, but a cable or port worth checking */
            printf(", %u link fault%s recovered", p->link_retries,
                   p->link_retries == 1 ? "" : "s");
        if (p->battery_pct >= 0)
            printf(", battery %d%%", p->battery_pct);
        printf("\n");
    }
    if (r->nfiles) {
        printf("\nSession files:\n");
        for (size_t i = 0; i < r->nfiles; i++) {
            const tendo_sync_file *f = &r->files[i];
            char start[40];
            tendo_time_format_iso(f->start_us, start, sizeof start);
            start[19] = '\0'; /* to the second */
            printf("  %sZ  %5.1f min  %s%s%s  timing ±%.1f ms\n    %s\n", start,
                   f->duration_s / 60.0, f->serial[0], f->npods > 1 ? "+" : "",
                   f->npods > 1 ? f->serial[1] : " (one foot)", f->time_error_us / 1000.0, f->path);
            if (f->replaced_id[0])
                printf("    both feet: the other foot was synced earlier as a one-foot session;\n"
                       "    this file holds both and replaces it (session %s,\n"
                       "    %s, removed)\n",
                       f->replaced_id, f->replaced_path);
        }
    } else if (rc == TENDO_OK) {
        printf("\nNothing new on the pods: every recording was synced before.\n");
    }
    if (r->nclaimed) {
        printf("\nSynced before the pods had an athlete, now the pods' athlete's:\n");
        for (size_t i = 0; i < r->nclaimed; i++)
            printf("  %.19sZ  %s  %s\n", r->claimed[i].start_utc, r->claimed[i].athlete_id,
                   r->claimed[i].path);
    }
    int problems = 0;
    for (size_t i = 0; i < r->npods; i++)
        if (r->pods[i].code != TENDO_OK) {
            if (!problems++)
                printf("\nProblems (nothing was erased that is not safely stored):\n");
            printf("  %s: %s\n", r->pods[i].serial[0] ? r->pods[i].serial : r->pods[i].where,
                   r->pods[i].message);
        }
    if ((r->nfiles && r->files[r->nfiles - 1].athlete_id[0]) || r->nclaimed)
        printf("\nNext: 'tendo add --pending%s%s' measures the new sessions for the training\n"
               "load and flags ('tendo analyze FILE' for one file's steps).\n",
               home_opt ? " --home " : "", home_opt ? home_opt : "");
    else if (r->nfiles)
        printf("\nNext: 'tendo analyze %s' measures it. The pods belong to no athlete\n"
               "yet: 'tendo athlete add ID --name NAME --mass KG', then 'tendo sync --athlete ID'\n"
               "gives them this session and files the next runs under them for training load\n"
               "and flags.\n",
               r->files[r->nfiles - 1].path);
}

static void print_json(const char *home, const tendo_sync_report *r, double secs, int rc,
                       const tendo_error *err)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddBoolToObject(o, "ok", rc == TENDO_OK);
    cJSON_AddStringToObject(o, "home", home);
    cJSON_AddNumberToObject(o, "seconds", secs);
    if (rc != TENDO_OK) {
        cJSON_AddStringToObject(o, "error", err->msg);
        cJSON_AddNumberToObject(o, "exit_code", tendo_exit_code(rc));
    }
    cJSON *pods = cJSON_AddArrayToObject(o, "pods");
    for (size_t i = 0; i < r->npods; i++) {
        const tendo_sync_pod *p = &r->pods[i];
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "serial", p->serial);
        cJSON_AddStringToObject(j, "where", p->where);
        cJSON_AddStringToObject(j, "side", p->side);
        cJSON_AddStringToObject(j, "firmware", p->firmware);
        if (p->battery_pct >= 0)
            cJSON_AddNumberToObject(j, "battery_pct", p->battery_pct);
        else
            cJSON_AddNullToObject(j, "battery_pct");
        cJSON_AddNumberToObject(j, "listed", p->listed);
        cJSON_AddNumberToObject(j, "synced", p->synced);
        cJSON_AddNumberToObject(j, "already_synced", p->already);
        cJSON_AddNumberToObject(j, "erased", p->erased);
        cJSON_AddNumberToObject(j, "kept_after_error", p->failed);
        cJSON_AddNumberToObject(j, "claimed", p->claimed);
        cJSON_AddNumberToObject(j, "bytes", (double)p->bytes);
        cJSON_AddNumberToObject(j, "resumed_bytes", (double)p->resumed);
        cJSON_AddNumberToObject(j, "link_retries", p->link_retries);
        cJSON_AddNumberToObject(j, "drift_ppm", p->drift_ppm);
        cJSON_AddBoolToObject(j, "anchored", p->anchored);
        cJSON_AddNumberToObject(j, "clock_unc_us", (double)p->clock_unc_us);
        if (p->code != TENDO_OK) {
            cJSON_AddStringToObject(j, "problem", p->message);
            cJSON_AddNumberToObject(j, "exit_code", tendo_exit_code(p->code));
        } else {
            cJSON_AddNullToObject(j, "problem");
        }
        cJSON_AddItemToArray(pods, j);
    }
    cJSON *files = cJSON_AddArrayToObject(o, "files");
    for (size_t i = 0; i < r->nfiles; i++) {
        const tendo_sync_file *f = &r->files[i];
        cJSON *j = cJSON_CreateObject();
        char start[40];
        tendo_time_format_iso(f->start_us, start, sizeof start);
        cJSON_AddStringToObject(j, "path", f->path);
        cJSON_AddStringToObject(j, "session_id", f->session_id);
        cJSON_AddStringToObject(j, "athlete_id", f->athlete_id);
        cJSON_AddStringToObject(j, "start_utc", start);
        cJSON_AddNumberToObject(j, "duration_s", f->duration_s);
        cJSON_AddNumberToObject(j, "time_error_us", f->time_error_us);
        cJSON_AddNumberToObject(j, "download_s", f->download_s);
        cJSON_AddNumberToObject(j, "commit_s", f->commit_s);
        if (f->replaced_id[0]) {
            cJSON *rep = cJSON_AddObjectToObject(j, "replaces");
            cJSON_AddStringToObject(rep, "session_id", f->replaced_id);
            cJSON_AddStringToObject(rep, "path", f->replaced_path);
        } else {
            cJSON_AddNullToObject(j, "replaces");
        }
        cJSON *jp = cJSON_AddArrayToObject(j, "pods");
        for (size_t k = 0; k < f->npods; k++) {
            cJSON *q = cJSON_CreateObject();
            cJSON_AddStringToObject(q, "serial", f->serial[k]);
            cJSON_AddStringToObject(q, "side", f->side[k]);
            cJSON_AddNumberToObject(q, "pod_session", f->pod_session[k]);
            cJSON_AddNumberToObject(q, "samples", (double)f->samples[k]);
            cJSON_AddItemToArray(jp, q);
        }
        cJSON_AddItemToArray(files, j);
    }
    cJSON *claimed = cJSON_AddArrayToObject(o, "claimed");
    for (size_t i = 0; i < r->nclaimed; i++) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "session_id", r->claimed[i].session_id);
        cJSON_AddStringToObject(j, "path", r->claimed[i].path);
        cJSON_AddStringToObject(j, "athlete_id", r->claimed[i].athlete_id);
        cJSON_AddStringToObject(j, "start_utc", r->claimed[i].start_utc);
        cJSON_AddItemToArray(claimed, j);
    }
    cli_print_json_line(o);
}

int tendo_cmd_sync(int argc, char **argv)
{
    const char *home_opt = NULL, *athlete = NULL;
    int keep = 0, plain = 0, json = 0;
    int64_t wait_s = 10;
    for (int i = 1; i < argc; i++) {
        const char *v = NULL;
        int m;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        }
        if ((m = cli_option_value("sync", argc, argv, &i, "--home", &v)) != 0) {
            if (m != 1)
                return m;
            home_opt = v;
        } else if ((m = cli_option_value("sync", argc, argv, &i, "--athlete", &v)) != 0) {
            if (m != 1)
                return m;
            if (!tendo_catalog_id_ok(v))
                return cli_usage("sync",
                                 "--athlete expects an id of 1-63 letters, digits, "
                                 "'_', '.' or '-', not '%s'",
                                 v);
            athlete = v;
        } else if ((m = cli_option_value("sync", argc, argv, &i, "--wait", &v)) != 0) {
            if (m != 1 || (m = cli_parse_int64("sync", "--wait", v, 0, 3600, &wait_s)) != 0)
                return m;
        } else if (!strcmp(argv[i], "--keep")) {
            keep = 1;
        } else if (!strcmp(argv[i], "--plain")) {
            plain = 1;
        } else if (!strcmp(argv[i], "--json")) {
            json = 1;
        } else {
            return cli_usage("sync", "unknown option '%s'", argv[i]);
        }
    }
    tendo_error err;
    tendo_error_clear(&err);
    char home[PATH_MAX];
    int rc = tendo_catalog_home(home_opt, home, sizeof home, &err);
    if (rc)
        return cli_fail("sync", &err);
    progress pr;
    memset(&pr, 0, sizeof pr);
    int tty = !json && isatty(STDERR_FILENO);
    tendo_sync_options opt = {.home = home,
                              .athlete_id = athlete,
                              .keep = keep,
                              .plain = plain,
                              .replug_wait_s = (int)wait_s,
                              .progress = tty ? on_progress : NULL,
                              .progress_ctx = &pr};
    tendo_sync_report report;
    double t0 = tendo_monotonic_s();
    rc = tendo_sync_run(&opt, &report, &err);
    double secs = tendo_monotonic_s() - t0;
    if (pr.drawn)
        fputc('\n', stderr);
    if (json) {
        print_json(home, &report, secs, rc, &err);
    } else if (report.npods) {
        print_summary(&report, secs, rc, home_opt);
    }
    tendo_sync_report_free(&report);
    if (rc && !json)
        return cli_fail("sync", &err);
    return tendo_exit_code(rc);
}
