/*
 * test_load.c — the per-step Achilles force proxy (analysis/load.c): the
 * sine-wave vertical force model of Morin et al. 2005 carries the body
 * weight over the step; the cadence term's reference is a step at the
 * population's preferred step rate for the speed (van Oeveren / de Ruiter
 * et al. 2020: 165 steps/min at 3.04 m/s, 168 at +15%) with the session's
 * own contact time, so a session at that rate keeps Reiter's line (the speed
 * term is not counted twice), a whole session at +5% step rate is credited
 * 1/1.05, a step at +5% / −5% within a session moves by the model's amount,
 * and steps the model does not cover keep the speed and footstrike terms.
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

/* One runner at three speeds, 200 steps each, at rate_x times the
 * population's preferred step rate for the speed (contact times typical of
 * recreational runners); with wobble, each step's contact time varies by
 * ±1% so the pooled contact time is a real mean. */
static const double SPEED[3] = {2.68, 3.35, 4.47};
static const double TC[3] = {0.270, 0.240, 0.200};

static void session_at(tendo_an_step *st, double rate_x, double tc_x, int wobble)
{
    for (int i = 0; i < NSTEP; i++) {
        int s = i / 200;
        double w = wobble ? 1 + 0.01 * ((i % 3) - 1) : 1; /* 0.99, 1, 1.01 */
        double T = 60 / (an_pref_step_rate_spm(SPEED[s]) * rate_x);
        st[i] = run_step(SPEED[s], TC[s] * tc_x * w, T, TENDO_AN_REAR);
    }
}

static void preferred(tendo_an_step *st)
{
    session_at(st, 1, 1, 1);
}

/* The step's cadence factor: its force over the speed and footstrike terms. */
static double factor(const tendo_an_step *p)
{
    return p->achilles_force_bw / an_achilles_force_bw(TENDO_AN_RUN, p->speed_mps, p->footstrike);
}

/* The published preferred step rates: 165 steps/min at 3.04 m/s and 3
 * more at 15% higher speed; slowly rising beyond (extrapolated). */
static void test_pref_rate(void)
{
    CHECK(fabs(an_pref_step_rate_spm(3.04) - 165) < 1e-9, "%.4f at 3.04 m/s",
          an_pref_step_rate_spm(3.04));
    CHECK(fabs(an_pref_step_rate_spm(3.04 * 1.15) - 168) < 1e-9, "%.4f at 3.50 m/s",
          an_pref_step_rate_spm(3.04 * 1.15));
    double lo = an_pref_step_rate_spm(2.68), hi = an_pref_step_rate_spm(4.47);
    printf("preferred step rate: %.1f steps/min at 2.68 m/s, %.1f at 4.47 m/s\n", lo, hi);
    CHECK(lo > 160 && lo < 165 && hi > 168 && hi < 176, "extrapolated %.1f, %.1f", lo, hi);
    CHECK(isnan(an_pref_step_rate_spm(0)) && isnan(an_pref_step_rate_spm(NAN)), "no speed");
}

/* A whole session at +5% over the population's step rate, same speeds and
 * contact times: every step is credited 1/1.05 = −4.76%, which a reference
 * from the session's own steps cancelled. With contact 2% shorter as well
 * the session's own contact time cancels too: still 1/1.05 (Morin's model
 * would say 1/(1.05 · 0.98) = −2.8%; the bias MODELS.md names). */
static void test_whole_session(void)
{
    static tendo_an_step st[NSTEP];
    session_at(st, 1.05, 1, 0);
    an_achilles_cadence_adjust(st, NSTEP);
    double worst = 0;
    for (int i = 0; i < NSTEP; i++)
        worst = fmax(worst, fabs(factor(&st[i]) - 1 / 1.05));
    printf("whole session at +5%% step rate: factor %.4f (%+.2f%%), worst step off by %.1e\n",
           factor(&st[0]), 100 * (factor(&st[0]) - 1), worst);
    CHECK(worst < 1e-9, "+5%% session: a step off 1/1.05 by %.2e", worst);

    session_at(st, 1.05, 1, 1); /* with the ±1% contact wobble: on average */
    an_achilles_cadence_adjust(st, NSTEP);
    double mean = 0;
    for (int i = 0; i < NSTEP; i++)
        mean += factor(&st[i]) / NSTEP;
    CHECK(fabs(mean * 1.05 - 1) < 0.01, "+5%% session, wobble: mean factor %.4f", mean);

    session_at(st, 1.05, 0.98, 0);
    an_achilles_cadence_adjust(st, NSTEP);
    CHECK(fabs(factor(&st[250]) - 1 / 1.05) < 1e-9, "+5%%, contact -2%%: %.4f",
          factor(&st[250]));
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
        printf("%.2f m/s at the preferred rate: mean factor %.5f\n", SPEED[s], mean / want);
        CHECK(fabs(mean / want - 1) < 0.01, "%.2f m/s: mean %.3f BW, Reiter %.3f BW", SPEED[s],
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
    double T = 60 / an_pref_step_rate_spm(SPEED[1]);
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
    double T = 60 / an_pref_step_rate_spm(SPEED[1]);
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
    test_pref_rate();
    test_preferred_unchanged();
    test_whole_session();
    test_step_rate();
    test_not_covered();
    return tendo_check_report("analysis_load");
}
