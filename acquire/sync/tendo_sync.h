/*
 * tendo_sync.h — the sync engine: every recording not yet synced, from
 * every attached pod, into session files under HOME/sessions, recorded in
 * the catalog, then erased from the pods. Decisions: acquire/SYNC.md.
 *
 * Per pod: INFO, a clock read, LIST; recordings not in the sync ledger are
 * downloaded (resuming from HOME/spool after an unplug or crash), their
 * pod ticks mapped to UTC through the pod's anchor from the previous sync
 * and this sync's clock read (PROTOCOL.md 5); the left and right
 * recordings of one run go into one file, written crash-safely (temporary
 * file, verify, fsync, rename), registered with their ledger rows in one
 * catalog transaction; only then erased from the pod with the checksum the
 * host computed. Finally the pod's clock is anchored for the next run.
 */
#ifndef TENDO_SYNC_H
#define TENDO_SYNC_H

#include <stddef.h>
#include <stdint.h>

#include "tendo_error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Progress of one pod's downloads (called on the engine's USB thread,
 * often: throttle the drawing). */
typedef struct tendo_sync_progress {
    const char *serial;
    uint64_t done;  /* bytes of this pod verified in this sync (resumed bytes included) */
    uint64_t total; /* bytes of this pod to download in this sync */
} tendo_sync_progress;
typedef void (*tendo_sync_progress_fn)(void *ctx, const tendo_sync_progress *p);

typedef struct tendo_sync_options {
    const char *home;       /* the tendo home (tendo_catalog_home), created if missing */
    const char *athlete_id; /* assign the pods to this athlete; NULL: keep their owner */
    int keep;               /* never erase from the pods */
    int plain;              /* ask pods for uncompressed frames */
    int replug_wait_s;      /* wait this long for an unplugged pod to come back */
    tendo_sync_progress_fn progress;
    void *progress_ctx;
} tendo_sync_options;

/* What happened to one attached pod. */
typedef struct tendo_sync_pod {
    char serial[64]; /* "" when the pod could not identify itself */
    char where[32];  /* "bus 1 device 7" */
    char side[8];    /* "left", "right" or "" */
    char firmware[32];
    int battery_pct;      /* -1 when not reported */
    unsigned listed;      /* recordings on the pod at the start */
    unsigned synced;      /* downloaded and committed in this sync */
    unsigned already;     /* in the ledger from an earlier sync */
    unsigned erased;      /* erased from the pod in this sync */
    unsigned failed;      /* left on the pod because of an error */
    unsigned claimed;     /* athlete-less sessions of this pod given to its athlete */
    uint64_t bytes;       /* downloaded in this sync */
    uint64_t resumed;     /* of those, taken from the spool of an earlier sync */
    unsigned link_retries; /* READs sent again after a link fault (stall, CRC, gap...) */
    double drift_ppm;     /* the fitted clock drift (0 when nothing was mapped) */
    int anchored;         /* recordings were mapped through an earlier anchor */
    int64_t clock_unc_us; /* uncertainty of this sync's clock read (half its round trip) */
    int code;             /* TENDO_OK, or the first problem with this pod */
    char message[TENDO_ERROR_MSG_MAX];
} tendo_sync_pod;

/* One session file written in this sync. */
typedef struct tendo_sync_file {
    char path[4096];
    char session_id[40];
    char athlete_id[64]; /* "" when the pods belong to nobody */
    int64_t start_us;
    double duration_s;
    size_t npods;
    char serial[2][64];
    char side[2][8];
    uint32_t pod_session[2];
    uint64_t samples[2];
    double time_error_us; /* bound on any sample's UTC error (PROTOCOL.md 5) */
    /* A late second pod: this file replaced the one-pod session below, whose
     * recording it holds beside the new one ("" when it replaced nothing). */
    char replaced_id[40];
    char replaced_path[4096];
    double download_s;    /* wall time of the downloads (USB, decode, HDF5 append) */
    double commit_s;      /* wall time of the commit (flush, re-read, verify, fsync, rename) */
} tendo_sync_file;

/* A session synced before its pods had an athlete, given to the pods'
 * athlete in this sync (the catalog's sessions.athlete_id; the file keeps
 * the athlete_id it was written with: SYNC.md). */
typedef struct tendo_sync_claim {
    char session_id[40];
    char path[4096];
    char athlete_id[64];
    char start_utc[40];
} tendo_sync_claim;

typedef struct tendo_sync_report {
    size_t npods;
    tendo_sync_pod *pods;
    size_t nfiles;
    tendo_sync_file *files;
    size_t nclaimed;
    tendo_sync_claim *claimed;
} tendo_sync_report;

/* Runs a sync. Returns TENDO_OK when every attached pod was synced;
 * TENDO_EUNAVAIL (with what to try) when no pod is attached or answers;
 * otherwise the first pod's problem — the report says what happened to each.
 * Whatever the outcome, nothing is erased from a pod unless it is committed. */
int tendo_sync_run(const tendo_sync_options *opt, tendo_sync_report *report, tendo_error *err);
void tendo_sync_report_free(tendo_sync_report *report);

#ifdef __cplusplus
}
#endif
#endif
