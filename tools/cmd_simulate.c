/*
 * cmd_simulate.c — `tendo simulate`: a synthetic two-foot run with ground
 * truth, written as a session file (source "simulate").
 *
 * The generator (tools/sim) is pure computation; this file reads the
 * profile, streams both pods block by block into the session writer (so a
 * long session never sits in memory), then adds /truth. Same seed and
 * options → the same bytes. The model and its sources: tools/SIMULATOR.md.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "tendo_session.h"
#include "tendo_sim.h"

#define CMD "simulate"
#define DEFAULT_START "2026-11-21T07:30:00Z"
#define DEFAULT_ATHLETE "sim-athlete"
#define BLOCK 8192                   /* samples per pod per append */
#define PROFILE_MAX_BYTES (16 << 20) /* a profile is a few kB; refuse anything absurd */

typedef struct sim_cli {
    const char *out, *profile, *athlete, *start;
    double minutes, speed, rate;
    int64_t seed;
    int force, json, ideal;
    int minutes_given, speed_given;
    int heel_raise;  /* --heel-raise: the calf-capacity test */
    int placement;   /* --placement: -1 as the profile says, 0 foot, 1 shank */
    int64_t reps[2]; /* left, right */
    double height_cm[2];
} sim_cli;

/* The help names the rate range in words; keep it true to the simulator's. */
_Static_assert((int)TENDO_SIM_RATE_MIN == 100 && (int)TENDO_SIM_RATE_MAX == 2000,
               "update --rate in USAGE");

static const char USAGE[] =
"usage: tendo simulate --out FILE.h5 [options]\n"
"\n"
"Makes a synthetic but physically consistent two-foot recording: one 6-axis\n"
"IMU pod on each shoe, with ground truth (every step's contact and toe-off\n"
"times, contact time, stride, speed, grade, footstrike) under /truth.\n"
"Simulated data is for tests and demos: never present it as a real recording.\n"
"\n"
"Options:\n"
"  --out FILE          session file to create\n"
"  --profile FILE      JSON list of segments (rest / walk / run, duration,\n"
"                      speed, grade, footstrike); see tools/SIMULATOR.md\n"
"  --minutes M         without --profile: total length (default 10): stand\n"
"                      10 s, walk 1 min, run, walk 1 min, stand 10 s\n"
"  --speed M/S         without --profile: the run's speed (default 3.0)\n"
"  --rate HZ           pod sample rate, 100–2000 (default 1000)\n"
"  --seed N            everything random follows from it (default 1)\n"
"  --athlete ID        athlete id stored in the session (default " DEFAULT_ATHLETE ")\n"
"  --start ISO8601     session start in UTC (default " DEFAULT_START ")\n"
"  --ideal             no sensor noise, bias, scale error or clock error\n"
"  --placement P       foot (default): a 6-axis pod on each shoe; shank: an\n"
"                      accelerometer-only pod on each distal tibia, with the\n"
"                      tibial shock at every contact (tools/SIMULATOR.md)\n"
"  --force             replace --out if it exists\n"
"\n"
"Heel-raise test (calf capacity, for 'tendo capacity'):\n"
"  --heel-raise        instead of a run: single-leg heel raises to fatigue at\n"
"                      30/min, left foot then right, the other foot lifted;\n"
"                      the truth holds every repetition and its height\n"
"  --reps-left N       repetitions of the left foot (default 24; 0 = none)\n"
"  --reps-right N      repetitions of the right foot (default 24; 0 = none)\n"
"  --height-left CM    heel height of the first left repetition (default 12);\n"
"                      heights fall to 60 % of it by the last one\n"
"  --height-right CM   the same for the right foot (default 12)\n"
"  --json              print one JSON object instead of the summary\n"
"  --help              show this help\n"
"\n"
"Example:\n"
"  tendo simulate --out run.h5 --minutes 20 --speed 3.5 --seed 7\n"
"  tendo simulate --out hills.h5 --profile sample-data/profiles/hilly.json\n"
"  tendo simulate --heel-raise --out calf.h5 --reps-left 25 --reps-right 18 \\\n"
"                 --height-right 9\n"
"\n"
"Exit codes: 0 ok, 64 bad options, 65 malformed profile (the message names\n"
"the file and field), 66 profile missing, 73 --out exists (use --force),\n"
"74 I/O error.\n";

/* ------------------------------------------------------------- options */


/* Parses argv into o; returns -1 to go on, or an exit code (0 for --help). */
static int parse_args(int argc, char **argv, sim_cli *o)
{
    const char *minutes = NULL, *speed = NULL, *rate = NULL, *seed = NULL;
    const char *reps[2] = {NULL, NULL}, *height[2] = {NULL, NULL}, *placement = NULL;
    const cli_opt opts[] = {
        {"--force", NULL, &o->force},          {"--json", NULL, &o->json},
        {"--ideal", NULL, &o->ideal},          {"--heel-raise", NULL, &o->heel_raise},
        {"--out", &o->out, NULL},              {"--profile", &o->profile, NULL},
        {"--minutes", &minutes, NULL},         {"--speed", &speed, NULL},
        {"--rate", &rate, NULL},               {"--seed", &seed, NULL},
        {"--athlete", &o->athlete, NULL},      {"--start", &o->start, NULL},
        {"--placement", &placement, NULL},     {"--reps-left", &reps[0], NULL},
        {"--reps-right", &reps[1], NULL},      {"--height-left", &height[0], NULL},
        {"--height-right", &height[1], NULL}};
    size_t npos;
    int r = cli_scan(CMD, USAGE, argc, argv, opts, sizeof opts / sizeof *opts, NULL, 0, &npos);
    if (r != CLI_GO)
        return r;
    if (!o->out)
        return cli_usage(CMD, "--out FILE.h5 is required");
    if (minutes && cli_parse_double(CMD, "--minutes", minutes, 0.5, 2880.0, &o->minutes))
        return CLI_EXIT_USAGE;
    if (speed && cli_parse_double(CMD, "--speed", speed, 1.8, 9.0, &o->speed))
        return CLI_EXIT_USAGE;
    if (rate && cli_parse_double(CMD, "--rate", rate, TENDO_SIM_RATE_MIN, TENDO_SIM_RATE_MAX,
                                 &o->rate))
        return CLI_EXIT_USAGE;
    if (seed && cli_parse_int64(CMD, "--seed", seed, 0, INT64_MAX, &o->seed))
        return CLI_EXIT_USAGE;
    if (placement && strcmp(placement, "foot") && strcmp(placement, "shank"))
        return cli_usage(CMD, "--placement must be foot or shank, not '%s'", placement);
    if (placement)
        o->placement = !strcmp(placement, "shank");
    if (o->profile && (minutes || speed))
        return cli_usage(CMD, "--minutes and --speed shape the built-in profile; "
                              "with --profile, set durations and speeds in the file");
    if (o->heel_raise && (o->profile || minutes || speed))
        return cli_usage(CMD, "--heel-raise makes its own test; it takes no --profile, "
                              "--minutes or --speed (a profile can hold heel_raise segments)");
    static const char *const rep_opt[2] = {"--reps-left", "--reps-right"};
    static const char *const h_opt[2] = {"--height-left", "--height-right"};
    for (int f = 0; f < 2; f++) {
        if ((reps[f] || height[f]) && !o->heel_raise)
            return cli_usage(CMD, "%s belongs to the heel-raise test: add --heel-raise",
                             reps[f] ? rep_opt[f] : h_opt[f]);
        if (reps[f] && cli_parse_int64(CMD, rep_opt[f], reps[f], 0, 200, &o->reps[f]))
            return CLI_EXIT_USAGE;
        if (height[f] && cli_parse_double(CMD, h_opt[f], height[f], 4.0, 16.0, &o->height_cm[f]))
            return CLI_EXIT_USAGE;
    }
    if (o->heel_raise && o->reps[0] + o->reps[1] == 0)
        return cli_usage(CMD, "--reps-left and --reps-right are both 0: nothing to simulate");
    if (o->athlete && strlen(o->athlete) >= sizeof(((tendo_session_meta *)0)->athlete_id))
        return cli_usage(CMD, "--athlete is longer than %zu characters",
                         sizeof(((tendo_session_meta *)0)->athlete_id) - 1);
    return -1;
}

/* ------------------------------------------------------------- profile */

/* Reads a whole (small) file; TENDO_ENOINPUT when it cannot be opened. */
static int read_text(const char *path, char **out, tendo_error *err)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return tendo_error_set(err, TENDO_ENOINPUT, "cannot open profile %s: %s", path,
                               strerror(errno));
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        if (n + 1 >= cap) {
            if (cap >= PROFILE_MAX_BYTES) {
                free(buf);
                fclose(f);
                return tendo_error_set(err, TENDO_EDATA, "%s: larger than %d bytes; not a profile",
                                       path, PROFILE_MAX_BYTES);
            }
            char *nb = realloc(buf, cap * 2);
            if (!nb)
                break;
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - 1 - n, f);
        n += got;
        if (got == 0)
            break;
    }
    int ioerr = ferror(f);
    fclose(f);
    if (!buf)
        return tendo_error_set(err, TENDO_EINTERNAL, "out of memory reading %s", path);
    if (ioerr) {
        free(buf);
        return tendo_error_set(err, TENDO_EIO, "reading profile %s failed", path);
    }
    buf[n] = '\0';
    if (strlen(buf) != n) {
        free(buf);
        return tendo_error_set(err, TENDO_EDATA, "%s: contains a NUL byte; not a JSON profile",
                               path);
    }
    *out = buf;
    return TENDO_OK;
}

static int load_profile(const sim_cli *o, tendo_sim_profile *p, tendo_error *err)
{
    if (o->heel_raise)
        return tendo_sim_profile_heel_raise((int)o->reps[0], (int)o->reps[1],
                                            o->height_cm[0] / 100.0, o->height_cm[1] / 100.0, p,
                                            err);
    if (!o->profile)
        return tendo_sim_profile_default(o->minutes, o->speed, p, err);
    char *text = NULL;
    int rc = read_text(o->profile, &text, err);
    if (rc) {
        tendo_sim_profile_init(p);
        return rc;
    }
    rc = tendo_sim_profile_parse(text, o->profile, p, err);
    free(text);
    return rc;
}

/* The profile, with --placement applied. */
static int load_profile_placed(const sim_cli *o, tendo_sim_profile *p, tendo_error *err)
{
    int rc = load_profile(o, p, err);
    if (!rc && o->placement >= 0)
        rc = tendo_sim_profile_set_placement(p, o->placement, err);
    return rc;
}

/* --------------------------------------------------------------- truth */

static const tendo_column STEP_COLS[] = {
    {"ic_s", TENDO_COL_F64, offsetof(tendo_sim_step, ic_s)},
    {"to_s", TENDO_COL_F64, offsetof(tendo_sim_step, to_s)},
    {"gct_ms", TENDO_COL_F64, offsetof(tendo_sim_step, gct_ms)},
    {"stride_s", TENDO_COL_F64, offsetof(tendo_sim_step, stride_s)},
    {"speed_mps", TENDO_COL_F64, offsetof(tendo_sim_step, speed_mps)},
    {"grade", TENDO_COL_F64, offsetof(tendo_sim_step, grade)},
    {"stride_len_m", TENDO_COL_F64, offsetof(tendo_sim_step, stride_len_m)},
    {"dz_m", TENDO_COL_F64, offsetof(tendo_sim_step, dz_m)},
    {"kind", TENDO_COL_STR16, offsetof(tendo_sim_step, kind)},
    {"footstrike", TENDO_COL_STR16, offsetof(tendo_sim_step, footstrike)},
    {"flat_start_s", TENDO_COL_F64, offsetof(tendo_sim_step, flat_start_s)},
    {"flat_end_s", TENDO_COL_F64, offsetof(tendo_sim_step, flat_end_s)},
    {"impact_g", TENDO_COL_F64, offsetof(tendo_sim_step, impact_g)},
};

static const tendo_column SEGMENT_COLS[] = {
    {"start_s", TENDO_COL_F64, offsetof(tendo_sim_segment_row, start_s)},
    {"end_s", TENDO_COL_F64, offsetof(tendo_sim_segment_row, end_s)},
    {"kind", TENDO_COL_STR16, offsetof(tendo_sim_segment_row, kind)},
    {"speed_mps", TENDO_COL_F64, offsetof(tendo_sim_segment_row, speed_mps)},
    {"grade", TENDO_COL_F64, offsetof(tendo_sim_segment_row, grade)},
    {"footstrike", TENDO_COL_STR16, offsetof(tendo_sim_segment_row, footstrike)},
};

static const tendo_column HEEL_COLS[] = {
    {"start_s", TENDO_COL_F64, offsetof(tendo_sim_heel_rep, start_s)},
    {"top_s", TENDO_COL_F64, offsetof(tendo_sim_heel_rep, top_s)},
    {"end_s", TENDO_COL_F64, offsetof(tendo_sim_heel_rep, end_s)},
    {"height_m", TENDO_COL_F64, offsetof(tendo_sim_heel_rep, height_m)},
    {"angle_deg", TENDO_COL_F64, offsetof(tendo_sim_heel_rep, angle_deg)},
    {"pod_rise_m", TENDO_COL_F64, offsetof(tendo_sim_heel_rep, pod_rise_m)},
};

#define NCOLS(a) (sizeof(a) / sizeof((a)[0]))

/* A small JSON array of doubles at full precision, e.g. "[1,0,0]". */
static void json_array(const double *v, int n, char *out, size_t size)
{
    size_t len = 0;
    len += (size_t)snprintf(out + len, size - len, "[");
    for (int i = 0; i < n && len < size; i++)
        len += (size_t)snprintf(out + len, size - len, "%s%.17g", i ? "," : "", v[i]);
    if (len < size)
        snprintf(out + len, size - len, "]");
}

static int put_pod_truth(tendo_writer *w, const tendo_sim *s, size_t pod, tendo_error *err)
{
    const tendo_sim_pod_info *in = tendo_sim_pod(s, pod);
    char group[96], path[128], buf[512];
    snprintf(group, sizeof group, "/truth/%s", in->serial);
    snprintf(path, sizeof path, "%s/steps", group);
    const tendo_sim_step *rows;
    size_t n = tendo_sim_steps(s, pod, &rows);
    int rc = tendo_writer_put_table(w, path, STEP_COLS, NCOLS(STEP_COLS), rows, sizeof *rows, n, err);
    if (rc)
        return rc;
    const tendo_sim_heel_rep *reps;
    size_t nreps = tendo_sim_heel_reps(s, pod, &reps);
    if (nreps) { /* only heel-raise tests have this table */
        snprintf(path, sizeof path, "%s/heel_raises", group);
        rc = tendo_writer_put_table(w, path, HEEL_COLS, NCOLS(HEEL_COLS), reps, sizeof *reps, nreps,
                                    err);
        if (rc)
            return rc;
    }
    json_array(in->mounting, 9, buf, sizeof buf);
    if ((rc = tendo_writer_put_attr_str(w, group, "mounting_matrix", buf, err)))
        return rc;
    if ((rc = tendo_writer_put_attr_str(w, group, "mounting_convention",
                                        "v_foot = M * v_sensor; M row-major; foot frame x toes, "
                                        "y left, z up out of the sole",
                                        err)))
        return rc;
    json_array(in->mounting_deg, 3, buf, sizeof buf);
    if ((rc = tendo_writer_put_attr_str(w, group, "mounting_rpy_deg", buf, err)))
        return rc;
    json_array(in->accel_bias, 3, buf, sizeof buf);
    if ((rc = tendo_writer_put_attr_str(w, group, "accel_bias_mps2", buf, err)))
        return rc;
    json_array(in->gyro_bias, 3, buf, sizeof buf);
    if ((rc = tendo_writer_put_attr_str(w, group, "gyro_bias_rads", buf, err)))
        return rc;
    if ((rc = tendo_writer_put_attr_str(w, group, "side", pod ? "right" : "left", err)) ||
        (rc = tendo_writer_put_attr_f64(w, group, "drift_ppm", in->drift_ppm, err)) ||
        (rc = tendo_writer_put_attr_f64(w, group, "start_offset_s", in->start_offset_s, err)) ||
        (rc = tendo_writer_put_attr_f64(w, group, "accel_noise_sd_mps2", in->accel_noise_sd, err)) ||
        (rc = tendo_writer_put_attr_f64(w, group, "gyro_noise_sd_rads", in->gyro_noise_sd, err)))
        return rc;
    return TENDO_OK;
}

static int put_truth(tendo_writer *w, const tendo_sim *s, const tendo_sim_profile *p,
                     const sim_cli *o, tendo_error *err)
{
    const tendo_sim_segment_row *segs;
    size_t nseg = tendo_sim_segments(s, &segs);
    int rc = tendo_writer_put_table(w, "/truth/segments", SEGMENT_COLS, NCOLS(SEGMENT_COLS), segs,
                                    sizeof *segs, nseg, err);
    for (size_t pod = 0; !rc && pod < TENDO_SIM_PODS; pod++)
        rc = put_pod_truth(w, s, pod, err);
    if (rc)
        return rc;
    tendo_sim_totals t;
    tendo_sim_get_totals(s, &t);
    char seed[32];
    snprintf(seed, sizeof seed, "%" PRId64, o->seed);
    if ((rc = tendo_writer_put_attr_f64(w, "/truth", "distance_m", t.distance_m, err)) ||
        (rc = tendo_writer_put_attr_f64(w, "/truth", "ascent_m", t.ascent_m, err)) ||
        (rc = tendo_writer_put_attr_f64(w, "/truth", "descent_m", t.descent_m, err)) ||
        (rc = tendo_writer_put_attr_f64(w, "/truth", "duration_s", t.duration_s, err)) ||
        (rc = tendo_writer_put_attr_str(w, "/truth", "seed", seed, err)) ||
        (rc = tendo_writer_put_attr_str(w, "/truth", "ideal", o->ideal ? "yes" : "no", err)) ||
        (rc = tendo_writer_put_attr_str(w, "/truth", "profile", p->json, err)) ||
        (rc = tendo_writer_put_attr_str(w, "/truth", "note",
                                        "SIMULATED DATA from tendo simulate (model: "
                                        "tools/SIMULATOR.md). Not a recording of a person; "
                                        "never present it as real data.",
                                        err)))
        return rc;
    return TENDO_OK;
}

/* ------------------------------------------------------------- samples */

static void pod_meta(const tendo_sim_profile *p, const tendo_sim_pod_info *in, double rate,
                     tendo_pod_meta *m)
{
    tendo_pod_meta_default(m);
    snprintf(m->serial, sizeof m->serial, "%s", in->serial);
    m->side = in->side ? TENDO_SIDE_RIGHT : TENDO_SIDE_LEFT;
    m->sample_rate_hz = rate;
    snprintf(m->model, sizeof m->model, "tendo-sim");
    snprintf(m->firmware, sizeof m->firmware, "sim-1");
    m->accel_range_g = p->pods.accel_range_g;
    m->gyro_range_dps = p->pods.gyro_range_dps;
    if (p->pods.shank) { /* tibial-acceleration research pods: no gyroscope */
        m->placement = TENDO_PLACEMENT_SHANK;
        m->has_gyro = 0;
        m->gyro_range_dps = 0.0;
    }
    if (p->pods.float32) {
        m->storage = TENDO_STORE_FLOAT32;
        m->accel_conversion = 1.0;
        m->gyro_conversion = 1.0;
    } else { /* full scale maps to 2^15 counts, as tendo_pod_meta_default */
        m->storage = TENDO_STORE_INT16;
        m->accel_conversion = m->accel_range_g * TENDO_SIM_GRAVITY / 32768.0;
        m->gyro_conversion = m->gyro_range_dps * (M_PI / 180.0) / 32768.0;
    }
}

typedef struct buffers {
    int64_t t[BLOCK];
    double a[3 * BLOCK], g[3 * BLOCK];
    uint8_t st[BLOCK];
    int16_t ai[3 * BLOCK], gi[3 * BLOCK];
    float af[3 * BLOCK], gf[3 * BLOCK];
} buffers;

/* Streams one pod into the writer; counts clipped samples. */
static int write_pod(tendo_writer *w, tendo_sim *s, size_t pod, size_t idx, const tendo_pod_meta *m,
                     buffers *b, int64_t *clipped, tendo_error *err)
{
    tendo_sim_block blk = {b->t, NULL, b->a, b->g, b->st};
    size_t n;
    while ((n = tendo_sim_next(s, pod, BLOCK, &blk)) > 0) {
        tendo_block out = {n, b->t, NULL, NULL, b->st};
        if (m->storage == TENDO_STORE_INT16) {
            tendo_sim_to_int16(b->a, 3 * n, m->accel_conversion, b->ai);
            tendo_sim_to_int16(b->g, 3 * n, m->gyro_conversion, b->gi);
            out.accel = b->ai;
            out.gyro = b->gi;
        } else {
            for (size_t i = 0; i < 3 * n; i++) {
                b->af[i] = (float)b->a[i];
                b->gf[i] = (float)b->g[i];
            }
            out.accel = b->af;
            out.gyro = b->gf;
        }
        for (size_t i = 0; i < n; i++)
            *clipped += b->st[i] != 0;
        int rc = tendo_writer_append(w, idx, &out, err);
        if (rc)
            return rc;
    }
    return TENDO_OK;
}

static void print_summary(const sim_cli *o, const tendo_sim *s, const int64_t clipped[2])
{
    tendo_sim_totals t;
    tendo_sim_get_totals(s, &t);
    const tendo_sim_step *r0, *r1;
    size_t n0 = tendo_sim_steps(s, 0, &r0), n1 = tendo_sim_steps(s, 1, &r1);
    const tendo_sim_pod_info *a = tendo_sim_pod(s, 0), *b = tendo_sim_pod(s, 1);
    if (o->json) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "file", o->out);
        cJSON_AddStringToObject(j, "session_id", tendo_sim_session_id(s));
        cJSON_AddNumberToObject(j, "seed", (double)o->seed);
        cJSON_AddNumberToObject(j, "duration_s", t.duration_s);
        cJSON_AddNumberToObject(j, "rate_hz", o->rate);
        cJSON_AddNumberToObject(j, "distance_m", t.distance_m);
        cJSON_AddNumberToObject(j, "ascent_m", t.ascent_m);
        cJSON_AddNumberToObject(j, "descent_m", t.descent_m);
        cJSON_AddNumberToObject(j, "steps", (double)(n0 + n1));
        cJSON *pods = cJSON_AddArrayToObject(j, "pods");
        for (int k = 0; k < 2; k++) {
            const tendo_sim_pod_info *in = k ? b : a;
            cJSON *p = cJSON_CreateObject();
            cJSON_AddStringToObject(p, "serial", in->serial);
            cJSON_AddStringToObject(p, "side", k ? "right" : "left");
            cJSON_AddNumberToObject(p, "samples", (double)in->samples);
            cJSON_AddNumberToObject(p, "clipped_samples", (double)clipped[k]);
            const tendo_sim_heel_rep *reps;
            size_t nr = tendo_sim_heel_reps(s, (size_t)k, &reps);
            if (nr) {
                double sum = 0.0;
                for (size_t i = 0; i < nr; i++)
                    sum += reps[i].height_m;
                cJSON_AddNumberToObject(p, "heel_raises", (double)nr);
                cJSON_AddNumberToObject(p, "heel_raise_height_mean_m", sum / (double)nr);
            }
            cJSON_AddItemToArray(pods, p);
        }
        cli_print_json_line(j);
        return;
    }
    printf("wrote %s (SIMULATED): %.1f min, 2 pods at %g Hz (%s %" PRId64 ", %s %" PRId64
           " samples)\n",
           o->out, t.duration_s / 60.0, o->rate, a->serial, a->samples, b->serial, b->samples);
    printf("truth: %zu steps, %.0f m, +%.1f m / -%.1f m; clipped samples %" PRId64 " / %" PRId64
           "\n",
           n0 + n1, t.distance_m, t.ascent_m, t.descent_m, clipped[0], clipped[1]);
    for (size_t k = 0; k < TENDO_SIM_PODS; k++) {
        const tendo_sim_heel_rep *reps;
        size_t nr = tendo_sim_heel_reps(s, k, &reps);
        if (!nr)
            continue;
        double sum = 0.0;
        for (size_t i = 0; i < nr; i++)
            sum += reps[i].height_m;
        printf("truth: %s foot %zu heel raises, %.1f cm first, %.1f cm last, %.1f cm mean\n",
               k ? "right" : "left", nr, 100.0 * reps[0].height_m, 100.0 * reps[nr - 1].height_m,
               100.0 * sum / (double)nr);
    }
}

static int run(const sim_cli *o, const tendo_sim_profile *p, tendo_error *err)
{
    tendo_sim_options opt;
    tendo_sim_options_default(&opt);
    opt.rate_hz = o->rate;
    opt.seed = (uint64_t)o->seed;
    opt.ideal = o->ideal;
    int rc = tendo_time_parse_iso(o->start, &opt.start_time_us, err);
    if (rc)
        return rc;
    tendo_sim *s = NULL;
    if ((rc = tendo_sim_create(&s, p, &opt, err)))
        return rc;

    tendo_session_meta meta;
    memset(&meta, 0, sizeof meta);
    snprintf(meta.session_id, sizeof meta.session_id, "%s", tendo_sim_session_id(s));
    snprintf(meta.athlete_id, sizeof meta.athlete_id, "%s", o->athlete);
    meta.start_time_us = opt.start_time_us;
    snprintf(meta.source, sizeof meta.source, "simulate");

    tendo_writer *w = NULL;
    buffers *b = malloc(sizeof *b);
    int64_t clipped[2] = {0, 0};
    if (!b) {
        rc = tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
    } else if (!(rc = tendo_writer_open(&w, o->out, &meta, o->force, err))) {
        tendo_pod_meta m[TENDO_SIM_PODS];
        size_t idx[TENDO_SIM_PODS];
        for (size_t pod = 0; !rc && pod < TENDO_SIM_PODS; pod++) {
            pod_meta(p, tendo_sim_pod(s, pod), o->rate, &m[pod]);
            rc = tendo_writer_add_pod(w, &m[pod], &idx[pod], err);
        }
        for (size_t pod = 0; !rc && pod < TENDO_SIM_PODS; pod++)
            rc = write_pod(w, s, pod, idx[pod], &m[pod], b, &clipped[pod], err);
        if (!rc)
            rc = put_truth(w, s, p, o, err);
        if (rc)
            tendo_writer_abort(w);
        else
            rc = tendo_writer_commit(w, err);
    }
    if (!rc)
        print_summary(o, s, clipped);
    free(b);
    tendo_sim_free(s);
    return rc;
}

int tendo_cmd_simulate(int argc, char **argv)
{
    sim_cli o = {.athlete = DEFAULT_ATHLETE,
                 .start = DEFAULT_START,
                 .minutes = 10.0,
                 .speed = 3.0,
                 .rate = 1000.0,
                 .seed = 1,
                 .placement = -1,
                 .reps = {24, 24},
                 .height_cm = {12.0, 12.0}};
    int code = parse_args(argc, argv, &o);
    if (code >= 0)
        return code;
    tendo_error err;
    tendo_error_clear(&err);
    tendo_sim_profile p;
    int rc = load_profile_placed(&o, &p, &err);
    if (!rc)
        rc = run(&o, &p, &err);
    tendo_sim_profile_free(&p);
    if (rc) {
        /* Bad --minutes/--speed come back as usage errors from the profile. */
        if (rc == TENDO_EUSAGE)
            return cli_usage(CMD, "%s", err.msg);
        return cli_fail(CMD, &err);
    }
    return 0;
}
