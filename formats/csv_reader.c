/*
 * csv_reader.c — streaming reader of sensor CSV files (see tendo_csv.h).
 *
 * The file is read through a fixed I/O buffer into a fixed line buffer, so
 * memory stays flat whatever the file's size, and a line longer than
 * CSV_MAX_LINE is refused rather than grown into. Every rejected row names
 * FILE:LINE, says what is wrong and what to do: these files come from other
 * people's tools, and the user has to fix them by hand.
 *
 * Numbers are parsed with strtod under a private "C" locale (uselocale), so a
 * program that called setlocale() for its own output still reads "9.81".
 */
#include "tendo_csv.h"

#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define CSV_MAX_LINE 65536      /* bytes per line, CR/LF excluded */
#define CSV_IO_BUF 65536
#define CSV_MAX_ABS_T 1e9       /* seconds (~31.7 years): keeps start + t·1e6 in int64 µs */
#define G_STANDARD 9.80665      /* m/s² per g (CGPM 1901) */
#define DEG_TO_RAD (3.14159265358979323846 / 180.0)

/* Wanted columns: slot numbers, in the order of the file convention. */
enum { SLOT_T, SLOT_AX, SLOT_AY, SLOT_AZ, SLOT_GX, SLOT_GY, SLOT_GZ, N_SLOTS };
static const char *const SLOT_NAME[N_SLOTS] = {"t", "ax", "ay", "az", "gx", "gy", "gz"};

struct tendo_csv_reader {
    FILE *f;
    char *path;
    locale_t c_locale;
    double accel_scale;      /* file unit → m/s² */
    double gyro_scale;       /* file unit → rad/s */

    char io[CSV_IO_BUF];     /* bytes read from f, not yet consumed */
    size_t io_pos, io_len;
    int io_eof;

    char line[CSV_MAX_LINE + 2];
    size_t line_len;
    long long line_no;       /* number of the line in line[] (1-based) */

    size_t n_fields;         /* fields in the header, and so in every row */
    int *slot_of_field;      /* [n_fields]: a SLOT_* or -1 for ignored columns */
    int col_of_slot[N_SLOTS];/* field index of each slot, -1 when absent */

    long long rows;          /* data rows returned so far */
    int failed;              /* the first error; later reads repeat it */
    double last_t;
    long long last_t_us;
};

/* ------------------------------------------------------------ line input */

static int line_too_long(const tendo_csv_reader *r, long long line_no, tendo_error *err)
{
    return tendo_error_set(err, TENDO_EDATA,
                           "%s:%lld: line is longer than %d bytes; this is not a sensor CSV "
                           "row (is the file binary, or are line breaks missing?)",
                           r->path, line_no, CSV_MAX_LINE);
}

/* Reads the next line (without its LF and a trailing CR) into r->line.
 * Returns 1 for a line, 0 at end of file, or a negative code. */
static int next_line(tendo_csv_reader *r, tendo_error *err)
{
    r->line_len = 0;
    int got_any = 0;
    for (;;) {
        if (r->io_pos == r->io_len) {
            if (r->io_eof)
                break;
            r->io_len = fread(r->io, 1, sizeof r->io, r->f);
            r->io_pos = 0;
            if (r->io_len < sizeof r->io) {
                if (ferror(r->f))
                    return tendo_error_set(err, TENDO_EIO, "%s:%lld: read error: %s", r->path,
                                           r->line_no + 1, strerror(errno));
                r->io_eof = 1;
            }
            if (r->io_len == 0)
                break;
        }
        got_any = 1;
        const char *start = r->io + r->io_pos;
        size_t avail = r->io_len - r->io_pos;
        const char *nl = memchr(start, '\n', avail);
        size_t take = nl ? (size_t)(nl - start) : avail;
        if (r->line_len + take > CSV_MAX_LINE + 1) /* +1: room for a CR before the LF */
            return line_too_long(r, r->line_no + 1, err);
        memcpy(r->line + r->line_len, start, take);
        r->line_len += take;
        r->io_pos += take + (nl ? 1 : 0);
        if (nl)
            break;
    }
    if (!got_any)
        return 0;
    r->line_no++;
    if (r->line_len > 0 && r->line[r->line_len - 1] == '\r')
        r->line_len--;
    if (r->line_len > CSV_MAX_LINE)
        return line_too_long(r, r->line_no, err);
    r->line[r->line_len] = '\0';
    /* A NUL would silently cut the line short in every string function below. */
    if (memchr(r->line, '\0', r->line_len))
        return tendo_error_set(err, TENDO_EDATA,
                               "%s:%lld: contains a NUL byte: this is binary data, not a "
                               "text CSV (a UTF-16 file must be saved as UTF-8 first)",
                               r->path, r->line_no);
    return 1;
}

/* ------------------------------------------------------------- splitting */

/* Cuts the next field out of *cursor in place: surrounding blanks removed,
 * RFC 4180 quotes removed ("" inside quotes is one quote). Advances *cursor
 * past the comma, or sets it to NULL after the last field. Returns the field,
 * or NULL with *bad set to a reason for a malformed quote. */
static char *next_field(char **cursor, const char **bad)
{
    char *p = *cursor;
    while (*p == ' ' || *p == '\t')
        p++;
    char *field = p, *end;
    if (*p == '"') {
        char *out = p; /* the content is moved down over the opening quote */
        p++;
        for (;;) {
            if (*p == '\0') {
                *bad = "a quoted field is not closed (fields cannot span lines)";
                return NULL;
            }
            if (*p == '"' && p[1] == '"') {
                *out++ = '"';
                p += 2;
            } else if (*p == '"') {
                p++;
                break;
            } else {
                *out++ = *p++;
            }
        }
        end = out;
        while (field < end && (*field == ' ' || *field == '\t')) /* blanks inside quotes go too */
            field++;
        while (end > field && (end[-1] == ' ' || end[-1] == '\t'))
            end--;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p != ',' && *p != '\0') {
            *bad = "text follows a closing quote";
            return NULL;
        }
    } else {
        p += strcspn(p, ",");
        end = p;
        while (end > field && (end[-1] == ' ' || end[-1] == '\t'))
            end--;
    }
    *cursor = (*p == ',') ? p + 1 : NULL;
    *end = '\0';
    return field;
}

/* ---------------------------------------------------------------- header */

static int slot_by_name(const char *name)
{
    for (int s = 0; s < N_SLOTS; s++)
        if (!strcasecmp(name, SLOT_NAME[s]))
            return s;
    return -1;
}

/* Copies text for an error message: at most 32 bytes, anything but
 * printable ASCII shown as '?', so binary junk cannot garble a terminal. */
static const char *shown(const char *text, char out[40])
{
    size_t i = 0;
    for (; i < 32 && text[i]; i++)
        out[i] = isprint((unsigned char)text[i]) ? text[i] : '?';
    strcpy(out + i, text[i] ? "..." : "");
    return out;
}

/* Appends a column name to a short "found: 'a', 'b'" list for error messages. */
static void list_append(char *list, size_t size, const char *name)
{
    char buf[40];
    size_t len = strlen(list);
    if (len + 48 > size) {
        if (!strstr(list, ", ..."))
            strcat(list, ", ...");
        return;
    }
    snprintf(list + len, size - len, "%s'%s'", len ? ", " : "", shown(name, buf));
}

static int header_missing(tendo_csv_reader *r, const char *what, const char *found,
                          tendo_error *err)
{
    const char *hint = "";
    if (strspn(r->line, "0123456789.eE+- ") > 0 && isdigit((unsigned char)r->line[0]))
        hint = " The first line looks like numbers: the file needs a header row naming its "
               "columns.";
    else if (strchr(r->line, ';'))
        hint = " The header contains ';': tendo reads comma-separated files with '.' as the "
               "decimal point; export again with ',' between fields.";
    else if (strchr(r->line, '\t'))
        hint = " The header contains tabs: tendo reads comma-separated files.";
    return tendo_error_set(err, TENDO_EDATA,
                           "%s:%lld: the header has %s (found columns: %s). Name the columns "
                           "t,ax,ay,az,gx,gy,gz (t and gx,gy,gz optional; case and other "
                           "columns do not matter).%s",
                           r->path, r->line_no, what, found[0] ? found : "none", hint);
}

/* Reads line 1 and maps each column to a slot. */
static int parse_header(tendo_csv_reader *r, tendo_error *err)
{
    int rc = next_line(r, err);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return tendo_error_set(err, TENDO_EDATA,
                               "%s:1: the file is empty; expected a header row such as "
                               "'t,ax,ay,az,gx,gy,gz' followed by one row per sample",
                               r->path);
    char *text = r->line;
    if (!strncmp(text, "\xEF\xBB\xBF", 3)) /* UTF-8 byte order mark (Excel writes one) */
        text += 3;

    size_t count = 1;
    for (const char *c = text; *c; c++)
        count += (*c == ',');
    r->slot_of_field = malloc(count * sizeof *r->slot_of_field);
    if (!r->slot_of_field)
        return tendo_error_set(err, TENDO_EINTERNAL, "out of memory reading %s", r->path);

    char found[256] = "";
    const char *bad = NULL;
    char *cursor = text;
    r->n_fields = 0;
    while (cursor) {
        char *name = next_field(&cursor, &bad);
        if (!name)
            return tendo_error_set(err, TENDO_EDATA, "%s:%lld: header: %s", r->path,
                                   r->line_no, bad);
        int slot = slot_by_name(name);
        if (slot >= 0 && r->col_of_slot[slot] >= 0)
            return tendo_error_set(err, TENDO_EDATA,
                                   "%s:%lld: the header names column '%s' twice (columns %d "
                                   "and %zu); keep one of them",
                                   r->path, r->line_no, SLOT_NAME[slot],
                                   r->col_of_slot[slot] + 1, r->n_fields + 1);
        if (slot >= 0)
            r->col_of_slot[slot] = (int)r->n_fields;
        r->slot_of_field[r->n_fields++] = slot;
        list_append(found, sizeof found, name);
    }

    if (r->col_of_slot[SLOT_AX] < 0 || r->col_of_slot[SLOT_AY] < 0 ||
        r->col_of_slot[SLOT_AZ] < 0) {
        char what[64];
        snprintf(what, sizeof what, "no '%s' column",
                 SLOT_NAME[r->col_of_slot[SLOT_AX] < 0   ? SLOT_AX
                           : r->col_of_slot[SLOT_AY] < 0 ? SLOT_AY
                                                         : SLOT_AZ]);
        return header_missing(r, what, found, err);
    }
    int gyros = (r->col_of_slot[SLOT_GX] >= 0) + (r->col_of_slot[SLOT_GY] >= 0) +
                (r->col_of_slot[SLOT_GZ] >= 0);
    if (gyros != 0 && gyros != 3)
        return header_missing(r, "only some of the gyroscope columns gx,gy,gz (all three or "
                                 "none)",
                              found, err);
    return TENDO_OK;
}

/* ----------------------------------------------------------------- numbers */

/* Parses one field as a finite number. Only plain decimal notation is
 * accepted: strtod alone would also take "nan", "inf", hex floats and
 * leading junk, none of which belongs in sensor data. */
static int parse_number(tendo_csv_reader *r, int slot, const char *text, double *out,
                        tendo_error *err)
{
    const char *name = SLOT_NAME[slot];
    char echo[40];
    if (!*text)
        return tendo_error_set(err, TENDO_EDATA,
                               "%s:%lld: '%s' is empty; every row needs a number in each of "
                               "its columns (remove or fill incomplete rows)",
                               r->path, r->line_no, name);
    const char *p = text + (*text == '+' || *text == '-');
    if (!strncasecmp(p, "nan", 3) || !strncasecmp(p, "inf", 3))
        return tendo_error_set(err, TENDO_EDATA,
                               "%s:%lld: '%s' is '%s': NaN and infinity are not samples; "
                               "drop the row or fill the gap before importing",
                               r->path, r->line_no, name, shown(text, echo));
    /* strtod only after a character check: it would also take hex floats and
     * leading blanks, and "9,81" would stop at the comma. */
    int plain = strspn(text, "0123456789.eE+-") == strlen(text) && strpbrk(text, "0123456789");
    char *end = NULL;
    errno = 0;
    double v = plain ? strtod(text, &end) : 0.0;
    if (!plain || end == text || *end != '\0') {
        if (strchr(text, ','))
            return tendo_error_set(err, TENDO_EDATA,
                                   "%s:%lld: '%s' is '%s', which uses a decimal comma; "
                                   "tendo needs '.' as the decimal point (re-export the file "
                                   "with an English/C number format)",
                                   r->path, r->line_no, name, shown(text, echo));
        return tendo_error_set(err, TENDO_EDATA,
                               "%s:%lld: '%s' is '%s', not a number; expected decimal "
                               "notation such as 9.81 or -1.2e-3",
                               r->path, r->line_no, name, shown(text, echo));
    }
    if ((errno == ERANGE && fabs(v) > 1.0) || !isfinite(v))
        return tendo_error_set(err, TENDO_EDATA, "%s:%lld: '%s' is '%s', out of range for a "
                               "sensor reading",
                               r->path, r->line_no, name, shown(text, echo));
    *out = v; /* an underflow to (nearly) zero is kept: it is a valid tiny reading */
    return TENDO_OK;
}

/* Stores v × scale as float32, refusing values float32 cannot hold. */
static int store_float(tendo_csv_reader *r, int slot, double v, double scale, float *dst,
                       tendo_error *err)
{
    double si = v * scale;
    if (fabs(si) > FLT_MAX)
        return tendo_error_set(err, TENDO_EDATA,
                               "%s:%lld: '%s' = %g is beyond the float32 range of a sample",
                               r->path, r->line_no, SLOT_NAME[slot], v);
    if (dst)
        *dst = (float)si;
    return TENDO_OK;
}

/* ------------------------------------------------------------------- rows */

static int wrong_field_count(tendo_csv_reader *r, size_t got, tendo_error *err)
{
    /* "9,81,0,12" in a comma-separated file splits every number in two. */
    const char *hint = (got > r->n_fields && !strchr(r->line, '.'))
                           ? " The row has no '.' at all: if its numbers use a decimal comma "
                             "(9,81), re-export the file with '.' as the decimal point."
                           : " Every row needs as many fields as the header (a trailing "
                             "partial row usually means the recording was cut short: delete "
                             "it).";
    return tendo_error_set(err, TENDO_EDATA, "%s:%lld: %zu fields, but the header has %zu.%s",
                           r->path, r->line_no, got, r->n_fields, hint);
}

/* Checks the time column: finite, bounded, strictly increasing, and at least
 * 1 µs after the previous row, the resolution of a session's time axis. */
static int check_time(tendo_csv_reader *r, double t, tendo_error *err)
{
    if (fabs(t) > CSV_MAX_ABS_T)
        return tendo_error_set(err, TENDO_EDATA,
                               "%s:%lld: t = %g s is beyond ±%g s; t must be seconds from a "
                               "recording's start, not a timestamp in other units",
                               r->path, r->line_no, t, CSV_MAX_ABS_T);
    long long t_us = llround(t * 1e6);
    if (r->rows > 0 && t > r->last_t && t_us <= r->last_t_us)
        return tendo_error_set(err, TENDO_EDATA,
                               "%s:%lld: t = %.9g s is less than 1 µs after the previous row's "
                               "%.9g s; session times have microsecond resolution: remove "
                               "duplicated rows or fix the time column",
                               r->path, r->line_no, t, r->last_t);
    if (r->rows > 0 && t <= r->last_t)
        return tendo_error_set(err, TENDO_EDATA,
                               "%s:%lld: t = %.9g s is not later than the previous row's "
                               "%.9g s; times must increase strictly, by at least 1 µs: sort "
                               "the file or remove repeated rows",
                               r->path, r->line_no, t, r->last_t);
    r->last_t = t;
    r->last_t_us = t_us;
    return TENDO_OK;
}

/* Parses r->line as one data row into row i of the outputs. */
static int parse_row(tendo_csv_reader *r, size_t i, double *t_s, float *accel, float *gyro,
                     tendo_error *err)
{
    double v[N_SLOTS] = {0};
    size_t got = 0;
    char *cursor = r->line;
    const char *bad = NULL;
    while (cursor) {
        char *field = next_field(&cursor, &bad);
        if (!field)
            return tendo_error_set(err, TENDO_EDATA, "%s:%lld: %s", r->path, r->line_no, bad);
        if (got < r->n_fields && r->slot_of_field[got] >= 0) {
            int slot = r->slot_of_field[got];
            int rc = parse_number(r, slot, field, &v[slot], err);
            if (rc < 0)
                return rc;
        }
        got++;
    }
    if (got != r->n_fields)
        return wrong_field_count(r, got, err);

    if (r->col_of_slot[SLOT_T] >= 0) {
        int rc = check_time(r, v[SLOT_T], err);
        if (rc < 0)
            return rc;
        if (t_s)
            t_s[i] = v[SLOT_T];
    }
    for (int axis = 0; axis < 3; axis++) {
        int rc = store_float(r, SLOT_AX + axis, v[SLOT_AX + axis], r->accel_scale,
                             accel ? &accel[3 * i + axis] : NULL, err);
        if (rc == TENDO_OK && r->col_of_slot[SLOT_GX] >= 0)
            rc = store_float(r, SLOT_GX + axis, v[SLOT_GX + axis], r->gyro_scale,
                             gyro ? &gyro[3 * i + axis] : NULL, err);
        if (rc < 0)
            return rc;
    }
    return TENDO_OK;
}

/* ------------------------------------------------------------------- API */

int tendo_csv_open(tendo_csv_reader **out, const char *path, const tendo_csv_options *opt,
                   tendo_error *err)
{
    *out = NULL;
    static const tendo_csv_options defaults = {TENDO_ACCEL_MPS2, TENDO_GYRO_DPS};
    if (!opt)
        opt = &defaults;

    FILE *f = fopen(path, "rb");
    if (!f)
        return tendo_error_set(err, errno == ENOENT ? TENDO_ENOINPUT : TENDO_EIO,
                               "cannot open %s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        fclose(f);
        return tendo_error_set(err, TENDO_ENOINPUT, "%s is a directory, not a CSV file", path);
    }

    tendo_csv_reader *r = calloc(1, sizeof *r);
    char *path_copy = strdup(path);
    locale_t c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
    if (!r || !path_copy || c_locale == (locale_t)0) {
        free(r);
        free(path_copy);
        if (c_locale != (locale_t)0)
            freelocale(c_locale);
        fclose(f);
        return tendo_error_set(err, TENDO_EINTERNAL, "out of memory opening %s", path);
    }
    r->f = f;
    r->path = path_copy;
    r->c_locale = c_locale;
    r->accel_scale = opt->accel_unit == TENDO_ACCEL_G ? G_STANDARD : 1.0;
    r->gyro_scale = opt->gyro_unit == TENDO_GYRO_DPS ? DEG_TO_RAD : 1.0;
    for (int s = 0; s < N_SLOTS; s++)
        r->col_of_slot[s] = -1;

    int rc = parse_header(r, err);
    if (rc < 0) {
        tendo_csv_close(r);
        return rc;
    }
    *out = r;
    return TENDO_OK;
}

void tendo_csv_close(tendo_csv_reader *r)
{
    if (!r)
        return;
    if (r->f)
        fclose(r->f);
    if (r->c_locale != (locale_t)0)
        freelocale(r->c_locale);
    free(r->slot_of_field);
    free(r->path);
    free(r);
}

int tendo_csv_has_time(const tendo_csv_reader *r)
{
    return r->col_of_slot[SLOT_T] >= 0;
}

int tendo_csv_has_gyro(const tendo_csv_reader *r)
{
    return r->col_of_slot[SLOT_GX] >= 0;
}

/* Blank lines carry no sample and are skipped (editors add them at the end). */
static int read_rows(tendo_csv_reader *r, size_t max, double *t_s, float *accel, float *gyro,
                     size_t *n, tendo_error *err)
{
    while (*n < max) {
        int rc = next_line(r, err);
        if (rc < 0)
            return rc;
        if (rc == 0)
            break;
        if (strspn(r->line, " \t") == r->line_len)
            continue;
        rc = parse_row(r, *n, t_s, accel, gyro, err);
        if (rc < 0)
            return rc;
        (*n)++;
        r->rows++;
    }
    if (*n == 0 && r->rows == 0)
        return tendo_error_set(err, TENDO_EDATA,
                               "%s:%lld: no data rows after the header; a sensor CSV needs "
                               "one row per sample",
                               r->path, r->line_no + 1);
    return TENDO_OK;
}

int tendo_csv_read(tendo_csv_reader *r, size_t max, double *t_s, float *accel, float *gyro,
                   size_t *n, tendo_error *err)
{
    *n = 0;
    if (r->failed) /* the stream is mid-line or past a bad row: no resuming */
        return tendo_error_set(err, r->failed, "%s: reading stopped at line %lld after an "
                               "error", r->path, r->line_no);
    locale_t previous = uselocale(r->c_locale);
    int rc = read_rows(r, max, t_s, accel, gyro, n, err);
    uselocale(previous);
    if (rc < 0) {
        r->failed = rc;
        *n = 0;
    }
    return rc;
}

char *tendo_csv_split_field(char **cursor, const char **bad)
{
    return next_field(cursor, bad);
}
