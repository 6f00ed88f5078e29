/*
 * import_csv.c — CSV files into a session file (see tendo_import.h).
 */
#include "tendo_import.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WINDOW 4096 /* rows per read/append */
#define RATE_MIN_HZ 0.001
#define RATE_MAX_HZ 100000.0

void tendo_import_csv_defaults(tendo_import_csv_options *o)
{
    memset(o, 0, sizeof *o);
    o->serial[0] = "csv-left";
    o->serial[1] = "csv-right";
    o->label[0] = "left";
    o->label[1] = "right";
    o->athlete = "";
    tendo_time_parse_iso(TENDO_IMPORT_DEFAULT_START, &o->start_us, NULL);
    o->placement = TENDO_PLACEMENT_FOOT;
    o->units.accel_unit = TENDO_ACCEL_MPS2;
    o->units.gyro_unit = TENDO_GYRO_DPS;
}

int tendo_import_parse_placement(const char *word, tendo_placement *out)
{
    if (!strcmp(word, "foot"))
        *out = TENDO_PLACEMENT_FOOT;
    else if (!strcmp(word, "shank"))
        *out = TENDO_PLACEMENT_SHANK;
    else
        return -1;
    return 0;
}

int tendo_import_parse_accel_unit(const char *word, tendo_accel_unit *out)
{
    if (!strcmp(word, "m/s2") || !strcmp(word, "m/s^2"))
        *out = TENDO_ACCEL_MPS2;
    else if (!strcmp(word, "g"))
        *out = TENDO_ACCEL_G;
    else
        return -1;
    return 0;
}

int tendo_import_parse_gyro_unit(const char *word, tendo_gyro_unit *out)
{
    if (!strcmp(word, "deg/s"))
        *out = TENDO_GYRO_DPS;
    else if (!strcmp(word, "rad/s"))
        *out = TENDO_GYRO_RADPS;
    else
        return -1;
    return 0;
}

int tendo_import_serial_ok(const char *s)
{
    size_t len = strlen(s);
    return len > 0 && len < sizeof(((tendo_pod_meta *)0)->serial) &&
           strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") == len;
}

double tendo_import_measured_rate(const tendo_import_pod *p)
{
    if (p->samples < 2 || p->last_us <= p->first_us)
        return 0.0;
    return (double)(p->samples - 1) * 1e6 / (double)(p->last_us - p->first_us);
}

int tendo_import_rate_suspect(const tendo_import_pod *p, double rate_hz)
{
    double measured = tendo_import_measured_rate(p);
    return p->has_time && measured > 0 &&
           fabs(measured - rate_hz) > TENDO_IMPORT_RATE_WARN_FRACTION * rate_hz;
}

/* The options a caller might get wrong, checked before any file is touched. */
static int check(const tendo_import_csv_options *o, tendo_error *err)
{
    if (!o->out)
        return tendo_error_set(err, TENDO_EUSAGE, "no output session file given");
    if (!o->csv[0] && !o->csv[1])
        return tendo_error_set(err, TENDO_EUSAGE, "give at least one CSV file (left or right)");
    if (!(o->rate_hz >= RATE_MIN_HZ && o->rate_hz <= RATE_MAX_HZ))
        return tendo_error_set(err, TENDO_EUSAGE, "the sample rate must be from %g to %g Hz",
                               RATE_MIN_HZ, RATE_MAX_HZ);
    for (int s = 0; s < 2; s++)
        if (o->csv[s] && !tendo_import_serial_ok(o->serial[s]))
            return tendo_error_set(err, TENDO_EUSAGE,
                                   "pod serial '%s' must be 1-63 letters, digits, '_', '.' or "
                                   "'-'",
                                   o->serial[s]);
    if (o->csv[0] && o->csv[1] && !strcmp(o->serial[0], o->serial[1]))
        return tendo_error_set(err, TENDO_EUSAGE, "the left and right pods need different serials");
    if (strlen(o->athlete) >= sizeof(((tendo_session_meta *)0)->athlete_id))
        return tendo_error_set(err, TENDO_EUSAGE, "the athlete id is limited to %zu characters",
                               sizeof(((tendo_session_meta *)0)->athlete_id) - 1);
    return TENDO_OK;
}

static void pod_meta_for(const tendo_import_csv_options *o, tendo_side side, int has_gyro,
                         tendo_pod_meta *pod)
{
    tendo_pod_meta_default(pod);
    snprintf(pod->serial, sizeof pod->serial, "%s", o->serial[side]);
    pod->side = side;
    pod->placement = o->placement;
    pod->sample_rate_hz = o->rate_hz;
    snprintf(pod->model, sizeof pod->model, "CSV import");
    pod->firmware[0] = '\0';
    pod->accel_range_g = 0.0; /* unknown: a CSV does not say */
    pod->gyro_range_dps = 0.0;
    pod->has_gyro = has_gyro;
    pod->storage = TENDO_STORE_FLOAT32;
    pod->accel_conversion = 1.0;
    pod->gyro_conversion = 1.0;
}

/* Streams one CSV into a pod of the writer. */
static int import_pod(tendo_writer *w, size_t pod_index, tendo_csv_reader *csv, double rate,
                      int64_t start_us, tendo_import_pod *res, tendo_error *err)
{
    double *t = malloc(WINDOW * sizeof *t);
    int64_t *time_us = malloc(WINDOW * sizeof *time_us);
    float *accel = malloc(3 * WINDOW * sizeof *accel);
    float *gyro = res->has_gyro ? malloc(3 * WINDOW * sizeof *gyro) : NULL;
    int rc = TENDO_OK;
    if (!t || !time_us || !accel || (res->has_gyro && !gyro))
        rc = tendo_error_set(err, TENDO_EINTERNAL, "out of memory");

    while (rc == TENDO_OK) {
        size_t n = 0;
        rc = tendo_csv_read(csv, WINDOW, t, accel, gyro, &n, err);
        if (rc != TENDO_OK || n == 0)
            break;
        for (size_t i = 0; i < n; i++) {
            double offset_s = res->has_time ? t[i] : (double)(res->samples + (int64_t)i) / rate;
            time_us[i] = start_us + llround(offset_s * 1e6);
        }
        tendo_block blk = {.n = n, .time_us = time_us, .accel = accel, .gyro = gyro};
        rc = tendo_writer_append(w, pod_index, &blk, err);
        if (res->samples == 0)
            res->first_us = time_us[0];
        res->last_us = time_us[n - 1];
        res->samples += (int64_t)n;
    }
    free(t);
    free(time_us);
    free(accel);
    free(gyro);
    return rc;
}

/* Opens both CSVs (headers checked) before anything is created. */
static int open_inputs(const tendo_import_csv_options *o, tendo_csv_reader *csv[2],
                       tendo_import_pod res[2], tendo_error *err)
{
    for (int s = 0; s < 2; s++) {
        if (!o->csv[s])
            continue;
        int rc = tendo_csv_open(&csv[s], o->csv[s], &o->units, err);
        if (rc != TENDO_OK) {
            if (rc == TENDO_ENOINPUT)
                tendo_error_prefix(err, "%s: ", o->label[s] ? o->label[s] : "csv");
            return rc;
        }
        res[s].present = 1;
        res[s].has_gyro = tendo_csv_has_gyro(csv[s]);
        res[s].has_time = tendo_csv_has_time(csv[s]);
    }
    return TENDO_OK;
}

static int write_session(const tendo_import_csv_options *o, tendo_csv_reader *csv[2],
                         tendo_import_pod res[2], tendo_error *err)
{
    tendo_session_meta meta = {0};
    snprintf(meta.athlete_id, sizeof meta.athlete_id, "%s", o->athlete);
    snprintf(meta.source, sizeof meta.source, "import");
    meta.start_time_us = o->start_us;

    tendo_writer *w = NULL;
    int rc = tendo_writer_open(&w, o->out, &meta, o->overwrite, err);
    for (int s = 0; rc == TENDO_OK && s < 2; s++) {
        if (!csv[s])
            continue;
        tendo_pod_meta pod;
        size_t index = 0;
        pod_meta_for(o, (tendo_side)s, res[s].has_gyro, &pod);
        rc = tendo_writer_add_pod(w, &pod, &index, err);
        if (rc == TENDO_OK)
            rc = import_pod(w, index, csv[s], o->rate_hz, o->start_us, &res[s], err);
    }
    if (rc == TENDO_OK)
        return tendo_writer_commit(w, err); /* frees w; removes the temporary on failure */
    if (w)
        tendo_writer_abort(w);
    return rc;
}

int tendo_import_csv(const tendo_import_csv_options *o, tendo_import_pod res[2],
                     tendo_error *err)
{
    memset(res, 0, 2 * sizeof *res);
    int rc = check(o, err);
    if (rc != TENDO_OK)
        return rc;
    tendo_csv_reader *csv[2] = {NULL, NULL};
    rc = open_inputs(o, csv, res, err);
    if (rc == TENDO_OK)
        rc = write_session(o, csv, res, err);
    tendo_csv_close(csv[0]);
    tendo_csv_close(csv[1]);
    return rc;
}
