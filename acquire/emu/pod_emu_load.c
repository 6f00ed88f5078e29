/*
 * pod_emu_load.c — a session file's sensor as a pod stores it in flash:
 * blocks of raw int16 samples (PROTOCOL.md section 4) stamped with the pod
 * clock. Reads the file in windows, so memory is the flash image only.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pod_emu_internal.h"
#include "tendo_array.h"
#include "tendo_session.h"

#define STANDARD_GRAVITY 9.80665 /* m/s² per g (CGPM 1901), as PROTOCOL.md section 4 */
#define PI_D             3.14159265358979323846

/* At most one second of samples a block (and never above the 4096-sample
 * limit). Within a block the spacing is nominal in pod ticks, so a clock
 * drifting by D ppm against the IMU puts the last sample of a block off by
 * up to D ppm × 1 s: 50 µs at ±50 ppm, far inside the 1 ms alignment
 * budget of issue 3. Longer blocks would save only 24 header bytes a second. */
static uint32_t block_samples(double rate_hz)
{
    double n = ceil(rate_hz);
    return n > TENDO_POD_BLOCK_MAX_SAMPLES ? TENDO_POD_BLOCK_MAX_SAMPLES : (uint32_t)n;
}

/* The index of the pod of this side in the file, or an error. */
static int find_side(tendo_reader *r, const char *path, uint8_t side, size_t *index,
                     tendo_error *err)
{
    for (size_t i = 0; i < tendo_reader_pod_count(r); i++)
        if ((uint8_t)tendo_reader_pod(r, i)->side == side) {
            *index = i;
            return TENDO_OK;
        }
    return tendo_error_set(err, TENDO_EDATA, "%s has no %s sensor: give the pod the side the file "
                           "holds (--pod SERIAL:left:FILE or SERIAL:right:FILE)",
                           path, side ? "right" : "left");
}

int tendo_pod_emu_add_file(tendo_pod_emu *pod, const char *path, tendo_error *err)
{
    tendo_reader *r = NULL;
    int rc = tendo_reader_open(&r, path, err);
    if (rc)
        return rc;
    size_t pi = 0;
    int64_t first = 0;
    tendo_block blk = {.n = 1, .time_us = &first};
    if (!(rc = find_side(r, path, pod->cfg.side, &pi, err))) {
        if (tendo_reader_sample_count(r, pi) < 1)
            rc = tendo_error_set(err, TENDO_EDATA, "%s: the %s sensor has no samples", path,
                                 pod->cfg.side ? "right" : "left");
        else
            rc = tendo_reader_read_raw(r, pi, 0, &blk, err);
    }
    tendo_reader_close(r);
    if (rc)
        return rc;
    size_t cap = pod->nfiles; /* grown one at a time: few files a pod */
    emu_file *files = tendo_array_reserve(pod->files, &cap, pod->nfiles, sizeof *files, 4);
    char *copy = files ? strdup(path) : NULL;
    if (files)
        pod->files = files;
    if (!copy)
        return tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
    pod->files[pod->nfiles++] = (emu_file){.path = copy, .first_us = first};
    return TENDO_OK;
}

/* The builder of one session: the block being filled and the flash. */
typedef struct builder {
    tendo_pod_emu *pod;
    emu_session *s;
    size_t content_cap, off_cap;
    uint32_t max_count;
    double period_us;
    /* The open block. */
    uint32_t count;
    int64_t t_first; /* file time of its first sample */
    int16_t accel[3 * TENDO_POD_BLOCK_MAX_SAMPLES], gyro[3 * TENDO_POD_BLOCK_MAX_SAMPLES];
    uint8_t status[TENDO_POD_BLOCK_MAX_SAMPLES];
    uint64_t last_tick; /* tick of the previous block's last sample */
} builder;

static int close_block(builder *b, tendo_error *err)
{
    if (b->count == 0)
        return TENDO_OK;
    emu_session *s = b->s;
    tendo_pod_block blk = {.count = (uint16_t)b->count,
                           .index = s->entry.blocks,
                           .t0_ticks = emu_ticks(b->pod, b->t_first),
                           .rate_mhz = s->entry.rate_mhz};
    /* Times increase strictly across blocks, as the host requires. */
    if (s->entry.blocks && blk.t0_ticks <= b->last_tick)
        blk.t0_ticks = b->last_tick + 1;
    size_t size = tendo_pod_block_size(b->count);
    /* Room for the block's last byte and for offset number blocks + 1. */
    uint8_t *content = tendo_array_reserve(s->content, &b->content_cap,
                                           s->entry.size_bytes + size - 1, 1, 1u << 20);
    if (content)
        s->content = content;
    uint64_t *off = content ? tendo_array_reserve(s->block_off, &b->off_cap, s->entry.blocks + 1,
                                                  sizeof *off, 256)
                            : NULL;
    if (!off)
        return tendo_error_set(err, TENDO_EINTERNAL, "out of memory for the flash of pod %s",
                               b->pod->cfg.serial);
    s->block_off = off;
    size_t len = 0;
    int rc = tendo_pod_block_encode(&blk, b->accel, b->gyro, b->status,
                                    s->content + s->entry.size_bytes, size, &len, err);
    if (rc)
        return rc;
    if (s->entry.blocks == 0)
        s->entry.start_ticks = blk.t0_ticks;
    b->last_tick = tendo_pod_sample_ticks(&blk, TENDO_POD_EMU_TICK_HZ, b->count - 1u);
    s->block_off[s->entry.blocks] = s->entry.size_bytes;
    s->entry.size_bytes += len;
    s->entry.samples += b->count;
    s->entry.blocks++;
    s->block_off[s->entry.blocks] = s->entry.size_bytes;
    b->count = 0;
    return TENDO_OK;
}

/* Counts of a full-scale range: the pod's conversion is range × unit / 32768. */
static int16_t to_counts(double si, double per_count)
{
    double c = nearbyint(si / per_count);
    return (int16_t)(c > 32767 ? 32767 : c < -32768 ? -32768 : c);
}

/* INFO's model and firmware: 1–31 printable ASCII (others become '?');
 * an empty text keeps the pod's default. */
static void copy_text(char dst[TENDO_POD_TEXT_MAX + 1], const char *src)
{
    size_t n = 0;
    for (; n < TENDO_POD_TEXT_MAX && src[n]; n++)
        dst[n] = src[n] >= 0x20 && src[n] <= 0x7E ? src[n] : '?';
    if (n)
        dst[n] = '\0';
}

static uint16_t range_u16(double v, double lo, double hi)
{
    double r = nearbyint(v);
    return (uint16_t)(r < lo ? lo : r > hi ? hi : r);
}

int emu_load_session(tendo_pod_emu *pod, const char *path, uint32_t id, tendo_error *err)
{
    tendo_reader *r = NULL;
    int rc = tendo_reader_open(&r, path, err);
    if (rc)
        return rc;
    size_t pi = 0;
    builder *b = calloc(1, sizeof *b);
    size_t rows = TENDO_SESSION_CHUNK_ROWS;
    int64_t *time = malloc(rows * sizeof *time);
    float *fa = malloc(rows * 3 * sizeof *fa), *fg = malloc(rows * 3 * sizeof *fg);
    int16_t *ia = malloc(rows * 3 * sizeof *ia), *ig = malloc(rows * 3 * sizeof *ig);
    uint8_t *st = malloc(rows);
    size_t cap = pod->ns;
    emu_session *sessions = tendo_array_reserve(pod->s, &cap, pod->ns, sizeof *sessions, 4);
    if (sessions)
        pod->s = sessions;
    if (!b || !time || !fa || !fg || !ia || !ig || !st || !sessions)
        rc = tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
    if (!rc)
        rc = find_side(r, path, pod->cfg.side, &pi, err);
    if (rc)
        goto done;
    const tendo_pod_meta *m = tendo_reader_pod(r, pi);
    uint32_t rate_mhz = (uint32_t)llround(m->sample_rate_hz * 1000.0);
    if (rate_mhz < TENDO_POD_RATE_MIN_MHZ || rate_mhz > TENDO_POD_RATE_MAX_MHZ) {
        rc = tendo_error_set(err, TENDO_EDATA, "%s: sample rate %.3f Hz is outside a pod's "
                             "100–2000 Hz", path, m->sample_rate_hz);
        goto done;
    }
    /* Ranges as the file states them, else as its int16 conversion implies. */
    double arange = m->accel_range_g > 0 ? m->accel_range_g
                    : m->storage == TENDO_STORE_INT16
                        ? m->accel_conversion * 32768.0 / STANDARD_GRAVITY
                        : 16.0; /* a float file without a range: a common IMU full scale */
    double grange = m->gyro_range_dps > 0 ? m->gyro_range_dps
                    : m->storage == TENDO_STORE_INT16 && m->has_gyro
                        ? m->gyro_conversion * 32768.0 / (PI_D / 180.0)
                        : 2000.0;
    emu_session *s = &pod->s[pod->ns];
    memset(s, 0, sizeof *s);
    s->entry.id = id;
    s->entry.clock_epoch = 1; /* files are recorded in the pod's first epoch */
    s->entry.rate_mhz = rate_mhz;
    s->entry.accel_range_g = range_u16(arange, 1, TENDO_POD_ACCEL_RANGE_MAX_G);
    s->entry.gyro_range_dps = range_u16(grange, 1, TENDO_POD_GYRO_RANGE_MAX_DPS);
    s->entry.layout = TENDO_POD_LAYOUT_IMU6_I16;
    if (!(s->path = strdup(path))) {
        rc = tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
        goto done;
    }
    pod->ns++; /* owned by the pod from here, freed with it on failure too */
    if (pod->ns == 1 || !pod->model[0]) {
        copy_text(pod->model, m->model);
        copy_text(pod->firmware, m->firmware);
        pod->placement = (uint8_t)m->placement;
    }
    /* Raw counts go to flash untouched when the file's conversion is the
     * pod's; otherwise (float32, other scale) they are requantised. */
    double a_conv = s->entry.accel_range_g * STANDARD_GRAVITY / 32768.0;
    double g_conv = s->entry.gyro_range_dps * (PI_D / 180.0) / 32768.0;
    int a_raw = m->storage == TENDO_STORE_INT16 && fabs(m->accel_conversion - a_conv) <= 1e-9 * a_conv;
    int g_raw = m->storage == TENDO_STORE_INT16 && m->has_gyro &&
                fabs(m->gyro_conversion - g_conv) <= 1e-9 * g_conv;

    b->pod = pod;
    b->s = s;
    b->max_count = block_samples(m->sample_rate_hz);
    b->period_us = 1e9 / rate_mhz;
    int64_t total = tendo_reader_sample_count(r, pi);
    for (int64_t first = 0; first < total; first += (int64_t)rows) {
        size_t n = (size_t)(total - first < (int64_t)rows ? total - first : (int64_t)rows);
        tendo_block raw = {.n = n, .time_us = time, .accel = ia, .gyro = m->has_gyro ? ig : NULL,
                           .status = st};
        tendo_block si = {.n = n, .time_us = time, .accel = fa, .gyro = m->has_gyro ? fg : NULL,
                          .status = st};
        memset(st, 0, n);
        if (a_raw && (g_raw || !m->has_gyro))
            rc = tendo_reader_read_raw(r, pi, first, &raw, err);
        else
            rc = tendo_reader_read_si(r, pi, first, &si, err);
        if (rc)
            goto done;
        for (size_t i = 0; i < n; i++) {
            /* A new block at the size limit or where the file's time leaves
             * the nominal grid by more than half a period (a gap). */
            if (b->count) {
                double grid = (double)b->t_first + b->count * b->period_us;
                if (b->count >= b->max_count || fabs((double)time[i] - grid) > b->period_us / 2)
                    if ((rc = close_block(b, err)))
                        goto done;
            }
            if (b->count == 0)
                b->t_first = time[i];
            for (int k = 0; k < 3; k++) {
                size_t j = 3 * i + (size_t)k, o = 3 * b->count + (size_t)k;
                if (a_raw && (g_raw || !m->has_gyro)) {
                    b->accel[o] = ia[j];
                    b->gyro[o] = m->has_gyro ? ig[j] : 0;
                } else {
                    b->accel[o] = to_counts(fa[j], a_conv);
                    b->gyro[o] = m->has_gyro ? to_counts(fg[j], g_conv) : 0;
                }
            }
            /* The pod's status bits are the file's (PROTOCOL.md section 4). */
            b->status[b->count] = st[i] & 0x07;
            b->count++;
        }
    }
    if ((rc = close_block(b, err)))
        goto done;
    s->entry.crc32 = tendo_pod_crc32(0, s->content, s->entry.size_bytes);
done:
    if (rc)
        tendo_error_prefix(err, "loading %s into pod %s: ", path, pod->cfg.serial);
    tendo_reader_close(r);
    free(b);
    free(time);
    free(fa);
    free(fg);
    free(ia);
    free(ig);
    free(st);
    return rc;
}
