/*
 * cmd_diary.c — `tendo diary add|import|list`: the athlete's symptom
 * diary (pain during running, pain 24 h later, morning stiffness, a note).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog_cli.h"
#include "cli.h"
#include "commands.h"
#include "diary_csv.h"

#define CMD "diary"

static const char USAGE[] =
    "usage: tendo diary add --athlete ID --date YYYY-MM-DD [--pain 0-10]\n"
    "                       [--pain-24h 0-10] [--stiffness 0-10] [--note TEXT]\n"
    "       tendo diary import FILE.csv [--athlete ID]\n"
    "       tendo diary list --athlete ID [--since YYYY-MM-DD] [--json]\n"
    "   (all take --home DIR)\n"
    "\n"
    "The symptoms that decide whether load may go up (pain-monitoring model,\n"
    "Silbernagel 2007): pain during running above 5/10, pain not settled the\n"
    "next day, or morning stiffness worse than the week before mean hold or reduce.\n"
    "Scores are whole numbers from 0 (none) to 10 (worst imaginable).\n"
    "\n"
    "  add      one day; adding the same day again replaces the fields given\n"
    "           and keeps the others (never two entries for one day)\n"
    "  import   a CSV file with a header row: date, pain, pain_24h, stiffness,\n"
    "           note and optionally athlete (any order; empty fields = not given).\n"
    "           Every row is checked first: one bad row (a score out of range, a\n"
    "           bad date, an unknown athlete, an athlete's dates not increasing)\n"
    "           rejects the whole file and nothing is written. Days already in\n"
    "           the diary are updated as with add.\n"
    "  list     the athlete's entries, oldest first\n"
    "\n"
    "Options:\n"
    "  --athlete ID       the athlete (import: for rows without an athlete column)\n"
    "  --date DATE        the day the entry is about\n"
    "  --pain N           pain during the day's running\n"
    "  --pain-24h N       pain the morning after (24 h later)\n"
    "  --stiffness N      Achilles stiffness on getting up\n"
    "  --note TEXT        free text, up to 1000 characters\n"
    "  --since DATE       list: entries from this day on\n"
    "  --json             list: one JSON object per entry; add/import: a summary\n"
    "                     object, then {\"athlete\", \"new_flags\": [...]}\n" CCLI_HOME_HELP
    "  -h, --help         this help\n"
    "\n"
    "After a change the athlete's flags are recomputed; new symptom flags are shown.\n"
    "\n"
    "Exit codes: 0 ok, 64 bad options or values, 65 a bad import file,\n"
    "66 no such athlete or file, 74 the catalog cannot be written.\n"
    "\n"
    "Examples:\n"
    "  tendo diary add --athlete ann --date 2026-03-14 --pain 3 --stiffness 2\n"
    "  tendo diary add --athlete ann --date 2026-03-14 --pain-24h 1\n"
    "  tendo diary import ann-march.csv --athlete ann\n";

typedef struct diary_opts {
    const char *verb, *file, *athlete, *date, *note, *since, *home;
    int pain, pain_24h, stiffness, json;
} diary_opts;

static int parse(int argc, char **argv, diary_opts *o)
{
    memset(o, 0, sizeof *o);
    o->pain = o->pain_24h = o->stiffness = -1;
    const char *pain = NULL, *pain24 = NULL, *stiff = NULL;
    const char *pos[2] = {NULL, NULL};
    const cli_opt opts[] = {{"--json", NULL, &o->json},       {"--athlete", &o->athlete, NULL},
                            {"--date", &o->date, NULL},       {"--since", &o->since, NULL},
                            {"--pain-24h", &pain24, NULL},    {"--pain", &pain, NULL},
                            {"--stiffness", &stiff, NULL},    {"--note", &o->note, NULL},
                            {"--home", &o->home, NULL}};
    size_t npos;
    int r = cli_scan(CMD, USAGE, argc, argv, opts, sizeof opts / sizeof *opts, pos, 2, &npos);
    if (r != CLI_GO)
        return r;
    o->verb = pos[0];
    if (npos == 2 && strcmp(o->verb, "import"))
        return cli_usage(CMD, "unexpected argument '%s'", pos[1]);
    o->file = pos[1];
    if ((pain && (r = ccli_parse_score(CMD, "--pain", pain, &o->pain)) != 0) ||
        (pain24 && (r = ccli_parse_score(CMD, "--pain-24h", pain24, &o->pain_24h)) != 0) ||
        (stiff && (r = ccli_parse_score(CMD, "--stiffness", stiff, &o->stiffness)) != 0))
        return r;
    if (!o->verb)
        return cli_usage(CMD, "say what to do: add, import or list");
    int add = !strcmp(o->verb, "add"), imp = !strcmp(o->verb, "import"),
        list = !strcmp(o->verb, "list");
    if (!add && !imp && !list)
        return cli_usage(CMD, "'%s' is not add, import or list", o->verb);
    if (o->athlete && !tendo_catalog_id_ok(o->athlete))
        return cli_usage(CMD, "athlete id '%s' is not valid", o->athlete);
    if ((add || list) && !o->athlete)
        return cli_usage(CMD, "%s needs --athlete ID", o->verb);
    if (imp && !o->file)
        return cli_usage(CMD, "import needs the CSV file (tendo diary import FILE.csv)");
    if (add && !o->date)
        return cli_usage(CMD, "add needs --date YYYY-MM-DD");
    if (o->date && !tendo_catalog_date_ok(o->date))
        return cli_usage(CMD, "--date '%s' is not a date: use YYYY-MM-DD", o->date);
    if (o->since && !tendo_catalog_date_ok(o->since))
        return cli_usage(CMD, "--since '%s' is not a date: use YYYY-MM-DD", o->since);
    if (add && o->pain < 0 && o->pain_24h < 0 && o->stiffness < 0 && !o->note)
        return cli_usage(CMD, "add needs at least one of --pain, --pain-24h, --stiffness, --note");
    if (o->note && strlen(o->note) > TENDO_DIARY_NOTE_MAX)
        return cli_usage(CMD, "--note is longer than %d characters", TENDO_DIARY_NOTE_MAX);
    if (!add && (o->pain >= 0 || o->pain_24h >= 0 || o->stiffness >= 0 || o->note || o->date))
        return cli_usage(CMD, "scores, --note and --date go with 'diary add'");
    if (!list && o->since)
        return cli_usage(CMD, "--since goes with 'diary list'");
    return CLI_GO;
}

static void print_entry(const tendo_diary_entry *e)
{
    char p[12] = "-", p24[12] = "-", s[12] = "-";
    if (e->pain >= 0)
        snprintf(p, sizeof p, "%d", e->pain);
    if (e->pain_24h >= 0)
        snprintf(p24, sizeof p24, "%d", e->pain_24h);
    if (e->stiffness >= 0)
        snprintf(s, sizeof s, "%d", e->stiffness);
    printf("%s  pain %-2s  pain 24 h %-2s  stiffness %-2s  %s\n", e->date, p, p24, s, e->note);
}

static cJSON *entry_json(const tendo_diary_entry *e)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "athlete", e->athlete_id);
    cJSON_AddStringToObject(j, "date", e->date);
    ccli_json_score(j, "pain", e->pain);
    ccli_json_score(j, "pain_24h", e->pain_24h);
    ccli_json_score(j, "stiffness", e->stiffness);
    cJSON_AddStringToObject(j, "note", e->note);
    return j;
}

/* Symptom flags on the days just recorded. */
static int refresh(tendo_catalog *c, const char *home, const tendo_diary_entry *e, size_t n,
                   int json, tendo_error *err)
{
    const char **who = calloc(2 * n, sizeof *who);
    if (!who)
        return tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
    for (size_t i = 0; i < n; i++)
        who[i] = e[i].athlete_id, who[n + i] = e[i].date;
    int rc = ccli_show_new_flags(c, home, who, who + n, NULL, n, "symptoms", json, err);
    free(who);
    return rc;
}

int tendo_cmd_diary(int argc, char **argv)
{
    diary_opts o;
    int rc = parse(argc, argv, &o);
    if (rc != CLI_GO)
        return rc;
    tendo_error e = {0};
    tendo_diary_entry *rows = NULL;
    size_t n = 0;
    if (!strcmp(o.verb, "import") && diary_csv_read(o.file, o.athlete, &rows, &n, &e) != TENDO_OK)
        return cli_fail(CMD, &e);
    tendo_catalog *c;
    char home[TENDO_CATALOG_PATH_MAX];
    if ((rc = ccli_open(CMD, o.home, home, sizeof home, &c)) != 0) {
        free(rows);
        return rc;
    }
    if (!strcmp(o.verb, "list")) {
        tendo_athlete a;
        rc = tendo_catalog_athlete_get(c, o.athlete, &a, &e);
        if (rc == TENDO_OK)
            rc = tendo_catalog_diary_list(c, o.athlete, o.since, NULL, &rows, &n, &e);
        for (size_t i = 0; rc == TENDO_OK && i < n; i++) {
            if (o.json)
                cli_print_json_line(entry_json(&rows[i]));
            else
                print_entry(&rows[i]);
        }
        if (rc == TENDO_OK && n == 0 && !o.json)
            printf("no diary entries for %s%s%s\n", o.athlete, o.since ? " since " : "",
                   o.since ? o.since : "");
    } else {
        if (!strcmp(o.verb, "add")) {
            rows = calloc(1, sizeof *rows);
            if (!rows) {
                tendo_catalog_close(c);
                return cli_usage(CMD, "out of memory");
            }
            n = 1;
            snprintf(rows->athlete_id, sizeof rows->athlete_id, "%s", o.athlete);
            snprintf(rows->date, sizeof rows->date, "%s", o.date);
            rows->pain = o.pain;
            rows->pain_24h = o.pain_24h;
            rows->stiffness = o.stiffness;
            snprintf(rows->note, sizeof rows->note, "%s", o.note ? o.note : "");
        }
        /* all rows or none */
        rc = tendo_catalog_begin(c, &e);
        for (size_t i = 0; rc == TENDO_OK && i < n; i++) {
            rc = tendo_catalog_diary_put(c, &rows[i], &e);
            if (rc != TENDO_OK && !strcmp(o.verb, "import"))
                tendo_error_prefix(&e, "%s row %zu (nothing imported): ", o.file, i + 1);
        }
        if (rc == TENDO_OK)
            rc = tendo_catalog_commit(c, &e);
        else
            tendo_catalog_rollback(c);
        if (rc == TENDO_OK) {
            if (o.json) {
                cJSON *j = cJSON_CreateObject();
                cJSON_AddStringToObject(j, "recorded", o.verb);
                cJSON_AddNumberToObject(j, "entries", (double)n);
                cli_print_json_line(j);
            } else if (n == 1) {
                printf("recorded %s's diary for %s\n", rows->athlete_id, rows->date);
            } else {
                printf("imported %zu diary entries from %s\n", n, o.file);
            }
            rc = refresh(c, home, rows, n, o.json, &e);
        }
    }
    free(rows);
    tendo_catalog_close(c);
    return rc == TENDO_OK ? 0 : cli_fail(CMD, &e);
}
