/*
 * cmd_import.c — `tendo import csv`: the command line of the CSV importer
 * (tools/import/tendo_import.h does the work): options checked with usage
 * messages, then one import, a summary and a warning when a t column
 * disagrees with --rate. Nothing appears under --out on any failure.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "tendo_csv.h"
#include "tendo_import.h"
#include "tendo_session.h"

#define CMD "import"
#define DEFAULT_START TENDO_IMPORT_DEFAULT_START

static const char *const SIDE_NAME[2] = {"left", "right"};

typedef struct import_opts {
    const char *out;
    const char *csv[2];      /* by tendo_side; NULL when not given */
    const char *serial[2];
    const char *athlete;
    const char *start;
    double rate;
    tendo_placement placement;
    tendo_csv_options units;
    int force, json;
} import_opts;

typedef tendo_import_pod pod_result;

static void print_help(FILE *out)
{
    fprintf(out,
"usage: tendo import csv --out OUT.h5 --rate HZ [--left L.csv] [--right R.csv] [options]\n"
"\n"
"Turns other sensors' CSV files, one per foot, into a tendo session file.\n"
"\n"
"CSV files need a header row, then one row per sample. Columns are found by\n"
"name (any case, any order; other columns are ignored):\n"
"  t          optional: seconds. Sample times become start + t, so left and\n"
"             right files written on one clock stay aligned.\n"
"             Without t, sample i is at start + i/rate.\n"
"  ax,ay,az   required: acceleration (see --accel-unit)\n"
"  gx,gy,gz   optional: angular rate (see --gyro-unit); accelerometer-only\n"
"             files are valid\n"
"Numbers use '.' as the decimal point. Samples are stored as float32 in SI\n"
"units (m/s^2, rad/s).\n"
"\n"
"Options:\n"
"  --out FILE               session file to create\n"
"  --rate HZ                the sensors' nominal sample rate (required)\n"
"  --left FILE              CSV of the left pod  } at least one of the two\n"
"  --right FILE             CSV of the right pod }\n"
"  --placement foot|shank   where the sensors were worn (default foot)\n"
"  --accel-unit m/s2|g      unit of ax,ay,az (default m/s2; g = 9.80665 m/s^2)\n"
"  --gyro-unit deg/s|rad/s  unit of gx,gy,gz (default deg/s)\n"
"  --athlete ID             athlete id stored in the session\n"
"  --start ISO8601          session start in UTC (default " DEFAULT_START ",\n"
"                           a fixed date: the same files always give the same times)\n"
"  --serial-left S          pod serials (default csv-left, csv-right;\n"
"  --serial-right S         letters, digits and _ . - only)\n"
"  --force                  replace --out if it exists\n"
"  --json                   print one JSON object instead of the summary\n"
"  --help                   show this help\n"
"\n"
"Example: the real gaitmap walking recording (NilsPod IMUs on both shoes,\n"
"204.8 Hz, acceleration in m/s^2, angular rate in deg/s, t in seconds):\n"
"  tendo import csv --out walk.h5 --rate 204.8 \\\n"
"      --left  ../shared/data/gaitmap-walking/left.csv \\\n"
"      --right ../shared/data/gaitmap-walking/right.csv\n"
"  tendo inspect walk.h5\n"
"\n"
"Exit codes: 0 ok, 64 bad options, 65 malformed CSV (the message names FILE:LINE),\n"
"66 a CSV file is missing, 73 --out exists (use --force), 74 I/O error.\n");
}

/* ------------------------------------------------------------- options */


/* Turns the text options into values; 0 or 64. */
static int check_options(import_opts *o, const char *rate, const char *placement,
                         const char *accel_unit, const char *gyro_unit)
{
    if (!o->out)
        return cli_usage(CMD, "--out OUT.h5 is required");
    if (!rate)
        return cli_usage(CMD, "--rate HZ is required (the sensors' sample rate)");
    if (cli_parse_double(CMD, "--rate", rate, 0.001, 100000.0, &o->rate))
        return CLI_EXIT_USAGE;
    if (!o->csv[TENDO_SIDE_LEFT] && !o->csv[TENDO_SIDE_RIGHT])
        return cli_usage(CMD, "give at least one of --left L.csv and --right R.csv");

    if (tendo_import_parse_placement(placement, &o->placement) != 0)
        return cli_usage(CMD, "--placement is foot or shank, not '%s'", placement);

    if (tendo_import_parse_accel_unit(accel_unit, &o->units.accel_unit) != 0)
        return cli_usage(CMD, "--accel-unit is m/s2 or g, not '%s'", accel_unit);

    if (tendo_import_parse_gyro_unit(gyro_unit, &o->units.gyro_unit) != 0)
        return cli_usage(CMD, "--gyro-unit is deg/s or rad/s, not '%s'", gyro_unit);

    for (int s = 0; s < 2; s++)
        if (!tendo_import_serial_ok(o->serial[s]))
            return cli_usage(CMD, "--serial-%s '%s' must be 1-63 letters, digits, '_', '.' "
                                  "or '-'",
                             SIDE_NAME[s], o->serial[s]);
    if (o->csv[0] && o->csv[1] && !strcmp(o->serial[0], o->serial[1]))
        return cli_usage(CMD, "the left and right pods need different serials");
    if (strlen(o->athlete) >= sizeof(((tendo_session_meta *)0)->athlete_id))
        return cli_usage(CMD, "--athlete is limited to %zu characters",
                         sizeof(((tendo_session_meta *)0)->athlete_id) - 1);
    return 0;
}

/* Returns 0 to go on, -1 after --help, or 64. */
static int parse_args(int argc, char **argv, import_opts *o)
{
    const char *rate = NULL, *placement = "foot", *accel_unit = "m/s2", *gyro_unit = "deg/s";
    memset(o, 0, sizeof *o);
    o->serial[0] = "csv-left";
    o->serial[1] = "csv-right";
    o->athlete = "";
    o->start = DEFAULT_START;

    int i = 1, format_seen = 0;
    for (; i < argc; i++) {
        const char *arg = argv[i];
        if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
            print_help(stdout);
            return -1;
        }
        int m = 0;
        struct { const char *name; const char **dst; } with_value[] = {
            {"--out", &o->out}, {"--rate", &rate}, {"--left", &o->csv[0]},
            {"--right", &o->csv[1]}, {"--placement", &placement},
            {"--accel-unit", &accel_unit}, {"--gyro-unit", &gyro_unit},
            {"--athlete", &o->athlete}, {"--start", &o->start},
            {"--serial-left", &o->serial[0]}, {"--serial-right", &o->serial[1]},
        };
        for (size_t k = 0; !m && k < sizeof with_value / sizeof with_value[0]; k++)
            m = cli_option_value(CMD, argc, argv, &i, with_value[k].name, with_value[k].dst);
        if (m == CLI_EXIT_USAGE)
            return m;
        if (m)
            continue;
        if (!strcmp(arg, "--force"))
            o->force = 1;
        else if (!strcmp(arg, "--json"))
            o->json = 1;
        else if (arg[0] == '-' && arg[1] != '\0')
            return cli_usage(CMD, "unknown option '%s'", arg);
        else if (!format_seen && !strcmp(arg, "csv"))
            format_seen = 1;
        else if (!format_seen)
            return cli_usage(CMD, "'%s' is not an import format; the one format is 'csv' "
                                  "(tendo import csv ...)",
                             arg);
        else
            return cli_usage(CMD, "unexpected argument '%s'", arg);
    }
    if (!format_seen)
        return cli_usage(CMD, "which format? usage: tendo import csv --out OUT.h5 --rate HZ "
                              "--left L.csv --right R.csv");
    return check_options(o, rate, placement, accel_unit, gyro_unit);
}

/* -------------------------------------------------------------- output */

/* A t column that disagrees with --rate is legal (the rate is nominal) but
 * usually a wrong --rate or a t column in milliseconds: say so. */
static void warn_rate(const import_opts *o, tendo_side side, const pod_result *res)
{
    if (tendo_import_rate_suspect(res, o->rate))
        fprintf(stderr,
                "tendo import: warning: %s: its t column gives %.4g Hz but --rate is %.4g Hz; "
                "check --rate (and that t is in seconds)\n",
                o->csv[side], tendo_import_measured_rate(res), o->rate);
}

static void print_summary(const import_opts *o, int64_t start_us, const pod_result res[2])
{
    char start[40];
    tendo_time_format_iso(start_us, start, sizeof start);
    int pods = res[0].present + res[1].present;
    if (o->json) {
        cJSON *root = cJSON_CreateObject();
        cJSON_AddStringToObject(root, "out", o->out);
        cJSON_AddStringToObject(root, "start_time_utc", start);
        cJSON *arr = cJSON_AddArrayToObject(root, "pods");
        for (int s = 0; s < 2; s++) {
            if (!res[s].present)
                continue;
            cJSON *p = cJSON_CreateObject();
            cJSON_AddStringToObject(p, "side", SIDE_NAME[s]);
            cJSON_AddStringToObject(p, "serial", o->serial[s]);
            cJSON_AddStringToObject(p, "csv", o->csv[s]);
            cJSON_AddNumberToObject(p, "samples", (double)res[s].samples);
            cJSON_AddNumberToObject(p, "duration_s", (res[s].last_us - res[s].first_us) / 1e6);
            cJSON_AddNumberToObject(p, "measured_rate_hz", tendo_import_measured_rate(&res[s]));
            cJSON_AddBoolToObject(p, "has_gyro", res[s].has_gyro);
            cJSON_AddStringToObject(p, "time_from", res[s].has_time ? "t" : "rate");
            cJSON_AddItemToArray(arr, p);
        }
        cli_print_json_line(root);
        return;
    }
    printf("imported %d pod%s into %s (start %s)\n", pods, pods == 1 ? "" : "s", o->out, start);
    for (int s = 0; s < 2; s++)
        if (res[s].present)
            printf("  %-5s %-16s %9" PRId64 " samples  %10.3f s  %s%s  from %s\n", SIDE_NAME[s],
                   o->serial[s], res[s].samples, (res[s].last_us - res[s].first_us) / 1e6,
                   res[s].has_gyro ? "accel+gyro" : "accel only",
                   res[s].has_time ? ", times from t" : ", times from --rate", o->csv[s]);
}

int tendo_cmd_import(int argc, char **argv)
{
    import_opts o;
    int rc = parse_args(argc, argv, &o);
    if (rc)
        return rc < 0 ? CLI_EXIT_OK : rc;

    tendo_error err;
    tendo_error_clear(&err);
    int64_t start_us = 0;
    if (tendo_time_parse_iso(o.start, &start_us, &err) != TENDO_OK)
        return cli_usage(CMD, "--start: %s", err.msg);

    tendo_import_csv_options io;
    tendo_import_csv_defaults(&io);
    io.out = o.out;
    io.csv[0] = o.csv[0];
    io.csv[1] = o.csv[1];
    io.serial[0] = o.serial[0];
    io.serial[1] = o.serial[1];
    io.label[0] = "--left";
    io.label[1] = "--right";
    io.athlete = o.athlete;
    io.start_us = start_us;
    io.rate_hz = o.rate;
    io.placement = o.placement;
    io.units = o.units;
    io.overwrite = o.force;
    pod_result res[2];
    rc = tendo_import_csv(&io, res, &err);
    if (rc != TENDO_OK)
        return cli_fail(CMD, &err);

    for (int s = 0; s < 2; s++)
        if (res[s].present)
            warn_rate(&o, (tendo_side)s, &res[s]);
    print_summary(&o, start_us, res);
    return CLI_EXIT_OK;
}
