/*
 * catalog_schema.c — the catalog's schema as an ordered list of migration
 * steps: step i (1-based) takes the database from PRAGMA user_version i-1
 * to i, in one transaction with the version bump, so a crash leaves either
 * the old schema or the new one.
 *
 * To add a table: APPEND a step (never edit a released one), and raise
 * TENDO_CATALOG_SCHEMA_VERSION in tendo_catalog.h. Tables and their
 * meaning: docs/training-load.md.
 */
#include <stdio.h>

#include "catalog_internal.h"

static const char *const STEPS[] = {
    /* 1: athletes, pods, sessions, sync ledger (CATALOG-CONTRACT.md); diary,
     * flags with their reviews, calf-capacity tests (training-load.md). */
    "CREATE TABLE athletes ("
    "  id TEXT PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 63),"
    "  name TEXT NOT NULL DEFAULT '',"
    "  mass_kg REAL CHECK (mass_kg IS NULL OR mass_kg BETWEEN 20 AND 300),"
    "  injured_side TEXT NULL CHECK (injured_side IN ('left', 'right')),"
    "  notes TEXT NOT NULL DEFAULT '',"
    "  created_utc TEXT NOT NULL);"
    "CREATE TABLE pods ("
    "  serial TEXT PRIMARY KEY,"
    "  side TEXT CHECK (side IN ('left', 'right')),"
    "  model TEXT, firmware TEXT,"
    "  athlete_id TEXT NULL REFERENCES athletes(id),"
    "  first_seen_utc TEXT, last_seen_utc TEXT,"
    "  clock_ticks INTEGER NULL, clock_utc_us INTEGER NULL, clock_tick_hz INTEGER NULL);"
    "CREATE TABLE sessions ("
    "  id TEXT PRIMARY KEY,"
    "  path TEXT NOT NULL UNIQUE,"
    "  athlete_id TEXT REFERENCES athletes(id),"
    "  start_utc TEXT NOT NULL,"
    "  duration_s REAL,"
    "  source TEXT NOT NULL,"
    "  summary_json TEXT CHECK (summary_json IS NULL OR json_valid(summary_json)),"
    "  analysis_version TEXT,"
    "  added_utc TEXT NOT NULL);"
    "CREATE INDEX sessions_by_athlete ON sessions(athlete_id, start_utc);"
    "CREATE TABLE sync_ledger ("
    "  pod_serial TEXT NOT NULL, pod_session INTEGER NOT NULL, crc32 INTEGER NOT NULL,"
    "  bytes INTEGER,"
    "  session_id TEXT REFERENCES sessions(id),"
    "  state TEXT NOT NULL CHECK (state IN ('committed', 'erased')),"
    "  committed_utc TEXT, erased_utc TEXT NULL,"
    "  PRIMARY KEY (pod_serial, pod_session, crc32));"
    /* One diary entry per athlete and day; scores are 0–10 numeric ratings,
     * NULL when not given. */
    "CREATE TABLE diary ("
    "  athlete_id TEXT NOT NULL REFERENCES athletes(id),"
    "  date TEXT NOT NULL CHECK (date GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),"
    "  pain INTEGER CHECK (pain BETWEEN 0 AND 10),"
    "  pain_24h INTEGER CHECK (pain_24h BETWEEN 0 AND 10),"
    "  stiffness INTEGER CHECK (stiffness BETWEEN 0 AND 10),"
    "  note TEXT NOT NULL DEFAULT '',"
    "  updated_utc TEXT NOT NULL,"
    "  PRIMARY KEY (athlete_id, date));"
    /* Flags are recomputed from sessions and diary (replaced per athlete);
     * their ids derive from athlete, rule, date and session, so a review,
     * kept in its own table, finds its flag again after a recomputation. */
    "CREATE TABLE flags ("
    "  id TEXT PRIMARY KEY,"
    "  athlete_id TEXT NOT NULL REFERENCES athletes(id),"
    "  rule TEXT NOT NULL,"
    "  date TEXT NOT NULL,"
    "  session_id TEXT NULL,"
    "  severity TEXT NOT NULL CHECK (severity IN ('low', 'moderate', 'high')),"
    "  value REAL, threshold REAL,"
    "  message TEXT NOT NULL,"
    "  computed_utc TEXT NOT NULL);"
    "CREATE INDEX flags_by_athlete ON flags(athlete_id, date);"
    "CREATE TABLE flag_reviews ("
    "  flag_id TEXT PRIMARY KEY,"
    "  athlete_id TEXT NOT NULL REFERENCES athletes(id),"
    "  note TEXT NOT NULL,"
    "  reviewed_utc TEXT NOT NULL);"
    /* Single-leg heel raises to fatigue, one row per test (engineer `report`
     * writes them): repetitions and mean raise height per side, and the
     * left/right ratio as computed by `tendo capacity`. */
    "CREATE TABLE capacity_tests ("
    "  id INTEGER PRIMARY KEY,"
    "  athlete_id TEXT NOT NULL REFERENCES athletes(id),"
    "  date TEXT NOT NULL,"
    "  session_id TEXT NULL,"
    "  path TEXT NULL,"
    "  left_reps INTEGER CHECK (left_reps >= 0),"
    "  right_reps INTEGER CHECK (right_reps >= 0),"
    "  left_height_m REAL, right_height_m REAL,"
    "  ratio REAL,"
    "  note TEXT NOT NULL DEFAULT '',"
    "  added_utc TEXT NOT NULL,"
    "  UNIQUE (athlete_id, session_id));"
    "CREATE INDEX capacity_by_athlete ON capacity_tests(athlete_id, date);",
};
#define N_STEPS (int)(sizeof STEPS / sizeof STEPS[0])

_Static_assert(N_STEPS == TENDO_CATALOG_SCHEMA_VERSION,
               "one migration step per schema version");

static int user_version(tendo_catalog *c, int *v, tendo_error *err)
{
    sqlite3_stmt *st = cat_prepare(c, "PRAGMA user_version", err);
    if (!st)
        return err ? err->code : TENDO_EINTERNAL;
    int src = sqlite3_step(st);
    *v = src == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
    sqlite3_finalize(st);
    return src == SQLITE_ROW ? TENDO_OK : cat_fail(c, src, "reading the schema version", err);
}

int cat_schema_migrate(tendo_catalog *c, tendo_error *err)
{
    int v, rc = user_version(c, &v, err);
    if (rc != TENDO_OK)
        return rc;
    if (v > N_STEPS)
        return tendo_error_set(err, TENDO_EDATA,
                               "catalog schema version %d is newer than this tendo understands "
                               "(%d): use a newer tendo",
                               v, N_STEPS);
    while (v < N_STEPS) {
        /* Another process may migrate at the same moment: the write lock
         * serialises us, and the version is re-read under it. */
        rc = tendo_catalog_begin(c, err);
        if (rc == TENDO_OK)
            rc = user_version(c, &v, err);
        if (rc == TENDO_OK && v < N_STEPS) {
            char bump[64];
            snprintf(bump, sizeof bump, "PRAGMA user_version = %d", v + 1);
            rc = cat_exec(c, STEPS[v], err);
            if (rc == TENDO_OK)
                rc = cat_exec(c, bump, err);
            if (rc != TENDO_OK)
                tendo_error_prefix(err, "migrating the catalog to schema version %d: ", v + 1);
        }
        if (rc == TENDO_OK)
            rc = tendo_catalog_commit(c, err);
        else
            tendo_catalog_rollback(c);
        if (rc != TENDO_OK)
            return rc;
        if ((rc = user_version(c, &v, err)) != TENDO_OK)
            return rc;
    }
    return TENDO_OK;
}
