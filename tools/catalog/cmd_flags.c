/*
 * cmd_flags.c — `tendo flags`: the training-spike and symptom flags of an
 * athlete (recomputed from the catalog each time), and `tendo flags ack`,
 * a coach's review of one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog_cli.h"
#include "cli.h"
#include "commands.h"

#define CMD "flags"

static const char USAGE[] =
    "usage: tendo flags [--athlete ID] [--since DATE] [--open] [--json] [--home DIR]\n"
    "       tendo flags ack FLAG_ID --note TEXT [--home DIR]\n"
    "       tendo flags --show-config [--json] [--home DIR]\n"
    "\n"
    "Flags the training spikes that precede Achilles tendinopathy, each with its\n"
    "rule, date, session, severity (low, moderate, high), the numbers behind it\n"
    "and a sentence saying why:\n"
    "  longest_run_30d     a run > 10% longer than the longest of the previous 30\n"
    "                      days (bands 10-30%, 30-100%, > 100%; Frandsen 2025)\n"
    "  weekly_progression  7-day distance or Achilles damage > 130% of the 7 days\n"
    "                      before (Nielsen 2014)\n"
    "  acwr                EWMA acute:chronic Achilles damage ratio > 1.5 (Gabbett\n"
    "                      2016, Williams 2017); contested, so never high on its own\n"
    "  stacked_increases   two or more of volume, speed, hills up > 20% in 7 days\n"
    "  symptoms            pain > 5/10, pain not settled at 24 h, morning stiffness\n"
    "                      rising (Silbernagel 2007): hold or reduce\n"
    "  asymmetry           left/right contact-time or load share shifted from the\n"
    "                      athlete's own baseline\n"
    "Load rules start once the athlete has 28 days of history; before that the\n"
    "output says so. Thresholds: 'tendo flags --show-config' (override them in\n"
    "HOME/training.json); rules and sources: docs/training-load.md.\n"
    "\n"
    "Flag ids stay the same when flags are recomputed, so a review sticks.\n"
    "\n"
    "Options:\n"
    "  --athlete ID       one athlete (default: every athlete)\n"
    "  --since DATE       flags dated on or after DATE (YYYY-MM-DD)\n"
    "  --open             only flags nobody has reviewed yet\n"
    "  --json             one JSON object per athlete: athlete, enough_history,\n"
    "                     history_note, flags (each with id, rule, date, session,\n"
    "                     severity, value, threshold, message, reviewed, review_note,\n"
    "                     reviewed_utc)\n"
    "  --note TEXT        ack: what was decided (required)\n"
    "  --show-config      the thresholds in use, with their sources\n" CCLI_HOME_HELP
    "  -h, --help         this help\n"
    "\n"
    "Exit codes: 0 ok (flags or not), 64 bad options, 65 a bad training.json,\n"
    "66 no such athlete or flag, 74 the catalog cannot be written.\n"
    "\n"
    "Examples:\n"
    "  tendo flags --athlete ann --since 2026-03-01\n"
    "  tendo flags ack f3a9c0d2e1b4 --note \"talked to Ann: easy week, then review\"\n";

typedef struct flags_opts {
    const char *athlete, *since, *home, *ack_id, *note;
    int json, open, show_config, ack;
} flags_opts;

static int parse(int argc, char **argv, flags_opts *o)
{
    memset(o, 0, sizeof *o);
    const char *pos[2] = {NULL, NULL};
    const cli_opt opts[] = {{"--json", NULL, &o->json},
                            {"--open", NULL, &o->open},
                            {"--show-config", NULL, &o->show_config},
                            {"--athlete", &o->athlete, NULL},
                            {"--since", &o->since, NULL},
                            {"--note", &o->note, NULL},
                            {"--home", &o->home, NULL}};
    size_t npos;
    int r = cli_scan(CMD, USAGE, argc, argv, opts, sizeof opts / sizeof *opts, pos, 2, &npos);
    if (r != CLI_GO)
        return r;
    if (npos && strcmp(pos[0], "ack"))
        return cli_usage(CMD, "unexpected argument '%s'", pos[0]);
    o->ack = npos > 0;
    o->ack_id = pos[1];
    if (o->ack) {
        if (!o->ack_id)
            return cli_usage(CMD, "ack needs the flag's id (tendo flags ack FLAG_ID --note TEXT)");
        if (!o->note)
            return cli_usage(CMD, "ack needs --note TEXT: what was decided");
        if (o->athlete || o->since || o->open || o->show_config)
            return cli_usage(CMD, "ack takes only FLAG_ID, --note and --home");
    } else if (o->note) {
        return cli_usage(CMD, "--note goes with 'tendo flags ack'");
    }
    if (o->athlete && !tendo_catalog_id_ok(o->athlete))
        return cli_usage(CMD, "athlete id '%s' is not valid", o->athlete);
    if (o->since && !tendo_catalog_date_ok(o->since))
        return cli_usage(CMD, "--since '%s' is not a date: use YYYY-MM-DD", o->since);
    return CLI_GO;
}

static void show_config(const tendo_tr_config *cfg, int json)
{
    size_t n;
    const tendo_tr_param *p = tendo_tr_params(&n);
    for (size_t i = 0; i < n; i++) {
        double v = tendo_tr_config_get(cfg, p[i].name);
        if (json) {
            cJSON *j = cJSON_CreateObject();
            cJSON_AddStringToObject(j, "name", p[i].name);
            cJSON_AddNumberToObject(j, "value", v);
            cJSON_AddNumberToObject(j, "default", p[i].def);
            cJSON_AddStringToObject(j, "unit", p[i].unit);
            cJSON_AddStringToObject(j, "source", p[i].source);
            cli_print_json_line(j);
        } else {
            printf("%-24s %8g %-8s%s\n    %s\n", p[i].name, v, p[i].unit,
                   v != p[i].def ? " (changed in training.json)" : "", p[i].source);
        }
    }
}

/* Flags of one athlete: refresh, then list. */
static int one_athlete(tendo_catalog *c, const tendo_tr_config *cfg, const char *id,
                       const flags_opts *o, tendo_error *e)
{
    int rc = tendo_catalog_flags_refresh(c, id, cfg, e);
    tendo_tr_result *r = NULL;
    if (rc == TENDO_OK)
        rc = tendo_catalog_training(c, id, cfg, NULL, NULL, &r, e);
    tendo_catalog_flag *f = NULL;
    size_t n = 0;
    if (rc == TENDO_OK)
        rc = tendo_catalog_flags_list(c, id, o->since, &f, &n, e);
    if (rc != TENDO_OK) {
        tendo_tr_result_free(r);
        return rc;
    }
    char pending[240];
    size_t npending = ccli_pending_note(c, id, pending, sizeof pending);
    cJSON *j = o->json ? cJSON_CreateObject() : NULL, *arr = NULL;
    if (j) {
        cJSON_AddStringToObject(j, "athlete", id);
        cJSON_AddBoolToObject(j, "enough_history", r->enough_history);
        cJSON_AddStringToObject(j, "history_note", r->history_note);
        cJSON_AddNumberToObject(j, "pending_sessions", (double)npending);
        arr = cJSON_AddArrayToObject(j, "flags");
    } else {
        printf("%s:", id);
        if (r->history_note[0])
            printf(" (%s)", r->history_note);
        printf("\n");
        if (npending)
            printf("  note: %s\n", pending);
    }
    size_t shown = 0;
    for (size_t i = 0; i < n; i++) {
        if (o->open && f[i].reviewed)
            continue;
        shown++;
        if (arr) {
            cJSON_AddItemToArray(arr, ccli_flag_json(&f[i]));
            continue;
        }
        printf("  %s  %s  %-18s %-8s %s\n", f[i].flag.id, f[i].date, f[i].flag.rule,
               tendo_tr_severity_name(f[i].flag.severity),
               f[i].reviewed ? "reviewed" : "OPEN");
        printf("      %s\n", f[i].flag.message);
        if (f[i].reviewed)
            printf("      review %s: %s\n", f[i].reviewed_utc, f[i].review_note);
    }
    if (j)
        cli_print_json_line(j);
    else if (!shown)
        printf("  no %sflags%s%s\n", o->open ? "open " : "", o->since ? " since " : "",
               o->since ? o->since : "");
    free(f);
    tendo_tr_result_free(r);
    return TENDO_OK;
}

int tendo_cmd_flags(int argc, char **argv)
{
    flags_opts o;
    int rc = parse(argc, argv, &o);
    if (rc != CLI_GO)
        return rc;
    tendo_catalog *c;
    char home[TENDO_CATALOG_PATH_MAX];
    tendo_tr_config cfg;
    if ((rc = ccli_open(CMD, o.home, home, sizeof home, &c)) != 0)
        return rc;
    if ((rc = ccli_config(CMD, home, &cfg)) != 0) {
        tendo_catalog_close(c);
        return rc;
    }
    tendo_error e = {0};
    if (o.show_config) {
        show_config(&cfg, o.json);
    } else if (o.ack) {
        rc = tendo_catalog_flag_ack(c, o.ack_id, o.note, &e);
        if (rc == TENDO_OK)
            printf("flag %s marked reviewed\n", o.ack_id);
    } else if (o.athlete) {
        tendo_athlete a;
        rc = tendo_catalog_athlete_get(c, o.athlete, &a, &e);
        if (rc == TENDO_OK)
            rc = one_athlete(c, &cfg, o.athlete, &o, &e);
    } else {
        tendo_athlete *list;
        size_t n;
        rc = tendo_catalog_athlete_list(c, &list, &n, &e);
        for (size_t i = 0; rc == TENDO_OK && i < n; i++)
            rc = one_athlete(c, &cfg, list[i].id, &o, &e);
        if (rc == TENDO_OK && n == 0 && !o.json)
            printf("no athletes yet; add one with 'tendo athlete add ID --name NAME --mass KG'\n");
        if (rc == TENDO_OK)
            free(list);
    }
    tendo_catalog_close(c);
    return rc == TENDO_OK ? 0 : cli_fail(CMD, &e);
}
