/*
 * test_training_math.c — the training-load arithmetic against values
 * computed by hand (the working is in the comments): dates, daily sums on
 * the calendar, rolling 7/28-day sums and ratio, EWMA with λ = 2/(N+1),
 * week-over-week change, each run against the 30-day longest, the config
 * table, and bad input.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tendo_check.h"
#include "tendo_training.h"

#define NEAR(a, b, tol) (fabs((a) - (b)) <= (tol))

static tendo_tr_session run(int day, const char *id, double km, double damage)
{
    tendo_tr_session s;
    memset(&s, 0, sizeof s);
    s.day = day;
    snprintf(s.id, sizeof s.id, "%s", id);
    s.distance_m = km * 1000;
    s.run_distance_m = km * 1000;
    s.duration_s = km * 300;
    s.run_s = km * 300;
    s.achilles_damage = damage;
    s.achilles_load = 10 * damage;
    s.cadence_spm = s.gct_ms = s.gct_balance_left_pct = s.load_left_pct = NAN;
    return s;
}

static void test_dates(void)
{
    tendo_error e = {0};
    int d;
    /* 2026-01-01: 56 years after 1970 with 14 leap days (1972..2024) */
    CHECK(tendo_tr_date_parse("2026-01-01", &d, &e) == TENDO_OK && d == 56 * 365 + 14, "%d", d);
    CHECK(tendo_tr_date_parse("1970-01-01", &d, &e) == TENDO_OK && d == 0);
    CHECK(tendo_tr_date_parse("2024-03-01", &d, &e) == TENDO_OK);
    int feb29;
    CHECK(tendo_tr_date_parse("2024-02-29", &feb29, &e) == TENDO_OK && feb29 == d - 1);
    CHECK(tendo_tr_date_parse("2023-02-29", &d, &e) == TENDO_EUSAGE);
    CHECK(strstr(e.msg, "YYYY-MM-DD"), "%s", e.msg);
    const char *bad[] = {"2026-1-01", "2026-01-1 ", "2026/01/01", "20260101", "2026-00-10",
                         "2026-01-32", "", "2026-01-01T00:00Z", "2026- 1-01", "2026-+1-01"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        tendo_error_clear(&e);
        CHECK(tendo_tr_date_parse(bad[i], &d, &e) == TENDO_EUSAGE, "'%s' accepted", bad[i]);
    }
    /* every day from 1999 to 2031 formats back to itself */
    int a, b, ok = 1;
    tendo_tr_date_parse("1999-01-01", &a, &e);
    tendo_tr_date_parse("2031-12-31", &b, &e);
    CHECK(b - a + 1 == 33 * 365 + 8); /* leap years 2000..2028 */
    for (int x = a; x <= b; x++) {
        char s[11];
        int y;
        tendo_tr_date_format(x, s);
        if (tendo_tr_date_parse(s, &y, NULL) != TENDO_OK || y != x)
            ok = 0;
    }
    CHECK(ok);
}

static void test_config(void)
{
    tendo_tr_config c;
    tendo_error e = {0};
    tendo_tr_config_default(&c);
    CHECK(c.longest_ratio == 1.10 && c.weekly_ratio == 1.30 && c.acwr_ratio == 1.5);
    CHECK(c.acute_days == 7 && c.chronic_days == 28 && c.min_history_days == 28);
    size_t n;
    const tendo_tr_param *p = tendo_tr_params(&n);
    for (size_t i = 0; i < n; i++) {
        CHECK(p[i].source && strlen(p[i].source) > 10, "%s has no source", p[i].name);
        CHECK(tendo_tr_config_get(&c, p[i].name) == p[i].def, "%s", p[i].name);
    }
    CHECK(tendo_tr_config_set(&c, "weekly_ratio", 1.25, &e) == TENDO_OK && c.weekly_ratio == 1.25);
    CHECK(tendo_tr_config_set(&c, "acute_days", 10, &e) == TENDO_OK && c.acute_days == 10);
    CHECK(tendo_tr_config_set(&c, "acute_days", 7.5, &e) == TENDO_EUSAGE);
    tendo_error_clear(&e);
    CHECK(tendo_tr_config_set(&c, "weekly_ratio", 0.5, &e) == TENDO_EUSAGE);
    CHECK(strstr(e.msg, "weekly_ratio") && strstr(e.msg, "out of range"), "%s", e.msg);
    tendo_error_clear(&e);
    CHECK(tendo_tr_config_set(&c, "weekly_ration", 1.3, &e) == TENDO_EUSAGE);
    CHECK(strstr(e.msg, "not a training-load parameter"), "%s", e.msg);
    CHECK(isnan(tendo_tr_config_get(&c, "nope")));
    /* inconsistent bands are refused at compute time */
    tendo_tr_config_default(&c);
    c.longest_band2_ratio = 1.05;
    tendo_tr_result *r;
    tendo_error_clear(&e);
    CHECK(tendo_tr_compute(&c, "a", NULL, 0, NULL, 0, 1, 0, &r, &e) == TENDO_EUSAGE);
}

/* damage 100 on day 0, rest day 1, 200 on day 2 */
static void test_ewma_rolling(void)
{
    tendo_tr_config c;
    tendo_tr_config_default(&c);
    tendo_tr_session s[] = {run(1000, "a", 5, 100), run(1002, "b", 8, 200)};
    tendo_tr_result *r;
    tendo_error e = {0};
    CHECK(tendo_tr_compute(&c, "x", s, 2, NULL, 0, 1, 0, &r, &e) == TENDO_OK, "%s", e.msg);
    if (!r)
        return;
    CHECK(r->ndays == 3 && r->first_day == 1000 && r->last_day == 1002);
    const tendo_tr_day *d = r->days;
    CHECK(d[1].sessions == 0 && d[1].distance_m == 0 && d[1].damage == 0); /* rest day is zero */
    CHECK(d[0].distance_m == 5000 && d[2].distance_m == 8000 && d[2].duration_s == 2400);
    /* acute λ = 2/8 = 0.25: 25, 18.75, 0.25·200 + 0.75·18.75 = 64.0625 */
    CHECK(NEAR(d[0].damage_acute_ewma, 25, 1e-9));
    CHECK(NEAR(d[1].damage_acute_ewma, 18.75, 1e-9));
    CHECK(NEAR(d[2].damage_acute_ewma, 64.0625, 1e-9));
    /* chronic λ = 2/29: 200/29 = 6.896552; ·27/29 = 6.420927; 400/29 + 6.420927·27/29 = 19.771208 */
    CHECK(NEAR(d[0].damage_chronic_ewma, 6.896552, 1e-6));
    CHECK(NEAR(d[1].damage_chronic_ewma, 6.420927, 1e-6));
    CHECK(NEAR(d[2].damage_chronic_ewma, 19.771208, 1e-6), "%.7f", d[2].damage_chronic_ewma);
    CHECK(NEAR(d[2].acwr_ewma, 64.0625 / 19.771208, 1e-6));
    /* the same for the load (10 × damage) */
    CHECK(NEAR(d[2].load_acute_ewma, 640.625, 1e-8));
    /* rolling: (300/7) / (300/28) = 4 exactly while all data lie in 7 days */
    CHECK(NEAR(d[2].acwr_rolling, 4.0, 1e-12));
    CHECK(d[2].damage_7d == 300 && d[2].damage_28d == 300 && d[2].distance_7d == 13000);
    CHECK(d[2].load_7d == 3000);
    CHECK(isnan(d[2].distance_wow_pct)); /* no previous week */
    /* too little history is said */
    CHECK(!r->enough_history && r->history_days == 2);
    CHECK(strstr(r->history_note, "too little history"), "%s", r->history_note);
    CHECK(r->nflags == 0);
    CHECK(d[0].pain == -1 && d[0].history_days == 0 && !d[0].history_ok);
    tendo_tr_result_free(r);
}

static void test_weeks_and_longest(void)
{
    tendo_tr_config c;
    tendo_tr_config_default(&c);
    /* week 1 (days 0-6): 4 + 6 = 10 km; week 2 (days 7-13): 6 + 7.5 = 13.5 km;
     * day 31: 11.5 km, its 30 days before (1..30) hold 6, 6, 7.5 → ratio 11.5/7.5;
     * day 40: 10 km, days 10..39 hold 7.5, 11.5 → 10/11.5 */
    tendo_tr_session s[] = {run(0, "w1a", 4, 10),    run(3, "w1b", 6, 10),
                            run(8, "w2a", 6, 10),    run(13, "w2b", 7.5, 10),
                            run(31, "long", 11.5, 10), run(40, "after", 10, 10)};
    tendo_tr_diary dy[] = {{5, 3, -1, 2}, {13, -1, 1, -1}};
    tendo_tr_result *r;
    tendo_error e = {0};
    CHECK(tendo_tr_compute(&c, "x", s, 6, dy, 2, 1, 0, &r, &e) == TENDO_OK, "%s", e.msg);
    if (!r)
        return;
    CHECK(r->ndays == 41);
    CHECK(r->days[6].distance_7d == 10000 && r->days[13].distance_7d == 13500);
    CHECK(NEAR(r->days[13].distance_wow_pct, 35.0, 1e-9), "%g", r->days[13].distance_wow_pct);
    /* day 13's 28-day sum: everything so far = 23.5 km */
    CHECK(r->days[13].distance_28d == 23500);
    /* day 31: 28 days 4..31 hold days 8, 13, 31: 6 + 7.5 + 11.5 = 25 km */
    CHECK(r->days[31].distance_28d == 25000, "%g", r->days[31].distance_28d);
    CHECK(r->days[31].longest_30d_m == 7500 && r->days[40].longest_30d_m == 11500);
    CHECK(r->nruns == 6);
    CHECK(!strcmp(r->runs[4].id, "long") && r->runs[4].longest_before_m == 7500 &&
          NEAR(r->runs[4].ratio, 11.5 / 7.5, 1e-12));
    CHECK(NEAR(r->runs[5].ratio, 10 / 11.5, 1e-12));
    CHECK(isnan(r->runs[0].ratio) && r->runs[0].longest_before_m == 0);
    CHECK(r->days[5].pain == 3 && r->days[5].pain_24h == -1 && r->days[5].stiffness == 2);
    CHECK(r->days[13].pain_24h == 1);
    CHECK(r->enough_history && r->history_days == 40 && r->history_note[0] == '\0');
    /* the 11.5 km run: history 31 >= 28, ratio 1.53 → band 30-100%, moderate */
    size_t nl = 0;
    for (size_t i = 0; i < r->nflags; i++)
        if (!strcmp(r->flags[i].rule, "longest_run_30d")) {
            nl++;
            CHECK(r->flags[i].day == 31 && !strcmp(r->flags[i].session, "long"));
            CHECK(r->flags[i].severity == TENDO_TR_MODERATE);
            CHECK(NEAR(r->flags[i].value, 11.5 / 7.5, 1e-12) && r->flags[i].threshold == 1.10);
            CHECK(strstr(r->flags[i].message, "53% longer") &&
                      strstr(r->flags[i].message, "7.5 km") && strstr(r->flags[i].message, "1.52"),
                  "%s", r->flags[i].message);
        }
    CHECK(nl == 1, "%zu", nl);
    tendo_tr_result_free(r);

    /* a window: same numbers, only days 30..35 and what happened in them */
    CHECK(tendo_tr_compute(&c, "x", s, 6, dy, 2, 30, 35, &r, &e) == TENDO_OK);
    CHECK(r->ndays == 6 && r->days[1].day == 31 && r->days[1].distance_28d == 25000);
    CHECK(r->nruns == 1 && r->nflags >= 1 && r->flags[0].day == 31);
    tendo_tr_result_free(r);
}

static void test_bad_input(void)
{
    tendo_tr_config c;
    tendo_tr_config_default(&c);
    tendo_tr_result *r = (tendo_tr_result *)&c;
    tendo_error e = {0};
    tendo_tr_session s[] = {run(10, "late", 5, 1), run(9, "early", 5, 1)};
    CHECK(tendo_tr_compute(&c, "x", s, 2, NULL, 0, 1, 0, &r, &e) == TENDO_EUSAGE && r == NULL);
    CHECK(strstr(e.msg, "out of date order") && strstr(e.msg, "early"), "%s", e.msg);
    tendo_tr_diary twice[] = {{5, 1, 1, 1}, {5, 2, 2, 2}};
    tendo_error_clear(&e);
    CHECK(tendo_tr_compute(&c, "x", NULL, 0, twice, 2, 1, 0, &r, &e) == TENDO_EUSAGE);
    CHECK(strstr(e.msg, "row 2"), "%s", e.msg);
    tendo_tr_diary high[] = {{5, 11, 1, 1}};
    tendo_error_clear(&e);
    CHECK(tendo_tr_compute(&c, "x", NULL, 0, high, 1, 1, 0, &r, &e) == TENDO_EUSAGE);
    /* nothing at all: an empty day, and the note says why */
    tendo_error_clear(&e);
    CHECK(tendo_tr_compute(&c, "x", NULL, 0, NULL, 0, 1, 0, &r, &e) == TENDO_OK);
    CHECK(r && r->nflags == 0 && r->nruns == 0 && strstr(r->history_note, "no sessions"));
    tendo_tr_result_free(r);
}

static void test_flag_ids(void)
{
    char a[TENDO_TR_FLAG_ID_LEN], b[TENDO_TR_FLAG_ID_LEN], c[TENDO_TR_FLAG_ID_LEN];
    tendo_tr_flag_id("ann", "longest_run_30d", 20000, "s1", a);
    tendo_tr_flag_id("ann", "longest_run_30d", 20000, "s1", b);
    tendo_tr_flag_id("bob", "longest_run_30d", 20000, "s1", c);
    CHECK(!strcmp(a, b) && strcmp(a, c) && strlen(a) == 13 && a[0] == 'f');
    tendo_tr_flag_id("ann", "longest_run_30d", 20001, "s1", b);
    CHECK(strcmp(a, b));
    tendo_tr_flag_id("ann", "weekly_progression", 20000, "s1", b);
    CHECK(strcmp(a, b));
}

int main(void)
{
    test_dates();
    test_config();
    test_ewma_rolling();
    test_weeks_and_longest();
    test_bad_input();
    test_flag_ids();
    return tendo_check_report("training_math");
}
