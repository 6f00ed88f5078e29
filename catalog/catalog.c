/*
 * catalog.c — opening the catalog, transactions, checks and the helpers
 * shared by the table modules.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "catalog_internal.h"
#include "tendo_array.h"

sqlite3 *tendo_catalog_db(tendo_catalog *c)
{
    return c->db;
}

const char *tendo_catalog_path(const tendo_catalog *c)
{
    return c->path;
}

int cat_fail(tendo_catalog *c, int sqlite_rc, const char *what, tendo_error *err)
{
    int prim = sqlite_rc & 0xff;
    int code = TENDO_EINTERNAL;
    const char *hint = "";
    if (prim == SQLITE_BUSY || prim == SQLITE_LOCKED) {
        code = TENDO_EIO;
        hint = " (another tendo command held the catalog longer than the busy timeout; try again)";
    } else if (prim == SQLITE_IOERR || prim == SQLITE_FULL || prim == SQLITE_CANTOPEN ||
               prim == SQLITE_READONLY || prim == SQLITE_PERM) {
        code = TENDO_EIO;
    } else if (prim == SQLITE_CORRUPT || prim == SQLITE_NOTADB) {
        code = TENDO_EDATA;
        hint = " (the catalog file is damaged: restore it from a backup)";
    } else if (prim == SQLITE_CONSTRAINT) {
        code = TENDO_EDATA;
    }
    const char *msg = c && c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(sqlite_rc);
    return tendo_error_set(err, code, "%s: %s%s", what, msg, hint);
}

sqlite3_stmt *cat_prepare(tendo_catalog *c, const char *sql, tendo_error *err)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(c->db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK) {
        cat_fail(c, rc, "catalog query", err);
        sqlite3_finalize(st);
        return NULL;
    }
    return st;
}

int cat_exec(tendo_catalog *c, const char *sql, tendo_error *err)
{
    int rc = sqlite3_exec(c->db, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? TENDO_OK : cat_fail(c, rc, "catalog", err);
}

int cat_savepoint(tendo_catalog *c, tendo_error *err)
{
    return cat_exec(c, "SAVEPOINT tendo_write", err);
}

int cat_release(tendo_catalog *c, tendo_error *err)
{
    int rc = cat_exec(c, "RELEASE tendo_write", err);
    if (rc != TENDO_OK)
        cat_undo(c);
    return rc;
}

void cat_undo(tendo_catalog *c)
{
    /* ROLLBACK TO keeps the savepoint open; RELEASE then ends it (and the
     * transaction it started, if the caller held none). */
    sqlite3_exec(c->db, "ROLLBACK TO tendo_write", NULL, NULL, NULL);
    sqlite3_exec(c->db, "RELEASE tendo_write", NULL, NULL, NULL);
}

int cat_bind_text_or_null(sqlite3_stmt *st, int i, const char *s)
{
    if (!s || !s[0])
        return sqlite3_bind_null(st, i);
    return sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
}

void cat_column_text(sqlite3_stmt *st, int i, char *out, size_t cap)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    snprintf(out, cap, "%s", t ? (const char *)t : "");
}

char *cat_column_dup(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? strdup((const char *)t) : NULL;
}

int cat_collect(tendo_catalog *c, sqlite3_stmt *st, size_t size, cat_fill_fn fill,
                void (*free_row)(void *row), void **out, size_t *n, const char *what,
                tendo_error *err)
{
    char *rows = NULL;
    size_t cap = 0, len = 0;
    int src, rc = TENDO_OK;
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        char *a = tendo_array_reserve(rows, &cap, len, size, 16);
        if (!a) {
            rc = tendo_error_set(err, TENDO_EINTERNAL, "%s: out of memory", what);
            break;
        }
        rows = a;
        memset(rows + len * size, 0, size);
        len++;
        if (fill(st, rows + (len - 1) * size) != 0) {
            rc = tendo_error_set(err, TENDO_EINTERNAL, "%s: out of memory", what);
            break;
        }
    }
    if (rc == TENDO_OK && src != SQLITE_DONE)
        rc = cat_fail(c, src, what, err);
    sqlite3_finalize(st);
    if (rc != TENDO_OK) {
        for (size_t i = 0; free_row && i < len; i++)
            free_row(rows + i * size);
        free(rows);
        rows = NULL;
        len = 0;
    }
    *out = rows;
    *n = len;
    return rc;
}

int cat_list(tendo_catalog *c, const char *sql, const char *const *params, int nparams, size_t size,
             cat_fill_fn fill, void (*free_row)(void *row), void **out, size_t *n, const char *what,
             tendo_error *err)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st = cat_prepare(c, sql, err);
    if (!st)
        return err ? err->code : TENDO_EINTERNAL;
    for (int i = 0; i < nparams; i++) {
        int src = cat_bind_text_or_null(st, i + 1, params[i]);
        if (src != SQLITE_OK) {
            sqlite3_finalize(st);
            return cat_fail(c, src, what, err);
        }
    }
    return cat_collect(c, st, size, fill, free_row, out, n, what, err);
}

void tendo_catalog_now_utc(char out[32])
{
    time_t now = time(NULL);
    struct tm tmv;
    gmtime_r(&now, &tmv);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tmv);
}

int tendo_catalog_id_ok(const char *text)
{
    size_t n = text ? strlen(text) : 0;
    if (n == 0 || n > 63)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)text[i]) && !strchr("_.-", text[i]))
            return 0;
    return 1;
}

int tendo_catalog_date_ok(const char *text)
{
    if (!text || strlen(text) != 10 || text[4] != '-' || text[7] != '-')
        return 0;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && !isdigit((unsigned char)text[i]))
            return 0;
    int y = atoi(text), m = atoi(text + 5), d = atoi(text + 8);
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1900 || y > 2999 || m < 1 || m > 12 || d < 1)
        return 0;
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return d <= mdays[m - 1] + (m == 2 && leap);
}

int tendo_catalog_home(const char *override, char *out, size_t cap, tendo_error *err)
{
    const char *env;
    int n;
    if (override && override[0])
        n = snprintf(out, cap, "%s", override);
    else if ((env = getenv("TENDO_HOME")) && env[0])
        n = snprintf(out, cap, "%s", env);
    else if ((env = getenv("XDG_DATA_HOME")) && env[0])
        n = snprintf(out, cap, "%s/tendo", env);
    else if ((env = getenv("HOME")) && env[0])
        n = snprintf(out, cap, "%s/.local/share/tendo", env);
    else
        return tendo_error_set(err, TENDO_EUSAGE,
                               "no tendo home: set TENDO_HOME or pass --home DIR");
    if (n < 0 || (size_t)n >= cap)
        return tendo_error_set(err, TENDO_EUSAGE, "the tendo home path is too long");
    if (out[0] != '/') { /* absolute: the catalog keeps absolute session paths */
        char cwd[TENDO_CATALOG_PATH_MAX], rel[TENDO_CATALOG_PATH_MAX];
        if (!getcwd(cwd, sizeof cwd))
            return tendo_error_set(err, TENDO_EIO, "cannot find the current folder: %s",
                                   strerror(errno));
        snprintf(rel, sizeof rel, "%s", out);
        n = snprintf(out, cap, "%s/%s", cwd, rel);
        if (n < 0 || (size_t)n >= cap || strlen(rel) + 1 >= sizeof rel)
            return tendo_error_set(err, TENDO_EUSAGE, "the tendo home path is too long");
    }
    return TENDO_OK;
}

/* mkdir -p */
static int make_dirs(const char *path, tendo_error *err)
{
    char buf[TENDO_CATALOG_PATH_MAX];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1;; p++) {
        if (*p == '/' || *p == '\0') {
            char keep = *p;
            *p = '\0';
            if (mkdir(buf, 0755) != 0 && errno != EEXIST)
                return tendo_error_set(err, TENDO_ECANTCREAT, "cannot create %s: %s", buf,
                                       strerror(errno));
            *p = keep;
            if (keep == '\0')
                break;
        }
    }
    struct stat sb;
    if (stat(path, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return tendo_error_set(err, TENDO_ECANTCREAT, "tendo home %s is not a directory", path);
    return TENDO_OK;
}

int tendo_catalog_open(const char *home, tendo_catalog **out, tendo_error *err)
{
    *out = NULL;
    if (!home || !home[0])
        return tendo_error_set(err, TENDO_EUSAGE, "no tendo home given");
    int rc = make_dirs(home, err);
    if (rc != TENDO_OK)
        return rc;
    tendo_catalog *c = calloc(1, sizeof *c);
    if (!c)
        return tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
    int n = snprintf(c->path, sizeof c->path, "%s/%s", home, TENDO_CATALOG_FILE);
    if (n < 0 || (size_t)n >= sizeof c->path) {
        free(c);
        return tendo_error_set(err, TENDO_EUSAGE, "the tendo home path is too long");
    }
    int src = sqlite3_open_v2(c->path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    if (src != SQLITE_OK) {
        rc = tendo_error_set(err, TENDO_EIO, "cannot open the catalog %s: %s", c->path,
                             c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(src));
        tendo_catalog_close(c);
        return rc;
    }
    sqlite3_extended_result_codes(c->db, 1);
    sqlite3_busy_timeout(c->db, TENDO_CATALOG_BUSY_MS);
    /* WAL: readers never block the writer; synchronous=FULL makes each commit
     * durable before it returns, because sync erases a pod's copy once the
     * catalog says the session is recorded. */
    rc = cat_exec(c, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;",
                  err);
    if (rc == TENDO_OK)
        rc = cat_schema_migrate(c, err);
    if (rc != TENDO_OK) {
        tendo_error_prefix(err, "%s: ", c->path);
        tendo_catalog_close(c);
        return rc;
    }
    *out = c;
    return TENDO_OK;
}

void tendo_catalog_close(tendo_catalog *c)
{
    if (!c)
        return;
    sqlite3_close_v2(c->db);
    free(c);
}

int tendo_catalog_begin(tendo_catalog *c, tendo_error *err)
{
    return cat_exec(c, "BEGIN IMMEDIATE", err);
}

int tendo_catalog_commit(tendo_catalog *c, tendo_error *err)
{
    int rc = cat_exec(c, "COMMIT", err);
    if (rc != TENDO_OK)
        tendo_catalog_rollback(c);
    return rc;
}

void tendo_catalog_rollback(tendo_catalog *c)
{
    if (!sqlite3_get_autocommit(c->db))
        sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
}

/* Runs a check pragma; the first row that is not "ok" is the problem. */
static int check_pragma(tendo_catalog *c, const char *sql, int ok_is_row, tendo_error *err)
{
    sqlite3_stmt *st = cat_prepare(c, sql, err);
    if (!st)
        return err ? err->code : TENDO_EINTERNAL;
    int rc = TENDO_OK, src = sqlite3_step(st);
    if (src == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(st, 0);
        if (!ok_is_row || !t || strcmp(t, "ok") != 0)
            rc = tendo_error_set(err, TENDO_EDATA, "%s: %s fails: %s%s%s", c->path, sql,
                                 t ? t : "?", ok_is_row ? "" : " row ",
                                 ok_is_row ? "" : (const char *)sqlite3_column_text(st, 1));
    } else if (src != SQLITE_DONE) {
        rc = cat_fail(c, src, sql, err);
    }
    sqlite3_finalize(st);
    return rc;
}

int tendo_catalog_check(tendo_catalog *c, tendo_error *err)
{
    int rc = check_pragma(c, "PRAGMA integrity_check", 1, err);
    return rc == TENDO_OK ? check_pragma(c, "PRAGMA foreign_key_check", 0, err) : rc;
}
