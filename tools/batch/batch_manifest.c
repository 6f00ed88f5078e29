/*
 * batch_manifest.c — manifest parsing (see batch_manifest.h). Lines are
 * split with the sensor CSV reader's own field rules (tendo_csv.h), so the
 * two CSV dialects tendo reads cannot drift apart.
 */
#include "batch_manifest.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "analyze_run.h"
#include "tendo_array.h"
#include "tendo_csv.h"
#include "tendo_import.h"
#include "tendo_session.h"

#define MAX_LINE 65536
/* The ranges of the matching options of `tendo import csv` and `tendo analyze`. */
#define RATE_MIN_HZ 0.001
#define RATE_MAX_HZ 100000.0
#define MASS_MIN_KG 20.0
#define MASS_MAX_KG 300.0

enum { C_FILE, C_FORMAT, C_SIDE, C_PAIR, C_RATE, C_PLACEMENT, C_ACCEL, C_GYRO, C_ATHLETE,
       C_START, C_MASS, N_COLS };
static const char *const COL_NAME[N_COLS] = {"file",      "format",     "side",      "pair",
                                             "rate",      "placement",  "accel_unit",
                                             "gyro_unit", "athlete",    "start",     "mass"};
/* Columns that only make sense for a CSV input. */
static const int CSV_ONLY[] = {C_SIDE, C_PAIR, C_RATE, C_ACCEL, C_GYRO, C_START};

typedef struct parser {
    const char *path;
    char *dir;      /* folder the paths are relative to ("" for the current one) */
    long line_no;
    int col_of_field[64];
    size_t nfields;
    int field_of_col[N_COLS];
} parser;

static int bad(const parser *p, tendo_error *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int bad(const parser *p, tendo_error *err, const char *fmt, ...)
{
    char what[700];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return tendo_error_set(err, TENDO_EDATA, "%s:%ld: %s", p->path, p->line_no, what);
}

/* Splits a line into at most cap fields; returns the count or -1. */
static long split(const parser *p, char *line, char **fields, size_t cap, tendo_error *err)
{
    size_t n = 0;
    char *cursor = line;
    while (cursor) {
        const char *why = NULL;
        char *f = tendo_csv_split_field(&cursor, &why);
        if (!f) {
            bad(p, err, "%s", why);
            return -1;
        }
        if (n == cap) {
            bad(p, err, "more than %zu fields", cap);
            return -1;
        }
        fields[n++] = f;
    }
    return (long)n;
}

static int parse_header(parser *p, char **fields, size_t n, tendo_error *err)
{
    for (int c = 0; c < N_COLS; c++)
        p->field_of_col[c] = -1;
    for (size_t i = 0; i < n; i++) {
        int col = -1;
        for (int c = 0; c < N_COLS && col < 0; c++)
            if (!strcasecmp(fields[i], COL_NAME[c]))
                col = c;
        if (col < 0)
            return bad(p, err,
                       "unknown column '%s'; manifest columns are file, format, side, pair, "
                       "rate, placement, accel_unit, gyro_unit, athlete, start, mass",
                       fields[i]);
        if (p->field_of_col[col] >= 0)
            return bad(p, err, "column '%s' appears twice", COL_NAME[col]);
        p->field_of_col[col] = (int)i;
        p->col_of_field[i] = col;
    }
    p->nfields = n;
    if (p->field_of_col[C_FILE] < 0)
        return bad(p, err, "no 'file' column: the header row must name the columns, e.g. "
                           "file,format,rate,athlete");
    return TENDO_OK;
}

static char *resolve(const parser *p, const char *file)
{
    size_t len = strlen(p->dir) + strlen(file) + 2;
    char *out = malloc(len);
    if (out)
        snprintf(out, len, "%s%s", file[0] == '/' ? "" : p->dir, file);
    return out;
}

static int number(const parser *p, const char *col, const char *text, double lo, double hi,
                  double *out, tendo_error *err)
{
    char *end = NULL;
    errno = 0;
    double v = strtod(text, &end);
    if (end == text || *end != '\0' || errno == ERANGE || !isfinite(v) || v < lo || v > hi) {
        return bad(p, err, "%s must be a number from %g to %g, not '%s'", col, lo, hi, text);
    }
    *out = v;
    return TENDO_OK;
}

/* Fills job from one data row. */
static int parse_row(const parser *p, char **fields, const batch_job *def, batch_job *job,
                     tendo_error *err)
{
    const char *v[N_COLS];
    for (int c = 0; c < N_COLS; c++)
        v[c] = p->field_of_col[c] >= 0 ? fields[p->field_of_col[c]] : "";
    memset(job, 0, sizeof *job);
    job->line = (int)p->line_no;
    job->placement = def->placement;
    job->mass_kg = def->mass_kg;
    job->damage_k = def->damage_k;
    job->accel_unit = TENDO_ACCEL_MPS2;
    job->gyro_unit = TENDO_GYRO_DPS;
    if (!v[C_FILE][0])
        return bad(p, err, "the file column is empty");

    size_t flen = strlen(v[C_FILE]);
    if (!strcasecmp(v[C_FORMAT], "csv") ||
        (!v[C_FORMAT][0] && flen > 4 && !strcasecmp(v[C_FILE] + flen - 4, ".csv")))
        job->format = BATCH_CSV;
    else if (!v[C_FORMAT][0] || !strcasecmp(v[C_FORMAT], "h5"))
        job->format = BATCH_H5;
    else
        return bad(p, err, "format is h5 or csv, not '%s'", v[C_FORMAT]);

    if (job->format == BATCH_H5) {
        for (size_t k = 0; k < sizeof CSV_ONLY / sizeof *CSV_ONLY; k++)
            if (v[CSV_ONLY[k]][0])
                return bad(p, err,
                           "%s applies to CSV inputs only; %s is a session file (format h5)",
                           COL_NAME[CSV_ONLY[k]], v[C_FILE]);
    } else {
        if (!v[C_RATE][0])
            return bad(p, err, "rate is required for a CSV input (the sensor's sample rate in "
                               "Hz)");
        int rc = number(p, "rate", v[C_RATE], RATE_MIN_HZ, RATE_MAX_HZ, &job->rate_hz, err);
        if (rc != TENDO_OK)
            return rc;
        if (!strcmp(v[C_SIDE], "right"))
            job->side = 1;
        else if (v[C_SIDE][0] && strcmp(v[C_SIDE], "left"))
            return bad(p, err, "side is left or right, not '%s'", v[C_SIDE]);
        tendo_accel_unit au = TENDO_ACCEL_MPS2;
        tendo_gyro_unit gu = TENDO_GYRO_DPS;
        if (v[C_ACCEL][0] && tendo_import_parse_accel_unit(v[C_ACCEL], &au) != 0)
            return bad(p, err, "accel_unit is m/s2 or g, not '%s'", v[C_ACCEL]);
        if (v[C_GYRO][0] && tendo_import_parse_gyro_unit(v[C_GYRO], &gu) != 0)
            return bad(p, err, "gyro_unit is deg/s or rad/s, not '%s'", v[C_GYRO]);
        job->accel_unit = (int)au;
        job->gyro_unit = (int)gu;
        int64_t t;
        if (v[C_START][0] && tendo_time_parse_iso(v[C_START], &t, NULL) != TENDO_OK)
            return bad(p, err, "start '%s' is not an ISO 8601 time such as %s", v[C_START],
                       "2024-03-01T09:00:00Z");
        if (v[C_START][0] && !(job->start = strdup(v[C_START])))
            return tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
        if (v[C_PAIR][0] && !(job->pair = resolve(p, v[C_PAIR])))
            return tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
    }
    if (v[C_PLACEMENT][0]) {
        tendo_placement pl;
        if (tendo_import_parse_placement(v[C_PLACEMENT], &pl) != 0)
            return bad(p, err, "placement is foot or shank, not '%s'", v[C_PLACEMENT]);
        job->placement = (int)pl;
    }
    if (v[C_ATHLETE][0]) {
        if (strlen(v[C_ATHLETE]) >= sizeof(((tendo_session_meta *)0)->athlete_id))
            return bad(p, err, "athlete '%.40s...' is longer than %zu characters", v[C_ATHLETE],
                       sizeof(((tendo_session_meta *)0)->athlete_id) - 1);
        if (!(job->athlete = strdup(v[C_ATHLETE])))
            return tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
    }
    if (v[C_MASS][0]) {
        int rc = number(p, "mass", v[C_MASS], MASS_MIN_KG, MASS_MAX_KG, &job->mass_kg, err);
        if (rc != TENDO_OK)
            return rc;
    }
    if (!(job->file = resolve(p, v[C_FILE])))
        return tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
    if (job->pair && !strcmp(job->pair, job->file))
        return bad(p, err, "pair names the same file as file (%s)", v[C_PAIR]);
    return batch_job_make_params(job, err);
}

/* Reads one line (without its newline) into *buf (getline's); 1, 0 at the
 * end, or an error. */
static int read_line(parser *p, FILE *f, char **buf, size_t *cap, tendo_error *err)
{
    errno = 0;
    ssize_t got = getline(buf, cap, f);
    if (got < 0) {
        if (ferror(f))
            return tendo_error_set(err, errno == ENOMEM ? TENDO_EINTERNAL : TENDO_EIO,
                                   "%s: read error: %s", p->path, strerror(errno));
        return 0;
    }
    p->line_no++;
    size_t len = (size_t)got;
    char *s = *buf;
    if (len > 0 && s[len - 1] == '\n')
        s[--len] = '\0';
    if (len > 0 && s[len - 1] == '\r')
        s[--len] = '\0';
    if (len > MAX_LINE)
        return bad(p, err, "line is longer than %d bytes", MAX_LINE);
    if (memchr(s, '\0', len))
        return bad(p, err, "contains a NUL byte: the manifest must be a text CSV (UTF-8)");
    if (p->line_no == 1 && !strncmp(s, "\xEF\xBB\xBF", 3)) /* UTF-8 byte order mark */
        memmove(s, s + 3, len - 2);
    return 1;
}

int batch_manifest_read(const char *path, const batch_job *defaults, batch_job **jobs, size_t *n,
                        tendo_error *err)
{
    *jobs = NULL;
    *n = 0;
    FILE *f = fopen(path, "r");
    if (!f)
        return tendo_error_set(err, errno == ENOENT ? TENDO_ENOINPUT : TENDO_EIO,
                               "cannot open the manifest %s: %s", path, strerror(errno));
    parser p = {.path = path};
    const char *slash = strrchr(path, '/');
    size_t dlen = slash ? (size_t)(slash - path) + 1 : 0;
    p.dir = malloc(dlen + 1);
    char *buf = NULL;
    size_t bufcap = 0;
    int rc = p.dir ? TENDO_OK : tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
    if (p.dir) {
        memcpy(p.dir, path, dlen);
        p.dir[dlen] = '\0';
    }
    batch_job *list = NULL;
    size_t len = 0, cap = 0;
    int header_seen = 0;
    while (rc == TENDO_OK) {
        int got = read_line(&p, f, &buf, &bufcap, err);
        if (got <= 0) {
            rc = got;
            break;
        }
        const char *s = buf + strspn(buf, " \t");
        if (*s == '\0' || *s == '#')
            continue;
        char *fields[64];
        long nf = split(&p, buf, fields, 64, err);
        if (nf < 0) {
            rc = TENDO_EDATA;
            break;
        }
        if (!header_seen) {
            rc = parse_header(&p, fields, (size_t)nf, err);
            header_seen = 1;
            continue;
        }
        if ((size_t)nf != p.nfields) {
            rc = bad(&p, err, "%ld fields where the header has %zu", nf, p.nfields);
            break;
        }
        batch_job *grown = tendo_array_reserve(list, &cap, len, sizeof *list, 16);
        if (!grown) {
            rc = tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
            break;
        }
        list = grown;
        rc = parse_row(&p, fields, defaults, &list[len], err);
        len++;
        for (size_t k = 0; rc == TENDO_OK && k + 1 < len; k++)
            if (!strcmp(list[k].file, list[len - 1].file))
                rc = bad(&p, err, "%s is already listed on line %d; list each file once",
                         list[len - 1].file, list[k].line);
    }
    if (rc == TENDO_OK && !header_seen)
        rc = tendo_error_set(err, TENDO_EDATA,
                             "%s: the manifest is empty; it needs a header row (file,...) and "
                             "one row per file",
                             path);
    fclose(f);
    free(buf);
    free(p.dir);
    if (rc != TENDO_OK) {
        for (size_t k = 0; k < len; k++)
            batch_job_clear(&list[k]);
        free(list);
        return rc;
    }
    *jobs = list;
    *n = len;
    return TENDO_OK;
}
