/*
 * test_training_rules.c — the six flag rules on a simulated 15-week history
 * (session summaries; the same plan runs end to end through real session
 * files in tests/catalog/catalog_history_test.py).
 *
 * Runs on Monday, Wednesday, Friday and Sunday from Monday 2026-01-05
 * (day 0). A quiet week: 8, 8, 8, 12 km at 3.0 m/s, 5 m up and down per run,
 * 100 damage units per km, contact balance 50 ± 0.3%, morning stiffness
 * 1 and 2 on alternate days. Planted spikes (first day of each, hand-worked
 * below):
 *   week 5  Sunday run 16.8 km, 40% over the 30-day longest (12 km)
 *           → longest_run_30d on day 41, moderate (band 30-100%)
 *   week 8  12, 12, 12, 18 km = 54 km, +50% → weekly_progression on day 60,
 *           the first day the rolling 7 days exceed 130% (48 / 36 km)
 *   week 10 same distances at 4.5 m/s with 60 m up and down per run
 *           → stacked_increases (speed + hills) on day 70, its first run
 *   week 12 stiffness 1..7 rising → symptoms on day 87 (4 ≥ 12/7 + 2);
 *           pain 7/10 on day 89 (high), pain 4/10 next day on day 90
 *   week 14 contact balance 54% on day 100 → asymmetry (shift 4 > 2.5)
 * Quiet weeks (0-4, 6, 7, 9, 11, 13) must stay without any flag.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tendo_check.h"
#include "tendo_training.h"

#define WEEKS 15
static tendo_tr_session S[WEEKS * 4];
static size_t NS;
static tendo_tr_diary DY[WEEKS * 7];
static size_t ND;
static int BASE; /* day number of Monday 2026-01-05: plan days count from it */

static void add_run(int day, double km, double speed, double hills_m, double balance)
{
    tendo_tr_session *s = &S[NS];
    memset(s, 0, sizeof *s);
    s->day = BASE + day;
    snprintf(s->id, sizeof s->id, "run-%03d", day);
    s->distance_m = s->run_distance_m = km * 1000;
    s->run_s = s->duration_s = km * 1000 / speed;
    s->high_speed_m = speed >= 4.0 ? km * 1000 : 0;
    s->ascent_m = s->descent_m = hills_m;
    s->achilles_damage = km * (speed >= 4.0 ? 200 : 100);
    s->achilles_load = km * 800;
    s->cadence_spm = 170;
    s->gct_ms = 250;
    s->gct_balance_left_pct = balance;
    s->load_left_pct = 50;
    NS++;
}

static int week_kind(int w)
{
    return w == 5 || w == 8 || w == 10 || w == 12 || w == 14;
}

static void build(void)
{
    for (int w = 0; w < WEEKS; w++) {
        static const int off[4] = {0, 2, 4, 6};
        for (int k = 0; k < 4; k++) {
            int day = 7 * w + off[k];
            double km = k == 3 ? 12 : 8, speed = 3.0, hills = 5;
            double bal = 50 + (k % 2 ? 0.3 : -0.3);
            if (w == 5 && k == 3)
                km = 16.8;
            if (w == 8)
                km = k == 3 ? 18 : 12;
            if (w == 10)
                speed = 4.5, hills = 60;
            if (w == 14 && k == 1)
                bal = 54;
            add_run(day, km, speed, hills, bal);
        }
        for (int k = 0; k < 7; k++) {
            int day = 7 * w + k;
            tendo_tr_diary *d = &DY[ND++];
            d->day = BASE + day;
            d->pain = d->pain_24h = -1;
            d->stiffness = w == 12 ? k + 1 : (day % 2 ? 2 : 1);
            if (day == 89)
                d->pain = 7;
            if (day == 90)
                d->pain_24h = 4;
        }
    }
}

static const tendo_tr_flag *find(const tendo_tr_result *r, const char *rule, int day)
{
    for (size_t i = 0; i < r->nflags; i++)
        if (!strcmp(r->flags[i].rule, rule) && r->flags[i].day == BASE + day)
            return &r->flags[i];
    return NULL;
}

int main(int argc, char **argv)
{
    int verbose = argc > 1;
    tendo_tr_date_parse("2026-01-05", &BASE, NULL);
    build();
    tendo_tr_config c;
    tendo_tr_config_default(&c);
    tendo_tr_result *r;
    tendo_error e = {0};
    CHECK(tendo_tr_compute(&c, "sim", S, NS, DY, ND, 1, 0, &r, &e) == TENDO_OK, "%s", e.msg);
    if (!r)
        return tendo_check_report("training_rules");
    if (verbose) {
        for (size_t i = 0; i < r->ndays; i++)
            printf("day %3zu wk %2zu dist %5.1f 7d %5.1f wow %6.1f acwr %.2f ewma %.2f\n", i, i / 7,
                   r->days[i].distance_m / 1000, r->days[i].distance_7d / 1000,
                   r->days[i].distance_wow_pct, r->days[i].acwr_rolling, r->days[i].acwr_ewma);
        for (size_t i = 0; i < r->nflags; i++)
            printf("flag day %d %s %s %.3f: %s\n", r->flags[i].day - BASE, r->flags[i].rule,
                   tendo_tr_severity_name(r->flags[i].severity), r->flags[i].value,
                   r->flags[i].message);
    }
    CHECK(r->first_day == BASE && r->last_day == BASE + 7 * WEEKS - 1 && r->ndays == 7 * WEEKS);
    char date[11];
    tendo_tr_date_format(r->first_day, date);
    CHECK(!strcmp(date, "2026-01-05"));
    CHECK(r->enough_history);

    const tendo_tr_flag *f = find(r, "longest_run_30d", 41);
    CHECK(f && f->severity == TENDO_TR_MODERATE && fabs(f->value - 1.4) < 1e-9 &&
          !strcmp(f->session, "run-041"));
    f = find(r, "weekly_progression", 60);
    CHECK(f && f->severity == TENDO_TR_MODERATE && fabs(f->value - 48.0 / 36) < 1e-9, "%g",
          f ? f->value : 0);
    f = find(r, "stacked_increases", 70);
    CHECK(f && f->severity == TENDO_TR_MODERATE && f->value == 2, "%s", f ? f->message : "none");
    CHECK(f && strstr(f->message, "high-speed") && strstr(f->message, "hills"), "%s",
          f ? f->message : "");
    f = find(r, "symptoms", 87);
    CHECK(f && f->severity == TENDO_TR_MODERATE && f->value == 4 && strstr(f->message, "stiffness"));
    f = find(r, "symptoms", 89);
    CHECK(f && f->severity == TENDO_TR_HIGH && f->value == 7 && strstr(f->message, "7/10"));
    f = find(r, "symptoms", 90);
    CHECK(f && f->severity == TENDO_TR_MODERATE && strstr(f->message, "not settled"));
    f = find(r, "asymmetry", 100);
    CHECK(f && !strcmp(f->session, "run-100") && fabs(f->value - 4.0) < 1e-9 &&
          f->severity == TENDO_TR_LOW);
    /* no flag in a quiet week, none before the history allows load rules */
    for (size_t i = 0; i < r->nflags; i++) {
        int w = (r->flags[i].day - BASE) / 7;
        CHECK(week_kind(w), "flag %s on day %d in quiet week %d: %s", r->flags[i].rule,
              r->flags[i].day, w, r->flags[i].message);
        CHECK(r->flags[i].severity != TENDO_TR_HIGH || strcmp(r->flags[i].rule, "acwr"),
              "acwr alone may not be high");
        CHECK(r->flags[i].message[0] && strlen(r->flags[i].id) == 13);
    }
    /* the first planted day of each rule is its first flag */
    const char *rules[] = {"longest_run_30d", "weekly_progression", "stacked_increases",
                           "symptoms", "asymmetry"};
    const int first[] = {41, 60, 70, 87, 100};
    for (int k = 0; k < 5; k++)
        for (size_t i = 0; i < r->nflags; i++)
            if (!strcmp(r->flags[i].rule, rules[k]))
                CHECK(r->flags[i].day - BASE >= first[k], "%s on day %d before %d", rules[k],
                      r->flags[i].day - BASE, first[k]);
    /* ids are stable: a second computation gives the same flags */
    tendo_tr_result *r2;
    CHECK(tendo_tr_compute(&c, "sim", S, NS, DY, ND, 1, 0, &r2, &e) == TENDO_OK);
    CHECK(r2->nflags == r->nflags);
    for (size_t i = 0; i < r->nflags && i < r2->nflags; i++)
        CHECK(!strcmp(r->flags[i].id, r2->flags[i].id));
    tendo_tr_result_free(r2);
    tendo_tr_result_free(r);

    /* thresholds come from the config: a stricter weekly ratio finds week 8
     * earlier (day 58: 44 / 36 = 1.22 > 1.2) */
    CHECK(tendo_tr_config_set(&c, "weekly_ratio", 1.2, &e) == TENDO_OK);
    CHECK(tendo_tr_compute(&c, "sim", S, NS, DY, ND, 1, 0, &r, &e) == TENDO_OK);
    CHECK(find(r, "weekly_progression", 58) != NULL);
    tendo_tr_result_free(r);
    tendo_tr_config_default(&c);

    /* band 3: more than twice the longest run is high */
    NS = 0;
    add_run(0, 10, 3, 0, 50);
    add_run(30, 10, 3, 0, 50);
    add_run(33, 21, 3, 0, 50);
    CHECK(tendo_tr_compute(&c, "b", S, NS, NULL, 0, 1, 0, &r, &e) == TENDO_OK);
    f = find(r, "longest_run_30d", 33);
    CHECK(f && f->severity == TENDO_TR_HIGH && strstr(f->message, "2.28"));
    /* acwr fires (21 km three days after 10) beside the longest-run flag:
     * moderate, never high */
    f = find(r, "acwr", 33);
    CHECK(f && f->severity == TENDO_TR_MODERATE && f->value > 1.5, "%s", f ? f->message : "none");
    tendo_tr_result_free(r);
    /* acwr alone (other load rules switched off by their thresholds) is low */
    CHECK(tendo_tr_config_set(&c, "longest_ratio", 5, &e) == TENDO_OK);
    CHECK(tendo_tr_config_set(&c, "longest_band2_ratio", 5, &e) == TENDO_OK);
    CHECK(tendo_tr_config_set(&c, "longest_band3_ratio", 10, &e) == TENDO_OK);
    CHECK(tendo_tr_config_set(&c, "weekly_ratio", 5, &e) == TENDO_OK);
    CHECK(tendo_tr_compute(&c, "b", S, NS, NULL, 0, 1, 0, &r, &e) == TENDO_OK);
    CHECK(r->nflags == 1 && !strcmp(r->flags[0].rule, "acwr") &&
          r->flags[0].severity == TENDO_TR_LOW && strstr(r->flags[0].message, "disputed"));
    tendo_tr_result_free(r);
    tendo_tr_config_default(&c);
    /* under 28 days: no load flag however big the jump, and it is said */
    NS = 0;
    add_run(0, 5, 3, 0, 50);
    add_run(10, 20, 3, 0, 50);
    CHECK(tendo_tr_compute(&c, "b", S, NS, NULL, 0, 1, 0, &r, &e) == TENDO_OK);
    CHECK(r->nflags == 0 && !r->enough_history && strstr(r->history_note, "28"));
    CHECK(r->nruns == 2 && fabs(r->runs[1].ratio - 4) < 1e-12); /* the numbers are still there */
    tendo_tr_result_free(r);
    return tendo_check_report("training_rules");
}
