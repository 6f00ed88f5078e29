/*
 * tendo_catalog.h — the catalog: one SQLite database per tendo home that
 * knows the athletes, their pods and sessions, the symptom diary, calf
 * capacity tests and the training-load flags with their review state.
 *
 * Home: tendo_catalog_home() picks $TENDO_HOME, else $XDG_DATA_HOME/tendo,
 * else ~/.local/share/tendo; every command's --home DIR overrides all three.
 * The database is HOME/catalog.sqlite: WAL journal (readers never block the
 * writer), foreign keys on, a busy timeout so parallel commands wait for
 * each other instead of failing. Schema and migrations: catalog_schema.c;
 * tables and decisions: docs/training-load.md.
 *
 * Every write function is atomic on its own (a SAVEPOINT inside) and may also
 * be called inside tendo_catalog_begin()/commit() to group several writes
 * into one transaction (sync registers a session and its ledger row so).
 *
 * Errors follow common/tendo_error.h: TENDO_EUSAGE for a malformed value
 * (id, date, range), TENDO_ENOINPUT for an athlete or flag that is not in
 * the catalog, TENDO_EDATA for a duplicate (a session registered twice) or a
 * catalog that fails its checks, TENDO_EIO for database I/O failures.
 */
#ifndef TENDO_CATALOG_H
#define TENDO_CATALOG_H

#include <stddef.h>

#include "tendo_error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The schema version this build creates and understands. */
#define TENDO_CATALOG_SCHEMA_VERSION 1
#define TENDO_CATALOG_FILE "catalog.sqlite"
#define TENDO_CATALOG_PATH_MAX 4096
/* Milliseconds a command waits for another's write transaction. */
#define TENDO_CATALOG_BUSY_MS 30000

typedef struct tendo_catalog tendo_catalog;

/* The home directory: override if non-NULL and non-empty, else $TENDO_HOME,
 * else $XDG_DATA_HOME/tendo, else $HOME/.local/share/tendo; a relative path is
 * made absolute against the current folder (the catalog keeps absolute
 * session paths). Not created. */
int tendo_catalog_home(const char *override, char *out, size_t cap, tendo_error *err);

/* Opens HOME/catalog.sqlite, creating HOME and the database when missing and
 * migrating an older schema (TENDO_EDATA for a newer one). */
int tendo_catalog_open(const char *home, tendo_catalog **out, tendo_error *err);
void tendo_catalog_close(tendo_catalog *c);

/* Path of the database file (valid until close). */
const char *tendo_catalog_path(const tendo_catalog *c);

/* A write transaction (BEGIN IMMEDIATE: takes the write lock at once, so
 * two writers queue on the busy timeout instead of deadlocking). */
int tendo_catalog_begin(tendo_catalog *c, tendo_error *err);
int tendo_catalog_commit(tendo_catalog *c, tendo_error *err);
void tendo_catalog_rollback(tendo_catalog *c);

/* PRAGMA integrity_check and foreign_key_check: TENDO_EDATA with the first
 * problem if either finds one. */
int tendo_catalog_check(tendo_catalog *c, tendo_error *err);

/* Current UTC time as "YYYY-MM-DDTHH:MM:SSZ" (what *_utc columns hold). */
void tendo_catalog_now_utc(char out[32]);

/* 1 if text is a valid id for an athlete: 1–63 of [A-Za-z0-9_.-]. */
int tendo_catalog_id_ok(const char *text);
/* 1 if text is a real calendar date "YYYY-MM-DD" (1900–2999). */
int tendo_catalog_date_ok(const char *text);

/* ------------------------------------------------------------ athletes */

typedef struct tendo_athlete {
    char id[64];
    char name[128];
    double mass_kg;       /* 20–300; 0 when unknown */
    char injured_side[8]; /* "", "left" or "right" */
    char notes[1024];
    char created_utc[32]; /* filled in by add */
} tendo_athlete;

/* Adds an athlete; TENDO_EDATA if the id exists, TENDO_EUSAGE if a field is
 * out of range. */
int tendo_catalog_athlete_add(tendo_catalog *c, const tendo_athlete *a, tendo_error *err);
/* Replaces name, mass, injured side and notes of an existing athlete. */
int tendo_catalog_athlete_update(tendo_catalog *c, const tendo_athlete *a, tendo_error *err);
/* TENDO_ENOINPUT ("no athlete 'x' ...; see tendo athlete list") if unknown. */
int tendo_catalog_athlete_get(tendo_catalog *c, const char *id, tendo_athlete *out,
                              tendo_error *err);
/* All athletes by id; *out is malloc'ed (free()). */
int tendo_catalog_athlete_list(tendo_catalog *c, tendo_athlete **out, size_t *n,
                               tendo_error *err);

/* ------------------------------------------------------------ sessions */

typedef struct tendo_catalog_session {
    char id[40];                         /* the file's session id (UUID) */
    char path[TENDO_CATALOG_PATH_MAX];   /* absolute */
    char athlete_id[64];
    char start_utc[40];                  /* ISO 8601 UTC */
    double duration_s;
    char source[16];                     /* sync | import | simulate | add */
    char *summary_json;                  /* the `tendo analyze --json` object; may be NULL */
    char analysis_version[40];
    char added_utc[32];                  /* filled in by add */
} tendo_catalog_session;

/* Registers a session. Refuses (TENDO_EDATA, nothing written) a session
 * whose id or path is already registered, naming the existing entry; checks
 * the athlete exists (TENDO_ENOINPUT) and the summary is a JSON object. */
int tendo_catalog_session_add(tendo_catalog *c, const tendo_catalog_session *s,
                              tendo_error *err);
/* 1 if a session with this id or path is registered, else 0; < 0 on error. */
int tendo_catalog_session_exists(tendo_catalog *c, const char *id, const char *path,
                                 tendo_error *err);
/* Sessions of an athlete (NULL: all) whose UTC start date lies in
 * [from, to] (either NULL: open), oldest first. summary_json is malloc'ed
 * per row; free the lot with tendo_catalog_sessions_free. */
int tendo_catalog_session_list(tendo_catalog *c, const char *athlete_id, const char *from,
                               const char *to, tendo_catalog_session **out, size_t *n,
                               tendo_error *err);
void tendo_catalog_sessions_free(tendo_catalog_session *s, size_t n);
/* Registered sessions of an athlete (NULL: all) that have no summary yet
 * (sync registers a file before anyone analyses it), oldest first; free with
 * tendo_catalog_sessions_free. `tendo add --pending` analyses them. */
int tendo_catalog_session_pending(tendo_catalog *c, const char *athlete_id,
                                  tendo_catalog_session **out, size_t *n, tendo_error *err);
/* Stores the summary (a JSON object), analysis version and duration of a
 * registered session. TENDO_ENOINPUT if no session has this id. */
int tendo_catalog_session_set_summary(tendo_catalog *c, const char *id, const char *summary_json,
                                      const char *analysis_version, double duration_s,
                                      tendo_error *err);

#ifdef __cplusplus
}
#endif
#endif
