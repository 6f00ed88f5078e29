/*
 * test_capacity.c — the heel-raise detector (analysis/tendo_capacity.h)
 * against the simulator's ground truth, in-process.
 *
 * Each condition is a heel-raise test from tools/sim (sample rate, first
 * heights, repetitions, the other foot lifted or resting, with sensor
 * noise, bias, scale error, a random pod mounting and int16 storage as
 * `tendo simulate` writes it). Per foot:
 *   - the count equals the truth exactly, and no foot counts the other's;
 *   - every repetition's top lies in the true hold at the top (the sole
 *     angle is constant there), give or take TOP_TOL_S;
 *   - every height is within HEIGHT_TOL_M of the true heel height.
 * Plus: the same repetitions whatever the chunk size; a run and a standing
 * recording give none; the summary's symmetry indices against hand-computed
 * values; option errors.
 *
 * Usage: test_capacity CASE   (accuracy | chunks | no_raises | summary | options)
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tendo_capacity.h"
#include "tendo_check.h"
#include "tendo_sim.h"

/* Height tolerance: 1 mm (the method's own error on these signals is
 * ≤ 0.5 mm; MuscleLab-style linear encoders report to the mm). */
#define HEIGHT_TOL_M 0.001
#define TOP_TOL_S    0.05
#define HOLD_S       0.2 /* the simulator holds the top 8 % of a 2 s period */

typedef struct pod_data {
    size_t n;
    float *acc, *gyro;
    double *t; /* true sample times, s since the session start */
} pod_data;

/* Samples one pod as a session file would hold it: int16 counts back to SI. */
static void sample_pod(tendo_sim *s, size_t pod, const tendo_sim_profile *p, pod_data *d)
{
    const tendo_sim_pod_info *in = tendo_sim_pod(s, pod);
    size_t n = (size_t)in->samples;
    d->n = n;
    d->acc = malloc(3 * n * sizeof *d->acc);
    d->gyro = malloc(3 * n * sizeof *d->gyro);
    d->t = malloc(n * sizeof *d->t);
    double *a = malloc(3 * n * sizeof *a), *g = malloc(3 * n * sizeof *g);
    int16_t *q = malloc(3 * n * sizeof *q);
    tendo_sim_block blk = {NULL, d->t, a, g, NULL};
    tendo_sim_rewind(s, pod);
    size_t got = tendo_sim_next(s, pod, n, &blk);
    CHECK(got == n);
    double ca = p->pods.accel_range_g * TENDO_SIM_GRAVITY / 32768.0;
    double cg = p->pods.gyro_range_dps * (M_PI / 180.0) / 32768.0;
    tendo_sim_to_int16(a, 3 * n, ca, q);
    for (size_t i = 0; i < 3 * n; i++)
        d->acc[i] = (float)(q[i] * ca);
    tendo_sim_to_int16(g, 3 * n, cg, q);
    for (size_t i = 0; i < 3 * n; i++)
        d->gyro[i] = (float)(q[i] * cg);
    free(a);
    free(g);
    free(q);
}

static void free_pod(pod_data *d)
{
    free(d->acc);
    free(d->gyro);
    free(d->t);
}

/* Runs the detector over a pod in chunks of `chunk` samples. */
static size_t detect(const pod_data *d, double fs, size_t chunk, tendo_an_heel_raise *out,
                     size_t cap, tendo_an_capacity_stats *stats)
{
    tendo_an_capacity *c = NULL;
    tendo_error err;
    tendo_error_clear(&err);
    tendo_an_capacity_options o = {.fs_hz = fs};
    CHECK(tendo_an_capacity_new(&c, &o, &err) == TENDO_OK, "%s", err.msg);
    if (!c)
        return 0;
    size_t n = 0;
    tendo_an_heel_raise h;
    for (size_t i = 0; i < d->n; i += chunk) {
        size_t len = d->n - i < chunk ? d->n - i : chunk;
        CHECK(tendo_an_capacity_push(c, d->acc + 3 * i, d->gyro + 3 * i, len, &err) == TENDO_OK);
        while (tendo_an_capacity_next(c, &h))
            if (n < cap)
                out[n++] = h;
    }
    CHECK(tendo_an_capacity_finish(c, &err) == TENDO_OK);
    while (tendo_an_capacity_next(c, &h))
        if (n < cap)
            out[n++] = h;
    if (stats)
        *stats = *tendo_an_capacity_get_stats(c);
    tendo_an_capacity_free(c);
    return n;
}

/* Session seconds of the detector's seconds-since-first-sample. */
static double session_s(const pod_data *d, double t, double fs)
{
    size_t i = (size_t)llround(t * fs);
    return i < d->n ? d->t[i] : NAN;
}

typedef struct cond {
    double rate;
    int reps[2];
    double height[2];
    int other_resting;
    unsigned seed;
} cond;

static tendo_sim *make_test(const cond *c, tendo_sim_profile *p)
{
    tendo_error err;
    tendo_error_clear(&err);
    int rc =
        tendo_sim_profile_heel_raise(c->reps[0], c->reps[1], c->height[0], c->height[1], p, &err);
    CHECK(rc == TENDO_OK, "%s", err.msg);
    for (size_t i = 0; i < p->nseg; i++)
        if (p->seg[i].kind == TENDO_SIM_HEEL_RAISE)
            p->seg[i].heel.other_resting = c->other_resting;
    tendo_sim_options o;
    tendo_sim_options_default(&o);
    o.rate_hz = c->rate;
    o.seed = c->seed;
    tendo_sim *s = NULL;
    rc = tendo_sim_create(&s, p, &o, &err);
    CHECK(rc == TENDO_OK, "%s", err.msg);
    return s;
}

static int test_accuracy(void)
{
    const cond conds[] = {
        {1000, {24, 24}, {0.12, 0.12}, 0, 1}, {1000, {25, 18}, {0.12, 0.09}, 0, 2},
        {200, {30, 22}, {0.10, 0.08}, 0, 3},  {100, {20, 20}, {0.05, 0.04}, 0, 4},
        {2000, {40, 1}, {0.13, 0.11}, 0, 5},  {500, {12, 15}, {0.16, 0.155}, 1, 6},
        {1000, {60, 3}, {0.11, 0.07}, 1, 7},
    };
    double worst = 0;
    for (size_t k = 0; k < sizeof conds / sizeof *conds; k++) {
        const cond *c = &conds[k];
        tendo_sim_profile p;
        tendo_sim *s = make_test(c, &p);
        if (!s)
            continue;
        for (size_t pod = 0; pod < 2; pod++) {
            const tendo_sim_heel_rep *truth;
            size_t nt = tendo_sim_heel_reps(s, pod, &truth);
            pod_data d;
            sample_pod(s, pod, &p, &d);
            tendo_an_heel_raise got[256];
            size_t n = detect(&d, c->rate, 4096, got, 256, NULL);
            CHECK(nt == (size_t)c->reps[pod]);
            CHECK(n == nt, "condition %zu pod %zu: %zu repetitions counted, truth %zu", k, pod, n,
                  nt);
            for (size_t i = 0; i < n && i < nt; i++) {
                double err_h = got[i].height_m - truth[i].height_m;
                double top = session_s(&d, got[i].t_top, c->rate);
                worst = fmax(worst, fabs(err_h));
                CHECK(fabs(err_h) <= HEIGHT_TOL_M, "cond %zu pod %zu rep %zu: %.4f m, truth %.4f m",
                      k, pod, i, got[i].height_m, truth[i].height_m);
                CHECK(top >= truth[i].top_s - TOP_TOL_S && top <= truth[i].top_s + HOLD_S,
                      "cond %zu pod %zu rep %zu: top at %.3f s, truth %.3f s", k, pod, i, top,
                      truth[i].top_s);
            }
            free_pod(&d);
        }
        tendo_sim_free(s);
        tendo_sim_profile_free(&p);
    }
    printf("worst height error %.2f mm (tolerance %.1f mm)\n", 1000 * worst, 1000 * HEIGHT_TOL_M);
    return tendo_check_report("capacity.accuracy");
}

static int test_chunks(void)
{
    cond c = {500, {10, 8}, {0.12, 0.10}, 0, 11};
    tendo_sim_profile p;
    tendo_sim *s = make_test(&c, &p);
    if (!s)
        return tendo_check_report("capacity.chunks");
    pod_data d;
    sample_pod(s, 0, &p, &d);
    tendo_an_heel_raise a[64], b[64], e[64];
    size_t na = detect(&d, c.rate, d.n, a, 64, NULL);
    size_t nb = detect(&d, c.rate, 1, b, 64, NULL);
    size_t ne = detect(&d, c.rate, 777, e, 64, NULL);
    CHECK(na == 10 && nb == na && ne == na, "%zu %zu %zu", na, nb, ne);
    for (size_t i = 0; i < na && i < nb && i < ne; i++) {
        CHECK(memcmp(&a[i], &b[i], sizeof a[i]) == 0, "rep %zu differs with 1-sample chunks", i);
        CHECK(memcmp(&a[i], &e[i], sizeof a[i]) == 0, "rep %zu differs with 777-sample chunks", i);
    }
    free_pod(&d);
    tendo_sim_free(s);
    tendo_sim_profile_free(&p);
    return tendo_check_report("capacity.chunks");
}

/* A run (stand, walk, run, walk, stand) and a standing recording. */
static int test_no_raises(void)
{
    tendo_error err;
    tendo_error_clear(&err);
    tendo_sim_profile p;
    CHECK(tendo_sim_profile_default(2.0, 3.2, &p, &err) == TENDO_OK);
    tendo_sim_options o;
    tendo_sim_options_default(&o);
    tendo_sim *s = NULL;
    CHECK(tendo_sim_create(&s, &p, &o, &err) == TENDO_OK, "%s", err.msg);
    for (size_t pod = 0; s && pod < 2; pod++) {
        pod_data d;
        sample_pod(s, pod, &p, &d);
        tendo_an_heel_raise got[8];
        tendo_an_capacity_stats st;
        size_t n = detect(&d, o.rate_hz, 8192, got, 8, &st);
        CHECK(n == 0, "pod %zu: %zu heel raises counted in a run", pod, n);
        CHECK(st.have_reference, "the run starts standing");
        CHECK(st.rejected_travel >= 10, "strides are turned away as travel (%zu)",
              st.rejected_travel);
        free_pod(&d);
    }
    tendo_sim_free(s);
    tendo_sim_profile_free(&p);

    const char *still = "{\"segments\":[{\"kind\":\"rest\",\"duration_s\":30}]}";
    tendo_error_clear(&err);
    CHECK(tendo_sim_profile_parse(still, "still", &p, &err) == TENDO_OK);
    CHECK(tendo_sim_create(&s, &p, &o, &err) == TENDO_OK);
    if (s) {
        pod_data d;
        sample_pod(s, 1, &p, &d);
        tendo_an_heel_raise got[8];
        tendo_an_capacity_stats st;
        CHECK(detect(&d, o.rate_hz, 8192, got, 8, &st) == 0);
        CHECK(st.have_reference && st.reps == 0);
        free_pod(&d);
        tendo_sim_free(s);
    }
    tendo_sim_profile_free(&p);
    return tendo_check_report("capacity.no_raises");
}

static int near(double a, double b)
{
    return fabs(a - b) < 1e-9;
}

static int test_summary(void)
{
    tendo_an_heel_raise l[4] = {
        {.height_m = 0.12}, {.height_m = 0.10}, {.height_m = 0.10}, {.height_m = 0.08}};
    tendo_an_heel_raise r[3] = {{.height_m = 0.09}, {.height_m = 0.08}, {.height_m = 0.07}};
    tendo_an_capacity_result res;
    /* Unknown injured side: the weaker (right, 0.24 m in total) is involved. */
    tendo_an_capacity_summarize(l, 4, r, 3, 70.0, -1, &res);
    CHECK(res.involved == 1 && !res.injured_known);
    CHECK(res.side[0].reps == 4 && near(res.side[0].height_sum_m, 0.40));
    CHECK(near(res.side[0].height_mean_m, 0.10) && near(res.side[0].height_max_m, 0.12));
    CHECK(near(res.side[0].height_first_m, 0.12) && near(res.side[0].height_last_m, 0.08));
    CHECK(near(res.side[0].work_j, 70.0 * 9.80665 * 0.40), "%.6f", res.side[0].work_j);
    CHECK(near(res.lsi_reps_pct, 75.0), "%.6f", res.lsi_reps_pct);
    CHECK(near(res.lsi_height_pct, 80.0), "%.6f", res.lsi_height_pct); /* 0.08 / 0.10 */
    CHECK(near(res.lsi_work_pct, 60.0), "%.6f", res.lsi_work_pct);     /* 0.24 / 0.40 */
    CHECK(!res.meets_criterion);
    /* Injured left: the index is left / right even though left is stronger. */
    tendo_an_capacity_summarize(l, 4, r, 3, 0.0, 0, &res);
    CHECK(res.involved == 0 && res.injured_known);
    CHECK(near(res.lsi_work_pct, 100.0 * 0.40 / 0.24) && res.meets_criterion);
    CHECK(isnan(res.side[0].work_j), "no mass, no joules");
    /* 90 % exactly meets the criterion. */
    tendo_an_heel_raise a[1] = {{.height_m = 0.10}}, b[1] = {{.height_m = 0.09}};
    tendo_an_capacity_summarize(a, 1, b, 1, 0.0, 1, &res);
    CHECK(near(res.lsi_work_pct, 90.0) && res.meets_criterion);
    /* One side only: no index. */
    tendo_an_capacity_summarize(l, 4, NULL, 0, 70.0, -1, &res);
    CHECK(isnan(res.lsi_work_pct) && !res.meets_criterion && res.side[1].reps == 0);
    CHECK(isnan(res.side[1].height_mean_m));
    return tendo_check_report("capacity.summary");
}

static int test_options(void)
{
    tendo_an_capacity *c = NULL;
    tendo_error err;
    tendo_error_clear(&err);
    tendo_an_capacity_options o = {.fs_hz = 50};
    CHECK(tendo_an_capacity_new(&c, &o, &err) == TENDO_EUSAGE && !c);
    CHECK(strstr(err.msg, "50 Hz") != NULL, "%s", err.msg);
    tendo_error_clear(&err);
    o = (tendo_an_capacity_options){.fs_hz = 1000, .lever_m = 0.5};
    CHECK(tendo_an_capacity_new(&c, &o, &err) == TENDO_EUSAGE && !c);
    tendo_error_clear(&err);
    o = (tendo_an_capacity_options){.fs_hz = 1000, .min_height_m = 0.5};
    CHECK(tendo_an_capacity_new(&c, &o, &err) == TENDO_EUSAGE && !c);
    o = (tendo_an_capacity_options){.fs_hz = 1000};
    CHECK(tendo_an_capacity_new(&c, &o, &err) == TENDO_OK && c);
    tendo_error_clear(&err);
    float a[3] = {0, 0, 9.8f};
    CHECK(tendo_an_capacity_push(c, a, NULL, 1, &err) == TENDO_EUSAGE);
    tendo_error_clear(&err);
    CHECK(tendo_an_capacity_push(c, a, a, 0, &err) == TENDO_OK);
    tendo_an_heel_raise h;
    CHECK(tendo_an_capacity_finish(c, &err) == TENDO_OK && !tendo_an_capacity_next(c, &h));
    CHECK(!tendo_an_capacity_get_stats(c)->have_reference);
    tendo_an_capacity_free(c);
    return tendo_check_report("capacity.options");
}

int main(int argc, char **argv)
{
    const char *which = argc > 1 ? argv[1] : "";
    if (!strcmp(which, "accuracy"))
        return test_accuracy();
    if (!strcmp(which, "chunks"))
        return test_chunks();
    if (!strcmp(which, "no_raises"))
        return test_no_raises();
    if (!strcmp(which, "summary"))
        return test_summary();
    if (!strcmp(which, "options"))
        return test_options();
    fprintf(stderr, "usage: test_capacity accuracy|chunks|no_raises|summary|options\n");
    return 2;
}
