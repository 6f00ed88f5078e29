/*
 * cmd_athlete.c — `tendo athlete add|list|set`: the athletes of the
 * catalog (id, name, body mass, injured side, notes).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog_cli.h"
#include "cli.h"
#include "commands.h"

#define CMD "athlete"

static const char USAGE[] =
    "usage: tendo athlete add ID --name NAME --mass KG [--injured-side left|right]\n"
    "                            [--notes TEXT]\n"
    "       tendo athlete set ID [--name NAME] [--mass KG] [--injured-side left|right|none]\n"
    "                            [--notes TEXT]\n"
    "       tendo athlete list [--json]\n"
    "   (all take --home DIR)\n"
    "\n"
    "Keeps the athletes a coach looks after. The body mass turns the Achilles load\n"
    "from body weights into kilonewtons when sessions are added (tendo add); the\n"
    "injured side is shown beside left/right balance in flags and the report.\n"
    "\n"
    "  add ID      a new athlete; ID is 1-63 letters, digits, '_', '.' or '-'\n"
    "              (use it in every other command: --athlete ID)\n"
    "  set ID      change the fields given, keep the others\n"
    "  list        every athlete with their number of sessions\n"
    "\n"
    "Options:\n"
    "  --name NAME            full name as the report shows it\n"
    "  --mass KG              body mass, 20-300 kg\n"
    "  --injured-side SIDE    left, right, or (set only) none\n"
    "  --notes TEXT           free text (history, shoes, goals)\n"
    "  --json                 JSON: one object per athlete (list), or the athlete\n" CCLI_HOME_HELP
    "  -h, --help             this help\n"
    "\n"
    "Exit codes: 0 ok, 64 bad options, 65 the athlete already exists (add),\n"
    "66 no such athlete (set), 74 the catalog cannot be written.\n"
    "\n"
    "Examples:\n"
    "  tendo athlete add ann --name \"Ann Lee\" --mass 61 --injured-side left\n"
    "  tendo athlete set ann --mass 60.5\n"
    "  tendo athlete list\n";

typedef struct athlete_opts {
    const char *verb, *id, *name, *mass, *side, *notes, *home;
    int json;
} athlete_opts;

static int parse(int argc, char **argv, athlete_opts *o)
{
    memset(o, 0, sizeof *o);
    const char *pos[2] = {NULL, NULL};
    const cli_opt opts[] = {{"--json", NULL, &o->json},        {"--name", &o->name, NULL},
                            {"--mass", &o->mass, NULL},        {"--injured-side", &o->side, NULL},
                            {"--notes", &o->notes, NULL},      {"--home", &o->home, NULL}};
    size_t npos;
    int r = cli_scan(CMD, USAGE, argc, argv, opts, sizeof opts / sizeof *opts, pos, 2, &npos);
    if (r != CLI_GO)
        return r;
    o->verb = pos[0];
    o->id = pos[1];
    if (!o->verb)
        return cli_usage(CMD, "say what to do: add, set or list");
    if (strcmp(o->verb, "add") && strcmp(o->verb, "set") && strcmp(o->verb, "list"))
        return cli_usage(CMD, "'%s' is not add, set or list", o->verb);
    if (!strcmp(o->verb, "list") && o->id)
        return cli_usage(CMD, "list takes no id");
    if (strcmp(o->verb, "list") && !o->id)
        return cli_usage(CMD, "%s needs the athlete's id (tendo athlete %s ID ...)", o->verb,
                         o->verb);
    if (o->id && !tendo_catalog_id_ok(o->id))
        return cli_usage(CMD, "athlete id '%s' is not valid: use 1-63 letters, digits, '_', '.' "
                              "or '-'",
                         o->id);
    if (!strcmp(o->verb, "add") && (!o->name || !o->mass))
        return cli_usage(CMD, "add needs --name NAME and --mass KG");
    if (!strcmp(o->verb, "set") && !o->name && !o->mass && !o->side && !o->notes)
        return cli_usage(CMD, "set needs at least one of --name, --mass, --injured-side, --notes");
    return CLI_GO;
}

/* Applies the options to a; returns 0 or the usage exit code. */
static int apply(const athlete_opts *o, tendo_athlete *a)
{
    int r;
    if (o->name) {
        if (strlen(o->name) >= sizeof a->name)
            return cli_usage(CMD, "--name is longer than %zu characters", sizeof a->name - 1);
        snprintf(a->name, sizeof a->name, "%s", o->name);
    }
    if (o->mass && (r = cli_parse_double(CMD, "--mass", o->mass, 20, 300, &a->mass_kg)) != 0)
        return r;
    if (o->side) {
        if (!strcmp(o->side, "none") && !strcmp(o->verb, "set"))
            a->injured_side[0] = '\0';
        else if (!strcmp(o->side, "left") || !strcmp(o->side, "right"))
            snprintf(a->injured_side, sizeof a->injured_side, "%s", o->side);
        else
            return cli_usage(CMD, "--injured-side is left or right%s, not '%s'",
                             strcmp(o->verb, "set") ? "" : " (or none)", o->side);
    }
    if (o->notes) {
        if (strlen(o->notes) >= sizeof a->notes)
            return cli_usage(CMD, "--notes is longer than %zu characters", sizeof a->notes - 1);
        snprintf(a->notes, sizeof a->notes, "%s", o->notes);
    }
    return 0;
}

static cJSON *athlete_json(const tendo_athlete *a, long sessions)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "id", a->id);
    cJSON_AddStringToObject(j, "name", a->name);
    ccli_json_num(j, "mass_kg", a->mass_kg > 0 ? a->mass_kg : NAN);
    if (a->injured_side[0])
        cJSON_AddStringToObject(j, "injured_side", a->injured_side);
    else
        cJSON_AddNullToObject(j, "injured_side");
    cJSON_AddStringToObject(j, "notes", a->notes);
    cJSON_AddStringToObject(j, "created_utc", a->created_utc);
    if (sessions >= 0)
        cJSON_AddNumberToObject(j, "sessions", (double)sessions);
    return j;
}

static void print_athlete(const tendo_athlete *a, long sessions)
{
    printf("%-16s %-24s ", a->id, a->name);
    if (a->mass_kg > 0)
        printf("%6.1f kg", a->mass_kg);
    else
        printf("%9s", "-");
    printf("  injured: %-5s", a->injured_side[0] ? a->injured_side : "-");
    if (sessions >= 0)
        printf("  %ld session%s", sessions, sessions == 1 ? "" : "s");
    printf("\n");
}

int tendo_cmd_athlete(int argc, char **argv)
{
    athlete_opts o;
    int rc = parse(argc, argv, &o);
    if (rc != CLI_GO)
        return rc;
    tendo_athlete a;
    memset(&a, 0, sizeof a);
    tendo_catalog *c;
    char home[TENDO_CATALOG_PATH_MAX];
    tendo_error e = {0};
    if (!strcmp(o.verb, "add")) {
        snprintf(a.id, sizeof a.id, "%s", o.id);
        if ((rc = apply(&o, &a)) != 0)
            return rc;
        if ((rc = ccli_open(CMD, o.home, home, sizeof home, &c)) != 0)
            return rc;
        if (tendo_catalog_athlete_add(c, &a, &e) == TENDO_OK)
            rc = tendo_catalog_athlete_get(c, a.id, &a, &e);
        else
            rc = e.code;
    } else if (!strcmp(o.verb, "set")) {
        if ((rc = ccli_open(CMD, o.home, home, sizeof home, &c)) != 0)
            return rc;
        rc = tendo_catalog_athlete_get(c, o.id, &a, &e);
        int u = rc == TENDO_OK ? apply(&o, &a) : 0;
        if (u) {
            tendo_catalog_close(c);
            return u;
        }
        if (rc == TENDO_OK)
            rc = tendo_catalog_athlete_update(c, &a, &e);
    } else {
        if ((rc = ccli_open(CMD, o.home, home, sizeof home, &c)) != 0)
            return rc;
        tendo_athlete *list;
        size_t n;
        rc = tendo_catalog_athlete_list(c, &list, &n, &e);
        for (size_t i = 0; rc == TENDO_OK && i < n; i++) {
            tendo_catalog_session *s;
            size_t ns = 0;
            if (tendo_catalog_session_list(c, list[i].id, NULL, NULL, &s, &ns, &e) != TENDO_OK) {
                rc = e.code;
                break;
            }
            tendo_catalog_sessions_free(s, ns);
            if (o.json)
                cli_print_json_line(athlete_json(&list[i], (long)ns));
            else
                print_athlete(&list[i], (long)ns);
        }
        if (rc == TENDO_OK && n == 0 && !o.json)
            printf("no athletes yet in %s; add one with 'tendo athlete add ID --name NAME "
                   "--mass KG'\n",
                   tendo_catalog_path(c));
        free(list);
        tendo_catalog_close(c);
        return rc == TENDO_OK ? 0 : cli_fail(CMD, &e);
    }
    tendo_catalog_close(c);
    if (rc != TENDO_OK)
        return cli_fail(CMD, &e);
    if (o.json) {
        cli_print_json_line(athlete_json(&a, -1));
    } else {
        printf("%s athlete: ", !strcmp(o.verb, "add") ? "added" : "changed");
        print_athlete(&a, -1);
    }
    return 0;
}
