/*
 * The validator: the reader's structural checks, then one streaming pass
 * over every sample (time strictly increasing, finite floats) that also
 * counts gaps and clipped samples for `tendo inspect`.
 */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "session_internal.h"

#define WINDOW TENDO_SESSION_CHUNK_ROWS /* one chunk per read: see the header */

typedef struct scan_buffers {
    int64_t time[WINDOW];
    uint8_t status[WINDOW];
    union {
        int16_t i16[3 * WINDOW];
        float f32[3 * WINDOW];
    } accel, gyro;
} scan_buffers;

/* 1 if any of the three int16 counts sits at full scale. */
static int at_full_scale(const int16_t *v)
{
    for (int k = 0; k < 3; k++)
        if (v[k] >= INT16_MAX || v[k] <= INT16_MIN)
            return 1;
    return 0;
}

static int first_non_finite(const float *v, size_t n)
{
    for (size_t i = 0; i < 3 * n; i++)
        if (!isfinite(v[i]))
            return (int)(i / 3);
    return -1;
}

static int scan_pod(tendo_reader *r, const char *path, size_t pod, scan_buffers *b,
                    tendo_pod_report *rep, tendo_error *err)
{
    const tendo_pod_meta *m = tendo_reader_pod(r, pod);
    int64_t total = tendo_reader_sample_count(r, pod);
    int is_int = m->storage == TENDO_STORE_INT16;
    /* A gap is an interval above 1.5 nominal periods: jitter of a working
     * pod stays well inside half a period. */
    double gap_limit_us = 1.5e6 / m->sample_rate_hz;
    int64_t prev = 0, first_time = 0;
    memset(rep, 0, sizeof *rep);
    rep->samples = total;
    for (int64_t first = 0; first < total; first += WINDOW) {
        tendo_block blk = {(size_t)(total - first < WINDOW ? total - first : WINDOW), b->time,
                           &b->accel, m->has_gyro ? (void *)&b->gyro : NULL, b->status};
        int rc = tendo_reader_read_raw(r, pod, first, &blk, err);
        if (rc != TENDO_OK)
            return rc;
        for (size_t i = 0; i < blk.n; i++) {
            int64_t idx = first + (int64_t)i;
            if (idx == 0)
                first_time = b->time[0];
            else if (b->time[i] <= prev)
                return tendo_error_set(err, TENDO_EDATA,
                                       "%s: /sensors/%s/time does not increase at sample %" PRId64
                                       " (%" PRId64 " us after %" PRId64 " us)",
                                       path, m->serial, idx, b->time[i], prev);
            else if ((double)(b->time[i] - prev) > gap_limit_us ||
                     (b->status[i] & TENDO_STATUS_GAP_BEFORE)) {
                rep->gaps++;
                rep->gap_s += (double)(b->time[i] - prev) / 1e6 - 1.0 / m->sample_rate_hz;
            }
            prev = b->time[i];
            int ac = b->status[i] & TENDO_STATUS_ACCEL_CLIPPED;
            int gc = b->status[i] & TENDO_STATUS_GYRO_CLIPPED;
            if (is_int) {
                ac = ac || at_full_scale(&b->accel.i16[3 * i]);
                gc = gc || (m->has_gyro && at_full_scale(&b->gyro.i16[3 * i]));
            }
            rep->accel_clipped += ac != 0;
            rep->gyro_clipped += gc != 0;
        }
        if (!is_int) {
            int bad = first_non_finite(b->accel.f32, blk.n);
            const char *which = "accel";
            if (bad < 0 && m->has_gyro) {
                bad = first_non_finite(b->gyro.f32, blk.n);
                which = "gyro";
            }
            if (bad >= 0)
                return tendo_error_set(err, TENDO_EDATA,
                                       "%s: /sensors/%s/%s holds NaN or infinity at sample %" PRId64,
                                       path, m->serial, which, first + bad);
        }
    }
    rep->first_time_us = first_time;
    rep->last_time_us = prev;
    rep->duration_s = total > 1 ? (double)(prev - first_time) / 1e6 : 0.0;
    rep->measured_rate_hz = rep->duration_s > 0 ? (double)(total - 1) / rep->duration_s : 0.0;
    return TENDO_OK;
}

/* Scans an open reader; closes it whatever the outcome. */
static int validate_reader(tendo_reader *r, const char *name, tendo_report *report,
                           tendo_error *err)
{
    int rc = TENDO_OK;
    tendo_report local = {0};
    tendo_report *rep = report ? report : &local;
    memset(rep, 0, sizeof *rep);
    scan_buffers *b = malloc(sizeof *b);
    if (!b)
        rc = tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
    rep->pods = tendo_reader_pod_count(r);
    if (rc == TENDO_OK)
        rc = tendo_reader_check_chunks(r, err);
    for (size_t i = 0; rc == TENDO_OK && i < rep->pods; i++)
        rc = scan_pod(r, name, i, b, &rep->pod[i], err);
    rep->has_analysis = tendo_reader_exists(r, "/analysis");
    rep->has_truth = tendo_reader_exists(r, "/truth");
    free(b);
    tendo_reader_close(r);
    return rc;
}

int tendo_validate(const char *path, tendo_report *report, tendo_error *err)
{
    tendo_reader *r = NULL;
    int rc = tendo_reader_open(&r, path, err);
    return rc != TENDO_OK ? rc : validate_reader(r, path, report, err);
}

int tendo_validate_image(const void *image, size_t size, const char *name,
                         tendo_report *report, tendo_error *err)
{
    tendo_reader *r = NULL;
    int rc = tendo_reader_open_image(&r, image, size, name, err);
    return rc != TENDO_OK ? rc : validate_reader(r, name ? name : "(memory)", report, err);
}
