/*
 * tendo_catalog_capacity.h — calf-capacity (single-leg heel-raise) tests in
 * the catalog: one row per recorded test, written by `tendo capacity
 * --athlete`, read by the report. Table capacity_tests (catalog_schema.c).
 */
#ifndef TENDO_CATALOG_CAPACITY_H
#define TENDO_CATALOG_CAPACITY_H

#include <stddef.h>

#include "tendo_catalog.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TENDO_CAPACITY_NOTE_MAX 400

typedef struct tendo_catalog_capacity {
    long long id; /* filled in by add */
    char athlete_id[64];
    char date[11];                     /* YYYY-MM-DD, the test's UTC day */
    char session_id[40];               /* the recording's session id; "" if none */
    char path[TENDO_CATALOG_PATH_MAX]; /* absolute; "" if none */
    int left_reps, right_reps;
    double left_height_m, right_height_m; /* mean heel height per side; NAN without reps */
    /* Work symmetry as a fraction: the involved side's total heel rise over
     * the other's (the limb symmetry index / 100); NAN unless both sides. */
    double ratio;
    char note[TENDO_CAPACITY_NOTE_MAX + 1]; /* e.g. which side was the involved one */
    char added_utc[32];                     /* filled in by add */
} tendo_catalog_capacity;

/* Records a test. TENDO_ENOINPUT for an unknown athlete, TENDO_EUSAGE for a
 * bad date or negative counts, TENDO_EDATA (nothing written) when the same
 * recording is already recorded for the athlete, naming that test. */
int tendo_catalog_capacity_add(tendo_catalog *c, tendo_catalog_capacity *t, tendo_error *err);
/* Tests of an athlete (NULL: all), oldest first; *out malloc'ed (free()). */
int tendo_catalog_capacity_list(tendo_catalog *c, const char *athlete_id,
                                tendo_catalog_capacity **out, size_t *n, tendo_error *err);

#ifdef __cplusplus
}
#endif
#endif
