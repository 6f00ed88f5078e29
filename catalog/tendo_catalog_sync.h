/*
 * tendo_catalog_sync.h — what `tendo sync` keeps in the catalog: the pods it
 * has seen (with the clock anchor of the last sync) and the sync ledger, one
 * row per pod recording, keyed by pod serial + pod session id + CRC-32
 * (CATALOG-CONTRACT.md). A recording is 'committed' once its session file is
 * in place and registered, in the same transaction; 'erased' once the pod
 * confirmed the erase. Owned by the sync engine; tables by catalog_schema.c.
 */
#ifndef TENDO_CATALOG_SYNC_H
#define TENDO_CATALOG_SYNC_H

#include <stdint.h>

#include "tendo_catalog.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tendo_catalog_pod {
    char serial[64];
    char side[8]; /* "left", "right" or "" */
    char model[32];
    char firmware[32];
    char athlete_id[64]; /* "" when the pod belongs to nobody yet */
    char first_seen_utc[32];
    char last_seen_utc[32];
    int has_clock; /* the anchor below was set by an earlier sync */
    uint64_t clock_ticks;
    int64_t clock_utc_us;
    uint32_t clock_tick_hz;
} tendo_catalog_pod;

/* 1 and *out filled when the pod is known, 0 when not, < 0 on error. */
int tendo_catalog_pod_get(tendo_catalog *c, const char *serial, tendo_catalog_pod *out,
                          tendo_error *err);
/* Records that the pod was seen now: inserts it or updates side, model,
 * firmware and last_seen_utc (athlete and anchor are kept). */
int tendo_catalog_pod_seen(tendo_catalog *c, const char *serial, const char *side,
                           const char *model, const char *firmware, tendo_error *err);
/* Assigns the pod to an athlete (who must exist: TENDO_ENOINPUT). */
int tendo_catalog_pod_set_athlete(tendo_catalog *c, const char *serial, const char *athlete_id,
                                  tendo_error *err);
/* The clock anchor set at this sync (pod ticks ↔ UTC µs, nominal rate). */
int tendo_catalog_pod_set_clock(tendo_catalog *c, const char *serial, uint64_t ticks,
                                int64_t utc_us, uint32_t tick_hz, tendo_error *err);

typedef enum tendo_ledger_state {
    TENDO_LEDGER_NONE = 0, /* never synced */
    TENDO_LEDGER_COMMITTED = 1,
    TENDO_LEDGER_ERASED = 2
} tendo_ledger_state;

typedef struct tendo_ledger_entry {
    char pod_serial[64];
    uint32_t pod_session;
    uint32_t crc32; /* of the content as the host received it */
    uint64_t bytes;
    char session_id[40]; /* the session file holding it */
    tendo_ledger_state state;
} tendo_ledger_entry;

/* The entry for (serial, pod_session, crc32): returns its state (NONE when
 * absent, then *out is zeroed) or < 0 on error. */
int tendo_catalog_ledger_lookup(tendo_catalog *c, const char *serial, uint32_t pod_session,
                                uint32_t crc32, tendo_ledger_entry *out, tendo_error *err);
/* Adds a 'committed' entry; call inside the transaction that registers the
 * session file (TENDO_EDATA if the recording is already in the ledger). */
int tendo_catalog_ledger_record(tendo_catalog *c, const tendo_ledger_entry *e, tendo_error *err);
/* The pod confirmed the erase (or no longer has the recording). */
int tendo_catalog_ledger_mark_erased(tendo_catalog *c, const char *serial, uint32_t pod_session,
                                     uint32_t crc32, tendo_error *err);
/* Entries of the pod still 'committed' (kept on it with --keep, or a sync
 * stopped before the erase); *out malloc'ed. */
int tendo_catalog_ledger_unerased(tendo_catalog *c, const char *serial, tendo_ledger_entry **out,
                                  size_t *n, tendo_error *err);

/* --------------------------------------------- sessions made by sync */

/* A session registered by sync, as the merge and claim steps see it. */
typedef struct tendo_catalog_synced {
    char session_id[40];
    char path[TENDO_CATALOG_PATH_MAX];
    char athlete_id[64]; /* "" when none */
    char start_utc[40];
    double duration_s;
    tendo_ledger_entry rec; /* its one recording (lone sessions) */
} tendo_catalog_synced;

/* Gives athlete_id every synced session holding a recording of pod serial
 * that has no athlete yet (sessions synced before the pod was assigned),
 * unless another pod of that session belongs to someone else. A session
 * that has an athlete is never changed. *out (malloc'ed, may be NULL when
 * *n is 0) lists the sessions given; rec is unused. */
int tendo_catalog_sync_claim(tendo_catalog *c, const char *serial, const char *athlete_id,
                             tendo_catalog_synced **out, size_t *n, tendo_error *err);

/* The synced sessions made of exactly one recording whose pod is on side
 * ("left"/"right") and whose athlete is athlete_id ("" : none), oldest
 * first; *out malloc'ed. A late recording of the other foot merges into
 * one of them (SYNC.md "A late second pod"). */
int tendo_catalog_sync_lone(tendo_catalog *c, const char *side, const char *athlete_id,
                            tendo_catalog_synced **out, size_t *n, tendo_error *err);

/* Inside the caller's transaction, after new_id is registered: moves what
 * refers to session old_id over to new_id (ledger rows, capacity tests,
 * flags and their reviews, whose ids include the session: the review is
 * carried to the id the same flag gets on the new session) and removes
 * old_id's row. TENDO_ENOINPUT when old_id is not registered. */
int tendo_catalog_session_retire(tendo_catalog *c, const char *old_id, const char *new_id,
                                 tendo_error *err);

#ifdef __cplusplus
}
#endif
#endif
