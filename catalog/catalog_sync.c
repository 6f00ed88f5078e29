/*
 * catalog_sync.c — pods and the sync ledger (tendo_catalog_sync.h), over the
 * tables of catalog_schema.c. Written by the sync engine's owner.
 */
#include "tendo_catalog_sync.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog_internal.h"
#include "tendo_array.h"
#include "tendo_training.h"

/* Runs a prepared write statement to completion inside a savepoint. */
static int run_write(tendo_catalog *c, sqlite3_stmt *st, const char *what, tendo_error *err)
{
    int src = sqlite3_step(st);
    sqlite3_finalize(st);
    if (src == SQLITE_DONE)
        return TENDO_OK;
    return cat_fail(c, src, what, err);
}

int tendo_catalog_pod_get(tendo_catalog *c, const char *serial, tendo_catalog_pod *out,
                          tendo_error *err)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st = cat_prepare(c,
                                   "SELECT serial, side, model, firmware, athlete_id, "
                                   "first_seen_utc, last_seen_utc, clock_ticks, clock_utc_us, "
                                   "clock_tick_hz FROM pods WHERE serial = ?1",
                                   err);
    if (!st)
        return err ? err->code : TENDO_EINTERNAL;
    sqlite3_bind_text(st, 1, serial, -1, SQLITE_TRANSIENT);
    int src = sqlite3_step(st), rc = 0;
    if (src == SQLITE_ROW) {
        cat_column_text(st, 0, out->serial, sizeof out->serial);
        cat_column_text(st, 1, out->side, sizeof out->side);
        cat_column_text(st, 2, out->model, sizeof out->model);
        cat_column_text(st, 3, out->firmware, sizeof out->firmware);
        cat_column_text(st, 4, out->athlete_id, sizeof out->athlete_id);
        cat_column_text(st, 5, out->first_seen_utc, sizeof out->first_seen_utc);
        cat_column_text(st, 6, out->last_seen_utc, sizeof out->last_seen_utc);
        if (sqlite3_column_type(st, 7) != SQLITE_NULL &&
            sqlite3_column_type(st, 8) != SQLITE_NULL &&
            sqlite3_column_type(st, 9) != SQLITE_NULL) {
            out->has_clock = 1;
            out->clock_ticks = (uint64_t)sqlite3_column_int64(st, 7);
            out->clock_utc_us = sqlite3_column_int64(st, 8);
            out->clock_tick_hz = (uint32_t)sqlite3_column_int64(st, 9);
        }
        rc = 1;
    } else if (src != SQLITE_DONE) {
        rc = cat_fail(c, src, "looking up a pod", err);
    }
    sqlite3_finalize(st);
    return rc;
}

int tendo_catalog_pod_seen(tendo_catalog *c, const char *serial, const char *side,
                           const char *model, const char *firmware, tendo_error *err)
{
    sqlite3_stmt *st = cat_prepare(
        c,
        "INSERT INTO pods (serial, side, model, firmware, first_seen_utc, last_seen_utc) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?5) ON CONFLICT(serial) DO UPDATE SET side = ?2, "
        "model = ?3, firmware = ?4, last_seen_utc = ?5",
        err);
    if (!st)
        return err ? err->code : TENDO_EINTERNAL;
    char now[32];
    tendo_catalog_now_utc(now);
    sqlite3_bind_text(st, 1, serial, -1, SQLITE_TRANSIENT);
    cat_bind_text_or_null(st, 2, side);
    cat_bind_text_or_null(st, 3, model);
    cat_bind_text_or_null(st, 4, firmware);
    sqlite3_bind_text(st, 5, now, -1, SQLITE_TRANSIENT);
    return run_write(c, st, "recording a pod", err);
}

int tendo_catalog_pod_set_athlete(tendo_catalog *c, const char *serial, const char *athlete_id,
                                  tendo_error *err)
{
    tendo_athlete a;
    int rc = tendo_catalog_athlete_get(c, athlete_id, &a, err);
    if (rc)
        return rc;
    sqlite3_stmt *st = cat_prepare(c, "UPDATE pods SET athlete_id = ?2 WHERE serial = ?1", err);
    if (!st)
        return err ? err->code : TENDO_EINTERNAL;
    sqlite3_bind_text(st, 1, serial, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, athlete_id, -1, SQLITE_TRANSIENT);
    return run_write(c, st, "assigning a pod to an athlete", err);
}

int tendo_catalog_pod_set_clock(tendo_catalog *c, const char *serial, uint64_t ticks,
                                int64_t utc_us, uint32_t tick_hz, tendo_error *err)
{
    if (ticks > (uint64_t)INT64_MAX)
        return tendo_error_set(err, TENDO_EDATA,
                               "pod %s: clock ticks %llu beyond the catalog's "
                               "range",
                               serial, (unsigned long long)ticks);
    sqlite3_stmt *st = cat_prepare(c,
                                   "UPDATE pods SET clock_ticks = ?2, clock_utc_us = ?3, "
                                   "clock_tick_hz = ?4 WHERE serial = ?1",
                                   err);
    if (!st)
        return err ? err->code : TENDO_EINTERNAL;
    sqlite3_bind_text(st, 1, serial, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)ticks);
    sqlite3_bind_int64(st, 3, utc_us);
    sqlite3_bind_int64(st, 4, tick_hz);
    return run_write(c, st, "recording a pod's clock anchor", err);
}

static tendo_ledger_state state_of(const char *text)
{
    return !strcmp(text, "erased") ? TENDO_LEDGER_ERASED : TENDO_LEDGER_COMMITTED;
}

static void read_entry(sqlite3_stmt *st, tendo_ledger_entry *e)
{
    char state[16];
    cat_column_text(st, 0, e->pod_serial, sizeof e->pod_serial);
    e->pod_session = (uint32_t)sqlite3_column_int64(st, 1);
    e->crc32 = (uint32_t)sqlite3_column_int64(st, 2);
    e->bytes = (uint64_t)sqlite3_column_int64(st, 3);
    cat_column_text(st, 4, e->session_id, sizeof e->session_id);
    cat_column_text(st, 5, state, sizeof state);
    e->state = state_of(state);
}

#define LEDGER_COLUMNS "pod_serial, pod_session, crc32, bytes, session_id, state"

int tendo_catalog_ledger_lookup(tendo_catalog *c, const char *serial, uint32_t pod_session,
                                uint32_t crc32, tendo_ledger_entry *out, tendo_error *err)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st = cat_prepare(c,
                                   "SELECT " LEDGER_COLUMNS " FROM sync_ledger WHERE "
                                   "pod_serial = ?1 AND pod_session = ?2 AND crc32 = ?3",
                                   err);
    if (!st)
        return err ? err->code : TENDO_EINTERNAL;
    sqlite3_bind_text(st, 1, serial, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, pod_session);
    sqlite3_bind_int64(st, 3, crc32);
    int src = sqlite3_step(st), rc = TENDO_LEDGER_NONE;
    if (src == SQLITE_ROW) {
        read_entry(st, out);
        rc = out->state;
    } else if (src != SQLITE_DONE) {
        rc = cat_fail(c, src, "looking up the sync ledger", err);
    }
    sqlite3_finalize(st);
    return rc;
}

int tendo_catalog_ledger_record(tendo_catalog *c, const tendo_ledger_entry *e, tendo_error *err)
{
    if (e->bytes > (uint64_t)INT64_MAX)
        return tendo_error_set(err, TENDO_EDATA, "ledger: %llu bytes beyond the catalog's range",
                               (unsigned long long)e->bytes);
    sqlite3_stmt *st = cat_prepare(c,
                                   "INSERT INTO sync_ledger (pod_serial, pod_session, crc32, "
                                   "bytes, session_id, state, committed_utc) VALUES (?1, ?2, ?3, "
                                   "?4, ?5, 'committed', ?6)",
                                   err);
    if (!st)
        return err ? err->code : TENDO_EINTERNAL;
    char now[32];
    tendo_catalog_now_utc(now);
    sqlite3_bind_text(st, 1, e->pod_serial, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, e->pod_session);
    sqlite3_bind_int64(st, 3, e->crc32);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)e->bytes);
    cat_bind_text_or_null(st, 5, e->session_id);
    sqlite3_bind_text(st, 6, now, -1, SQLITE_TRANSIENT);
    int src = sqlite3_step(st);
    sqlite3_finalize(st);
    if (src == SQLITE_DONE)
        return TENDO_OK;
    if (src == SQLITE_CONSTRAINT_PRIMARYKEY)
        return tendo_error_set(err, TENDO_EDATA,
                               "recording %u of pod %s (CRC-32 %08x) is already in the sync "
                               "ledger; nothing was added",
                               e->pod_session, e->pod_serial, e->crc32);
    return cat_fail(c, src, "recording in the sync ledger", err);
}

int tendo_catalog_ledger_mark_erased(tendo_catalog *c, const char *serial, uint32_t pod_session,
                                     uint32_t crc32, tendo_error *err)
{
    sqlite3_stmt *st = cat_prepare(c,
                                   "UPDATE sync_ledger SET state = 'erased', erased_utc = ?4 "
                                   "WHERE pod_serial = ?1 AND pod_session = ?2 AND crc32 = ?3",
                                   err);
    if (!st)
        return err ? err->code : TENDO_EINTERNAL;
    char now[32];
    tendo_catalog_now_utc(now);
    sqlite3_bind_text(st, 1, serial, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, pod_session);
    sqlite3_bind_int64(st, 3, crc32);
    sqlite3_bind_text(st, 4, now, -1, SQLITE_TRANSIENT);
    return run_write(c, st, "marking a recording erased in the sync ledger", err);
}

int tendo_catalog_ledger_unerased(tendo_catalog *c, const char *serial, tendo_ledger_entry **out,
                                  size_t *n, tendo_error *err)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st = cat_prepare(c,
                                   "SELECT " LEDGER_COLUMNS " FROM sync_ledger WHERE "
                                   "pod_serial = ?1 AND state = 'committed' ORDER BY pod_session",
                                   err);
    if (!st)
        return err ? err->code : TENDO_EINTERNAL;
    sqlite3_bind_text(st, 1, serial, -1, SQLITE_TRANSIENT);
    tendo_ledger_entry *v = NULL;
    size_t cap = 0, len = 0;
    int src, rc = TENDO_OK;
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        tendo_ledger_entry *grown = tendo_array_reserve(v, &cap, len, sizeof *v, 8);
        if (!grown) {
            rc = tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
            break;
        }
        v = grown;
        read_entry(st, &v[len++]);
    }
    if (rc == TENDO_OK && src != SQLITE_DONE)
        rc = cat_fail(c, src, "reading the sync ledger", err);
    sqlite3_finalize(st);
    if (rc) {
        free(v);
        return rc;
    }
    *out = v;
    *n = len;
    return TENDO_OK;
}

/* ------------------------------------------------ sessions made by sync */

static int row_to_synced(sqlite3_stmt *st, void *row)
{
    tendo_catalog_synced *s = row;
    cat_column_text(st, 0, s->session_id, sizeof s->session_id);
    cat_column_text(st, 1, s->path, sizeof s->path);
    cat_column_text(st, 2, s->athlete_id, sizeof s->athlete_id);
    cat_column_text(st, 3, s->start_utc, sizeof s->start_utc);
    s->duration_s = sqlite3_column_double(st, 4);
    if (sqlite3_column_count(st) > 5) {
        cat_column_text(st, 5, s->rec.pod_serial, sizeof s->rec.pod_serial);
        s->rec.pod_session = (uint32_t)sqlite3_column_int64(st, 6);
        s->rec.crc32 = (uint32_t)sqlite3_column_int64(st, 7);
        s->rec.bytes = (uint64_t)sqlite3_column_int64(st, 8);
        snprintf(s->rec.session_id, sizeof s->rec.session_id, "%s", s->session_id);
        char state[16];
        cat_column_text(st, 9, state, sizeof state);
        s->rec.state = state_of(state);
    }
    return 0;
}

#define SYNCED_COLUMNS "s.id, s.path, s.athlete_id, s.start_utc, s.duration_s"

int tendo_catalog_sync_claim(tendo_catalog *c, const char *serial, const char *athlete_id,
                             tendo_catalog_synced **out, size_t *n, tendo_error *err)
{
    *out = NULL;
    *n = 0;
    /* The sessions first (to say which), then the update, in one savepoint. */
    int rc = cat_savepoint(c, err);
    if (rc)
        return rc;
    static const char *const WHO =
        "FROM sessions s WHERE s.athlete_id IS NULL AND s.source = 'sync' AND s.id IN "
        "(SELECT session_id FROM sync_ledger WHERE pod_serial = ?1) AND NOT EXISTS "
        "(SELECT 1 FROM sync_ledger l JOIN pods p ON p.serial = l.pod_serial WHERE "
        "l.session_id = s.id AND p.athlete_id IS NOT NULL AND p.athlete_id <> ?2)";
    char sql[1024];
    snprintf(sql, sizeof sql, "SELECT " SYNCED_COLUMNS " %s ORDER BY s.start_utc, s.id", WHO);
    sqlite3_stmt *st = cat_prepare(c, sql, err);
    if (!st) {
        cat_undo(c);
        return err ? err->code : TENDO_EINTERNAL;
    }
    sqlite3_bind_text(st, 1, serial, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, athlete_id, -1, SQLITE_TRANSIENT);
    void *rows = NULL;
    rc = cat_collect(c, st, sizeof(tendo_catalog_synced), row_to_synced, NULL, &rows, n,
                     "finding a pod's sessions without an athlete", err);
    if (rc == TENDO_OK && *n) {
        snprintf(sql, sizeof sql,
                 "UPDATE sessions SET athlete_id = ?2 WHERE id IN (SELECT s.id %s)", WHO);
        st = cat_prepare(c, sql, err);
        if (!st) {
            rc = err ? err->code : TENDO_EINTERNAL;
        } else {
            sqlite3_bind_text(st, 1, serial, -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(st, 2, athlete_id, -1, SQLITE_TRANSIENT);
            rc = run_write(c, st, "giving a pod's sessions to its athlete", err);
        }
    }
    if (rc == TENDO_OK)
        rc = cat_release(c, err);
    else
        cat_undo(c);
    if (rc) {
        free(rows);
        *n = 0;
        return rc;
    }
    tendo_catalog_synced *v = rows;
    for (size_t i = 0; i < *n; i++)
        snprintf(v[i].athlete_id, sizeof v[i].athlete_id, "%s", athlete_id);
    *out = v;
    return TENDO_OK;
}

int tendo_catalog_sync_lone(tendo_catalog *c, const char *side, const char *athlete_id,
                            tendo_catalog_synced **out, size_t *n, tendo_error *err)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st = cat_prepare(
        c,
        "SELECT " SYNCED_COLUMNS ", l.pod_serial, l.pod_session, l.crc32, l.bytes, l.state "
        "FROM sessions s JOIN sync_ledger l ON l.session_id = s.id JOIN pods p ON "
        "p.serial = l.pod_serial WHERE s.source = 'sync' AND p.side = ?1 AND "
        "s.athlete_id IS ?2 AND (SELECT count(*) FROM sync_ledger k WHERE k.session_id = s.id) "
        "= 1 ORDER BY s.start_utc, s.id",
        err);
    if (!st)
        return err ? err->code : TENDO_EINTERNAL;
    sqlite3_bind_text(st, 1, side, -1, SQLITE_TRANSIENT);
    cat_bind_text_or_null(st, 2, athlete_id);
    void *rows = NULL;
    int rc = cat_collect(c, st, sizeof(tendo_catalog_synced), row_to_synced, NULL, &rows, n,
                         "finding one-pod sessions", err);
    *out = rows;
    return rc;
}

typedef struct old_flag {
    char id[64], athlete[64], rule[64], date[16];
} old_flag;

static int row_to_flag(sqlite3_stmt *st, void *row)
{
    old_flag *f = row;
    cat_column_text(st, 0, f->id, sizeof f->id);
    cat_column_text(st, 1, f->athlete, sizeof f->athlete);
    cat_column_text(st, 2, f->rule, sizeof f->rule);
    cat_column_text(st, 3, f->date, sizeof f->date);
    return 0;
}

/* Carries the reviews of old_id's flags to the ids the same flags get on
 * new_id (tendo_tr_flag_id includes the session), and the flags with them:
 * `tendo add --pending` recomputes them from the new session's summary. */
static int retire_flags(tendo_catalog *c, const char *old_id, const char *new_id, tendo_error *err)
{
    sqlite3_stmt *sel =
        cat_prepare(c, "SELECT id, athlete_id, rule, date FROM flags WHERE session_id = ?1", err);
    if (!sel)
        return err ? err->code : TENDO_EINTERNAL;
    sqlite3_bind_text(sel, 1, old_id, -1, SQLITE_TRANSIENT);
    void *rows = NULL;
    size_t n = 0;
    int rc = cat_collect(c, sel, sizeof(old_flag), row_to_flag, NULL, &rows, &n,
                         "reading a session's flags", err);
    sqlite3_stmt *rev =
        rc ? NULL : cat_prepare(c, "UPDATE flag_reviews SET flag_id = ?2 WHERE flag_id = ?1", err);
    sqlite3_stmt *upd =
        rc ? NULL : cat_prepare(c, "UPDATE flags SET id = ?2, session_id = ?3 WHERE id = ?1", err);
    if (rc == TENDO_OK && (!rev || !upd))
        rc = err ? err->code : TENDO_EINTERNAL;
    const old_flag *f = rows;
    for (size_t i = 0; rc == TENDO_OK && i < n; i++) {
        char fresh[TENDO_TR_FLAG_ID_LEN];
        int day = 0;
        if (tendo_tr_date_parse(f[i].date, &day, NULL) != TENDO_OK)
            continue; /* a malformed row: dropped with the session's flags */
        tendo_tr_flag_id(f[i].athlete, f[i].rule, day, new_id, fresh);
        sqlite3_stmt *two[2] = {rev, upd};
        for (int k = 0; k < 2 && rc == TENDO_OK; k++) {
            sqlite3_reset(two[k]);
            sqlite3_bind_text(two[k], 1, f[i].id, -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(two[k], 2, fresh, -1, SQLITE_TRANSIENT);
            if (k == 1)
                sqlite3_bind_text(two[k], 3, new_id, -1, SQLITE_TRANSIENT);
            int src = sqlite3_step(two[k]);
            if (src != SQLITE_DONE)
                rc = cat_fail(c, src, "carrying a flag's review to the merged session", err);
        }
    }
    sqlite3_finalize(rev);
    sqlite3_finalize(upd);
    free(rows);
    return rc;
}

int tendo_catalog_session_retire(tendo_catalog *c, const char *old_id, const char *new_id,
                                 tendo_error *err)
{
    int rc = cat_savepoint(c, err);
    if (rc)
        return rc;
    rc = retire_flags(c, old_id, new_id, err);
    static const char *const MOVES[] = {
        "UPDATE sync_ledger SET session_id = ?2 WHERE session_id = ?1",
        "UPDATE capacity_tests SET session_id = ?2 WHERE session_id = ?1",
        "DELETE FROM flags WHERE session_id = ?1", "DELETE FROM sessions WHERE id = ?1"};
    for (size_t i = 0; rc == TENDO_OK && i < sizeof MOVES / sizeof *MOVES; i++) {
        sqlite3_stmt *st = cat_prepare(c, MOVES[i], err);
        if (!st) {
            rc = err ? err->code : TENDO_EINTERNAL;
            break;
        }
        sqlite3_bind_text(st, 1, old_id, -1, SQLITE_TRANSIENT);
        if (sqlite3_bind_parameter_count(st) >= 2)
            sqlite3_bind_text(st, 2, new_id, -1, SQLITE_TRANSIENT);
        rc = run_write(c, st, "retiring a merged session", err);
        if (rc == TENDO_OK && i == 3 && sqlite3_changes(tendo_catalog_db(c)) != 1)
            rc = tendo_error_set(err, TENDO_ENOINPUT,
                                 "session %s is not in the catalog: nothing to retire", old_id);
    }
    if (rc == TENDO_OK)
        return cat_release(c, err);
    cat_undo(c);
    return rc;
}
