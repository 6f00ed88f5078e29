/* tendo inspect: validate session files and show what they hold. */
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "tendo_session.h"

static const char USAGE[] =
    "usage: tendo inspect FILE.h5... [--json]\n"
    "\n"
    "Checks each session file completely (structure, every timestamp, every value)\n"
    "and shows its pods, sample rates, duration, samples, gaps, clipped samples and\n"
    "whether it has been analyzed or carries simulator ground truth.\n"
    "\n"
    "Options:\n"
    "  --json     one JSON object per file (JSON Lines), for scripts\n"
    "  -h, --help this help\n"
    "\n"
    "Exit codes: 0 all files good, 65 a file is damaged or not a session (the\n"
    "message names the dataset and sample), 66 a file is missing.\n"
    "\n"
    "Example:\n"
    "  tendo inspect sample-data/easy-run.h5\n";

/* "1:02:03.4" or "2:03.4" */
static void format_duration(double s, char *out, size_t size)
{
    int h = (int)(s / 3600), m = (int)fmod(s / 60, 60);
    double sec = fmod(s, 60);
    if (h > 0)
        snprintf(out, size, "%d:%02d:%04.1f", h, m, sec);
    else
        snprintf(out, size, "%d:%04.1f", m, sec);
}

static void session_span(const tendo_report *rep, int64_t *first, int64_t *last)
{
    *first = INT64_MAX;
    *last = INT64_MIN;
    for (size_t i = 0; i < rep->pods; i++) {
        if (rep->pod[i].samples == 0)
            continue;
        if (rep->pod[i].first_time_us < *first)
            *first = rep->pod[i].first_time_us;
        if (rep->pod[i].last_time_us > *last)
            *last = rep->pod[i].last_time_us;
    }
    if (*first > *last)
        *first = *last = 0;
}

static double percent(int64_t part, int64_t whole)
{
    return whole > 0 ? 100.0 * (double)part / (double)whole : 0.0;
}

static void print_text(const char *path, const tendo_session_meta *m, const tendo_reader *r,
                       const tendo_report *rep)
{
    int64_t first, last;
    session_span(rep, &first, &last);
    char start[40], dur[32];
    tendo_time_format_iso(m->start_time_us, start, sizeof start);
    format_duration((double)(last - first) / 1e6, dur, sizeof dur);
    printf("%s: tendo session, source %s, written by %s\n", path, m->source[0] ? m->source : "?",
           m->software_version[0] ? m->software_version : "?");
    printf("  session  %s\n", m->session_id);
    printf("  athlete  %s\n", m->athlete_id[0] ? m->athlete_id : "(none)");
    printf("  start    %s\n", start);
    printf("  duration %s\n", dur);
    printf("  pods     %zu\n", rep->pods);
    for (size_t i = 0; i < rep->pods; i++) {
        const tendo_pod_meta *p = tendo_reader_pod(r, i);
        const tendo_pod_report *pr = &rep->pod[i];
        char pdur[32];
        format_duration(pr->duration_s, pdur, sizeof pdur);
        printf("    %-14s %-5s %-5s %g Hz (measured %.3f)  %s%s  %" PRId64 " samples  %s\n",
               p->serial, p->side == TENDO_SIDE_RIGHT ? "right" : "left",
               p->placement == TENDO_PLACEMENT_SHANK ? "shank" : "foot", p->sample_rate_hz,
               pr->measured_rate_hz, p->storage == TENDO_STORE_INT16 ? "int16" : "float32",
               p->has_gyro ? " accel+gyro" : " accel only", pr->samples, pdur);
        printf("    %-14s gaps %" PRId64 " (%.3f s missing), clipped accel %" PRId64
               " (%.3f%%), gyro %" PRId64 " (%.3f%%)\n",
               "", pr->gaps, pr->gap_s, pr->accel_clipped, percent(pr->accel_clipped, pr->samples),
               pr->gyro_clipped, percent(pr->gyro_clipped, pr->samples));
    }
    printf("  analysis %s\n", rep->has_analysis ? "yes" : "no");
    printf("  truth    %s\n", rep->has_truth ? "yes (simulated: never real data)" : "no");
}

static cJSON *to_json(const char *path, const tendo_session_meta *m, const tendo_reader *r,
                      const tendo_report *rep)
{
    int64_t first, last;
    session_span(rep, &first, &last);
    char start[40];
    tendo_time_format_iso(m->start_time_us, start, sizeof start);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "file", path);
    cJSON_AddStringToObject(o, "session_id", m->session_id);
    cJSON_AddStringToObject(o, "athlete_id", m->athlete_id);
    cJSON_AddStringToObject(o, "start_time_utc", start);
    cJSON_AddStringToObject(o, "source", m->source);
    cJSON_AddStringToObject(o, "software_version", m->software_version);
    cJSON_AddNumberToObject(o, "duration_s", (double)(last - first) / 1e6);
    cJSON *pods = cJSON_AddArrayToObject(o, "pods");
    for (size_t i = 0; i < rep->pods; i++) {
        const tendo_pod_meta *p = tendo_reader_pod(r, i);
        const tendo_pod_report *pr = &rep->pod[i];
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "serial", p->serial);
        cJSON_AddStringToObject(j, "side", p->side == TENDO_SIDE_RIGHT ? "right" : "left");
        cJSON_AddStringToObject(j, "placement",
                                p->placement == TENDO_PLACEMENT_SHANK ? "shank" : "foot");
        cJSON_AddNumberToObject(j, "sample_rate_hz", p->sample_rate_hz);
        cJSON_AddNumberToObject(j, "measured_rate_hz", pr->measured_rate_hz);
        cJSON_AddStringToObject(j, "model", p->model);
        cJSON_AddStringToObject(j, "firmware", p->firmware);
        cJSON_AddStringToObject(j, "storage", p->storage == TENDO_STORE_INT16 ? "int16" : "float32");
        cJSON_AddBoolToObject(j, "has_gyro", p->has_gyro);
        cJSON_AddNumberToObject(j, "accel_range_g", p->accel_range_g);
        cJSON_AddNumberToObject(j, "gyro_range_dps", p->gyro_range_dps);
        cJSON_AddNumberToObject(j, "samples", (double)pr->samples);
        cJSON_AddNumberToObject(j, "duration_s", pr->duration_s);
        cJSON_AddNumberToObject(j, "gaps", (double)pr->gaps);
        cJSON_AddNumberToObject(j, "gap_s", pr->gap_s);
        cJSON_AddNumberToObject(j, "accel_clipped", (double)pr->accel_clipped);
        cJSON_AddNumberToObject(j, "gyro_clipped", (double)pr->gyro_clipped);
        cJSON_AddItemToArray(pods, j);
    }
    cJSON_AddBoolToObject(o, "has_analysis", rep->has_analysis);
    cJSON_AddBoolToObject(o, "has_truth", rep->has_truth);
    return o;
}

static int inspect_one(const char *path, int json)
{
    tendo_error err = {0};
    tendo_report rep;
    /* the full check runs in a sandboxed process (SECURITY.md); its report
     * is the one printed, so the file is decoded once */
    int rc = tendo_probe(path, &rep, &err);
    tendo_reader *r = NULL;
    if (rc == TENDO_OK)
        rc = tendo_reader_open(&r, path, &err);
    if (rc != TENDO_OK)
        return cli_fail("inspect", &err);
    const tendo_session_meta *m = tendo_reader_meta(r);
    if (json)
        cli_print_json_line(to_json(path, m, r, &rep));
    else
        print_text(path, m, r, &rep);
    tendo_reader_close(r);
    return 0;
}

int tendo_cmd_inspect(int argc, char **argv)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    int json = 0, c;
    optind = 1;
    opterr = 0; /* our own message below names the option and the help */
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'j')
            json = 1;
        else if (c == 'h') {
            fputs(USAGE, stdout);
            return 0;
        } else
            return cli_usage("inspect", "unknown option '%s'", argv[optind - 1]);
    }
    if (optind >= argc)
        return cli_usage("inspect", "name at least one session file");
    int worst = 0;
    for (int i = optind; i < argc; i++) {
        int rc = inspect_one(argv[i], json);
        if (rc && !worst)
            worst = rc;
    }
    return worst;
}
