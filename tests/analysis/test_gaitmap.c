/*
 * test_gaitmap.c — the analysis library on a real foot-IMU recording with
 * motion-capture reference (gaitmap example data, walking, 204.8 Hz, NilsPod
 * on the lateral side of each shoe; ../shared/data/gaitmap-walking).
 *
 * Asserts (issue 4):
 *   - orientation from the sensor-frame data agrees with gaitmap's own
 *     sensor-to-foot rotation (original/imu_sample.csv vs _not_rotated);
 *   - every reference stride is found on both feet;
 *   - initial contact and toe-off median absolute error <= 10 ms against
 *     events.csv;
 *   - stride length within 5% of the toe-marker displacement between the
 *     reference stride borders (original/mocap_sample.csv);
 *   - the same at 102.4 and 1024 Hz, and with the pod turned on the shoe
 *     (three mountings, the orientation found from the data).
 * Prints the figures. Usage: test_an_gaitmap DATA_DIR [--verbose]
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tendo_analysis.h"
#include "tendo_csv.h"
#include "tendo_check.h"

static int verbose;

#define FS 204.8

typedef struct pod {
    float *acc, *gyr;
    size_t n;
} pod;

static int load_pod(const char *path, pod *p)
{
    tendo_csv_reader *r;
    tendo_error err = {0};
    if (tendo_csv_open(&r, path, NULL, &err) != TENDO_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return -1;
    }
    size_t cap = 1 << 14, got;
    p->acc = malloc(3 * cap * sizeof(float));
    p->gyr = malloc(3 * cap * sizeof(float));
    p->n = 0;
    for (;;) {
        if (p->n + 1024 > cap) {
            cap *= 2;
            p->acc = realloc(p->acc, 3 * cap * sizeof(float));
            p->gyr = realloc(p->gyr, 3 * cap * sizeof(float));
        }
        if (tendo_csv_read(r, 1024, NULL, p->acc + 3 * p->n, p->gyr + 3 * p->n, &got, &err) !=
            TENDO_OK) {
            fprintf(stderr, "%s\n", err.msg);
            tendo_csv_close(r);
            return -1;
        }
        if (got == 0)
            break;
        p->n += got;
    }
    tendo_csv_close(r);
    return 0;
}

/* Reference files are small, fixed-layout tables (not sensor CSVs):
 * read with fscanf. */
typedef struct ref_stride {
    int right;
    double ic, to, start, end;
} ref_stride;

static size_t load_events(const char *dir, ref_stride *rs, size_t cap)
{
    char path[1024], side[16];
    snprintf(path, sizeof path, "%s/events.csv", dir);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    char line[256];
    size_t n = 0;
    int id;
    if (!fgets(line, sizeof line, f)) {
        fclose(f);
        return 0;
    }
    while (n < cap && fgets(line, sizeof line, f))
        if (sscanf(line, "%15[a-z],%d,%lf,%lf,%lf,%lf", side, &id, &rs[n].ic, &rs[n].to,
                   &rs[n].start, &rs[n].end) == 6) {
            rs[n].right = strcmp(side, "right") == 0;
            n++;
        }
    fclose(f);
    return n;
}

/* Toe markers (mm, 100 Hz): columns 1-3 L_TOE, 4-6 R_TOE. */
static double (*load_toes(const char *dir, size_t *n))[6]
{
    char path[1024];
    snprintf(path, sizeof path, "%s/original/mocap_sample.csv", dir);
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    size_t cap = 8192;
    double(*t)[6] = malloc(cap * sizeof *t);
    char line[1024];
    *n = 0;
    while (fgets(line, sizeof line, f)) {
        int idx;
        double v[6];
        if (sscanf(line, "%d,%lf,%lf,%lf,%lf,%lf,%lf", &idx, v, v + 1, v + 2, v + 3, v + 4,
                   v + 5) == 7 &&
            *n < cap)
            memcpy(t[(*n)++], v, sizeof v);
    }
    fclose(f);
    return t;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}
static double median(double *x, size_t n)
{
    qsort(x, n, sizeof *x, cmp_d);
    return n == 0 ? NAN : n % 2 ? x[n / 2] : 0.5 * (x[n / 2 - 1] + x[n / 2]);
}

/* Runs the gait analyser over a pod in chunks of `chunk` samples. */
static size_t analyse(const pod *p, double fs, size_t chunk, tendo_an_stride *out, size_t cap,
                      tendo_an_orientation *orient)
{
    tendo_an_gait *g;
    tendo_error err = {0};
    tendo_an_gait_options opt = {.fs_hz = fs};
    if (tendo_an_gait_new(&g, &opt, &err) != TENDO_OK) {
        fprintf(stderr, "%s\n", err.msg);
        exit(1);
    }
    size_t ns = 0;
    for (size_t i = 0; i < p->n; i += chunk) {
        size_t k = p->n - i < chunk ? p->n - i : chunk;
        CHECK(tendo_an_gait_push(g, p->acc + 3 * i, p->gyr + 3 * i, k, &err) == TENDO_OK, "%s",
              err.msg);
        while (ns < cap && tendo_an_gait_next(g, &out[ns]))
            ns++;
    }
    CHECK(tendo_an_gait_finish(g, &err) == TENDO_OK, "%s", err.msg);
    while (ns < cap && tendo_an_gait_next(g, &out[ns]))
        ns++;
    if (orient && tendo_an_gait_orientation(g))
        *orient = *tendo_an_gait_orientation(g);
    tendo_an_gait_free(g);
    return ns;
}

/* Resamples by up/down with the library's own zero-phase low-pass (zero
 * stuffing, filter, keep every down-th sample): the same recording at another
 * rate, to check the method is not tied to 204.8 Hz. */
static pod resample(const pod *p, size_t up, size_t down)
{
    double fs_hi = FS * (double)up, fc = 0.4 * FS * fmin(1.0, (double)up / (double)down);
    double taps[8192];
    size_t m;
    tendo_error err = {0};
    tendo_an_fir *f;
    if (tendo_an_lowpass_design(fs_hi, fc, 0.1 * FS * fmin(1.0, (double)up / (double)down), taps,
                                8192, &m, &err) != TENDO_OK ||
        tendo_an_fir_new(&f, taps, m, 6, &err) != TENDO_OK) {
        fprintf(stderr, "resample: %s\n", err.msg);
        exit(1);
    }
    size_t nh = p->n * up;
    float *x = calloc(6 * nh, sizeof *x), *y = malloc(6 * (nh + tendo_an_fir_max_out(f, nh)) * sizeof *y);
    for (size_t i = 0; i < p->n; i++)
        for (int k = 0; k < 3; k++) {
            x[6 * i * up + k] = p->acc[3 * i + k] * (float)up;
            x[6 * i * up + 3 + k] = p->gyr[3 * i + k] * (float)up;
        }
    size_t n1, n2;
    tendo_an_fir_push(f, x, nh, y, nh + tendo_an_fir_max_out(f, nh), &n1, &err);
    tendo_an_fir_finish(f, y + 6 * n1, tendo_an_fir_max_out(f, 0), &n2, &err);
    tendo_an_fir_free(f);
    pod q = {.n = nh / down};
    q.acc = malloc(3 * q.n * sizeof(float));
    q.gyr = malloc(3 * q.n * sizeof(float));
    for (size_t i = 0; i < q.n; i++)
        for (int k = 0; k < 3; k++) {
            q.acc[3 * i + k] = y[6 * i * down + k];
            q.gyr[3 * i + k] = y[6 * i * down + 3 + k];
        }
    free(x);
    free(y);
    return q;
}

/* The pod turned on the shoe: every sample rotated by R = Rz(c)·Ry(b)·Rx(a)
 * (degrees), as if the sensor had been mounted that way. */
static pod rotated(const pod *p, const double deg[3])
{
    double a = deg[0] * M_PI / 180, b = deg[1] * M_PI / 180, c = deg[2] * M_PI / 180;
    double ca = cos(a), sa = sin(a), cb = cos(b), sb = sin(b), cc = cos(c), sc = sin(c);
    double R[3][3] = {{cc * cb, cc * sb * sa - sc * ca, cc * sb * ca + sc * sa},
                      {sc * cb, sc * sb * sa + cc * ca, sc * sb * ca - cc * sa},
                      {-sb, cb * sa, cb * ca}};
    pod q = {.n = p->n};
    q.acc = malloc(3 * q.n * sizeof(float));
    q.gyr = malloc(3 * q.n * sizeof(float));
    for (size_t i = 0; i < q.n; i++)
        for (int r = 0; r < 3; r++) {
            double x = 0, y = 0;
            for (int k = 0; k < 3; k++) {
                x += R[r][k] * p->acc[3 * i + k];
                y += R[r][k] * p->gyr[3 * i + k];
            }
            q.acc[3 * i + r] = (float)x;
            q.gyr[3 * i + r] = (float)y;
        }
    return q;
}

/* gaitmap's own sensor-to-foot rotation for this recording, read off
 * original/imu_sample.csv vs imu_sample_not_rotated.csv: left foot
 * (x,y,z) = (s_y, s_z, s_x); right foot (x,y,z) = (-s_y, -s_z, s_x). Its foot
 * frame is ours (x forward, y left, z up). It is the nominal mounting and
 * ignores the pod's tilt on the shoe's sloping side (~17° here: at rest the
 * left pod reads (9.41, 0.88, 2.76) m/s²), so the data-driven frame differs
 * from it by that tilt, not by a different axis assignment. */
static const double R_GAITMAP[2][9] = {{0, 1, 0, 0, 0, 1, 1, 0, 0},
                                       {0, -1, 0, 0, 0, -1, 1, 0, 0}};

static void check_orientation(int right, const pod *p, const tendo_an_orientation *o)
{
    const char *side = right ? "right" : "left";
    const double *rg = R_GAITMAP[right];
    /* angle between each found foot axis and gaitmap's (rows = axes in sensor frame) */
    double ang[3];
    for (int k = 0; k < 3; k++) {
        double d = o->r[3 * k] * rg[3 * k] + o->r[3 * k + 1] * rg[3 * k + 1] +
                   o->r[3 * k + 2] * rg[3 * k + 2];
        ang[k] = acos(fmax(-1, fmin(1, d))) * 180 / M_PI;
    }
    /* pitch rate about the found ML axis vs gaitmap's ML gyro */
    double sxy = 0, sxx = 0, syy = 0;
    for (size_t i = 0; i < p->n; i++) {
        const float *w = p->gyr + 3 * i;
        double a = o->r[3] * w[0] + o->r[4] * w[1] + o->r[5] * w[2];
        double b = rg[3] * w[0] + rg[4] * w[1] + rg[5] * w[2];
        sxy += a * b;
        sxx += a * a;
        syy += b * b;
    }
    double corr = sxy / sqrt(sxx * syy);
    printf("orientation %-5s: confidence %.2f, axes vs gaitmap x %.1f° y %.1f° z %.1f°, ML "
           "gyro correlation %.4f\n",
           side, o->confidence, ang[0], ang[1], ang[2], corr);
    /* The medio-lateral axis found, with the right sign: within the mounting
     * tilt (~17°) plus margin, and the pitch-rate signals nearly identical. */
    CHECK(ang[1] < 30, "%s: ML axis %.1f° from gaitmap's", side, ang[1]);
    CHECK(ang[0] < 30 && ang[2] < 30, "%s: x/z axes %.1f°/%.1f° from gaitmap's", side, ang[0],
          ang[2]);
    CHECK(corr > 0.95, "%s: ML gyro correlation %.4f", side, corr);
    CHECK(o->confidence > 0.5, "%s: confidence %.2f", side, o->confidence);
}

/* Matches detected strides to the reference and asserts the accuracy bars. */
static void evaluate(const char *side, int right, double fs, const tendo_an_stride *st, size_t ns,
                     const ref_stride *ref, size_t nref, double (*toe)[6])
{
        double eic[64], eto[64], esl[64], sl_ref_sum = 0, sl_sum = 0;
    size_t nm = 0, nfound = 0, nside = 0;
    for (size_t k = 0; k < nref; k++) {
        if (ref[k].right != right)
            continue;
        nside++;
        /* the detected stride whose contact is nearest the reference's */
        size_t best = 0;
        double bd = INFINITY;
        for (size_t i = 0; i < ns; i++)
            if (fabs(st[i].t_ic - ref[k].ic) < bd) {
                bd = fabs(st[i].t_ic - ref[k].ic);
                best = i;
            }
        if (bd > 0.15) {
            CHECK(0, "%s: reference stride with IC %.3f s not found", side, ref[k].ic);
            continue;
        }
        nfound++;
        const tendo_an_stride *s = &st[best];
        eic[nm] = fabs(s->t_ic - ref[k].ic) * 1000;
        eto[nm] = fabs(s->t_to - ref[k].to) * 1000;
        /* reference stride length: toe marker displacement between the
         * reference's zero-velocity borders (both feet still there) */
        size_t a = (size_t)lround(ref[k].start * 100), b = (size_t)lround(ref[k].end * 100);
        int c = right ? 3 : 0;
        double sl_ref = hypot(toe[b][c] - toe[a][c], toe[b][c + 1] - toe[a][c + 1]) / 1000;
        esl[nm] = fabs(s->length_m - sl_ref) / sl_ref * 100;
        sl_ref_sum += sl_ref;
        sl_sum += s->length_m;
        if (verbose)
            printf("  %s ic %7.3f (%+6.1f ms) to %7.3f (%+6.1f ms) len %.3f ref %.3f (%+5.1f%%) "
                   "dz %+.3f gct %.0f ms\n",
                   side, s->t_ic, (s->t_ic - ref[k].ic) * 1000, s->t_to,
                   (s->t_to - ref[k].to) * 1000, s->length_m, sl_ref,
                   (s->length_m - sl_ref) / sl_ref * 100, s->dz_m, s->contact_s * 1000);
        nm++;
    }
    double mic = median(eic, nm), mto = median(eto, nm), msl = median(esl, nm);
    double mean_err = (sl_sum - sl_ref_sum) / sl_ref_sum * 100;
    printf("events %-5s %6.1f Hz: %zu/%zu reference strides found (%zu detected); IC median |err| "
           "%.1f ms, TO median |err| %.1f ms; stride length median |err| %.1f%%, mean "
           "bias %+.1f%%\n",
           side, fs, nfound, nside, ns, mic, mto, msl, mean_err);
    CHECK(nfound == nside, "%s: %zu of %zu strides found", side, nfound, nside);
    /* No false strides: within the span the reference covers, every
     * detected stride is a reference stride (the reference omits the
     * first stride of the walk and the steps after it). */
    double span0 = INFINITY, span1 = -INFINITY;
    for (size_t k = 0; k < nref; k++)
        if (ref[k].right == right) {
            span0 = fmin(span0, ref[k].start);
            span1 = fmax(span1, ref[k].end);
        }
    for (size_t i = 0; i < ns; i++) {
        if (st[i].t_ic < span0 || st[i].t_ic > span1)
            continue;
        double bd = INFINITY;
        for (size_t k = 0; k < nref; k++)
            if (ref[k].right == right)
                bd = fmin(bd, fabs(st[i].t_ic - ref[k].ic));
        CHECK(bd <= 0.15, "%s: detected stride with IC %.3f s is not in the reference", side,
              st[i].t_ic);
    }
    CHECK(mic <= 10, "%s: IC median abs error %.1f ms > 10", side, mic);
    CHECK(mto <= 10, "%s: TO median abs error %.1f ms > 10", side, mto);
    CHECK(msl <= 5, "%s: stride length median abs error %.1f%% > 5%%", side, msl);
    CHECK(fabs(mean_err) <= 5, "%s: mean stride length bias %.1f%% > 5%%", side, mean_err);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s GAITMAP_DIR [--verbose]\n", argv[0]);
        return 2;
    }
    const char *dir = argv[1];
    verbose = argc > 2 && strcmp(argv[2], "--verbose") == 0;
    ref_stride ref[128];
    size_t nref = load_events(dir, ref, 128);
    size_t ntoe = 0;
    double(*toe)[6] = load_toes(dir, &ntoe);
    CHECK(nref == 57, "events.csv: %zu strides, expected 57", nref);
    CHECK(toe && ntoe > 3800, "mocap_sample.csv: %zu rows", ntoe);
    if (nref != 57 || !toe)
        return 1;

    for (int right = 0; right < 2; right++) {
        const char *side = right ? "right" : "left";
        char path[1024];
        snprintf(path, sizeof path, "%s/%s.csv", dir, side);
        pod p;
        if (load_pod(path, &p) != 0) {
            CHECK(0, "cannot read %s", path);
            continue;
        }
        tendo_an_stride st[256], st2[256];
        tendo_an_orientation o;
        size_t ns = analyse(&p, FS, p.n, st, 256, &o);
        check_orientation(right, &p, &o);
        evaluate(side, right, FS, st, ns, ref, nref, toe);

        /* the same recording at 102.4 Hz and 1024 Hz */
        static const size_t rates[2][2] = {{1, 2}, {5, 1}};
        for (int r = 0; r < 2; r++) {
            pod q = resample(&p, rates[r][0], rates[r][1]);
            double fs = FS * (double)rates[r][0] / (double)rates[r][1];
            size_t nq = analyse(&q, fs, 1000, st2, 256, NULL);
            evaluate(side, right, fs, st2, nq, ref, nref, toe);
            free(q.acc);
            free(q.gyr);
        }

        /* any mounting: the same recording with the pod turned on the shoe
         * (on top instead of the side, backwards, and an oblique turn), the
         * orientation found from the data each time */
        static const double turns[3][3] = {{90, 0, 0}, {0, 0, 180}, {30, -50, 120}};
        for (int r = 0; r < 3; r++) {
            pod q = rotated(&p, turns[r]);
            size_t nq = analyse(&q, FS, 1000, st2, 256, NULL);
            if (verbose)
                printf("  mounting turned by %+.0f°/%+.0f°/%+.0f° (x/y/z):\n", turns[r][0],
                       turns[r][1], turns[r][2]);
            evaluate(side, right, FS, st2, nq, ref, nref, toe);
            free(q.acc);
            free(q.gyr);
        }

        /* the mounting given as an override gives the same strides */
        {
            tendo_an_gait *g;
            tendo_error err = {0};
            tendo_an_gait_options opt = {.fs_hz = FS, .r_override = o.r};
            CHECK(tendo_an_gait_new(&g, &opt, &err) == TENDO_OK, "%s", err.msg);
            CHECK(tendo_an_gait_push(g, p.acc, p.gyr, p.n, &err) == TENDO_OK, "%s", err.msg);
            CHECK(tendo_an_gait_finish(g, &err) == TENDO_OK, "%s", err.msg);
            size_t k = 0;
            tendo_an_stride s;
            while (tendo_an_gait_next(g, &s)) {
                CHECK(k < ns && fabs(s.t_ic - st[k].t_ic) < 1e-9, "%s: override stride %zu differs",
                      side, k);
                k++;
            }
            CHECK(k == ns, "%s: %zu strides with the override, %zu estimated", side, k, ns);
            tendo_an_gait_free(g);
        }

        /* chunking must not matter */
        size_t ns2 = analyse(&p, FS, 97, st2, 256, NULL);
        CHECK(ns2 == ns, "%s: %zu strides one-shot, %zu in chunks of 97", side, ns, ns2);
        for (size_t i = 0; i < ns && i < ns2; i++)
            CHECK(fabs(st[i].t_ic - st2[i].t_ic) < 1e-9 &&
                      fabs(st[i].length_m - st2[i].length_m) < 1e-9,
                  "%s stride %zu differs with chunking", side, i);

        free(p.acc);
        free(p.gyr);
    }
    free(toe);
    if (failures)
        fprintf(stderr, "%d failure(s)\n", failures);
    return failures ? 1 : 0;
}
