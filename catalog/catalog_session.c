/*
 * catalog_session.c — the sessions table: registering a session file once.
 */
#include <stdlib.h>
#include <string.h>

#include "catalog_internal.h"

/* The registered session with this id or path, if any: fills which
 * ("id"/"path") and the other's value for the message. 1 found, 0 not. */
static int find_existing(tendo_catalog *c, const char *id, const char *path, char *old_id,
                         size_t id_cap, char *old_path, size_t path_cap, tendo_error *err)
{
    sqlite3_stmt *st = cat_prepare(c,
                                   "SELECT id, path FROM sessions WHERE id = ?1 OR path = ?2 "
                                   "LIMIT 1",
                                   err);
    if (!st)
        return err ? err->code : TENDO_EINTERNAL;
    sqlite3_bind_text(st, 1, id ? id : "", -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, path ? path : "", -1, SQLITE_TRANSIENT);
    int src = sqlite3_step(st), rc;
    if (src == SQLITE_ROW) {
        cat_column_text(st, 0, old_id, id_cap);
        cat_column_text(st, 1, old_path, path_cap);
        rc = 1;
    } else if (src == SQLITE_DONE) {
        rc = 0;
    } else {
        rc = cat_fail(c, src, "looking up the session", err);
    }
    sqlite3_finalize(st);
    return rc;
}

int tendo_catalog_session_exists(tendo_catalog *c, const char *id, const char *path,
                                 tendo_error *err)
{
    char oid[40], opath[TENDO_CATALOG_PATH_MAX];
    return find_existing(c, id, path, oid, sizeof oid, opath, sizeof opath, err);
}

int tendo_catalog_session_add(tendo_catalog *c, const tendo_catalog_session *s, tendo_error *err)
{
    if (!s->id[0])
        return tendo_error_set(err, TENDO_EDATA, "%s: the session has no id", s->path);
    if (s->path[0] != '/')
        return tendo_error_set(err, TENDO_EUSAGE,
                               "session path '%s' is not absolute (the catalog keeps absolute "
                               "paths)",
                               s->path);
    if (s->summary_json && s->summary_json[strspn(s->summary_json, " \t\r\n")] != '{')
        return tendo_error_set(err, TENDO_EDATA, "%s: the session summary is not a JSON object",
                               s->path);
    if (!s->start_utc[0])
        return tendo_error_set(err, TENDO_EDATA, "%s: the session has no start time", s->path);
    char oid[40], opath[TENDO_CATALOG_PATH_MAX];
    int rc = find_existing(c, s->id, s->path, oid, sizeof oid, opath, sizeof opath, err);
    if (rc < 0)
        return rc;
    if (rc == 1) {
        if (!strcmp(oid, s->id))
            return tendo_error_set(err, TENDO_EDATA,
                                   "session %s is already registered (as %s); nothing was added",
                                   s->id, opath);
        return tendo_error_set(err, TENDO_EDATA,
                               "%s is already registered as session %s; nothing was added", s->path,
                               oid);
    }
    if (s->athlete_id[0]) {
        tendo_athlete a;
        if ((rc = tendo_catalog_athlete_get(c, s->athlete_id, &a, err)) != TENDO_OK)
            return rc;
    }
    sqlite3_stmt *st = cat_prepare(c,
                                   "INSERT INTO sessions (id, path, athlete_id, start_utc, "
                                   "duration_s, source, summary_json, analysis_version, "
                                   "added_utc) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                                   err);
    if (!st)
        return err ? err->code : TENDO_EINTERNAL;
    char now[32];
    tendo_catalog_now_utc(now);
    sqlite3_bind_text(st, 1, s->id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, s->path, -1, SQLITE_TRANSIENT);
    cat_bind_text_or_null(st, 3, s->athlete_id);
    sqlite3_bind_text(st, 4, s->start_utc, -1, SQLITE_TRANSIENT);
    sqlite3_bind_double(st, 5, s->duration_s);
    sqlite3_bind_text(st, 6, s->source[0] ? s->source : "add", -1, SQLITE_TRANSIENT);
    cat_bind_text_or_null(st, 7, s->summary_json);
    cat_bind_text_or_null(st, 8, s->analysis_version);
    sqlite3_bind_text(st, 9, now, -1, SQLITE_TRANSIENT);
    int src = sqlite3_step(st);
    sqlite3_finalize(st);
    if (src == SQLITE_DONE)
        return TENDO_OK;
    /* another process registered it between our look-up and the insert */
    if (src == SQLITE_CONSTRAINT_PRIMARYKEY || src == SQLITE_CONSTRAINT_UNIQUE)
        return tendo_error_set(err, TENDO_EDATA,
                               "session %s (%s) is already registered; nothing was added", s->id,
                               s->path);
    if ((src & 0xff) == SQLITE_CONSTRAINT && s->summary_json)
        return tendo_error_set(err, TENDO_EDATA,
                               "%s: the session could not be recorded (%s); is its summary a "
                               "JSON object?",
                               s->path, sqlite3_errmsg(c->db));
    return cat_fail(c, src, "recording the session", err);
}

#define SESSION_COLS                                                                               \
    "id, path, athlete_id, start_utc, duration_s, source, summary_json, analysis_version, "        \
    "added_utc"

static int row_to_session(sqlite3_stmt *st, void *row)
{
    tendo_catalog_session *s = row;
    cat_column_text(st, 0, s->id, sizeof s->id);
    cat_column_text(st, 1, s->path, sizeof s->path);
    cat_column_text(st, 2, s->athlete_id, sizeof s->athlete_id);
    cat_column_text(st, 3, s->start_utc, sizeof s->start_utc);
    s->duration_s = sqlite3_column_double(st, 4);
    cat_column_text(st, 5, s->source, sizeof s->source);
    s->summary_json = cat_column_dup(st, 6);
    cat_column_text(st, 7, s->analysis_version, sizeof s->analysis_version);
    cat_column_text(st, 8, s->added_utc, sizeof s->added_utc);
    return sqlite3_column_type(st, 6) != SQLITE_NULL && !s->summary_json ? -1 : 0;
}

static void free_session_row(void *row)
{
    free(((tendo_catalog_session *)row)->summary_json);
}

int tendo_catalog_session_list(tendo_catalog *c, const char *athlete_id, const char *from,
                               const char *to, tendo_catalog_session **out, size_t *n,
                               tendo_error *err)
{
    const char *const params[] = {athlete_id, from, to};
    void *rows;
    int rc = cat_list(
        c,
        "SELECT " SESSION_COLS " FROM sessions "
        "WHERE (?1 IS NULL OR athlete_id = ?1) AND (?2 IS NULL OR substr(start_utc, 1, 10) >= ?2) "
        "AND (?3 IS NULL OR substr(start_utc, 1, 10) <= ?3) ORDER BY start_utc, id",
        params, 3, sizeof **out, row_to_session, free_session_row, &rows, n, "listing sessions",
        err);
    *out = rows;
    return rc;
}

void tendo_catalog_sessions_free(tendo_catalog_session *s, size_t n)
{
    for (size_t i = 0; s && i < n; i++)
        free(s[i].summary_json);
    free(s);
}

int tendo_catalog_session_pending(tendo_catalog *c, const char *athlete_id,
                                  tendo_catalog_session **out, size_t *n, tendo_error *err)
{
    const char *const params[] = {athlete_id};
    void *rows;
    int rc = cat_list(c,
                      "SELECT " SESSION_COLS " FROM sessions WHERE summary_json IS "
                      "NULL AND (?1 IS NULL OR athlete_id = ?1) ORDER BY start_utc, id",
                      params, 1, sizeof **out, row_to_session, free_session_row, &rows, n,
                      "listing sessions to analyse", err);
    *out = rows;
    return rc;
}

int tendo_catalog_session_set_summary(tendo_catalog *c, const char *id, const char *summary_json,
                                      const char *analysis_version, double duration_s,
                                      tendo_error *err)
{
    if (!summary_json || summary_json[strspn(summary_json, " \t\r\n")] != '{')
        return tendo_error_set(err, TENDO_EDATA, "session %s: the summary is not a JSON object",
                               id ? id : "");
    sqlite3_stmt *st = cat_prepare(c,
                                   "UPDATE sessions SET summary_json = ?2, analysis_version = ?3, "
                                   "duration_s = ?4 WHERE id = ?1",
                                   err);
    if (!st)
        return err ? err->code : TENDO_EINTERNAL;
    sqlite3_bind_text(st, 1, id ? id : "", -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, summary_json, -1, SQLITE_TRANSIENT);
    cat_bind_text_or_null(st, 3, analysis_version);
    sqlite3_bind_double(st, 4, duration_s);
    int src = sqlite3_step(st);
    sqlite3_finalize(st);
    if (src != SQLITE_DONE)
        return cat_fail(c, src, "storing the session summary", err);
    if (sqlite3_changes(tendo_catalog_db(c)) == 0)
        return tendo_error_set(err, TENDO_ENOINPUT, "no session %s in the catalog", id ? id : "");
    return TENDO_OK;
}
