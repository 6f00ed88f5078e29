/*
 * test_sim_run.c — gait events, contact time and stride length on simulated
 * runs against the simulator's ground truth (issue 4's accuracy bars).
 *
 * The simulator (tools/sim) runs in-process: each condition is a profile
 * stand – walk – run (speed, footstrike) – walk – stand, sampled at a rate,
 * with sensor noise, bias, scale error, clock drift, a random pod mounting
 * and int16 storage as `tendo simulate` writes it. Per condition and foot:
 *   - steps found: true contacts (walk and run) with a detected initial
 *     contact within MATCH_S; >= 99.5 %;
 *   - false steps: detected contacts with no true contact within MATCH_S,
 *     and any detected contact inside a rest; none allowed;
 *   - running contact time: bias (mean error) |bias| <= 5 ms, SD <= 4 ms;
 *   - running stride length error (median, against the true footprint
 *     distance) within 3 %.
 * The simulator is a test instrument, not a target: the analysis follows
 * published methods (analysis/MODELS.md) and nothing in it is fitted here.
 *
 * Usage: test_an_sim_run [--verbose[=2]] [RATE SPEED STRIKE [SEED [GRADE]]]
 * (a GRADE other than 0 runs up it, walks, and runs down again)
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tendo_analysis.h"
#include "tendo_sim.h"
#include "tendo_check.h"

static int verbose;

/* A detected contact matches the nearest true one within 100 ms: under a
 * third of the shortest simulated step (~0.32 s at 6 m/s); the timing
 * bars below then judge how close it is. */
#define MATCH_S 0.100

typedef struct cond {
    double rate, speed;
    const char *strike;
    double grade;
} cond;

typedef struct figures {
    size_t true_steps, found, false_steps, rest_steps;
    size_t n_ct;
    double ct_bias_ms, ct_sd_ms, ic_bias_ms, to_bias_ms, walk_ic_ms;
    double len_err_pct; /* median stride length error, running */
} figures;

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}
static double median(double *x, size_t n)
{
    if (n == 0)
        return NAN;
    qsort(x, n, sizeof *x, cmp_d);
    return n % 2 ? x[n / 2] : 0.5 * (x[n / 2 - 1] + x[n / 2]);
}

/* Time of fractional sample index x, from the pod's true sample times. */
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

/* Simulates one condition and analyses one pod; fills figures. */
static int run_pod(tendo_sim *sim, size_t pod, double rate, figures *fg)
{
    const tendo_sim_pod_info *info = tendo_sim_pod(sim, pod);
    size_t n = (size_t)info->samples;
    double *ts = malloc(n * sizeof *ts);
    double *a = malloc(3 * n * sizeof *a), *w = malloc(3 * n * sizeof *w);
    float *af = malloc(3 * n * sizeof *af), *wf = malloc(3 * n * sizeof *wf);
    int16_t *q = malloc(3 * n * sizeof *q);
    tendo_sim_block blk = {.t_s = ts, .accel = a, .gyro = w};
    /* stored as the session file keeps them: int16 counts over the range */
    const double ACC_CONV = info->accel_range / 32768.0, GYR_CONV = info->gyro_range / 32768.0;
    tendo_sim_rewind(sim, pod);
    size_t got = tendo_sim_next(sim, pod, n, &blk);
    tendo_sim_to_int16(a, 3 * got, ACC_CONV, q);
    for (size_t i = 0; i < 3 * got; i++)
        af[i] = (float)(q[i] * ACC_CONV);
    tendo_sim_to_int16(w, 3 * got, GYR_CONV, q);
    for (size_t i = 0; i < 3 * got; i++)
        wf[i] = (float)(q[i] * GYR_CONV);
    free(a);
    free(w);
    free(q);

    tendo_an_gait_options opt = {.fs_hz = rate};
    tendo_an_gait *g;
    tendo_error err = {0};
    if (tendo_an_gait_new(&g, &opt, &err) != TENDO_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return -1;
    }
    size_t cap = 4096, nd = 0;
    tendo_an_stride *det = malloc(cap * sizeof *det), s;
    const size_t CH = 4096;
    for (size_t i = 0; i < got; i += CH) {
        size_t k = got - i < CH ? got - i : CH;
        if (tendo_an_gait_push(g, af + 3 * i, wf + 3 * i, k, &err) != TENDO_OK) {
            fprintf(stderr, "%s\n", err.msg);
            return -1;
        }
        while (tendo_an_gait_next(g, &s) && nd < cap)
            det[nd++] = s;
    }
    tendo_an_gait_finish(g, &err);
    while (tendo_an_gait_next(g, &s) && nd < cap)
        det[nd++] = s;
    tendo_an_gait_free(g);
    free(af);
    free(wf);

    const tendo_sim_step *tr;
    size_t nt = tendo_sim_steps(sim, pod, &tr);
    const tendo_sim_segment_row *seg;
    size_t nseg = tendo_sim_segments(sim, &seg);
    double t_end = ts[got - 1];

    /* detected contacts in session time */
    double *dic = malloc((nd + 1) * sizeof *dic), *dto = malloc((nd + 1) * sizeof *dto);
    for (size_t i = 0; i < nd; i++) {
        dic[i] = at(ts, got, det[i].t_ic * rate);
        dto[i] = at(ts, got, det[i].t_to_next * rate);
        if (verbose > 3)
            fprintf(stderr, "  det %s to %.3f swing %.3f ic %.3f to_next %.3f len %.2f\n",
                    pod ? "R" : "L", at(ts, got, det[i].t_to * rate),
                    at(ts, got, det[i].t_swing * rate), dic[i], dto[i], det[i].length_m);
    }
    if (verbose > 3)
        for (size_t j = 0; j < nt; j++)
            fprintf(stderr, "  true %s ic %.3f to %.3f %s %.2f\n", pod ? "R" : "L", tr[j].ic_s,
                    tr[j].to_s, tr[j].kind, tr[j].speed_mps);
    double *ct_err = malloc((nt + 1) * sizeof *ct_err), *ic_err = malloc((nt + 1) * sizeof *ic_err);
    double *to_err = malloc((nt + 1) * sizeof *to_err),
           *len_err = malloc((nt + 1) * sizeof *len_err);
    double *walk_err = malloc((nt + 1) * sizeof *walk_err);
    size_t nct = 0, nsp = 0, nwalk = 0;
    memset(fg, 0, sizeof *fg);
    char *used = calloc(nd + 1, 1);
    for (size_t j = 0; j < nt; j++) {
        /* Contacts inside the recording. Each foot's first step of the
         * session is left out: the simulator lifts that foot flat from its
         * initial standing pose, with no heel rise or push-off (the pose has
         * no toe-off angle), which is not a step the detector accepts. */
        if (!(tr[j].ic_s > ts[0] + 1.0 && tr[j].ic_s < t_end - 1.5))
            continue;
        size_t best = SIZE_MAX;
        double bd = MATCH_S;
        for (size_t i = 0; i < nd; i++)
            if (fabs(dic[i] - tr[j].ic_s) <= bd) {
                bd = fabs(dic[i] - tr[j].ic_s);
                best = i;
            }
        if (j == 0) { /* matched (not a false step) but not counted */
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
        if (!strcmp(tr[j].kind, "walk"))
            walk_err[nwalk++] = 1000 * (dic[best] - tr[j].ic_s);
        ic_err[nct] = 1000 * (dic[best] - tr[j].ic_s);
        if (verbose > 2 && !strcmp(tr[j].kind, "run"))
            fprintf(stderr, "  strike %s angle %+.1f impact %.1f g (true %.1f g)\n",
                    tr[j].footstrike, det[best].strike_angle_deg, det[best].impact_g,
                    tr[j].impact_g);
        if (!strcmp(tr[j].kind, "run") && isfinite(tr[j].gct_ms) && isfinite(dto[best])) {
            ct_err[nct] = 1000 * (dto[best] - dic[best]) - tr[j].gct_ms;
            if (verbose > 1 && fabs(ct_err[nct]) > 8)
                fprintf(stderr, "  %s contact at %.3f s: IC %+.1f ms, TO %+.1f ms\n",
                        pod ? "right" : "left", tr[j].ic_s, 1000 * (dic[best] - tr[j].ic_s),
                        1000 * (dto[best] - tr[j].to_s));
            to_err[nct] = 1000 * (dto[best] - tr[j].to_s);
            nct++;
        }
    }
    for (size_t i = 0; i < nd; i++) {
        if (!used[i] && dic[i] > ts[0] + 1.0 && dic[i] < t_end - 1.5) {
            fg->false_steps++;
            if (verbose > 1)
                fprintf(stderr, "  false %s contact at %.3f s\n", pod ? "right" : "left", dic[i]);
        }
        if (in_rest(seg, nseg, dic[i]))
            fg->rest_steps++;
        /* stride length against the true footprint distance it spans */
        double t0 = at(ts, got, det[i].t_zv0 * rate), t1 = at(ts, got, det[i].t_zv1 * rate);
        double len = 0;
        int run = 1;
        for (size_t j = 0; j + 1 < nt; j++) /* the stride ending at this contact */
            if (fabs(tr[j + 1].ic_s - dic[i]) < MATCH_S) {
                len = tr[j].stride_len_m / sqrt(1 + tr[j].grade * tr[j].grade);
                run = !strcmp(tr[j].kind, "run") && !strcmp(tr[j + 1].kind, "run");
                break;
            }
        if (run && len > 0 && isfinite(det[i].length_m) && t1 > t0) {
            len_err[nsp++] = 100 * (det[i].length_m - len) / len;
            if (verbose > 2) {
                double p0[3], p1[3], v0[3], v1[3], R[9];
                tendo_sim_truth_pose(sim, pod, t0, p0, v0, R);
                tendo_sim_truth_pose(sim, pod, t1, p1, v1, R);
                fprintf(
                    stderr,
                    "  stride %.3f-%.3f len %.3f truth-steps %.3f pose %.3f |v0| %.2f |v1| %.2f\n",
                    t0, t1, det[i].length_m, len, hypot(p1[0] - p0[0], p1[1] - p0[1]),
                    sqrt(v0[0] * v0[0] + v0[1] * v0[1] + v0[2] * v0[2]),
                    sqrt(v1[0] * v1[0] + v1[1] * v1[1] + v1[2] * v1[2]));
            }
        }
    }
    fg->n_ct = nct;
    double m = 0, m2 = 0, mi = 0, mt = 0;
    for (size_t i = 0; i < nct; i++) {
        m += ct_err[i];
        mi += ic_err[i];
        mt += to_err[i];
    }
    m /= nct ? (double)nct : 1;
    for (size_t i = 0; i < nct; i++)
        m2 += (ct_err[i] - m) * (ct_err[i] - m);
    fg->ct_bias_ms = nct ? m : NAN;
    fg->ct_sd_ms = nct > 1 ? sqrt(m2 / (double)(nct - 1)) : NAN;
    fg->ic_bias_ms = nct ? mi / (double)nct : NAN;
    fg->to_bias_ms = nct ? mt / (double)nct : NAN;
    fg->len_err_pct = median(len_err, nsp);
    fg->walk_ic_ms = median(walk_err, nwalk);
    free(walk_err);
    free(used);
    free(dic);
    free(dto);
    free(ct_err);
    free(ic_err);
    free(to_err);
    free(len_err);
    free(det);
    free(ts);
    return 0;
}

static void run_cond(const cond *c, uint64_t seed)
{
    char json[1024];
    if (c->grade != 0) /* hilly: up, a walk break at the top, down */
        snprintf(json, sizeof json,
                 "{\"segments\":[{\"kind\":\"rest\",\"duration_s\":8},"
                 "{\"kind\":\"walk\",\"duration_s\":16,\"speed_mps\":1.4},"
                 "{\"kind\":\"run\",\"duration_s\":25,\"speed_mps\":%g,\"grade\":%g,"
                 "\"footstrike\":\"%s\"},"
                 "{\"kind\":\"walk\",\"duration_s\":10,\"speed_mps\":1.3},"
                 "{\"kind\":\"run\",\"duration_s\":25,\"speed_mps\":%g,\"grade\":%g,"
                 "\"footstrike\":\"%s\"},"
                 "{\"kind\":\"walk\",\"duration_s\":12,\"speed_mps\":1.3},"
                 "{\"kind\":\"rest\",\"duration_s\":8}]}",
                 c->speed, c->grade, c->strike, c->speed, -c->grade, c->strike);
    else
        snprintf(json, sizeof json,
                 "{\"segments\":[{\"kind\":\"rest\",\"duration_s\":8},"
                 "{\"kind\":\"walk\",\"duration_s\":16,\"speed_mps\":1.4},"
                 "{\"kind\":\"run\",\"duration_s\":40,\"speed_mps\":%g,\"grade\":%g,"
                 "\"footstrike\":\"%s\"},"
                 "{\"kind\":\"walk\",\"duration_s\":12,\"speed_mps\":1.3},"
                 "{\"kind\":\"rest\",\"duration_s\":8}]}",
                 c->speed, c->grade, c->strike);
    tendo_sim_profile prof;
    tendo_error err = {0};
    tendo_sim_profile_init(&prof);
    if (tendo_sim_profile_parse(json, "test", &prof, &err) != TENDO_OK) {
        CHECK(0, "profile: %s", err.msg);
        return;
    }
    tendo_sim_options o;
    tendo_sim_options_default(&o);
    o.rate_hz = c->rate;
    o.seed = seed;
    tendo_sim *sim;
    if (tendo_sim_create(&sim, &prof, &o, &err) != TENDO_OK) {
        CHECK(0, "sim: %s", err.msg);
        tendo_sim_profile_free(&prof);
        return;
    }
    for (size_t pod = 0; pod < 2; pod++) {
        figures f;
        if (run_pod(sim, pod, c->rate, &f) != 0) {
            CHECK(0, "analysis failed");
            continue;
        }
        double found = f.true_steps ? 100.0 * (double)f.found / (double)f.true_steps : 0;
        if (verbose)
            printf("%5.0f Hz %.1f m/s %-4s %-5s steps %3zu/%3zu (%.1f%%) false %zu rest %zu | "
                   "walk IC %+5.1f | IC %+6.1f TO %+6.1f | CT bias %+6.1f SD %4.1f ms (n %zu) | "
                   "length %+5.1f%%\n",
                   c->rate, c->speed, c->strike, pod ? "right" : "left", f.found, f.true_steps,
                   found, f.false_steps, f.rest_steps, f.walk_ic_ms, f.ic_bias_ms, f.to_bias_ms,
                   f.ct_bias_ms, f.ct_sd_ms, f.n_ct, f.len_err_pct);
        const char *w = pod ? "right" : "left";
        CHECK(found >= 99.5, "%g Hz %g m/s %s %s: %.1f%% steps found", c->rate, c->speed, c->strike,
              w, found);
        CHECK(f.false_steps == 0 && f.rest_steps == 0, "%g Hz %g m/s %s %s: %zu false, %zu in rest",
              c->rate, c->speed, c->strike, w, f.false_steps, f.rest_steps);
        CHECK(fabs(f.ct_bias_ms) <= 5.0, "%g Hz %g m/s %s %s: contact time bias %+.1f ms", c->rate,
              c->speed, c->strike, w, f.ct_bias_ms);
        CHECK(f.ct_sd_ms <= 4.0, "%g Hz %g m/s %s %s: contact time SD %.1f ms", c->rate, c->speed,
              c->strike, w, f.ct_sd_ms);
        CHECK(fabs(f.len_err_pct) <= 3.0, "%g Hz %g m/s %s %s: stride length error %+.1f%%",
              c->rate, c->speed, c->strike, w, f.len_err_pct);
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
        cond c = {atof(argv[argi]), atof(argv[argi + 1]), argv[argi + 2], 0};
        if (argc - argi > 4)
            c.grade = atof(argv[argi + 4]);
        run_cond(&c, argc - argi > 3 ? strtoull(argv[argi + 3], NULL, 10) : 11);
    } else {
        static const double rates[] = {200, 500, 1000};
        static const double speeds[] = {2, 4, 6};
        static const char *const strikes[] = {"rear", "mid", "fore"};
        uint64_t seed = 100;
        for (size_t r = 0; r < 3; r++)
            for (size_t v = 0; v < 3; v++)
                for (size_t k = 0; k < 3; k++) {
                    cond c = {rates[r], speeds[v], strikes[k], 0};
                    if (verbose)
                        printf("seed %llu\n", (unsigned long long)seed);
                    run_cond(&c, seed++);
                }
        /* hilly (±8 %) with a walk break between the climb and the descent,
         * at the speeds between those above */
        static const double hill_speeds[] = {3, 5};
        static const char *const hill_strikes[] = {"mid", "rear"};
        for (size_t r = 0; r < 3; r++)
            for (size_t v = 0; v < 2; v++) {
                cond c = {rates[r], hill_speeds[v], hill_strikes[v], 0.08};
                if (verbose)
                    printf("seed %llu (hilly)\n", (unsigned long long)seed);
                run_cond(&c, seed++);
            }
    }
    if (failures)
        fprintf(stderr, "%d check(s) failed\n", failures);
    return failures ? 1 : 0;
}
