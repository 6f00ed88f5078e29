/*
 * pod_block.c — sample blocks, the content of a session (PROTOCOL.md
 * section 4): packing, checking, and unpacking into pod ticks, raw
 * accel/gyro counts and status bits.
 */
#include "pod_protocol.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "pod_internal.h"

/* The status bits of version 1: accel clipped, gyro clipped, gap before.
 * They are the session file's TENDO_STATUS_* bits, so they are stored as
 * they arrive. */
#define STATUS_KNOWN 0x07u

static int bad_block(tendo_error *err, uint64_t where, size_t off, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int bad_block(tendo_error *err, uint64_t where, size_t off, const char *fmt, ...)
{
    char detail[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    return tendo_error_set(err, TENDO_EDATA, "pod block at session offset %llu, byte %zu: %s",
                           (unsigned long long)where, off, detail);
}

size_t tendo_pod_block_size(uint32_t count)
{
    return TENDO_POD_BLOCK_HEADER_SIZE + (size_t)count * TENDO_POD_SAMPLE_SIZE;
}

int tendo_pod_block_encode(const tendo_pod_block *b, const int16_t *accel, const int16_t *gyro,
                           const uint8_t *status, uint8_t *out, size_t cap, size_t *out_len,
                           tendo_error *err)
{
    if (b->count < 1 || b->count > TENDO_POD_BLOCK_MAX_SAMPLES)
        return tendo_error_set(err, TENDO_EUSAGE, "block of %u samples, expected 1–%u", b->count,
                               TENDO_POD_BLOCK_MAX_SAMPLES);
    size_t size = tendo_pod_block_size(b->count);
    if (cap < size)
        return tendo_error_set(err, TENDO_EUSAGE, "block needs %zu bytes, buffer has %zu", size,
                               cap);
    memset(out, 0, TENDO_POD_BLOCK_HEADER_SIZE);
    out[0] = TENDO_POD_LAYOUT_IMU6_I16;
    pod_put16(out + 2, b->count);
    pod_put32(out + 4, b->index);
    pod_put64(out + 8, b->t0_ticks);
    pod_put32(out + 16, b->rate_mhz);
    uint8_t *s = out + TENDO_POD_BLOCK_HEADER_SIZE;
    for (size_t i = 0; i < b->count; i++, s += TENDO_POD_SAMPLE_SIZE) {
        for (int k = 0; k < 3; k++) {
            pod_put16(s + 2 * k, (uint16_t)(accel ? accel[3 * i + k] : 0));
            pod_put16(s + 6 + 2 * k, (uint16_t)(gyro ? gyro[3 * i + k] : 0));
        }
        s[12] = status ? status[i] : 0;
    }
    *out_len = size;
    return TENDO_OK;
}

int tendo_pod_block_parse(const uint8_t *buf, size_t len, uint64_t where, tendo_pod_block *out,
                          tendo_error *err)
{
    if (len < TENDO_POD_BLOCK_HEADER_SIZE)
        return bad_block(err, where, 0, "%zu bytes, shorter than the %u-byte header", len,
                         TENDO_POD_BLOCK_HEADER_SIZE);
    if (buf[0] != TENDO_POD_LAYOUT_IMU6_I16)
        return bad_block(err, where, 0, "layout %u, expected %u", buf[0],
                         TENDO_POD_LAYOUT_IMU6_I16);
    if (buf[1] || !pod_all_zero(buf + 20, 4))
        return bad_block(err, where, buf[1] ? 1 : 20, "reserved field not zero");
    tendo_pod_block b;
    b.count = pod_get16(buf + 2);
    b.index = pod_get32(buf + 4);
    b.t0_ticks = pod_get64(buf + 8);
    b.rate_mhz = pod_get32(buf + 16);
    if (b.count < 1 || b.count > TENDO_POD_BLOCK_MAX_SAMPLES)
        return bad_block(err, where, 2, "count %u outside 1–%u", b.count,
                         TENDO_POD_BLOCK_MAX_SAMPLES);
    if (len != tendo_pod_block_size(b.count))
        return bad_block(err, where, 2, "%u samples need %zu bytes, the block has %zu", b.count,
                         tendo_pod_block_size(b.count), len);
    if (b.rate_mhz < TENDO_POD_RATE_MIN_MHZ || b.rate_mhz > TENDO_POD_RATE_MAX_MHZ)
        return bad_block(err, where, 16, "rate_mhz %u outside %u–%u", b.rate_mhz,
                         TENDO_POD_RATE_MIN_MHZ, TENDO_POD_RATE_MAX_MHZ);
    const uint8_t *st = buf + TENDO_POD_BLOCK_HEADER_SIZE + 12;
    for (size_t i = 0; i < b.count; i++, st += TENDO_POD_SAMPLE_SIZE)
        if (*st & ~STATUS_KNOWN)
            return bad_block(err, where, (size_t)(st - buf),
                             "sample %zu: status 0x%02X has reserved bits", i, *st);
    *out = b;
    return TENDO_OK;
}

/* Ticks from sample 0 to sample i, rounded to nearest. With i < 4096,
 * tick_hz ≤ 10^9 and the factor 2000 the product stays below 2^53. */
static uint64_t sample_span(uint32_t rate_mhz, uint32_t tick_hz, uint32_t i)
{
    return ((uint64_t)i * tick_hz * 2000u + rate_mhz) / (2u * (uint64_t)rate_mhz);
}

uint64_t tendo_pod_sample_ticks(const tendo_pod_block *b, uint32_t tick_hz, uint32_t i)
{
    return b->t0_ticks + sample_span(b->rate_mhz, tick_hz, i);
}

int tendo_pod_block_follows(const tendo_pod_block *prev, const tendo_pod_block *b,
                            const tendo_pod_session *s, uint32_t tick_hz, uint64_t where,
                            tendo_error *err)
{
    if (tick_hz < TENDO_POD_TICK_HZ_MIN || tick_hz > TENDO_POD_TICK_HZ_MAX)
        return tendo_error_set(err, TENDO_EUSAGE, "tick_hz %u outside %u–%u", tick_hz,
                               TENDO_POD_TICK_HZ_MIN, TENDO_POD_TICK_HZ_MAX);
    if (b->rate_mhz != s->rate_mhz)
        return bad_block(err, where, 16, "rate_mhz %u, the session's is %u", b->rate_mhz,
                         s->rate_mhz);
    uint64_t span = sample_span(b->rate_mhz, tick_hz, b->count - 1u);
    if (b->t0_ticks > UINT64_MAX - span)
        return bad_block(err, where, 8, "t0_ticks %llu: the block's samples overflow the clock",
                         (unsigned long long)b->t0_ticks);
    if (!prev) {
        if (b->index != 0)
            return bad_block(err, where, 4, "index %u, the session's first block is 0", b->index);
        if (b->t0_ticks != s->start_ticks)
            return bad_block(err, where, 8, "t0_ticks %llu, LIST says the session starts at %llu",
                             (unsigned long long)b->t0_ticks, (unsigned long long)s->start_ticks);
        return TENDO_OK;
    }
    if (prev->index == UINT32_MAX || b->index != prev->index + 1)
        return bad_block(err, where, 4, "index %u after block %u", b->index, prev->index);
    uint64_t last = tendo_pod_sample_ticks(prev, tick_hz, prev->count - 1u);
    if (b->t0_ticks <= last)
        return bad_block(err, where, 8,
                         "t0_ticks %llu is not after the previous block's last sample (%llu)",
                         (unsigned long long)b->t0_ticks, (unsigned long long)last);
    if (b->t0_ticks - last > TENDO_POD_BLOCK_MAX_JUMP)
        return bad_block(err, where, 8, "t0_ticks %llu jumps %llu ticks past the previous block",
                         (unsigned long long)b->t0_ticks, (unsigned long long)(b->t0_ticks - last));
    return TENDO_OK;
}

void tendo_pod_block_unpack(const uint8_t *buf, const tendo_pod_block *b, uint32_t tick_hz,
                            uint64_t *ticks, int16_t *accel, int16_t *gyro, uint8_t *status)
{
    const uint8_t *s = buf + TENDO_POD_BLOCK_HEADER_SIZE;
    for (uint32_t i = 0; i < b->count; i++, s += TENDO_POD_SAMPLE_SIZE) {
        if (ticks)
            ticks[i] = tendo_pod_sample_ticks(b, tick_hz, i);
        for (int k = 0; k < 3; k++) {
            if (accel)
                accel[3 * i + k] = (int16_t)pod_get16(s + 2 * k);
            if (gyro)
                gyro[3 * i + k] = (int16_t)pod_get16(s + 6 + 2 * k);
        }
        if (status)
            status[i] = s[12];
    }
}
