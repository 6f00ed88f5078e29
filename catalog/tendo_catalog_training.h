/*
 * tendo_catalog_training.h — the catalog's training-load data: the symptom
 * diary, the load series and flags of an athlete computed from the catalog
 * (analysis/tendo_training.h does the arithmetic), and the flags' review
 * state. For `tendo diary|load|flags` and for the report.
 *
 *   tendo_tr_config cfg;
 *   tendo_catalog_training_config(home, &cfg, &err);     // defaults + HOME/training.json
 *   tendo_catalog_flags_refresh(c, "ann", &cfg, &err);   // recompute, store flags
 *   tendo_tr_result *r;                                  // daily series, runs, flags
 *   tendo_catalog_training(c, "ann", &cfg, "2026-01-01", "2026-03-31", &r, &err);
 *   tendo_catalog_flag *f; size_t n;                     // flags + review state
 *   tendo_catalog_flags_list(c, "ann", NULL, &f, &n, &err);
 *   tendo_diary_entry *d; size_t nd;
 *   tendo_catalog_diary_list(c, "ann", NULL, NULL, &d, &nd, &err);
 *   ... free(f); free(d); tendo_tr_result_free(r);
 */
#ifndef TENDO_CATALOG_TRAINING_H
#define TENDO_CATALOG_TRAINING_H

#include <stddef.h>

#include "tendo_catalog.h"
#include "tendo_training.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------ diary */

#define TENDO_DIARY_NOTE_MAX 1000

/* One day of an athlete's diary. Scores are 0–10; -1 when not given. */
typedef struct tendo_diary_entry {
    char athlete_id[64];
    char date[11];          /* YYYY-MM-DD */
    int pain;               /* pain during running (0 none … 10 worst) */
    int pain_24h;           /* pain the next day, 24 h after the run */
    int stiffness;          /* Achilles stiffness on getting up */
    char note[TENDO_DIARY_NOTE_MAX + 1];
    char updated_utc[32];
} tendo_diary_entry;

/* Checks an entry: known athlete is not checked here, dates and ranges are
 * (TENDO_EUSAGE naming the field). */
int tendo_catalog_diary_check(const tendo_diary_entry *e, tendo_error *err);
/* Records a day: the scores and note given (>= 0, non-empty) replace those
 * of an existing entry for that day, the others are kept, so adding a day
 * twice never makes two entries. TENDO_ENOINPUT for an unknown athlete. */
int tendo_catalog_diary_put(tendo_catalog *c, const tendo_diary_entry *e, tendo_error *err);
/* Entries of an athlete with date in [from, to] (NULL: open), oldest
 * first; *out is malloc'ed (free()). */
int tendo_catalog_diary_list(tendo_catalog *c, const char *athlete_id, const char *from,
                             const char *to, tendo_diary_entry **out, size_t *n,
                             tendo_error *err);

/* ------------------------------------------------------------ load */

/* The training config: defaults (TENDO_TR_PARAMS) with the overrides of
 * HOME/training.json if that file exists: {"weekly_ratio": 1.25, ...};
 * TENDO_EDATA naming the file and key for an unknown key or a bad value. */
#define TENDO_CATALOG_TRAINING_CONFIG "training.json"
int tendo_catalog_training_config(const char *home, tendo_tr_config *cfg, tendo_error *err);

/* The athlete's sessions as training input (summary_json → tendo_tr_session,
 * high-speed distance from the stored speed histogram and cfg), oldest
 * first; *out malloc'ed. A session without a summary counts its duration
 * only. */
int tendo_catalog_training_sessions(tendo_catalog *c, const char *athlete_id,
                                    const tendo_tr_config *cfg, tendo_tr_session **out,
                                    size_t *n, tendo_error *err);

/* Series, runs and flags of an athlete over [from, to] (NULL from: the
 * first session or diary day; NULL to: the last), computed from all the
 * athlete's sessions and diary. Reads only. TENDO_ENOINPUT for an unknown
 * athlete, TENDO_EUSAGE for a bad date or from after to. */
int tendo_catalog_training(tendo_catalog *c, const char *athlete_id, const tendo_tr_config *cfg,
                           const char *from, const char *to, tendo_tr_result **out,
                           tendo_error *err);

/* ------------------------------------------------------------ flags */

typedef struct tendo_catalog_flag {
    tendo_tr_flag flag;
    char athlete_id[64];
    char date[11];
    int reviewed;          /* 1 once a coach acknowledged it */
    char review_note[TENDO_DIARY_NOTE_MAX + 1];
    char reviewed_utc[32];
} tendo_catalog_flag;

/* Recomputes the athlete's flags over all their data and replaces the
 * stored ones in one transaction. Reviews stay: a flag's id derives from
 * athlete, rule, date and session, so the same flag gets the same id. */
int tendo_catalog_flags_refresh(tendo_catalog *c, const char *athlete_id,
                                const tendo_tr_config *cfg, tendo_error *err);
/* Stored flags of an athlete (NULL: all athletes) dated on or after since
 * (NULL: all), by date, with their review state; *out malloc'ed. */
int tendo_catalog_flags_list(tendo_catalog *c, const char *athlete_id, const char *since,
                             tendo_catalog_flag **out, size_t *n, tendo_error *err);
/* Marks a stored flag reviewed with the coach's note (a second ack replaces
 * the note). TENDO_ENOINPUT if no such flag, TENDO_EUSAGE for an empty note. */
int tendo_catalog_flag_ack(tendo_catalog *c, const char *flag_id, const char *note,
                           tendo_error *err);

#ifdef __cplusplus
}
#endif
#endif
