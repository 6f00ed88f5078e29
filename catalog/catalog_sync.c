/*
 * catalog_sync.c — pods and the sync ledger (tendo_catalog_sync.h), over the
 * tables of catalog_schema.c. Written by the sync engine's owner.
 */
#include "tendo_catalog_sync.h"

#include <stdlib.h>
#include <string.h>

#include "catalog_internal.h"
#include "tendo_array.h"

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
