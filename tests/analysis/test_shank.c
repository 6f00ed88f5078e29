/*
 * test_shank.c — contacts from a shank-mounted accelerometer (no gyroscope)
 * against the simulator's ground truth.
 *
 * The simulator (tools/sim) runs in-process with its pods on the shanks
 * (pods.placement "shank", tools/SIMULATOR.md "Shank pods"): stand – walk –
 * run (speed, footstrike) – walk – stand, with sensor noise, bias, scale
 * error, clock drift, a random mounting and int16 storage. Per condition
 * and leg:
 *   - steps found (a detected initial contact within MATCH_S of a true
 *     one) >= 99 % of the true contacts (97 % at 100 Hz);
 *   - no false contact anywhere (rest, walking, running, gait changes);
 *   - running: median initial-contact error within ±5 ms (±10 ms, one
 *     sample, at 100 Hz); median stride
 *     time error within 1 % (cadence); contact time: median error within
 *     ±30 ms and robust SD (IQR / 1.349) <= 10 ms.
 * Left out: each leg's first contact of the session (the simulator lifts
 * the foot from its standing pose, a motion no real first step makes; a
 * detection there counts neither way). These bars are looser than
 * the foot pod's: a shank accelerometer sees the foot's contacts only
 * through the tibia, and the simulated shank is a kinematic model, not a
 * measured leg (analysis/MODELS.md, "Shank", says what this validation is
 * worth). Nothing in the method is fitted to these numbers.
 *
 * One condition adds 0.1 g RMS of white noise to every axis (a noisy or
 * loosely strapped sensor): the same bars, but one false contact per leg
 * in walking is allowed there (none at rest).
 *
 * Usage: test_an_shank [--verbose[=2]] [RATE SPEED STRIKE [SEED]]
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tendo_analysis.h"
#include "tendo_sim.h"
#include "tendo_check.h"

static int verbose;

#define MATCH_S 0.100

typedef struct figures {
    size_t true_steps, found, false_steps, rest_steps, n_run;
    double ic_ms, to_ms, ct_ms, ct_rsd_ms, stride_pct, impact_ratio;
} figures;

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}
static double quantile(double *x, size_t n, double q)
{
    if (n == 0)
        return NAN;
    qsort(x, n, sizeof *x, cmp_d);
    double p = q * (double)(n - 1);
    size_t i = (size_t)p;
    return i + 1 < n ? x[i] + (p - (double)i) * (x[i + 1] - x[i]) : x[n - 1];
}

static double at(const double *t, size_t n, double x)
{
    if (!(x >= 0))
        return NAN;
    size_t i = (size_t)x;
    if (i + 1 >= n)
        return t[n - 1];
    return t[i] + (x - (double)i) * (t[i + 1] - t[i]);
}

static int in_rest(const tendo_sim_segment_row *seg, size_t nseg, double t)
{
    for (size_t i = 0; i < nseg; i++)
        if (!strcmp(seg[i].kind, "rest") && t >= seg[i].start_s && t < seg[i].end_s)
            return 1;
    return 0;
}

/* Extra white noise, g RMS per axis, added before storage (a noisier
 * sensor or a loosely strapped one than the simulator's); 0 = none. */
static double extra_noise_g;

/* Gaussian deviate (Box-Muller over a fixed 64-bit LCG: reproducible). */
static double gauss(uint64_t *st)
{
    double u[2];
    for (int i = 0; i < 2; i++) {
        *st = *st * 6364136223846793005ULL + 1442695040888963407ULL;
        u[i] = ((double)(*st >> 11) + 0.5) / 9007199254740992.0;
    }
    return sqrt(-2 * log(u[0])) * cos(2 * M_PI * u[1]);
}

static int run_pod(tendo_sim *sim, size_t pod, double rate, figures *fg)
{
    const tendo_sim_pod_info *info = tendo_sim_pod(sim, pod);
    size_t n = (size_t)info->samples;
    double *ts = malloc(n * sizeof *ts), *a = malloc(3 * n * sizeof *a);
    double *w = malloc(3 * n * sizeof *w);
    float *af = malloc(3 * n * sizeof *af);
    int16_t *q = malloc(3 * n * sizeof *q);
    tendo_sim_block blk = {.t_s = ts, .accel = a, .gyro = w};
    const double CONV = info->accel_range / 32768.0; /* stored as int16 counts */
    tendo_sim_rewind(sim, pod);
    size_t got = tendo_sim_next(sim, pod, n, &blk);
    uint64_t rng = 12345 + pod;
    for (size_t i = 0; extra_noise_g > 0 && i < 3 * got; i++)
        a[i] += extra_noise_g * 9.80665 * gauss(&rng);
    tendo_sim_to_int16(a, 3 * got, CONV, q);
    for (size_t i = 0; i < 3 * got; i++)
        af[i] = (float)(q[i] * CONV);
    free(a);
    free(w);
    free(q);

    tendo_an_shank *sh;
    tendo_error err = {0};
    if (tendo_an_shank_new(&sh, rate, &err) != TENDO_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return -1;
    }
    size_t cap = 4096, nd = 0;
    tendo_an_stride *det = malloc(cap * sizeof *det), s;
    const size_t CH = 3000; /* any chunking gives the same contacts */
    for (size_t i = 0; i < got; i += CH) {
        size_t k = got - i < CH ? got - i : CH;
        if (tendo_an_shank_push(sh, af + 3 * i, k, &err) != TENDO_OK) {
            fprintf(stderr, "%s\n", err.msg);
            return -1;
        }
        while (tendo_an_shank_next(sh, &s) && nd < cap)
            det[nd++] = s;
    }
    CHECK(tendo_an_shank_finish(sh, &err) == TENDO_OK);
    while (tendo_an_shank_next(sh, &s) && nd < cap)
        det[nd++] = s;
    tendo_an_shank_free(sh);
    free(af);

    const tendo_sim_step *tr;
    size_t nt = tendo_sim_steps(sim, pod, &tr);
    const tendo_sim_segment_row *seg;
    size_t nseg = tendo_sim_segments(sim, &seg);
    double t_end = ts[got - 1];
    double *dic = malloc((nd + 1) * sizeof *dic), *dto = malloc((nd + 1) * sizeof *dto);
    for (size_t i = 0; i < nd; i++) {
        dic[i] = at(ts, got, det[i].t_ic * rate);
        dto[i] = at(ts, got, det[i].t_to_next * rate);
    }
    double *ic = malloc((nt + 1) * sizeof *ic), *to = malloc((nt + 1) * sizeof *to);
    double *ct = malloc((nt + 1) * sizeof *ct), *st = malloc((nt + 1) * sizeof *st);
    double *imp = malloc((nt + 1) * sizeof *imp);
    size_t nic = 0, nct = 0, nst = 0, nimp = 0;
    char *used = calloc(nd + 1, 1);
    memset(fg, 0, sizeof *fg);
    for (size_t j = 0; j < nt; j++) {
        if (!(tr[j].ic_s < t_end - 1.5))
            continue;
        size_t best = SIZE_MAX;
        double bd = MATCH_S;
        for (size_t i = 0; i < nd; i++)
            if (fabs(dic[i] - tr[j].ic_s) <= bd) {
                bd = fabs(dic[i] - tr[j].ic_s);
                best = i;
            }
        if (j == 0) { /* left out (see the header), not a false step */
            if (best != SIZE_MAX)
                used[best] = 1;
            continue;
        }
        fg->true_steps++;
        if (best == SIZE_MAX) {
            if (verbose > 1)
                fprintf(stderr, "  missed %s contact at %.3f s (%s)\n", pod ? "right" : "left",
                        tr[j].ic_s, tr[j].kind);
            continue;
        }
        fg->found++;
        used[best] = 1;
        if (strcmp(tr[j].kind, "run"))
            continue;
        ic[nic++] = 1000 * (dic[best] - tr[j].ic_s);
        imp[nimp++] = det[best].impact_g / tr[j].impact_g;
        if (isfinite(tr[j].gct_ms) && isfinite(dto[best])) {
            ct[nct] = 1000 * (dto[best] - dic[best]) - tr[j].gct_ms;
            to[nct++] = 1000 * (dto[best] - tr[j].to_s);
        }
        /* stride time: to this leg's next detected contact */
        if (best + 1 < nd && isfinite(tr[j].stride_s) &&
            fabs(dic[best + 1] - (tr[j].ic_s + tr[j].stride_s)) < MATCH_S)
            st[nst++] = 100 * ((dic[best + 1] - dic[best]) - tr[j].stride_s) / tr[j].stride_s;
    }
    /* before the leg's first true contact the simulator's lift from standing
     * is no step: detections there are not counted either way */
    double t_first = nt ? tr[0].ic_s - MATCH_S : 0;
    for (size_t i = 0; i < nd; i++) {
        if (!used[i] && dic[i] > t_first && dic[i] < t_end - 1.5) {
            fg->false_steps++;
            if (verbose > 1)
                fprintf(stderr, "  false %s contact at %.3f s\n", pod ? "right" : "left", dic[i]);
        }
        if (in_rest(seg, nseg, dic[i]))
            fg->rest_steps++;
    }
    fg->n_run = nic;
    fg->ic_ms = quantile(ic, nic, 0.5);
    fg->stride_pct = quantile(st, nst, 0.5);
    fg->impact_ratio = quantile(imp, nimp, 0.5);
    fg->to_ms = quantile(to, nct, 0.5);
    double q1 = quantile(ct, nct, 0.25), q3 = quantile(ct, nct, 0.75);
    fg->ct_ms = quantile(ct, nct, 0.5);
    fg->ct_rsd_ms = (q3 - q1) / 1.349;
    free(used);
    free(dic);
    free(dto);
    free(ic);
    free(to);
    free(ct);
    free(st);
    free(imp);
    free(det);
    free(ts);
    return 0;
}

static void run_cond(double rate, double speed, const char *strike, uint64_t seed)
{
    char json[1024];
    snprintf(json, sizeof json,
             "{\"pods\":{\"placement\":\"shank\"},\"segments\":[{\"kind\":\"rest\",\"duration_s\":8},"
             "{\"kind\":\"walk\",\"duration_s\":16,\"speed_mps\":1.4},"
             "{\"kind\":\"run\",\"duration_s\":40,\"speed_mps\":%g,\"footstrike\":\"%s\"},"
             "{\"kind\":\"walk\",\"duration_s\":12,\"speed_mps\":1.3},"
             "{\"kind\":\"rest\",\"duration_s\":8}]}",
             speed, strike);
    tendo_sim_profile prof;
    tendo_error err = {0};
    tendo_sim_profile_init(&prof);
    if (tendo_sim_profile_parse(json, "test", &prof, &err) != TENDO_OK) {
        CHECK(0, "profile: %s", err.msg);
        return;
    }
    CHECK(prof.pods.shank == 1);
    tendo_sim_options o;
    tendo_sim_options_default(&o);
    o.rate_hz = rate;
    o.seed = seed;
    tendo_sim *sim;
    if (tendo_sim_create(&sim, &prof, &o, &err) != TENDO_OK) {
        CHECK(0, "sim: %s", err.msg);
        tendo_sim_profile_free(&prof);
        return;
    }
    for (size_t pod = 0; pod < 2; pod++) {
        figures f;
        if (run_pod(sim, pod, rate, &f) != 0) {
            CHECK(0, "analysis failed");
            continue;
        }
        double found = f.true_steps ? 100.0 * (double)f.found / (double)f.true_steps : 0;
        const char *w = pod ? "right" : "left";
        if (verbose)
            printf("%5.0f Hz %.1f m/s %-4s %-5s steps %3zu/%3zu (%5.1f%%) false %zu rest %zu | "
                   "IC %+5.1f TO %+6.1f CT %+6.1f rSD %4.1f ms | stride %+5.2f%% | "
                   "impact %.2f x true (n %zu)\n",
                   rate, speed, strike, w, f.found, f.true_steps, found, f.false_steps,
                   f.rest_steps, f.ic_ms, f.to_ms, f.ct_ms, f.ct_rsd_ms, f.stride_pct,
                   f.impact_ratio, f.n_run);
        /* 100 Hz: the shock spans 2-4 samples; IC within one sample */
        double min_found = rate < 150 ? 97.0 : 99.0, ic_tol = rate < 150 ? 10.0 : 5.0;
        CHECK(found >= min_found, "%g Hz %g m/s %s %s: %.1f%% steps found", rate, speed, strike,
              w, found);
        /* until 0.9 the swings after gait changes (toe-offs, --verbose=2
         * lists them) gave 1-3 false contacts per leg: the shock-shape test
         * (shank.c, MODELS.md "Shank") removed them */
        /* with 0.1 g of extra noise one false contact per leg in walking
         * (none at rest) is allowed: seed 311 gives one at the end of the
         * last walk */
        size_t max_false = extra_noise_g > 0 ? 1 : 0;
        CHECK(f.rest_steps == 0 && f.false_steps <= max_false,
              "%g Hz %g m/s %s %s: %zu false, %zu in rest", rate, speed, strike, w, f.false_steps,
              f.rest_steps);
        CHECK(fabs(f.ic_ms) <= ic_tol, "%g Hz %g m/s %s %s: IC error %+.1f ms", rate, speed, strike,
              w, f.ic_ms);
        CHECK(fabs(f.stride_pct) <= 1.0, "%g Hz %g m/s %s %s: stride time error %+.2f%%", rate,
              speed, strike, w, f.stride_pct);
        CHECK(fabs(f.ct_ms) <= 30.0 && f.ct_rsd_ms <= 10.0,
              "%g Hz %g m/s %s %s: contact time error %+.1f ms, robust SD %.1f ms", rate, speed,
              strike, w, f.ct_ms, f.ct_rsd_ms);
    }
    tendo_sim_free(sim);
    tendo_sim_profile_free(&prof);
}

int main(int argc, char **argv)
{
    int argi = 1;
    while (argi < argc && !strncmp(argv[argi], "--verbose", 9)) {
        verbose += argv[argi][9] == '=' ? atoi(argv[argi] + 10) : 1;
        argi++;
    }
    if (argc - argi >= 3) {
        run_cond(atof(argv[argi]), atof(argv[argi + 1]), argv[argi + 2],
                 argc - argi >= 4 ? strtoull(argv[argi + 3], NULL, 10) : 7);
        return tendo_check_report("test_an_shank");
    }
    static const double rates[] = {200, 500, 1000}, speeds[] = {2.0, 4.0, 6.0};
    static const char *strikes[] = {"rear", "mid", "fore"};
    uint64_t seed = 300;
    for (int r = 0; r < 3; r++)
        for (int v = 0; v < 3; v++)
            run_cond(rates[r], speeds[v], strikes[(r + v) % 3], seed++);
    run_cond(100, 4.0, "mid", seed++); /* the lowest rate */
    /* a noisy sensor: 0.1 g RMS white noise per axis (with the rise-time
     * test alone, 15 contacts per leg while standing) */
    extra_noise_g = 0.1;
    run_cond(500, 3.5, "rear", seed++);
    return tendo_check_report("test_an_shank");
}
