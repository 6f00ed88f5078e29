/*
 * report_checklist.h — the return-to-run checklist of one athlete: four
 * questions a coach asks before running becomes training again after
 * Achilles trouble (DESIGN.md, "Rehab and return to run"), each answered
 * from the catalog as met, not met, or not known (no data), with the
 * numbers behind the answer.
 */
#ifndef TENDO_REPORT_CHECKLIST_H
#define TENDO_REPORT_CHECKLIST_H

#include "report_data.h"

typedef enum rtr_state { RTR_UNKNOWN = 0, RTR_MET = 1, RTR_NOT_MET = 2 } rtr_state;

#define RTR_ITEMS 4

typedef struct rtr_item {
    const char *title; /* the question */
    const char *rule;  /* what "met" means, with its source */
    rtr_state state;
    char detail[240]; /* the numbers behind the answer */
} rtr_item;

typedef struct rtr_checklist {
    rtr_item item[RTR_ITEMS]; /* stiffness, pain walking, heel-raise symmetry, 24-h response */
    int met, not_met, unknown;
} rtr_checklist;

/* Answers the checklist as of the report's last day. */
void rtr_evaluate(const rep_athlete *r, rtr_checklist *out);

#endif
