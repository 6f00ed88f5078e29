/*
 * catalog_capacity.c — calf-capacity tests (table capacity_tests).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "catalog_internal.h"
#include "tendo_catalog_capacity.h"

static void bind_real_or_null(sqlite3_stmt *st, int i, double v)
{
    if (isfinite(v))
        sqlite3_bind_double(st, i, v);
    else
        sqlite3_bind_null(st, i);
}

static double column_real_or_nan(sqlite3_stmt *st, int i)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? NAN : sqlite3_column_double(st, i);
}

/* The test already holding this recording for the athlete: its id, or 0. */
static long long existing(tendo_catalog *c, const tendo_catalog_capacity *t, char date[11],
                          tendo_error *err)
{
    sqlite3_stmt *st = cat_prepare(c,
                                   "SELECT id, date FROM capacity_tests WHERE athlete_id = ?1 "
                                   "AND (session_id = ?2 OR path = ?3)",
                                   err);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, t->athlete_id, -1, SQLITE_TRANSIENT);
    cat_bind_text_or_null(st, 2, t->session_id);
    cat_bind_text_or_null(st, 3, t->path);
    long long id = 0;
    if (sqlite3_step(st) == SQLITE_ROW) {
        id = sqlite3_column_int64(st, 0);
        cat_column_text(st, 1, date, 11);
    }
    sqlite3_finalize(st);
    return id;
}

int tendo_catalog_capacity_add(tendo_catalog *c, tendo_catalog_capacity *t, tendo_error *err)
{
    if (!tendo_catalog_date_ok(t->date))
        return tendo_error_set(err, TENDO_EUSAGE, "capacity test date '%s' is not YYYY-MM-DD",
                               t->date);
    if (t->left_reps < 0 || t->right_reps < 0)
        return tendo_error_set(err, TENDO_EUSAGE, "repetitions cannot be negative");
    tendo_athlete a;
    int rc = tendo_catalog_athlete_get(c, t->athlete_id, &a, err);
    if (rc != TENDO_OK)
        return rc;
    if ((rc = cat_savepoint(c, err)) != TENDO_OK)
        return rc;
    char date[11] = "";
    long long dup = (t->session_id[0] || t->path[0]) ? existing(c, t, date, err) : 0;
    if (dup < 0) {
        cat_undo(c);
        return err ? err->code : TENDO_EINTERNAL;
    }
    if (dup > 0) {
        cat_undo(c);
        return tendo_error_set(err, TENDO_EDATA,
                               "this recording is already capacity test %lld of athlete '%s' "
                               "(%s); nothing was added",
                               dup, t->athlete_id, date);
    }
    sqlite3_stmt *st = cat_prepare(
        c,
        "INSERT INTO capacity_tests (athlete_id, date, session_id, path, left_reps, right_reps, "
        "left_height_m, right_height_m, ratio, note, added_utc) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        err);
    if (!st) {
        cat_undo(c);
        return err ? err->code : TENDO_EINTERNAL;
    }
    tendo_catalog_now_utc(t->added_utc);
    sqlite3_bind_text(st, 1, t->athlete_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, t->date, -1, SQLITE_TRANSIENT);
    cat_bind_text_or_null(st, 3, t->session_id);
    cat_bind_text_or_null(st, 4, t->path);
    sqlite3_bind_int(st, 5, t->left_reps);
    sqlite3_bind_int(st, 6, t->right_reps);
    bind_real_or_null(st, 7, t->left_height_m);
    bind_real_or_null(st, 8, t->right_height_m);
    bind_real_or_null(st, 9, t->ratio);
    sqlite3_bind_text(st, 10, t->note, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 11, t->added_utc, -1, SQLITE_TRANSIENT);
    int src = sqlite3_step(st);
    sqlite3_finalize(st);
    if (src != SQLITE_DONE) {
        rc = cat_fail(c, src, "recording the capacity test", err);
        cat_undo(c);
        return rc;
    }
    t->id = sqlite3_last_insert_rowid(tendo_catalog_db(c));
    return cat_release(c, err);
}

static int fill_test(sqlite3_stmt *st, void *row)
{
    tendo_catalog_capacity *t = row;
    t->id = sqlite3_column_int64(st, 0);
    cat_column_text(st, 1, t->athlete_id, sizeof t->athlete_id);
    cat_column_text(st, 2, t->date, sizeof t->date);
    cat_column_text(st, 3, t->session_id, sizeof t->session_id);
    cat_column_text(st, 4, t->path, sizeof t->path);
    t->left_reps = sqlite3_column_int(st, 5);
    t->right_reps = sqlite3_column_int(st, 6);
    t->left_height_m = column_real_or_nan(st, 7);
    t->right_height_m = column_real_or_nan(st, 8);
    t->ratio = column_real_or_nan(st, 9);
    cat_column_text(st, 10, t->note, sizeof t->note);
    cat_column_text(st, 11, t->added_utc, sizeof t->added_utc);
    return 0;
}

int tendo_catalog_capacity_list(tendo_catalog *c, const char *athlete_id,
                                tendo_catalog_capacity **out, size_t *n, tendo_error *err)
{
    const char *const params[] = {athlete_id};
    void *rows;
    int rc = cat_list(c,
                      "SELECT id, athlete_id, date, session_id, path, left_reps, "
                      "right_reps, left_height_m, right_height_m, ratio, note, "
                      "added_utc FROM capacity_tests "
                      "WHERE (?1 IS NULL OR athlete_id = ?1) "
                      "ORDER BY athlete_id, date, id",
                      params, 1, sizeof **out, fill_test, NULL, &rows, n,
                      "reading the capacity tests", err);
    *out = rows;
    return rc;
}
