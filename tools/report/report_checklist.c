/*
 * report_checklist.c — the return-to-run checklist (report_checklist.h).
 *
 * Sources of the thresholds:
 *   - morning stiffness must not be worse than the week before, and pain
 *     must settle by the next morning: the pain-monitoring model as used for
 *     Achilles tendinopathy by Silbernagel et al., Am J Sports Med 35:897
 *     (2007); the numbers are those of the flag rules (tendo_tr_config:
 *     stiffness_rise, pain_24h_max), so the checklist and the flags agree;
 *   - pain with walking and daily life within the model's "safe" zone,
 *     0–2/10 (Thomeé, Phys Ther 77:1690, 1997, the pain-monitoring model
 *     Silbernagel adapted);
 *   - heel-raise work of the involved side at least 90 % of the other
 *     (DESIGN.md; limb symmetry index of Silbernagel et al. 2010).
 */
#include "report_checklist.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tendo_capacity.h"

/* Thomeé 1997: 0–2/10 is the "safe" zone of the pain-monitoring model. */
#define WALK_PAIN_MAX 2
/* The last runs whose next-day response is looked at. */
#define LAST_RUNS 3

static int diary_day(const tendo_diary_entry *e)
{
    int d;
    tendo_error err;
    tendo_error_clear(&err);
    return tendo_tr_date_parse(e->date, &d, &err) == TENDO_OK ? d : -1;
}

static const tendo_diary_entry *diary_on(const rep_athlete *r, int day)
{
    for (size_t i = 0; i < r->ndiary; i++)
        if (diary_day(&r->diary[i]) == day)
            return &r->diary[i];
    return NULL;
}

static void stiffness(const rep_athlete *r, rtr_item *it)
{
    it->title = "Morning stiffness not worse than the week before";
    it->rule = "last 7 days' mean not above the 7 days before by the smallest important change "
               "(pain-monitoring model, Silbernagel 2007)";
    double s1 = 0, s0 = 0;
    int n1 = 0, n0 = 0;
    for (size_t i = 0; i < r->ndiary; i++) {
        int age = r->last_day - diary_day(&r->diary[i]);
        int v = r->diary[i].stiffness;
        if (v < 0 || age < 0 || age >= 14)
            continue;
        if (age < 7)
            s1 += v, n1++;
        else
            s0 += v, n0++;
    }
    if (!n1 || !n0) {
        snprintf(it->detail, sizeof it->detail,
                 "not enough diary: %d stiffness score(s) in the last 7 days, %d the week before",
                 n1, n0);
        return;
    }
    double m1 = s1 / n1, m0 = s0 / n0;
    it->state = m1 < m0 + r->cfg.stiffness_rise ? RTR_MET : RTR_NOT_MET;
    snprintf(it->detail, sizeof it->detail,
             "%.1f/10 over the last 7 days against %.1f/10 the week before", m1, m0);
}

static int ran_on(const rep_athlete *r, int day)
{
    if (!r->tr || day < r->tr->first_day || day > r->tr->last_day)
        return 0;
    return r->tr->days[day - r->tr->first_day].sessions > 0;
}

static void walking_pain(const rep_athlete *r, rtr_item *it)
{
    it->title = "Walking and daily life without pain";
    it->rule = "pain on the days without a run in the last 7 days at most 2/10, the safe zone of "
               "the pain-monitoring model (Thomee 1997)";
    int n = 0, worst = -1;
    for (int d = r->last_day - 6; d <= r->last_day; d++) {
        const tendo_diary_entry *e = diary_on(r, d);
        if (!e || e->pain < 0 || ran_on(r, d))
            continue;
        n++;
        if (e->pain > worst)
            worst = e->pain;
    }
    if (!n) {
        snprintf(it->detail, sizeof it->detail,
                 "no pain score on a day without a run in the last 7 days");
        return;
    }
    it->state = worst <= WALK_PAIN_MAX ? RTR_MET : RTR_NOT_MET;
    snprintf(it->detail, sizeof it->detail, "worst %d/10 on %d day(s) without a run", worst, n);
}

static void heel_raises(const rep_athlete *r, rtr_item *it)
{
    it->title = "Calf capacity: heel raises within 90% of the other side";
    it->rule = "work of the single-leg heel-rise test, involved / other side >= 90% "
               "(DESIGN.md; Silbernagel 2010)";
    const tendo_catalog_capacity *t = r->ncaps ? &r->caps[r->ncaps - 1] : NULL;
    if (!t) {
        snprintf(it->detail, sizeof it->detail,
                 "no heel-raise test recorded (tendo capacity FILE.h5 --athlete %s)", r->a.id);
        return;
    }
    if (!isfinite(t->ratio)) {
        snprintf(it->detail, sizeof it->detail, "the test of %s has heel raises on one side only",
                 t->date);
        return;
    }
    double pct = 100.0 * t->ratio;
    it->state = pct >= TENDO_AN_CAPACITY_LSI_CRITERION_PCT ? RTR_MET : RTR_NOT_MET;
    snprintf(it->detail, sizeof it->detail, "%.0f%% on %s (left %d, right %d repetitions)", pct,
             t->date, t->left_reps, t->right_reps);
}

static void response_24h(const rep_athlete *r, rtr_item *it)
{
    it->title = "The last runs settled within 24 hours";
    it->rule = "pain the morning after each of the last 3 runs at most the flag threshold "
               "(pain-monitoring model, Silbernagel 2007)";
    int runs = 0, scored = 0, worst = -1;
    char when[11] = "";
    if (r->tr)
        for (size_t i = r->tr->nruns; i-- > 0 && runs < LAST_RUNS;) {
            int day = r->tr->runs[i].day;
            if (i + 1 < r->tr->nruns && r->tr->runs[i + 1].day == day)
                continue; /* one answer per run day */
            runs++;
            /* the diary's 24-hour score: on the next day, or kept on the run's day */
            const tendo_diary_entry *e = diary_on(r, day + 1);
            if (!e || e->pain_24h < 0)
                e = diary_on(r, day);
            if (!e || e->pain_24h < 0)
                continue;
            scored++;
            if (e->pain_24h > worst) {
                worst = e->pain_24h;
                tendo_tr_date_format(day, when);
            }
        }
    if (!runs) {
        snprintf(it->detail, sizeof it->detail, "no run in the report's window");
        return;
    }
    if (!scored) {
        snprintf(it->detail, sizeof it->detail, "no 24-hour pain score after the last %d run(s)",
                 runs);
        return;
    }
    it->state = worst <= r->cfg.pain_24h_max ? RTR_MET : RTR_NOT_MET;
    snprintf(it->detail, sizeof it->detail,
             "worst %d/10 (after the run of %s); %d of the last %d run(s) scored", worst, when,
             scored, runs);
}

void rtr_evaluate(const rep_athlete *r, rtr_checklist *out)
{
    memset(out, 0, sizeof *out);
    stiffness(r, &out->item[0]);
    walking_pain(r, &out->item[1]);
    heel_raises(r, &out->item[2]);
    response_24h(r, &out->item[3]);
    for (int i = 0; i < RTR_ITEMS; i++) {
        out->met += out->item[i].state == RTR_MET;
        out->not_met += out->item[i].state == RTR_NOT_MET;
        out->unknown += out->item[i].state == RTR_UNKNOWN;
    }
}
