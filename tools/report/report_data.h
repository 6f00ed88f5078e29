/*
 * report_data.h — what a report shows of one athlete, gathered from the
 * catalog: profile, the training series and flags over the report's window
 * (flags recomputed and stored with their review state, as `tendo flags`
 * does), the diary, the calf-capacity tests and the sessions.
 */
#ifndef TENDO_REPORT_DATA_H
#define TENDO_REPORT_DATA_H

#include <stddef.h>

#include "tendo_catalog.h"
#include "tendo_catalog_capacity.h"
#include "tendo_catalog_training.h"

typedef struct rep_athlete {
    tendo_athlete a;
    tendo_tr_config cfg;
    int has_data;            /* any session, diary day or capacity test */
    int first_day, last_day; /* the window: `weeks` weeks ending on the last data day */
    int weeks;
    tendo_tr_result *tr;       /* series, runs and flags over the window (NULL without data) */
    tendo_catalog_flag *flags; /* stored flags in the window, with review state, by date */
    size_t nflags;
    tendo_diary_entry *diary; /* all of the athlete's diary, oldest first */
    size_t ndiary;
    tendo_catalog_capacity *caps; /* all capacity tests, oldest first */
    size_t ncaps;
    size_t nsessions;     /* all sessions */
    int last_session_day; /* -1 without sessions */
} rep_athlete;

/* Loads athlete `id` over `weeks` weeks ending on end_date ("YYYY-MM-DD";
 * NULL: the athlete's last session, diary day or capacity test).
 * Recomputes and stores the athlete's flags (reviews stay). TENDO_ENOINPUT
 * for an unknown athlete. */
int rep_load(tendo_catalog *c, const tendo_tr_config *cfg, const char *id, int weeks,
             const char *end_date, rep_athlete *out, tendo_error *err);
void rep_free(rep_athlete *r);

/* Flags in the window nobody has reviewed, by severity (any may be NULL). */
size_t rep_open_flags(const rep_athlete *r, size_t *high, size_t *moderate, size_t *low);

#endif
