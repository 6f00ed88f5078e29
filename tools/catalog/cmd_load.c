/*
 * cmd_load.c — `tendo load --athlete ID`: the training-load series of an
 * athlete (weekly table, daily CSV, or JSON with days and runs).
 */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog_cli.h"
#include "cli.h"
#include "commands.h"

#define CMD "load"

static const char USAGE[] =
    "usage: tendo load --athlete ID [--from DATE] [--to DATE] [--csv|--json] [--home DIR]\n"
    "\n"
    "The athlete's training load on the calendar (rest days count as zero): per\n"
    "day the sessions, duration, distance, high-speed distance, climb, Achilles\n"
    "load and damage; their 7- and 28-day sums; acute:chronic ratios of the damage,\n"
    "rolling 7/28-day (Gabbett 2016) and EWMA with lambda = 2/(N+1) (Williams 2017);\n"
    "the week-over-week change; the longest run of the previous 30 days; and the\n"
    "diary's scores. With too little history (< 28 days) it says so.\n"
    "Definitions and sources: docs/training-load.md.\n"
    "\n"
    "Options:\n"
    "  --athlete ID       the athlete\n"
    "  --from DATE        first day shown (default: the first session or diary day);\n"
    "                     earlier data still count in sums, ratios and EWMAs\n"
    "  --to DATE          last day shown (default: the last session or diary day)\n"
    "  --csv              one row per day, every column (for spreadsheets)\n"
    "  --json             one object: athlete, from, to, enough_history, history_note,\n"
    "                     days (one object per day, the CSV's columns), runs (each\n"
    "                     run against the 30-day longest)\n" CCLI_HOME_HELP
    "  -h, --help         this help\n"
    "\n"
    "Without --csv or --json: one line per calendar week (Monday to Sunday).\n"
    "\n"
    "Exit codes: 0 ok, 64 bad options or dates (--from after --to), 65 a bad\n"
    "training.json, 66 no such athlete, 74 the catalog cannot be read.\n"
    "\n"
    "Examples:\n"
    "  tendo load --athlete ann\n"
    "  tendo load --athlete ann --from 2026-01-01 --csv > ann.csv\n";

/* The columns of a day, in CSV order; the JSON uses the same names. */
typedef enum { NUM, INT, SCORE } col_kind;
typedef struct day_col {
    const char *name;
    col_kind kind;
    size_t offset;
} day_col;
#define D(name, kind) {#name, kind, offsetof(tendo_tr_day, name)}
static const day_col COLS[] = {
    D(sessions, INT),          D(duration_s, NUM),          D(distance_m, NUM),
    D(high_speed_m, NUM),      D(ascent_m, NUM),            D(descent_m, NUM),
    D(load, NUM),              D(damage, NUM),              D(distance_7d, NUM),
    D(distance_28d, NUM),      D(damage_7d, NUM),           D(damage_28d, NUM),
    D(load_7d, NUM),           D(load_28d, NUM),            D(acwr_rolling, NUM),
    D(damage_acute_ewma, NUM), D(damage_chronic_ewma, NUM), D(acwr_ewma, NUM),
    D(load_acute_ewma, NUM),   D(load_chronic_ewma, NUM),   D(distance_wow_pct, NUM),
    D(damage_wow_pct, NUM),    D(longest_30d_m, NUM),       D(cadence_spm, NUM),
    D(gct_ms, NUM),            D(gct_balance_left_pct, NUM), D(load_left_pct, NUM),
    D(pain, SCORE),            D(pain_24h, SCORE),          D(stiffness, SCORE),
    D(history_days, INT),      D(history_ok, INT),
};
#undef D
#define NCOLS (sizeof COLS / sizeof COLS[0])

static double col_value(const tendo_tr_day *d, const day_col *c)
{
    const char *p = (const char *)d + c->offset;
    double x;
    int v;
    if (c->kind == NUM) {
        memcpy(&x, p, sizeof x);
        return x;
    }
    memcpy(&v, p, sizeof v);
    return c->kind == SCORE && v < 0 ? NAN : (double)v;
}

static void print_csv(const tendo_tr_result *r)
{
    printf("date");
    for (size_t k = 0; k < NCOLS; k++)
        printf(",%s", COLS[k].name);
    printf("\n");
    for (size_t i = 0; i < r->ndays; i++) {
        char date[11];
        tendo_tr_date_format(r->days[i].day, date);
        printf("%s", date);
        for (size_t k = 0; k < NCOLS; k++) {
            double v = col_value(&r->days[i], &COLS[k]);
            if (isfinite(v))
                printf(",%.10g", v);
            else
                printf(",");
        }
        printf("\n");
    }
}

static void print_json(const char *athlete, const tendo_tr_result *r)
{
    cJSON *j = cJSON_CreateObject();
    char a[11], b[11];
    tendo_tr_date_format(r->first_day, a);
    tendo_tr_date_format(r->last_day, b);
    cJSON_AddStringToObject(j, "athlete", athlete);
    if (r->ndays) {
        cJSON_AddStringToObject(j, "from", a);
        cJSON_AddStringToObject(j, "to", b);
    } else {
        cJSON_AddNullToObject(j, "from");
        cJSON_AddNullToObject(j, "to");
    }
    cJSON_AddBoolToObject(j, "enough_history", r->enough_history);
    cJSON_AddStringToObject(j, "history_note", r->history_note);
    cJSON_AddStringToObject(j, "version", TENDO_TR_VERSION);
    cJSON *days = cJSON_AddArrayToObject(j, "days");
    for (size_t i = 0; i < r->ndays; i++) {
        cJSON *d = cJSON_CreateObject();
        char date[11];
        tendo_tr_date_format(r->days[i].day, date);
        cJSON_AddStringToObject(d, "date", date);
        for (size_t k = 0; k < NCOLS; k++)
            ccli_json_num(d, COLS[k].name, col_value(&r->days[i], &COLS[k]));
        cJSON_AddItemToArray(days, d);
    }
    cJSON *runs = cJSON_AddArrayToObject(j, "runs");
    for (size_t i = 0; i < r->nruns; i++) {
        cJSON *x = cJSON_CreateObject();
        char date[11];
        tendo_tr_date_format(r->runs[i].day, date);
        cJSON_AddStringToObject(x, "date", date);
        cJSON_AddStringToObject(x, "session", r->runs[i].id);
        ccli_json_num(x, "distance_m", r->runs[i].distance_m);
        ccli_json_num(x, "longest_before_m", r->runs[i].longest_before_m);
        ccli_json_num(x, "ratio", r->runs[i].ratio);
        cJSON_AddItemToArray(runs, x);
    }
    cli_print_json_line(j);
}

/* One line per Monday-to-Sunday week. */
static void print_weeks(const char *athlete, const tendo_tr_result *r)
{
    printf("training load of %s", athlete);
    if (r->ndays) {
        char a[11], b[11];
        tendo_tr_date_format(r->first_day, a);
        tendo_tr_date_format(r->last_day, b);
        printf(", %s to %s", a, b);
    }
    printf("\n");
    if (r->history_note[0])
        printf("note: %s\n", r->history_note);
    if (!r->ndays)
        return;
    printf("%-10s %4s %8s %8s %7s %9s %8s %7s %6s %6s %9s\n", "week of", "runs", "km", "fast km",
           "climb m", "load kBW", "damage", "wow %", "acwr", "ewma", "longest");
    for (size_t i = 0; i < r->ndays;) {
        /* 1970-01-01 was a Thursday: Monday is (day + 3) % 7 == 0 */
        int dow = ((r->days[i].day + 3) % 7 + 7) % 7;
        size_t end = i + (size_t)(7 - dow);
        if (end > r->ndays)
            end = r->ndays;
        int runs = 0;
        double km = 0, fast = 0, climb = 0, load = 0, dmg = 0, longest = 0;
        for (size_t k = i; k < end; k++) {
            const tendo_tr_day *d = &r->days[k];
            runs += d->sessions;
            km += d->distance_m / 1000;
            fast += d->high_speed_m / 1000;
            climb += d->ascent_m;
            load += d->load / 1000;
            dmg += d->damage;
        }
        for (size_t k = 0; k < r->nruns; k++)
            if (r->runs[k].day >= r->days[i].day && r->runs[k].day <= r->days[end - 1].day)
                longest = fmax(longest, r->runs[k].distance_m / 1000);
        const tendo_tr_day *last = &r->days[end - 1];
        char monday[11], wow[16] = "-", ac[16] = "-", ew[16] = "-";
        tendo_tr_date_format(r->days[i].day - dow, monday);
        if (isfinite(last->distance_wow_pct) && end - i == 7)
            snprintf(wow, sizeof wow, "%+.0f", last->distance_wow_pct);
        if (isfinite(last->acwr_rolling))
            snprintf(ac, sizeof ac, "%.2f", last->acwr_rolling);
        if (isfinite(last->acwr_ewma))
            snprintf(ew, sizeof ew, "%.2f", last->acwr_ewma);
        printf("%-10s %4d %8.1f %8.1f %7.0f %9.1f %8.0f %7s %6s %6s %6.1f km\n", monday, runs, km,
               fast, climb, load, dmg, wow, ac, ew, longest);
        i = end;
    }
    printf("(wow: last 7 days' distance against the 7 before, at the week's end; acwr:\n"
           " rolling 7/28-day Achilles damage ratio; ewma: the EWMA ratio; both at the\n"
           " week's last day. 'tendo flags --athlete %s' explains any spike.)\n",
           athlete);
}

int tendo_cmd_load(int argc, char **argv)
{
    const char *athlete = NULL, *from = NULL, *to = NULL, *home_opt = NULL;
    int csv = 0, json = 0;
    const cli_opt opts[] = {{"--csv", NULL, &csv},          {"--json", NULL, &json},
                            {"--athlete", &athlete, NULL},  {"--from", &from, NULL},
                            {"--to", &to, NULL},            {"--home", &home_opt, NULL}};
    size_t npos;
    int scan = cli_scan(CMD, USAGE, argc, argv, opts, sizeof opts / sizeof *opts, NULL, 0, &npos);
    if (scan != CLI_GO)
        return scan;
    if (!athlete)
        return cli_usage(CMD, "--athlete ID is needed");
    if (csv && json)
        return cli_usage(CMD, "--csv and --json exclude each other");
    if (from && !tendo_catalog_date_ok(from))
        return cli_usage(CMD, "--from '%s' is not a date: use YYYY-MM-DD", from);
    if (to && !tendo_catalog_date_ok(to))
        return cli_usage(CMD, "--to '%s' is not a date: use YYYY-MM-DD", to);
    if (from && to && strcmp(from, to) > 0)
        return cli_usage(CMD, "dates out of order: --from %s is after --to %s", from, to);
    tendo_catalog *c;
    char home[TENDO_CATALOG_PATH_MAX];
    tendo_tr_config cfg;
    int rc = ccli_open(CMD, home_opt, home, sizeof home, &c);
    if (rc)
        return rc;
    if ((rc = ccli_config(CMD, home, &cfg)) != 0) {
        tendo_catalog_close(c);
        return rc;
    }
    tendo_error e = {0};
    tendo_tr_result *r;
    rc = tendo_catalog_training(c, athlete, &cfg, from, to, &r, &e);
    char pending[240];
    ccli_pending_note(c, athlete, pending, sizeof pending);
    tendo_catalog_close(c);
    if (rc != TENDO_OK)
        return cli_fail(CMD, &e);
    if (csv)
        print_csv(r);
    else if (json)
        print_json(athlete, r);
    else
        print_weeks(athlete, r);
    if ((csv || json) && r->history_note[0])
        fprintf(stderr, "tendo load: note: %s\n", r->history_note);
    if (pending[0])
        fprintf(csv || json ? stderr : stdout, "%snote: %s\n", csv || json ? "tendo load: " : "",
                pending);
    tendo_tr_result_free(r);
    return 0;
}
