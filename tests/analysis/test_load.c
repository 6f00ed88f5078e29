/*
 * test_load.c — the per-step Achilles force proxy (analysis/load.c): the
 * sine-wave vertical force model of Morin et al. 2005 carries the body
 * weight over the step, the cadence term compares each step with the
 * runner's own gait at the same speed (so the speed term, Reiter et al.
 * 2024, is not counted twice), a step at +5% / −5% step rate at that speed
 * moves by the model's amount, and steps the model does not cover keep the
 * speed and footstrike terms alone.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "an_load.h"
#include "tendo_check.h"

#define NSTEP 600

/* A level running step at speed v with contact tc and step time T (s). */
static tendo_an_step run_step(double v, double tc, double T, tendo_an_strike strike)
{
    tendo_an_step p;
    memset(&p, 0, sizeof p);
    p.kind = TENDO_AN_RUN;
    p.speed_mps = v;
    p.gct_ms = 1000 * tc;
    p.flight_ms = 1000 * (T - tc);
    p.cadence_spm = 60 / T;
    p.stride_len_m = 2 * v * T;
    p.dz_m = 0;
    p.footstrike = strike;
    p.achilles_force_bw = an_achilles_force_bw(TENDO_AN_RUN, v, strike);
    return p;
}

/* The preferred gait of one runner at three speeds (contact times and step
 * rates typical of recreational runners, e.g. de Ruiter et al. 2019: 165
 * steps/min at 3.0 m/s), 200 steps each, each step's timing varying by
 * ±1% around them so the pooled reference is a real mean. */
static const double SPEED[3] = {2.68, 3.35, 4.47};
static const double TC[3] = {0.270, 0.240, 0.200};
static const double SPM[3] = {160, 166, 176};

static void preferred(tendo_an_step *st)
{
    for (int i = 0; i < NSTEP; i++) {
        int s = i / 200;
        double wobble = 1 + 0.01 * ((i % 3) - 1); /* 0.99, 1, 1.01 */
        st[i] = run_step(SPEED[s], TC[s] * wobble, 60 / SPM[s], TENDO_AN_REAR);
    }
}

/* Morin's sine pulse over the contact has the impulse of one body weight
 * over contact + flight (the model's defining balance), by Simpson's rule. */
static void test_sine_impulse(void)
{
    const double tcs[] = {0.16, 0.21, 0.28}, tfs[] = {0.0, 0.09, 0.15};
    for (int a = 0; a < 3; a++)
        for (int b = 0; b < 3; b++) {
            double tc = tcs[a], tf = tfs[b], f = an_vgrf_peak_bw(tc, tf);
            int m = 2000;
            double h = tc / m, s = 0;
            for (int k = 0; k <= m; k++) {
                double w = k == 0 || k == m ? 1 : (k % 2 ? 4 : 2);
                s += w * f * sin(M_PI * k * h / tc);
            }
            s *= h / 3;
            CHECK(fabs(s - (tc + tf)) < 1e-6, "impulse %.6f BW·s for tc %.2f tf %.2f", s, tc,
                  tf);
        }
    CHECK(isnan(an_vgrf_peak_bw(0.2, -0.01)), "negative flight has no sine model");
    CHECK(isnan(an_vgrf_peak_bw(0, 0.1)), "no contact, no force");
}

/* At the preferred gait the cadence term leaves Reiter's line as it is: the
 * speed effect is not counted twice. */
static void test_preferred_unchanged(void)
{
    static tendo_an_step st[NSTEP];
    preferred(st);
    an_achilles_cadence_adjust(st, NSTEP);
    for (int s = 0; s < 3; s++) {
        double mean = 0;
        for (int i = 200 * s; i < 200 * (s + 1); i++)
            mean += st[i].achilles_force_bw / 200;
        double want = an_achilles_force_bw(TENDO_AN_RUN, SPEED[s], TENDO_AN_REAR);
        CHECK(fabs(mean / want - 1) < 0.002, "%.2f m/s: mean %.3f BW, Reiter %.3f BW", SPEED[s],
              mean, want);
    }
    /* Reiter's published figures themselves: 8.2 BW at 2.68, 10.1 at 4.47 */
    CHECK(fabs(an_achilles_force_bw(TENDO_AN_RUN, 2.68, TENDO_AN_REAR) - 8.2) < 0.01, "2.68 m/s");
    CHECK(fabs(an_achilles_force_bw(TENDO_AN_RUN, 4.47, TENDO_AN_REAR) - 10.1) < 0.02, "4.47 m/s");
}

/* One step at +5% (and one at −5%) step rate at 3.35 m/s with the contact
 * time unchanged: the step is 1/1.05 as long, so the sine model's peak, and
 * the force with it, is 1/1.05 = −4.8% (and 1/0.95 = +5.3%). With the
 * contact time also shorter the change is smaller: tc × 0.98 gives −2.8%. */
static void test_step_rate(void)
{
    static tendo_an_step st[NSTEP];
    preferred(st);
    double T = 60 / SPM[1];
    st[300] = run_step(SPEED[1], TC[1], T / 1.05, TENDO_AN_REAR);
    st[301] = run_step(SPEED[1], TC[1], T / 0.95, TENDO_AN_REAR);
    st[302] = run_step(SPEED[1], TC[1] * 0.98, T / 1.05, TENDO_AN_REAR);
    st[303] = run_step(SPEED[1], TC[1], T / 1.05, TENDO_AN_FORE);
    st[304] = run_step(SPEED[1], TC[1], T, TENDO_AN_REAR); /* wobble-free preferred */
    an_achilles_cadence_adjust(st, NSTEP);
    double ref = st[304].achilles_force_bw;
    double up = st[300].achilles_force_bw / ref - 1, down = st[301].achilles_force_bw / ref - 1;
    double both = st[302].achilles_force_bw / ref - 1;
    printf("+5%% step rate: %+.2f%%, -5%%: %+.2f%%, +5%% with contact -2%%: %+.2f%%\n", 100 * up,
           100 * down, 100 * both);
    CHECK(fabs(up - (1 / 1.05 - 1)) < 1e-9, "+5%%: %+.4f", up);
    CHECK(fabs(down - (1 / 0.95 - 1)) < 1e-9, "-5%%: %+.4f", down);
    CHECK(fabs(both - (1 / (1.05 * 0.98) - 1)) < 1e-9, "+5%% and tc -2%%: %+.4f", both);
    /* the footstrike term stays on top (Almonroeder 2013, ×1.11) */
    CHECK(fabs(st[303].achilles_force_bw / st[300].achilles_force_bw - 1.11) < 1e-9, "fore");
    /* and the preferred step sits on Reiter's line within the ±1% wobble */
    CHECK(fabs(ref / an_achilles_force_bw(TENDO_AN_RUN, SPEED[1], TENDO_AN_REAR) - 1) < 0.01,
          "preferred %.3f BW", ref);
}

/* Steps the model does not cover keep the speed and footstrike terms. */
static void test_not_covered(void)
{
    static tendo_an_step st[NSTEP];
    preferred(st);
    double T = 60 / SPM[1];
    st[300] = run_step(SPEED[1], TC[1], T / 1.1, TENDO_AN_REAR);
    st[300].dz_m = 0.04 * st[300].stride_len_m; /* 4% uphill */
    st[301] = run_step(SPEED[1], TC[1], TC[1] * 0.95, TENDO_AN_REAR); /* no flight */
    st[302] = run_step(SPEED[1], TC[1], T / 1.1, TENDO_AN_REAR);
    st[302].dz_m = NAN; /* no height (shank) */
    st[303].kind = TENDO_AN_WALK;
    st[303].achilles_force_bw = an_achilles_force_bw(TENDO_AN_WALK, 1.3, TENDO_AN_REAR);
    an_achilles_cadence_adjust(st, NSTEP);
    double reiter = an_achilles_force_bw(TENDO_AN_RUN, SPEED[1], TENDO_AN_REAR);
    for (int i = 300; i < 303; i++)
        CHECK(st[i].achilles_force_bw == reiter, "step %d: %.4f BW", i, st[i].achilles_force_bw);
    CHECK(fabs(st[303].achilles_force_bw - 44.0 / 9.80665) < 1e-9, "walking");

    /* fewer than 20 level running steps near a speed: nothing to compare */
    tendo_an_step few[19];
    for (int i = 0; i < 19; i++)
        few[i] = run_step(3.0, 0.24, i ? 0.36 : 0.36 / 1.05, TENDO_AN_REAR);
    an_achilles_cadence_adjust(few, 19);
    CHECK(few[0].achilles_force_bw == an_achilles_force_bw(TENDO_AN_RUN, 3.0, TENDO_AN_REAR),
          "19 steps adjusted");
    an_achilles_cadence_adjust(NULL, 0);
}

int main(void)
{
    test_sine_impulse();
    test_preferred_unchanged();
    test_step_rate();
    test_not_covered();
    return tendo_check_report("analysis_load");
}
