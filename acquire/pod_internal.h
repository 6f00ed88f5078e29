/*
 * pod_internal.h — helpers shared by the acquire/ protocol modules.
 * Not part of the public API.
 */
#ifndef TENDO_POD_INTERNAL_H
#define TENDO_POD_INTERNAL_H

#include <stdint.h>

/* Explicit little-endian access: the wire format is LE and packed, so we
 * never cast buffers to structs (alignment, padding and host byte order
 * would all leak into the format). */
static inline uint16_t pod_get16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (uint16_t)p[1] << 8);
}

static inline uint32_t pod_get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t pod_get64(const uint8_t *p)
{
    return (uint64_t)pod_get32(p) | (uint64_t)pod_get32(p + 4) << 32;
}

static inline void pod_put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static inline void pod_put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static inline void pod_put64(uint8_t *p, uint64_t v)
{
    pod_put32(p, (uint32_t)v);
    pod_put32(p + 4, (uint32_t)(v >> 32));
}

/* 1 if buf[0, n) is all zero (reserved fields). */
static inline int pod_all_zero(const uint8_t *buf, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        if (buf[i])
            return 0;
    return 1;
}

#endif
