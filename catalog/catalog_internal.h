/*
 * catalog_internal.h — for the catalog/ sources only: the handle, SQLite access and
 * the helpers every table's functions share.
 */
#ifndef TENDO_CATALOG_INTERNAL_H
#define TENDO_CATALOG_INTERNAL_H

#include <sqlite3.h>

#include "tendo_catalog.h"

struct tendo_catalog {
    sqlite3 *db;
    char path[TENDO_CATALOG_PATH_MAX];
};

sqlite3 *tendo_catalog_db(tendo_catalog *c);

/* Sets err from the connection's last failure: "WHAT: sqlite message".
 * Busy/locked and I/O failures map to TENDO_EIO, constraint violations to
 * TENDO_EDATA, the rest to TENDO_EINTERNAL. Returns the code. */
int cat_fail(tendo_catalog *c, int sqlite_rc, const char *what, tendo_error *err);

/* Prepares sql; on failure sets err and returns NULL. */
sqlite3_stmt *cat_prepare(tendo_catalog *c, const char *sql, tendo_error *err);

/* Runs statements without results. */
int cat_exec(tendo_catalog *c, const char *sql, tendo_error *err);

/* A named savepoint around one write function: atomic whether or not the
 * caller holds a transaction. release() on success, undo() on failure. */
int cat_savepoint(tendo_catalog *c, tendo_error *err);
int cat_release(tendo_catalog *c, tendo_error *err);
void cat_undo(tendo_catalog *c);

/* Binds text, or NULL for a NULL or empty string. */
int cat_bind_text_or_null(sqlite3_stmt *st, int i, const char *s);
/* Copies column i as text into out (cap bytes, truncated, "" for NULL). */
void cat_column_text(sqlite3_stmt *st, int i, char *out, size_t cap);
/* Column i as malloc'ed text, NULL for SQL NULL (or out of memory). */
char *cat_column_dup(sqlite3_stmt *st, int i);

/* Steps st to its end, appending one zeroed row of `size` bytes per result
 * row to *out / *n and letting fill() fill it from the statement (fill
 * returns 0, or -1 when out of memory); finalizes st. On failure everything
 * collected is released (free_row first, per row, if given), *out is NULL,
 * *n 0, and err says "WHAT: ...". */
typedef int (*cat_fill_fn)(sqlite3_stmt *st, void *row);
int cat_collect(tendo_catalog *c, sqlite3_stmt *st, size_t size, cat_fill_fn fill,
                void (*free_row)(void *row), void **out, size_t *n, const char *what,
                tendo_error *err);

/* A listing in one call: prepares sql, binds params[0..nparams) to ?1..
 * (cat_bind_text_or_null: NULL or "" binds SQL NULL, so "?1 IS NULL OR ..."
 * makes a filter optional) and collects the rows with cat_collect. *out is
 * NULL and *n 0 on failure. */
int cat_list(tendo_catalog *c, const char *sql, const char *const *params, int nparams, size_t size,
             cat_fill_fn fill, void (*free_row)(void *row), void **out, size_t *n, const char *what,
             tendo_error *err);

/* The schema: creates or migrates to TENDO_CATALOG_SCHEMA_VERSION. */
int cat_schema_migrate(tendo_catalog *c, tendo_error *err);

#endif
