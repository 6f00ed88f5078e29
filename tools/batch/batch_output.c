/*
 * batch_output.c — crash-safe output files and the summary tables (see
 * batch_output.h).
 */
#include "batch_output.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "tendo_array.h"
#include "tendo_io.h"

int batch_fsync_dir_of(const char *path, tendo_error *err)
{
    const char *slash = strrchr(path, '/');
    char dir[4096];
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else
        snprintf(dir, sizeof dir, "%.*s", (int)(slash == path ? 1 : slash - path), path);
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return tendo_error_set(err, TENDO_EIO, "cannot open the folder %s: %s", dir,
                               strerror(errno));
    int rc = fsync(fd) == 0 || errno == EINVAL /* a file system without it */
                 ? TENDO_OK
                 : tendo_error_set(err, TENDO_EIO, "fsync of %s: %s", dir, strerror(errno));
    close(fd);
    return rc;
}

int batch_write_atomic(const char *path, const char *data, size_t len, tendo_error *err)
{
    char tmp[4200];
    const char *slash = strrchr(path, '/');
    int dlen = slash ? (int)(slash - path + 1) : 0;
    snprintf(tmp, sizeof tmp, "%.*s.%s.tmp%ld", dlen, path, path + dlen, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return tendo_error_set(err, TENDO_ECANTCREAT, "cannot create %s: %s", tmp,
                               strerror(errno));
    int rc = TENDO_OK;
    if (tendo_write_all(fd, data, len) != 0)
        rc = tendo_error_set(err, TENDO_EIO, "writing %s: %s", tmp, strerror(errno));
    if (rc == TENDO_OK && fsync(fd) != 0)
        rc = tendo_error_set(err, TENDO_EIO, "fsync of %s: %s", tmp, strerror(errno));
    if (close(fd) != 0 && rc == TENDO_OK)
        rc = tendo_error_set(err, TENDO_EIO, "closing %s: %s", tmp, strerror(errno));
    if (rc == TENDO_OK && rename(tmp, path) != 0)
        rc = tendo_error_set(err, TENDO_EIO, "cannot rename %s to %s: %s", tmp, path,
                             strerror(errno));
    if (rc != TENDO_OK) {
        unlink(tmp);
        return rc;
    }
    return batch_fsync_dir_of(path, err);
}

void batch_steps_name(const char *file, char *out, size_t size)
{
    const char *base = strrchr(file, '/');
    base = base ? base + 1 : file;
    size_t len = strlen(base);
    if (len > 3 && !strcmp(base + len - 3, ".h5"))
        len -= 3;
    else if (len > 4 && !strcmp(base + len - 4, ".csv"))
        len -= 4;
    if (len > 80)
        len = 80;
    uLong crc = crc32(crc32(0L, Z_NULL, 0), (const Bytef *)file, (uInt)strlen(file));
    snprintf(out, size, "steps/%.*s-%08lx.csv", (int)len, base, (unsigned long)crc);
}

void batch_format_double(double v, char *out, size_t size)
{
    for (int digits = 15; digits <= 17; digits++) {
        snprintf(out, size, "%.*g", digits, v);
        if (strtod(out, NULL) == v)
            return;
    }
}

/* ------------------------------------------------------------ CSV text */

typedef struct text {
    char *s;
    size_t len, cap;
    int oom;
} text;

static void put(text *t, const char *s, size_t n)
{
    if (t->oom)
        return;
    if (t->len + n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 4096;
        while (cap < t->len + n + 1)
            cap *= 2;
        char *g = realloc(t->s, cap);
        if (!g) {
            t->oom = 1;
            return;
        }
        t->s = g;
        t->cap = cap;
    }
    memcpy(t->s + t->len, s, n);
    t->len += n;
    t->s[t->len] = '\0';
}

/* A CSV field, quoted when it holds a comma, quote, line break or blanks
 * at either end (which readers would strip). */
static void put_field(text *t, const char *s, int first)
{
    if (!first)
        put(t, ",", 1);
    size_t n = strlen(s);
    int quote = strpbrk(s, ",\"\r\n") != NULL ||
                (n && (s[0] == ' ' || s[0] == '\t' || s[n - 1] == ' ' || s[n - 1] == '\t'));
    if (!quote) {
        put(t, s, n);
        return;
    }
    put(t, "\"", 1);
    for (const char *c = s; *c; c++) {
        put(t, c, 1);
        if (*c == '"')
            put(t, "\"", 1); /* a quote inside quotes is doubled */
    }
    put(t, "\"", 1);
}

/* A JSON value as a CSV field: numbers exactly, null empty, arrays joined. */
static void put_value(text *t, const cJSON *v, int first)
{
    char num[40];
    if (!v || cJSON_IsNull(v)) {
        put_field(t, "", first);
    } else if (cJSON_IsNumber(v)) {
        batch_format_double(v->valuedouble, num, sizeof num);
        put_field(t, num, first);
    } else if (cJSON_IsBool(v)) {
        put_field(t, cJSON_IsTrue(v) ? "true" : "false", first);
    } else if (cJSON_IsString(v)) {
        put_field(t, v->valuestring, first);
    } else if (cJSON_IsArray(v)) {
        text joined = {0};
        put(&joined, "", 0);
        int k = 0;
        for (const cJSON *e = v->child; e; e = e->next, k++) {
            if (k)
                put(&joined, " | ", 3);
            if (cJSON_IsString(e))
                put(&joined, e->valuestring, strlen(e->valuestring));
            else if (cJSON_IsNumber(e)) {
                batch_format_double(e->valuedouble, num, sizeof num);
                put(&joined, num, strlen(num));
            }
        }
        put_field(t, joined.s ? joined.s : "", first);
        t->oom |= joined.oom;
        free(joined.s);
    } else {
        put_field(t, "", first);
    }
}

/* ------------------------------------------------------------ columns */

/* A column of the analyze row: a top-level key, or a key of a nested
 * object (quality) shown under its own name, or as parent_key when that
 * name is taken. */
typedef struct column {
    char key[64];
    char parent[32]; /* "" for top level */
    char name[100];
} column;

typedef struct columns {
    column *c;
    size_t len, cap;
    int oom;
} columns;

static void add_column(columns *cs, const char *key, const char *parent)
{
    for (size_t i = 0; i < cs->len; i++)
        if (!strcmp(cs->c[i].key, key) && !strcmp(cs->c[i].parent, parent))
            return;
    column *c = tendo_array_reserve(cs->c, &cs->cap, cs->len, sizeof *c, 32);
    if (!c) {
        cs->oom = 1;
        return;
    }
    cs->c = c;
    snprintf(c[cs->len].key, sizeof c->key, "%s", key);
    snprintf(c[cs->len].parent, sizeof c->parent, "%s", parent);
    cs->len++;
}

static const char *const BASE[] = {"file",       "pair",           "format", "athlete",
                                   "session_id", "start_time_utc", "status"};
#define NBASE (sizeof BASE / sizeof *BASE)

/* The analyze fields in the order of the first finished session's row,
 * then any field another row adds (rows of one tendo version all agree). */
static void row_columns(cJSON *const *entries, size_t n, columns *cs)
{
    for (size_t i = 0; i < n; i++) {
        const cJSON *row = entries[i] ? cJSON_GetObjectItemCaseSensitive(entries[i], "row") : NULL;
        for (const cJSON *k = row ? row->child : NULL; k; k = k->next) {
            if (!strcmp(k->string, "file"))
                continue;
            if (cJSON_IsObject(k))
                for (const cJSON *q = k->child; q; q = q->next)
                    add_column(cs, q->string, k->string);
            else
                add_column(cs, k->string, "");
        }
    }
    for (size_t i = 0; i < cs->len; i++) {
        int clash = 0;
        for (size_t m = 0; m < NBASE && !clash; m++)
            clash = !strcmp(BASE[m], cs->c[i].key);
        for (size_t m = 0; m < cs->len && !clash; m++)
            clash = m != i && !strcmp(cs->c[m].key, cs->c[i].key);
        if (clash && cs->c[i].parent[0])
            snprintf(cs->c[i].name, sizeof cs->c[i].name, "%s_%s", cs->c[i].parent,
                     cs->c[i].key);
        else
            snprintf(cs->c[i].name, sizeof cs->c[i].name, "%s", cs->c[i].key);
    }
}

static const cJSON *column_value(const cJSON *row, const column *c)
{
    if (!row)
        return NULL;
    if (c->parent[0])
        row = cJSON_GetObjectItemCaseSensitive(row, c->parent);
    return row ? cJSON_GetObjectItemCaseSensitive(row, c->key) : NULL;
}

static const char *str_of(const cJSON *o, const char *name)
{
    const cJSON *v = o ? cJSON_GetObjectItemCaseSensitive(o, name) : NULL;
    return cJSON_IsString(v) ? v->valuestring : "";
}

int batch_write_tables(const char *dir, cJSON *const *entries, const char *const *names, size_t n,
                       int steps, tendo_error *err)
{
    columns cs = {0};
    row_columns(entries, n, &cs);
    text sum = {0}, fail = {0};
    for (size_t b = 0; b < NBASE; b++)
        put_field(&sum, BASE[b], b == 0);
    for (size_t c = 0; c < cs.len; c++)
        put_field(&sum, cs.c[c].name, 0);
    if (steps)
        put_field(&sum, "steps_file", 0);
    put(&sum, "\n", 1);
    put(&fail, "file,exit_code,class,message\n", 29);
    for (size_t i = 0; i < n; i++) {
        const cJSON *e = entries[i];
        const char *status = e ? str_of(e, "status") : "pending";
        put_field(&sum, names[i], 1);
        put_field(&sum, str_of(e, "pair"), 0);
        put_field(&sum, str_of(e, "format"), 0);
        put_field(&sum, str_of(e, "athlete"), 0);
        put_field(&sum, str_of(e, "session_id"), 0);
        put_field(&sum, str_of(e, "start_time_utc"), 0);
        put_field(&sum, status, 0);
        const cJSON *row = e ? cJSON_GetObjectItemCaseSensitive(e, "row") : NULL;
        for (size_t c = 0; c < cs.len; c++)
            put_value(&sum, column_value(row, &cs.c[c]), 0);
        if (steps)
            put_field(&sum, str_of(e, "steps_file"), 0);
        put(&sum, "\n", 1);
        if (e && !strcmp(status, "failed")) {
            put_field(&fail, names[i], 1);
            put_value(&fail, cJSON_GetObjectItemCaseSensitive(e, "code"), 0);
            put_field(&fail, str_of(e, "class"), 0);
            put_field(&fail, str_of(e, "message"), 0);
            put(&fail, "\n", 1);
        }
    }
    int rc = TENDO_OK;
    if (sum.oom || fail.oom || cs.oom)
        rc = tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
    char path[4200];
    if (rc == TENDO_OK) {
        snprintf(path, sizeof path, "%s/summary.csv", dir);
        rc = batch_write_atomic(path, sum.s, sum.len, err);
    }
    if (rc == TENDO_OK) {
        snprintf(path, sizeof path, "%s/failures.csv", dir);
        rc = batch_write_atomic(path, fail.s, fail.len, err);
    }
    free(sum.s);
    free(fail.s);
    free(cs.c);
    return rc;
}
