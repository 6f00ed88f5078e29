/*
 * test_sim_model.c — the run simulator's library, checked against physics
 * and against the literature it cites.
 *
 * Usage: test_sim_model CASE. Each case prints what it measured and exits
 * non-zero on the first failed check.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tendo_session.h"
#include "tendo_sim.h"
#include "tendo_check.h"

#define G0 TENDO_SIM_GRAVITY



/* All samples of one pod, in memory (tests use short profiles). */
typedef struct trace {
    size_t n;
    double *t, *a, *g;
    int64_t *us;
    uint8_t *st;
} trace;

static void trace_free(trace *tr)
{
    free(tr->t);
    free(tr->a);
    free(tr->g);
    free(tr->us);
    free(tr->st);
    memset(tr, 0, sizeof *tr);
}

static int trace_read(tendo_sim *s, size_t pod, size_t block, trace *tr)
{
    size_t n = (size_t)tendo_sim_pod(s, pod)->samples;
    tr->n = n;
    tr->t = malloc(n * sizeof(double));
    tr->a = malloc(3 * n * sizeof(double));
    tr->g = malloc(3 * n * sizeof(double));
    tr->us = malloc(n * sizeof(int64_t));
    tr->st = malloc(n);
    if (!tr->t || !tr->a || !tr->g || !tr->us || !tr->st)
        return -1;
    tendo_sim_rewind(s, pod);
    size_t at = 0, got;
    for (;;) {
        tendo_sim_block b = {tr->us + at, tr->t + at, tr->a + 3 * at, tr->g + 3 * at, tr->st + at};
        size_t want = n - at < block ? n - at : block;
        got = tendo_sim_next(s, pod, want, &b);
        at += got;
        if (got == 0 || at == n)
            break;
    }
    return at == n && tendo_sim_next(s, pod, 1, &(tendo_sim_block){0}) == 0 ? 0 : -1;
}

static tendo_sim *make_sim(const char *json, uint64_t seed, int ideal, double rate)
{
    tendo_sim_profile p;
    tendo_error err;
    tendo_error_clear(&err);
    if (tendo_sim_profile_parse(json, "test-profile", &p, &err)) {
        fprintf(stderr, "profile: %s\n", err.msg);
        return NULL;
    }
    tendo_sim_options o;
    tendo_sim_options_default(&o);
    o.seed = seed;
    o.ideal = ideal;
    o.rate_hz = rate;
    tendo_sim *s = NULL;
    if (tendo_sim_create(&s, &p, &o, &err))
        fprintf(stderr, "create: %s\n", err.msg);
    tendo_sim_profile_free(&p);
    return s;
}

static size_t index_at(const trace *tr, double t)
{
    size_t lo = 0, hi = tr->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (tr->t[mid] < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* ------------------------------------------------------------- strapdown */

static void mat_mul(const double A[9], const double B[9], double C[9])
{
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            C[3 * i + j] = 0;
            for (int k = 0; k < 3; k++)
                C[3 * i + j] += A[3 * i + k] * B[3 * k + j];
        }
}

/* Rodrigues: the rotation exp([w]×). */
static void rot_exp(const double w[3], double R[9])
{
    double th = sqrt(w[0] * w[0] + w[1] * w[1] + w[2] * w[2]);
    double K[9] = {0, -w[2], w[1], w[2], 0, -w[0], -w[1], w[0], 0};
    double a = th > 1e-12 ? sin(th) / th : 1.0;
    double b = th > 1e-12 ? (1 - cos(th)) / (th * th) : 0.5;
    double K2[9];
    mat_mul(K, K, K2);
    for (int i = 0; i < 9; i++)
        R[i] = (i % 4 == 0 ? 1.0 : 0.0) + a * K[i] + b * K2[i];
}

/* Integrates samples i0..i1 from rest at the true pose of t[i0]; returns
 * the displacement and the final velocity. A textbook strapdown: rotation
 * by the mean rate of each interval, trapezoidal velocity and position. */
static void strapdown(tendo_sim *s, size_t pod, const trace *tr, size_t i0, size_t i1, double d[3],
                      double vend[3])
{
    double p0[3], R[9];
    tendo_sim_truth_pose(s, pod, tr->t[i0], p0, NULL, R);
    double v[3] = {0, 0, 0}, p[3] = {0, 0, 0}, aw_prev[3];
    for (int k = 0; k < 3; k++)
        aw_prev[k] = R[3 * k] * tr->a[3 * i0] + R[3 * k + 1] * tr->a[3 * i0 + 1] +
                     R[3 * k + 2] * tr->a[3 * i0 + 2] - (k == 2 ? G0 : 0.0);
    for (size_t i = i0; i < i1; i++) {
        double dt = tr->t[i + 1] - tr->t[i];
        double w[3], E[9], Rn[9];
        for (int k = 0; k < 3; k++)
            w[k] = 0.5 * (tr->g[3 * i + k] + tr->g[3 * (i + 1) + k]) * dt;
        rot_exp(w, E);
        mat_mul(R, E, Rn);
        memcpy(R, Rn, sizeof R);
        double aw[3];
        for (int k = 0; k < 3; k++)
            aw[k] = R[3 * k] * tr->a[3 * (i + 1)] + R[3 * k + 1] * tr->a[3 * (i + 1) + 1] +
                    R[3 * k + 2] * tr->a[3 * (i + 1) + 2] - (k == 2 ? G0 : 0.0);
        for (int k = 0; k < 3; k++) {
            double vn = v[k] + 0.5 * (aw_prev[k] + aw[k]) * dt;
            p[k] += 0.5 * (v[k] + vn) * dt;
            v[k] = vn;
            aw_prev[k] = aw[k];
        }
    }
    memcpy(d, p, sizeof p);
    memcpy(vend, v, sizeof v);
}

/* Integrating the noise-free output over each stride (mid-stance to
 * mid-stance) must give the true stride length and height change. */
static int strapdown_case(const char *json, double rate, const char *label)
{
    tendo_sim *s = make_sim(json, 11, 1, rate);
    CHECK(s, "simulator for %s", label);
    int checked = 0;
    double worst = 0.0, worst_v = 0.0;
    for (size_t pod = 0; pod < 2; pod++) {
        trace tr;
        CHECK(trace_read(s, pod, 5000, &tr) == 0, "reading pod %zu", pod);
        const tendo_sim_step *r;
        size_t n = tendo_sim_steps(s, pod, &r);
        for (size_t k = 0; k + 1 < n; k++) {
            if (strcmp(r[k].kind, "run") || !isfinite(r[k].stride_len_m) ||
                !isfinite(r[k].flat_end_s) || !isfinite(r[k + 1].flat_end_s))
                continue;
            size_t i0 = index_at(&tr, 0.5 * (r[k].flat_start_s + r[k].flat_end_s));
            size_t i1 = index_at(&tr, 0.5 * (r[k + 1].flat_start_s + r[k + 1].flat_end_s));
            CHECK(i1 < tr.n && i0 < i1, "stride %zu inside the recording", k);
            double d[3], v[3];
            strapdown(s, pod, &tr, i0, i1, d, v);
            double len = sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
            double e_len = fabs(len - r[k].stride_len_m) / r[k].stride_len_m;
            double e_dz = fabs(d[2] - r[k].dz_m) / r[k].stride_len_m;
            double vmag = sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
            worst = fmax(worst, fmax(e_len, e_dz));
            worst_v = fmax(worst_v, vmag);
            CHECK(e_len < 0.01, "%s pod %zu stride %zu: length %.4f m vs truth %.4f m", label, pod,
                  k, len, r[k].stride_len_m);
            CHECK(e_dz < 0.01, "%s pod %zu stride %zu: dz %.4f m vs truth %.4f m", label, pod, k,
                  d[2], r[k].dz_m);
            CHECK(vmag < 0.05, "%s pod %zu stride %zu: %.4f m/s left at mid-stance", label, pod, k,
                  vmag);
            checked++;
        }
        trace_free(&tr);
    }
    printf("%s: %d strides integrated at %g Hz, worst error %.3f%% of stride, end speed %.4f m/s\n",
           label, checked, rate, 100.0 * worst, worst_v);
    CHECK(checked >= 20, "%s: only %d strides checked", label, checked);
    tendo_sim_free(s);
    return 0;
}

static int test_strapdown(void)
{
    const char *level = "{\"heading_deg\": 30, \"pods\": {\"accel_range_g\": 400, \"gyro_range_dps\": 8000},"
                        "\"segments\": [{\"kind\": \"rest\", \"duration_s\": 3},"
                        "{\"kind\": \"run\", \"duration_s\": 25, \"speed_mps\": 3.0}]}";
    const char *hill = "{\"pods\": {\"accel_range_g\": 400, \"gyro_range_dps\": 8000},"
                       "\"segments\": [{\"kind\": \"rest\", \"duration_s\": 3, \"grade\": 0.08},"
                       "{\"kind\": \"run\", \"duration_s\": 20, \"speed_mps\": 5.0, \"grade\": 0.08,"
                       " \"footstrike\": \"fore\"}]}";
    const char *down = "{\"pods\": {\"accel_range_g\": 400, \"gyro_range_dps\": 8000},"
                       "\"segments\": [{\"kind\": \"rest\", \"duration_s\": 3, \"grade\": -0.1},"
                       "{\"kind\": \"run\", \"duration_s\": 20, \"speed_mps\": 3.5, \"grade\": -0.1,"
                       " \"footstrike\": \"mid\"}]}";
    if (strapdown_case(level, 1000, "level 3 m/s rearfoot") ||
        strapdown_case(hill, 1000, "uphill 8% 5 m/s forefoot") ||
        strapdown_case(down, 500, "downhill 10% 3.5 m/s midfoot"))
        return 1;
    return 0;
}

/* --------------------------------------------------------- stationarity */

/* In every flat window the noise-free foot is exactly still: zero rate and
 * |f| = g; outside stance the foot moves. */
static int test_stationary(void)
{
    const char *json = "{\"segments\": [{\"kind\": \"rest\", \"duration_s\": 4},"
                       "{\"kind\": \"walk\", \"duration_s\": 15, \"speed_mps\": 1.3},"
                       "{\"kind\": \"rest\", \"duration_s\": 5},"
                       "{\"kind\": \"run\", \"duration_s\": 15, \"speed_mps\": 4.0}]}";
    tendo_sim *s = make_sim(json, 3, 1, 1000);
    CHECK(s, "simulator");
    int windows = 0;
    for (size_t pod = 0; pod < 2; pod++) {
        trace tr;
        CHECK(trace_read(s, pod, 4096, &tr) == 0, "reading");
        const tendo_sim_step *r;
        size_t n = tendo_sim_steps(s, pod, &r);
        for (size_t k = 0; k < n; k++) {
            double end = isfinite(r[k].flat_end_s) ? r[k].flat_end_s : tr.t[tr.n - 1];
            /* a sample averages its own interval (anti-alias filter): its
             * whole interval must lie in the flat window */
            double half = 0.5 / 1000.0;
            size_t i0 = index_at(&tr, r[k].flat_start_s + half), i1 = index_at(&tr, end - half);
            for (size_t i = i0; i < i1; i++) {
                double fm = sqrt(tr.a[3 * i] * tr.a[3 * i] + tr.a[3 * i + 1] * tr.a[3 * i + 1] +
                                 tr.a[3 * i + 2] * tr.a[3 * i + 2]);
                double gm = fabs(tr.g[3 * i]) + fabs(tr.g[3 * i + 1]) + fabs(tr.g[3 * i + 2]);
                CHECK(fabs(fm - G0) < 1e-9 && gm < 1e-12,
                      "pod %zu step %zu t=%.4f: |f|=%.9f, rate %.3g in the flat window", pod, k,
                      tr.t[i], fm, gm);
            }
            /* Mid-swing, between toe-off and the next contact, the foot turns. */
            if (k + 1 < n && isfinite(r[k].to_s) && isfinite(r[k].gct_ms)) {
                size_t im = index_at(&tr, 0.5 * (r[k].to_s + r[k + 1].ic_s));
                double gm = sqrt(tr.g[3 * im] * tr.g[3 * im] + tr.g[3 * im + 1] * tr.g[3 * im + 1] +
                                 tr.g[3 * im + 2] * tr.g[3 * im + 2]);
                CHECK(gm > 0.5, "pod %zu step %zu: foot not turning mid-swing (%.3f rad/s)", pod,
                      k, gm);
            }
            windows++;
        }
        /* The rest between walk and run (19–24 s): the closing step lands
         * and settles before it starts; then not one sample moves (no false
         * steps for the analysis). */
        size_t a = index_at(&tr, 19.0), b = index_at(&tr, 24.0);
        for (size_t i = a; i < b; i++)
            CHECK(fabs(tr.g[3 * i]) + fabs(tr.g[3 * i + 1]) + fabs(tr.g[3 * i + 2]) == 0.0,
                  "pod %zu moves at t=%.3f during the rest", pod, tr.t[i]);
        for (size_t k = 0; k < n; k++)
            CHECK(!(r[k].ic_s >= 19.0 && r[k].ic_s < 24.0) && !(r[k].flat_start_s >= 19.0 && r[k].flat_start_s < 24.0),
                  "pod %zu: a contact at %.3f s (flat from %.3f s) in the rest", pod, r[k].ic_s,
                  r[k].flat_start_s);
        trace_free(&tr);
    }
    printf("stationary: %d flat windows exactly still (samples whose interval lies in them); the whole rest 19–24 s still on both feet\n", windows);
    tendo_sim_free(s);
    return 0;
}

/* ------------------------------------------------------- determinism */

static int test_blocks_and_seed(void)
{
    const char *json = "{\"segments\": [{\"kind\": \"rest\", \"duration_s\": 2},"
                       "{\"kind\": \"run\", \"duration_s\": 8, \"speed_mps\": 3.2}]}";
    tendo_sim *a = make_sim(json, 42, 0, 800), *b = make_sim(json, 42, 0, 800),
              *c = make_sim(json, 43, 0, 800);
    CHECK(a && b && c, "simulators");
    for (size_t pod = 0; pod < 2; pod++) {
        trace x, y, z, w;
        CHECK(trace_read(a, pod, 1, &x) == 0 && trace_read(b, pod, 4096, &y) == 0 &&
                  trace_read(a, pod, 777, &w) == 0 && trace_read(c, pod, 1000, &z) == 0,
              "reading");
        CHECK(x.n == y.n && !memcmp(x.a, y.a, 3 * x.n * sizeof(double)) &&
                  !memcmp(x.g, y.g, 3 * x.n * sizeof(double)) &&
                  !memcmp(x.us, y.us, x.n * sizeof(int64_t)) && !memcmp(x.st, y.st, x.n),
              "pod %zu: block size 1 and 4096 differ", pod);
        CHECK(w.n == x.n && !memcmp(w.a, x.a, 3 * x.n * sizeof(double)),
              "pod %zu: rewinding changes the samples", pod);
        size_t m = x.n < z.n ? x.n : z.n;
        CHECK(memcmp(x.a, z.a, 3 * m * sizeof(double)) != 0, "seeds 42 and 43 give the same data");
        for (size_t i = 1; i < x.n; i++)
            CHECK(x.us[i] > x.us[i - 1], "time not increasing at sample %zu", i);
        trace_free(&x);
        trace_free(&y);
        trace_free(&z);
        trace_free(&w);
    }
    CHECK(!strcmp(tendo_sim_session_id(a), tendo_sim_session_id(b)) &&
              strcmp(tendo_sim_session_id(a), tendo_sim_session_id(c)),
          "session id is not a function of the seed");
    printf("blocks/seed: identical for block sizes 1, 777, 4096; seed 43 differs; id %s\n",
           tendo_sim_session_id(a));
    tendo_sim_free(a);
    tendo_sim_free(b);
    tendo_sim_free(c);
    return 0;
}

/* ---------------------------------------------------------- anti-alias */

/* Each sample is the mean of the signal over its own interval (the sensor's
 * anti-alias filter, SIMULATOR.md). The interval of a 200 Hz sample is
 * exactly that of three 600 Hz samples, so with ideal sensors and no clock
 * errors a 200 Hz sample must equal the mean of those three; a point sample
 * would not (a 5 ms impact changes within 1.7 ms). Heel strikes at 6 m/s,
 * range ±400 g so nothing clips. */
static int test_antialias(void)
{
    const char *json = "{\"pods\": {\"accel_range_g\": 400},"
                       "\"segments\": [{\"kind\": \"rest\", \"duration_s\": 2},"
                       "{\"kind\": \"run\", \"duration_s\": 8, \"speed_mps\": 6.0}]}";
    tendo_sim *lo = make_sim(json, 11, 1, 200), *hi = make_sim(json, 11, 1, 600);
    CHECK(lo && hi, "simulators");
    double worst = 0, peak_lo = 0, peak_hi = 0, peak_true = 0;
    for (size_t pod = 0; pod < 2; pod++) {
        trace a, b;
        CHECK(trace_read(lo, pod, 4096, &a) == 0 && trace_read(hi, pod, 4096, &b) == 0, "reading");
        for (size_t i = 1; i < a.n && 3 * i + 1 < b.n; i++) {
            CHECK(fabs(b.t[3 * i] - a.t[i]) < 1e-9, "clocks differ at sample %zu", i);
            double fa = 0, fb = 0;
            for (int k = 0; k < 3; k++) {
                for (int w = 0; w < 2; w++) {
                    const double *x = w ? a.g : a.a, *y = w ? b.g : b.a;
                    double m = (y[3 * (3 * i - 1) + k] + y[3 * (3 * i) + k] + y[3 * (3 * i + 1) + k]) / 3;
                    double e = fabs(x[3 * i + k] - m) / (w ? 1.0 : G0);
                    worst = e > worst ? e : worst;
                }
                fa += a.a[3 * i + k] * a.a[3 * i + k];
                fb += b.a[3 * (3 * i) + k] * b.a[3 * (3 * i) + k];
            }
            peak_lo = fmax(peak_lo, sqrt(fa) / G0);
            peak_hi = fmax(peak_hi, sqrt(fb) / G0);
        }
        const tendo_sim_step *r;
        size_t n = tendo_sim_steps(lo, pod, &r);
        for (size_t k = 0; k < n; k++)
            peak_true = fmax(peak_true, r[k].impact_g);
        trace_free(&a);
        trace_free(&b);
    }
    printf("antialias: 200 Hz sample vs mean of three 600 Hz samples: worst %.2g (g or rad/s); "
           "peak |f| %.1f g at 200 Hz, %.1f g at 600 Hz, model impact %.1f g\n",
           worst, peak_lo, peak_hi, peak_true);
    CHECK(worst < 2e-3, "a 200 Hz sample is not the mean of its interval (%.3g)", worst);
    CHECK(peak_true > 60 && peak_lo < 0.8 * peak_true && peak_lo < peak_hi,
          "the 200 Hz samples should average the impact down (%.1f, %.1f, %.1f g)", peak_lo,
          peak_hi, peak_true);
    tendo_sim_free(lo);
    tendo_sim_free(hi);
    return 0;
}

/* ------------------------------------------------------------ clipping */

static int count_clips(const char *json, uint8_t bit, double range, int64_t *flagged)
{
    tendo_sim *s = make_sim(json, 5, 0, 1000);
    CHECK(s, "simulator");
    *flagged = 0;
    for (size_t pod = 0; pod < 2; pod++) {
        trace tr;
        CHECK(trace_read(s, pod, 4096, &tr) == 0, "reading");
        const double *v = bit == TENDO_STATUS_ACCEL_CLIPPED ? tr.a : tr.g;
        for (size_t i = 0; i < tr.n; i++) {
            int at_rail = 0;
            for (int k = 0; k < 3; k++) {
                CHECK(fabs(v[3 * i + k]) <= range * (1 + 1e-12), "value beyond the range");
                at_rail |= fabs(v[3 * i + k]) >= range * (1 - 1e-12);
            }
            CHECK(at_rail == !!(tr.st[i] & bit), "sample %zu: at the rail %d, flag %d", i,
                  at_rail, tr.st[i] & bit);
            *flagged += !!(tr.st[i] & bit);
        }
        trace_free(&tr);
    }
    tendo_sim_free(s);
    return 0;
}

static int test_clipping(void)
{
    const char *fast = "{\"segments\": [{\"kind\": \"run\", \"duration_s\": 10, \"speed_mps\": 6.0}]}";
    const char *wide = "{\"pods\": {\"accel_range_g\": 200},"
                       "\"segments\": [{\"kind\": \"run\", \"duration_s\": 10, \"speed_mps\": 6.0}]}";
    const char *gyro = "{\"pods\": {\"gyro_range_dps\": 250},"
                       "\"segments\": [{\"kind\": \"run\", \"duration_s\": 10, \"speed_mps\": 3.0}]}";
    int64_t n32, n200, ng;
    if (count_clips(fast, TENDO_STATUS_ACCEL_CLIPPED, 32 * G0, &n32) ||
        count_clips(wide, TENDO_STATUS_ACCEL_CLIPPED, 200 * G0, &n200) ||
        count_clips(gyro, TENDO_STATUS_GYRO_CLIPPED, 250 * M_PI / 180, &ng))
        return 1;
    printf("clipping: 6 m/s impacts clip %lld samples at ±32 g, %lld at ±200 g; "
           "±250 °/s gyro clips %lld\n",
           (long long)n32, (long long)n200, (long long)ng);
    CHECK(n32 > 20, "6 m/s heel strikes (≈70 g) should clip at ±32 g");
    CHECK(n200 == 0, "nothing should clip at ±200 g");
    CHECK(ng > 100, "running swing (>500 °/s) should clip a ±250 °/s gyro");

    int16_t q[4];
    double si[4] = {32 * G0, -32 * G0, 0.5 * 32 * G0 / 32768.0 * 3, 1e9};
    tendo_sim_to_int16(si, 4, 32 * G0 / 32768.0, q);
    CHECK(q[0] == 32767 && q[1] == -32768 && q[2] == 2 && q[3] == 32767, "int16 saturation %d %d %d %d",
          q[0], q[1], q[2], q[3]);
    return 0;
}

/* ------------------------------------------------- cadence and contact */

static double median(double *v, size_t n)
{
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && v[j - 1] > v[j]; j--) {
            double t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* The truth of a steady run at speed v against the cited regressions, and
 * those regressions against the published group values. */
static int cadence_case(double v, double spm_lo, double spm_hi, double tc_lo, double tc_hi)
{
    char json[256];
    snprintf(json, sizeof json,
             "{\"segments\": [{\"kind\": \"run\", \"duration_s\": 40, \"speed_mps\": %g}]}", v);
    tendo_sim *s = make_sim(json, 9, 0, 1000);
    CHECK(s, "simulator");
    double stride[200], gct[200];
    size_t m = 0;
    for (size_t pod = 0; pod < 2; pod++) {
        const tendo_sim_step *r;
        size_t n = tendo_sim_steps(s, pod, &r);
        for (size_t k = 0; k < n && m < 200; k++)
            if (r[k].ic_s > 5.0 && isfinite(r[k].stride_s) && isfinite(r[k].gct_ms)) {
                stride[m] = r[k].stride_s;
                gct[m++] = r[k].gct_ms / 1000.0;
            }
    }
    CHECK(m > 50, "only %zu steady strides", m);
    double cad = 120.0 / median(stride, m), tc = median(gct, m);
    double cad_model = 60.0 * tendo_sim_step_freq(TENDO_SIM_RUN, v);
    double tc_model = tendo_sim_contact_time(TENDO_SIM_RUN, v, 0.92);
    printf("%.1f m/s: cadence %.1f steps/min (model %.1f), contact %.0f ms (model %.0f)\n", v, cad,
           cad_model, 1000 * tc, 1000 * tc_model);
    /* Dorn et al. 2012 (≈166 steps/min at 3.56 m/s, ≈182 at 5.20) and
     * Hoyt et al. 2000 (t_c = 0.80·L^0.84/v^0.87) bound what we expect. */
    CHECK(cad >= spm_lo && cad <= spm_hi, "cadence %.1f outside %.0f–%.0f", cad, spm_lo, spm_hi);
    CHECK(tc >= tc_lo && tc <= tc_hi, "contact %.3f s outside %.3f–%.3f", tc, tc_lo, tc_hi);
    CHECK(fabs(cad - cad_model) / cad_model < 0.01, "truth cadence off the regression");
    CHECK(fabs(tc - tc_model) / tc_model < 0.02, "truth contact time off the regression");
    double hoyt = 0.80 * pow(0.92, 0.84) / pow(v, 0.87);
    CHECK(fabs(tc_model - hoyt) < 1e-12, "contact model is not Hoyt 2000 at %.1f m/s", v);
    tendo_sim_free(s);
    return 0;
}

static int test_cadence(void)
{
    if (cadence_case(3.0, 155, 166, 0.27, 0.30) || cadence_case(5.0, 175, 186, 0.175, 0.195))
        return 1;
    /* Dorn 2012 group means: stride frequency ≈1.38 Hz at 3.56 m/s, ≈1.52 at 5.20. */
    CHECK(fabs(tendo_sim_step_freq(TENDO_SIM_RUN, 3.56) - 2 * 1.38) < 1e-9, "Dorn point 1");
    CHECK(fabs(tendo_sim_step_freq(TENDO_SIM_RUN, 5.20) - 2 * 1.52) < 1e-9, "Dorn point 2");
    /* Walking: walk ratio 0.0065 → 1.4 m/s gives ≈114 steps/min; stance
     * 64.2 − 3.5·1.4 = 59.3 % of the cycle (Kirtley 1985). */
    double wc = 60 * tendo_sim_step_freq(TENDO_SIM_WALK, 1.4);
    double share = tendo_sim_contact_time(TENDO_SIM_WALK, 1.4, 0.92) * wc / 120.0;
    printf("walk 1.4 m/s: %.1f steps/min, stance %.1f %% of the cycle\n", wc, 100 * share);
    CHECK(wc > 108 && wc < 120, "walking cadence %.1f", wc);
    CHECK(fabs(share - 0.593) < 1e-9, "walking stance share %.4f", share);
    return 0;
}

/* ------------------------------------------------------ noise at rest */

static int test_rest_noise(void)
{
    const char *json = "{\"segments\": [{\"kind\": \"rest\", \"duration_s\": 20}]}";
    tendo_sim *s = make_sim(json, 77, 0, 1000);
    CHECK(s, "simulator");
    for (size_t pod = 0; pod < 2; pod++) {
        const tendo_sim_pod_info *in = tendo_sim_pod(s, pod);
        trace tr;
        CHECK(trace_read(s, pod, 4096, &tr) == 0, "reading");
        double sum = 0, sum2 = 0, gsum[3] = {0, 0, 0};
        for (size_t i = 0; i < tr.n; i++) {
            double m = sqrt(tr.a[3 * i] * tr.a[3 * i] + tr.a[3 * i + 1] * tr.a[3 * i + 1] +
                            tr.a[3 * i + 2] * tr.a[3 * i + 2]);
            sum += m;
            sum2 += m * m;
            for (int k = 0; k < 3; k++)
                gsum[k] += tr.g[3 * i + k];
        }
        double mean = sum / tr.n, sd = sqrt(sum2 / tr.n - mean * mean);
        printf("rest pod %zu: |f| %.4f ± %.4f m/s² (noise sd %.4f), %zu samples, drift %.1f ppm, "
               "offset %.3f s\n",
               pod, mean, sd, in->accel_noise_sd, tr.n, in->drift_ppm, in->start_offset_s);
        /* 9.81 up to the bias (≤ 20 mg per axis) and scale error (≤ 0.5 %). */
        CHECK(fabs(mean - G0) < sqrt(3.0) * 0.020 * G0 + 0.005 * G0, "|f| at rest %.4f", mean);
        CHECK(sd > 0.7 * in->accel_noise_sd && sd < 1.3 * in->accel_noise_sd,
              "noise sd %.4f vs %.4f", sd, in->accel_noise_sd);
        for (int k = 0; k < 3; k++)
            CHECK(fabs(gsum[k] / tr.n - in->gyro_bias[k]) < 5 * in->gyro_noise_sd / sqrt(tr.n),
                  "gyro mean at rest is not the bias on axis %d", k);
        /* The pod clock: spacing = 1/(rate·(1+drift)), rounded to the µs. */
        double span = (double)(tr.us[tr.n - 1] - tr.us[0]) * 1e-6;
        double rate = (tr.n - 1) / span;
        CHECK(fabs(rate / 1000.0 - 1.0 - in->drift_ppm * 1e-6) < 2e-7, "measured rate %.6f", rate);
        CHECK(in->start_offset_s >= 0 && in->start_offset_s < 1.0, "start offset");
        trace_free(&tr);
    }
    tendo_sim_free(s);
    return 0;
}

/* -------------------------------------------------------- truth sums */

static int test_truth_sums(void)
{
    const char *json = "{\"segments\": ["
                       "{\"kind\": \"rest\", \"duration_s\": 5},"
                       "{\"kind\": \"walk\", \"duration_s\": 30, \"speed_mps\": 1.4},"
                       "{\"kind\": \"run\", \"duration_s\": 60, \"speed_mps\": 3.5, \"grade\": 0.05},"
                       "{\"kind\": \"run\", \"duration_s\": 60, \"speed_mps\": 3.0, \"grade\": -0.05},"
                       "{\"kind\": \"rest\", \"duration_s\": 10},"
                       "{\"kind\": \"walk\", \"duration_s\": 30, \"speed_mps\": 1.2}]}";
    tendo_sim *s = make_sim(json, 21, 0, 1000);
    CHECK(s, "simulator");
    tendo_sim_totals t;
    tendo_sim_get_totals(s, &t);
    double expect = 30 * 1.4 + 60 * 3.5 + 60 * 3.0 + 30 * 1.2;
    printf("truth: distance %.1f m (segments say ≈%.0f), ascent %.2f m, descent %.2f m\n",
           t.distance_m, expect, t.ascent_m, t.descent_m);
    /* Speed ramps and the bout starts lose a few metres; nothing more. */
    CHECK(t.distance_m < expect && t.distance_m > expect - 25, "distance %.1f", t.distance_m);
    double climb = 60 * 3.5 * 0.05 / sqrt(1 + 0.0025), drop = 60 * 3.0 * 0.05 / sqrt(1 + 0.0025);
    CHECK(fabs(t.ascent_m - climb) < 0.5 && fabs(t.descent_m - drop) < 0.5,
          "ascent %.2f (≈%.2f), descent %.2f (≈%.2f)", t.ascent_m, climb, t.descent_m, drop);
    for (size_t pod = 0; pod < 2; pod++) {
        const tendo_sim_step *r;
        size_t n = tendo_sim_steps(s, pod, &r);
        double sum = 0, dz = 0, max_len = 0;
        int steady = 0;
        for (size_t k = 0; k < n; k++) {
            if (isfinite(r[k].stride_len_m)) {
                sum += r[k].stride_len_m;
                dz += r[k].dz_m;
                max_len = fmax(max_len, r[k].stride_len_m);
            }
            /* Steady running: stride length = speed × stride time. */
            if (k > 0 && k + 1 < n && isfinite(r[k].stride_s) && isfinite(r[k + 1].stride_s) &&
                r[k - 1].speed_mps == r[k].speed_mps &&
                r[k + 1].speed_mps == r[k].speed_mps && !strcmp(r[k].kind, "run")) {
                CHECK(fabs(r[k].stride_len_m - r[k].speed_mps * r[k].stride_s) < 1e-9,
                      "pod %zu step %zu: %.6f m vs %.6f m/s × %.6f s", pod, k, r[k].stride_len_m,
                      r[k].speed_mps, r[k].stride_s);
                CHECK(fabs(r[k].dz_m - r[k].grade * r[k].stride_len_m / sqrt(1 + r[k].grade * r[k].grade)) < 1e-9,
                      "pod %zu step %zu: dz %.6f against grade", pod, k, r[k].dz_m);
                steady++;
            }
            CHECK(!isfinite(r[k].gct_ms) || (r[k].gct_ms > 150 && r[k].gct_ms < 1200),
                  "pod %zu step %zu: gct %.1f ms", pod, k, r[k].gct_ms);
            CHECK(k == 0 || r[k].ic_s > r[k - 1].ic_s, "contacts out of order");
        }
        /* Each foot covers the whole distance, less at most one step at the ends. */
        printf("pod %zu: %zu steps, Σ stride %.1f m, Σ dz %.3f m, %d steady strides\n", pod, n, sum,
               dz, steady);
        CHECK(sum <= t.distance_m + 1e-6 && sum > t.distance_m - max_len, "Σ stride %.2f vs %.2f",
              sum, t.distance_m);
        CHECK(steady > 100, "steady strides %d", steady);
    }
    tendo_sim_free(s);
    return 0;
}

/* ------------------------------------------------------ profile errors */

static int expect_error(const char *json, const char *needle)
{
    tendo_sim_profile p;
    tendo_error err;
    tendo_error_clear(&err);
    int rc = tendo_sim_profile_parse(json, "p.json", &p, &err);
    CHECK(rc == TENDO_EDATA, "accepted: %s", json);
    CHECK(strstr(err.msg, needle) && strstr(err.msg, "p.json"), "message '%s' lacks '%s'", err.msg,
          needle);
    printf("  rejected: %s\n", err.msg);
    return 0;
}

static int test_profile_errors(void)
{
    return expect_error("{\"segments\": [", "line 1") ||
           expect_error("{\"segments\": []}", "segments") ||
           expect_error("{\"segments\": [{\"kind\": \"jog\", \"duration_s\": 5, \"speed_mps\": 3}]}",
                        "segments[0].kind") ||
           expect_error("{\"segments\": [{\"kind\": \"run\", \"duration_s\": 5, \"speed_mps\": 12}]}",
                        "segments[0].speed_mps") ||
           expect_error("{\"segments\": [{\"kind\": \"run\", \"duration_s\": 5}]}",
                        "segments[0].speed_mps") ||
           expect_error("{\"segments\": [{\"kind\": \"walk\", \"duration_s\": 5, \"speed_mps\": 1, "
                        "\"speed\": 2}]}",
                        "segments[0].speed") ||
           expect_error("{\"segments\": [{\"kind\": \"rest\", \"duration_s\": 5, \"grade\": 0.9}]}",
                        "segments[0].grade") ||
           expect_error("{\"segments\": [{\"kind\": \"rest\", \"duration_s\": 1}]}",
                        "segments[0].duration_s") ||
           expect_error("{\"pods\": {\"left\": {\"mounting_deg\": [1, 2]}}, \"segments\": "
                        "[{\"kind\": \"rest\", \"duration_s\": 5}]}",
                        "pods.left.mounting_deg") ||
           expect_error("{\"pods\": {\"storage\": \"int8\"}, \"segments\": "
                        "[{\"kind\": \"rest\", \"duration_s\": 5}]}",
                        "pods.storage");
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: test_sim_model CASE\n");
        return 2;
    }
    static const struct {
        const char *name;
        int (*fn)(void);
    } cases[] = {
        {"strapdown", test_strapdown},   {"stationary", test_stationary},
        {"blocks", test_blocks_and_seed}, {"clipping", test_clipping},
        {"cadence", test_cadence},       {"rest_noise", test_rest_noise},
        {"truth_sums", test_truth_sums}, {"profile_errors", test_profile_errors},
        {"antialias", test_antialias},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if (!strcmp(argv[1], cases[i].name)) {
            int rc = cases[i].fn();
            return rc || failures ? 1 : 0;
        }
    fprintf(stderr, "unknown case %s\n", argv[1]);
    return 2;
}
