/*
 * diary_csv.c — reading the diary import file (diary_csv.h).
 */
#include "diary_csv.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tendo_array.h"

#define LINE_MAX_BYTES 65536
#define MAX_FIELDS 16

enum { COL_ATHLETE, COL_DATE, COL_PAIN, COL_PAIN24, COL_STIFF, COL_NOTE, NCOLS };
static const char *const COL_NAMES[NCOLS] = {"athlete", "date", "pain", "pain_24h", "stiffness",
                                             "note"};

/* Splits one record (RFC 4180: quoted fields may hold commas, doubled
 * quotes and newlines) starting at *p; fields point into the buffer, which
 * is modified. Returns the field count, -1 for a malformed quote. */
static int split_record(char **p, char **fields, int *line)
{
    int n = 0;
    char *s = *p;
    for (;;) {
        char *out = s, *start = s;
        if (*s == '"') {
            s++;
            for (;;) {
                if (*s == '\0')
                    return -1;
                if (*s == '"' && s[1] == '"')
                    *out++ = '"', s += 2;
                else if (*s == '"')
                    break;
                else {
                    if (*s == '\n')
                        (*line)++;
                    *out++ = *s++;
                }
            }
            s++;
            if (*s != ',' && *s != '\n' && *s != '\r' && *s != '\0')
                return -1;
        } else {
            while (*s && *s != ',' && *s != '\n' && *s != '\r')
                *out++ = *s++;
        }
        /* find where the next field or record starts before terminating
         * this one: out may point at the delimiter itself */
        char end = *s, *next = s;
        if (end == ',' || end == '\n')
            next = s + 1;
        else if (end == '\r')
            next = s[1] == '\n' ? s + 2 : s + 1;
        *out = '\0';
        if (n < MAX_FIELDS)
            fields[n] = start;
        n++;
        s = next;
        if (end == ',')
            continue;
        *p = s;
        return n;
    }
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

static int parse_score(const char *text, int *out)
{
    if (!text[0]) {
        *out = -1;
        return 0;
    }
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (*end || errno || v < 0 || v > 10)
        return -1;
    *out = (int)v;
    return 0;
}

int diary_csv_read(const char *path, const char *default_athlete, tendo_diary_entry **out,
                   size_t *n, tendo_error *err)
{
    *out = NULL;
    *n = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return tendo_error_set(err, TENDO_ENOINPUT, "cannot open %s: %s", path, strerror(errno));
    /* the whole file: a diary is small, and nothing is written before every
     * row has been checked */
    size_t cap = 0, len = 0;
    char *buf = NULL;
    int rc = TENDO_OK;
    for (;;) {
        if (cap - len < 4097) {
            size_t ncap = cap ? 2 * cap : 65536;
            char *b = realloc(buf, ncap);
            if (!b) {
                rc = tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
                break;
            }
            buf = b;
            cap = ncap;
        }
        size_t got = fread(buf + len, 1, cap - len - 1, f);
        len += got;
        if (got == 0)
            break;
        if (len > 64u << 20) {
            rc = tendo_error_set(err, TENDO_EDATA, "%s: larger than 64 MiB: not a diary", path);
            break;
        }
    }
    if (rc == TENDO_OK && !buf && !(buf = malloc(1)))
        rc = tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
    int io = ferror(f);
    fclose(f);
    if (rc == TENDO_OK && io)
        rc = tendo_error_set(err, TENDO_EIO, "reading %s failed", path);
    if (rc != TENDO_OK) {
        free(buf);
        return rc;
    }
    buf[len] = '\0';
    if (memchr(buf, '\0', len))
        rc = tendo_error_set(err, TENDO_EDATA,
                             "%s: holds NUL bytes: not a text CSV (UTF-16? save as UTF-8)", path);
    char *p = buf;
    if (!strncmp(p, "\xEF\xBB\xBF", 3))
        p += 3;
    int line = 1, col[NCOLS];
    for (int k = 0; k < NCOLS; k++)
        col[k] = -1;
    char *fld[MAX_FIELDS];
    int nh = rc == TENDO_OK ? split_record(&p, fld, &line) : 0;
    if (rc == TENDO_OK && (nh < 1 || nh > MAX_FIELDS))
        rc = tendo_error_set(err, TENDO_EDATA, "%s line 1: not a diary header", path);
    for (int i = 0; rc == TENDO_OK && i < nh; i++) {
        char *h = trim(fld[i]);
        int k;
        for (k = 0; k < NCOLS; k++)
            if (!strcasecmp(h, COL_NAMES[k]) || (k == COL_PAIN24 && !strcasecmp(h, "pain-24h")))
                break;
        if (k == NCOLS)
            rc = tendo_error_set(err, TENDO_EDATA,
                                 "%s line 1: unknown column '%s' (columns: athlete, date, pain, "
                                 "pain_24h, stiffness, note)",
                                 path, h);
        else if (col[k] >= 0)
            rc = tendo_error_set(err, TENDO_EDATA, "%s line 1: column '%s' twice", path, h);
        else
            col[k] = i;
    }
    if (rc == TENDO_OK && col[COL_DATE] < 0)
        rc = tendo_error_set(err, TENDO_EDATA, "%s line 1: no 'date' column", path);
    if (rc == TENDO_OK && col[COL_ATHLETE] < 0 && !default_athlete)
        rc = tendo_error_set(err, TENDO_EDATA,
                             "%s line 1: no 'athlete' column: add one or give --athlete ID", path);
    size_t ecap = 0;
    while (rc == TENDO_OK && *p) {
        line++;
        int this_line = line;
        char *q = p;
        if (*q == '\n' || (*q == '\r' && q[1] == '\n')) { /* blank line */
            p += *q == '\r' ? 2 : 1;
            continue;
        }
        int nf = split_record(&p, fld, &line);
        if (nf < 0) {
            rc = tendo_error_set(err, TENDO_EDATA, "%s line %d: unbalanced quote", path,
                                 this_line);
            break;
        }
        if (nf != nh) {
            rc = tendo_error_set(err, TENDO_EDATA, "%s line %d: %d fields, the header has %d",
                                 path, this_line, nf, nh);
            break;
        }
        tendo_diary_entry *a = tendo_array_reserve(*out, &ecap, *n, sizeof *a, 64);
        if (!a) {
            rc = tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
            break;
        }
        *out = a;
        tendo_diary_entry *e = &a[*n];
        memset(e, 0, sizeof *e);
        const char *ath = col[COL_ATHLETE] >= 0 ? trim(fld[col[COL_ATHLETE]]) : "";
        if (!ath[0] && default_athlete)
            ath = default_athlete;
        if (!tendo_catalog_id_ok(ath)) {
            rc = tendo_error_set(err, TENDO_EDATA, "%s line %d: athlete '%s' is not a valid id",
                                 path, this_line, ath);
            break;
        }
        snprintf(e->athlete_id, sizeof e->athlete_id, "%s", ath);
        snprintf(e->date, sizeof e->date, "%.10s", trim(fld[col[COL_DATE]]));
        if (strlen(trim(fld[col[COL_DATE]])) != 10 || !tendo_catalog_date_ok(e->date)) {
            rc = tendo_error_set(err, TENDO_EDATA,
                                 "%s line %d: date '%s' is not YYYY-MM-DD", path, this_line,
                                 trim(fld[col[COL_DATE]]));
            break;
        }
        const int sc[3] = {COL_PAIN, COL_PAIN24, COL_STIFF};
        int *dst[3] = {&e->pain, &e->pain_24h, &e->stiffness};
        for (int k = 0; k < 3 && rc == TENDO_OK; k++) {
            *dst[k] = -1;
            if (col[sc[k]] >= 0 && parse_score(trim(fld[col[sc[k]]]), dst[k]) != 0)
                rc = tendo_error_set(err, TENDO_EDATA,
                                     "%s line %d: %s '%s' is not a whole number from 0 to 10",
                                     path, this_line, COL_NAMES[sc[k]], trim(fld[col[sc[k]]]));
        }
        if (rc != TENDO_OK)
            break;
        if (col[COL_NOTE] >= 0) {
            const char *note = trim(fld[col[COL_NOTE]]);
            if (strlen(note) > TENDO_DIARY_NOTE_MAX) {
                rc = tendo_error_set(err, TENDO_EDATA, "%s line %d: note longer than %d characters",
                                     path, this_line, TENDO_DIARY_NOTE_MAX);
                break;
            }
            snprintf(e->note, sizeof e->note, "%s", note);
        }
        tendo_error e2 = {0};
        if (tendo_catalog_diary_check(e, &e2) != TENDO_OK) {
            rc = tendo_error_set(err, TENDO_EDATA, "%s line %d: %s", path, this_line, e2.msg);
            break;
        }
        /* each athlete's dates strictly increase down the file */
        for (size_t k = *n; k-- > 0;)
            if (!strcmp((*out)[k].athlete_id, e->athlete_id)) {
                if (strcmp((*out)[k].date, e->date) >= 0)
                    rc = tendo_error_set(err, TENDO_EDATA,
                                         "%s line %d: date %s of %s is %s an earlier row's (%s): "
                                         "rows must be in date order, one per day",
                                         path, this_line, e->date, e->athlete_id,
                                         strcmp((*out)[k].date, e->date) ? "before" : "the same as",
                                         (*out)[k].date);
                break;
            }
        if (rc == TENDO_OK)
            (*n)++;
    }
    if (rc == TENDO_OK && *n == 0)
        rc = tendo_error_set(err, TENDO_EDATA, "%s: no diary rows after the header", path);
    free(buf);
    if (rc != TENDO_OK) {
        free(*out);
        *out = NULL;
        *n = 0;
    }
    return rc;
}
