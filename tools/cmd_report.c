/*
 * cmd_report.c — `tendo report`: the coach's report as one self-contained
 * HTML file, for one athlete (--athlete) or the whole squad (--squad).
 * Data: tools/report/report_data.c; pages: report_page.c; charts:
 * report_charts.c over svg_chart.c. Decisions: docs/report.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog_cli.h"
#include "cli.h"
#include "commands.h"
#include "html_buf.h"
#include "report_checklist.h"
#include "report_data.h"
#include "report_page.h"

#define CMD "report"

static const char USAGE[] =
    "usage: tendo report --athlete ID --out FILE.html [--weeks N] [--end DATE]\n"
    "                    [--force] [--json] [--home DIR]\n"
    "       tendo report --squad --out FILE.html [--weeks N] [--force] [--json] [--home DIR]\n"
    "\n"
    "Writes the coach's report: one HTML file with everything inside it (no script,\n"
    "nothing loaded from the network), to open in any browser or print.\n"
    "\n"
    "For an athlete: the last 7 days at a glance, the return-to-run checklist\n"
    "(morning stiffness, pain walking, heel-raise symmetry, the last runs' 24-hour\n"
    "response), charts of daily distance against the 30-day longest run, Achilles\n"
    "load with its acute and chronic averages, the acute:chronic ratio and its\n"
    "bands, cadence and contact time, left/right balance and the symptom diary,\n"
    "every flag marked on the timelines and listed with its sentence and review,\n"
    "the heel-raise tests, and the recent runs. Hover a bar, dot or marker for\n"
    "its exact value.\n"
    "For the squad: every athlete ranked by open (unreviewed) flags, with their\n"
    "week, ratio, heel-raise symmetry, checklist and open flags.\n"
    "\n"
    "Options:\n"
    "  --athlete ID       one athlete's report\n"
    "  --squad            every athlete of the catalog\n"
    "  --out FILE.html    the report to write (refused if it exists, see --force)\n"
    "  --weeks N          weeks shown, 1-104 (default 12), ending on the athlete's\n"
    "                     last session, diary day or heel-raise test\n"
    "  --end DATE         end the window on DATE (YYYY-MM-DD) instead\n"
    "  --force            replace --out if it exists\n"
    "  --json             print one JSON object (file, athletes, open flags) instead\n"
    "                     of the summary line\n" CCLI_HOME_HELP "  -h, --help         this help\n"
    "\n"
    "Flags are recomputed from the catalog first (as 'tendo flags' does); reviews\n"
    "stay. Look at the page without a browser window:\n"
    "  chromium --headless --no-sandbox --disable-gpu --screenshot=report.png \\\n"
    "           --window-size=1200,2400 file://$PWD/report.html\n"
    "(docs/report.md has the full command.)\n"
    "\n"
    "Exit codes: 0 ok, 64 bad options, 65 a bad training.json, 66 no such athlete,\n"
    "73 --out exists (use --force) or cannot be created, 74 I/O error.\n"
    "\n"
    "Examples:\n"
    "  tendo report --athlete ann --out ann.html\n"
    "  tendo report --squad --weeks 4 --out squad.html\n";

typedef struct report_opts {
    const char *athlete, *out, *end, *home;
    int squad, force, json;
    int64_t weeks;
} report_opts;

static int parse(int argc, char **argv, report_opts *o)
{
    const char *weeks = NULL;
    const cli_opt opts[] = {{"--squad", NULL, &o->squad},      {"--force", NULL, &o->force},
                            {"--json", NULL, &o->json},        {"--athlete", &o->athlete, NULL},
                            {"--out", &o->out, NULL},          {"--weeks", &weeks, NULL},
                            {"--end", &o->end, NULL},          {"--home", &o->home, NULL}};
    size_t npos;
    int r = cli_scan(CMD, USAGE, argc, argv, opts, sizeof opts / sizeof *opts, NULL, 0, &npos);
    if (r != CLI_GO)
        return r;
    if (!o->squad == !o->athlete)
        return cli_usage(CMD, "give --athlete ID for one athlete or --squad for all of them");
    if (!o->out)
        return cli_usage(CMD, "--out FILE.html is required");
    if (weeks && cli_parse_int64(CMD, "--weeks", weeks, 1, 104, &o->weeks))
        return CLI_EXIT_USAGE;
    if (o->end && !tendo_catalog_date_ok(o->end))
        return cli_usage(CMD, "--end '%s' is not a date: use YYYY-MM-DD", o->end);
    if (o->athlete && !tendo_catalog_id_ok(o->athlete))
        return cli_usage(CMD, "--athlete '%s' is not an athlete id", o->athlete);
    return -1;
}

/* JSON and text summaries of what the report holds. */
static void summary(const report_opts *o, const rep_athlete *list, size_t n, size_t bytes)
{
    if (o->json) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "file", o->out);
        cJSON_AddStringToObject(j, "kind", o->squad ? "squad" : "athlete");
        cJSON_AddNumberToObject(j, "bytes", (double)bytes);
        cJSON_AddNumberToObject(j, "weeks", (double)o->weeks);
        cJSON *arr = cJSON_AddArrayToObject(j, "athletes");
        for (size_t i = 0; i < n; i++) {
            const rep_athlete *r = &list[i];
            cJSON *a = cJSON_CreateObject();
            cJSON_AddStringToObject(a, "athlete", r->a.id);
            cJSON_AddNumberToObject(a, "flags", (double)r->nflags);
            cJSON_AddNumberToObject(a, "open_flags", (double)rep_open_flags(r, NULL, NULL, NULL));
            if (r->has_data) {
                char from[11], to[11];
                tendo_tr_date_format(r->first_day, from);
                tendo_tr_date_format(r->last_day, to);
                cJSON_AddStringToObject(a, "from", from);
                cJSON_AddStringToObject(a, "to", to);
                rtr_checklist cl;
                rtr_evaluate(r, &cl);
                cJSON_AddNumberToObject(a, "return_to_run_met", cl.met);
            } else {
                cJSON_AddNullToObject(a, "from");
                cJSON_AddNullToObject(a, "to");
                cJSON_AddNullToObject(a, "return_to_run_met");
            }
            cJSON_AddItemToArray(arr, a);
        }
        cli_print_json_line(j);
        return;
    }
    size_t open = 0;
    for (size_t i = 0; i < n; i++)
        open += rep_open_flags(&list[i], NULL, NULL, NULL);
    printf("wrote %s (%zu kB): %s, %zu athlete(s), %zu open flag(s), %d weeks\n", o->out,
           (bytes + 1023) / 1024, o->squad ? "squad report" : "athlete report", n, open,
           (int)o->weeks);
}

int tendo_cmd_report(int argc, char **argv)
{
    report_opts o = {.weeks = 12};
    int code = parse(argc, argv, &o);
    if (code >= 0)
        return code;
    char home[TENDO_CATALOG_PATH_MAX];
    tendo_catalog *cat = NULL;
    if ((code = ccli_open(CMD, o.home, home, sizeof home, &cat)))
        return code;
    tendo_tr_config cfg;
    if ((code = ccli_config(CMD, home, &cfg))) {
        tendo_catalog_close(cat);
        return code;
    }
    tendo_error err;
    tendo_error_clear(&err);
    rep_athlete *list = NULL;
    size_t n = 0;
    int rc = TENDO_OK;
    if (o.squad) {
        tendo_athlete *ath = NULL;
        rc = tendo_catalog_athlete_list(cat, &ath, &n, &err);
        if (rc == TENDO_OK && (list = calloc(n ? n : 1, sizeof *list)) == NULL)
            rc = tendo_error_set(&err, TENDO_EINTERNAL, "out of memory");
        for (size_t i = 0; rc == TENDO_OK && i < n; i++)
            rc = rep_load(cat, &cfg, ath[i].id, (int)o.weeks, o.end, &list[i], &err);
        free(ath);
    } else {
        n = 1;
        if ((list = calloc(1, sizeof *list)) == NULL)
            rc = tendo_error_set(&err, TENDO_EINTERNAL, "out of memory");
        else
            rc = rep_load(cat, &cfg, o.athlete, (int)o.weeks, o.end, &list[0], &err);
    }
    tendo_catalog_close(cat);
    html_buf b;
    hb_init(&b);
    if (rc == TENDO_OK) {
        if (o.squad)
            rp_squad(&b, list, n, (int)o.weeks);
        else
            rp_athlete(&b, &list[0]);
        rc = hb_publish(&b, o.out, o.force, &err);
    }
    if (rc == TENDO_OK)
        summary(&o, list, n, b.len);
    for (size_t i = 0; list && i < n; i++)
        rep_free(&list[i]);
    free(list);
    hb_free(&b);
    return rc ? cli_fail(CMD, &err) : 0;
}
