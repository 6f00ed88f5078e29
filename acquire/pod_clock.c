/*
 * pod_clock.c — pod ticks to UTC (PROTOCOL.md section 5): a straight line
 * through two clock points, with a bound on its error.
 */
#include "pod_protocol.h"

#include <math.h>

/* Mapping more than 2^53 ticks from the reference would lose precision in
 * a double, and no session is that long (285 years at 1 MHz): such a tick
 * value can only come from a corrupt block. */
#define MAX_SPAN_TICKS (1ull << 53)

int tendo_pod_clock_point_from_read(uint64_t ticks, int64_t host_before_us, int64_t host_after_us,
                                    tendo_pod_clock_point *out, tendo_error *err)
{
    if (host_after_us < host_before_us)
        return tendo_error_set(err, TENDO_EUNAVAIL,
                               "the host clock went back %lld µs during a pod clock read "
                               "(NTP step?); read again",
                               (long long)(host_before_us - host_after_us));
    int64_t trip = host_after_us - host_before_us;
    if (trip > TENDO_POD_ROUNDTRIP_MAX_US)
        return tendo_error_set(err, TENDO_EUNAVAIL,
                               "a pod clock read took %lld µs (limit %d): too vague; read again",
                               (long long)trip, TENDO_POD_ROUNDTRIP_MAX_US);
    out->ticks = ticks;
    out->utc_us = host_before_us + trip / 2;
    out->unc_us = (trip + 1) / 2;
    return TENDO_OK;
}

int tendo_pod_clock_fit(const tendo_pod_clock_point *a, const tendo_pod_clock_point *b,
                        uint32_t tick_hz, tendo_pod_clock_map *out, tendo_error *err)
{
    if (tick_hz < TENDO_POD_TICK_HZ_MIN || tick_hz > TENDO_POD_TICK_HZ_MAX)
        return tendo_error_set(err, TENDO_EUSAGE, "tick_hz %u outside %u–%u", tick_hz,
                               TENDO_POD_TICK_HZ_MIN, TENDO_POD_TICK_HZ_MAX);
    if (b->ticks <= a->ticks)
        return tendo_error_set(err, TENDO_EDATA,
                               "pod clock did not advance between two reads (%llu then %llu)",
                               (unsigned long long)a->ticks, (unsigned long long)b->ticks);
    if (b->ticks - a->ticks > MAX_SPAN_TICKS)
        return tendo_error_set(err, TENDO_EDATA, "pod clock jumped %llu ticks between two reads",
                               (unsigned long long)(b->ticks - a->ticks));
    if (b->utc_us <= a->utc_us)
        return tendo_error_set(err, TENDO_EDATA,
                               "host UTC did not advance between two pod clock reads "
                               "(%lld then %lld µs)",
                               (long long)a->utc_us, (long long)b->utc_us);
    double dticks = (double)(b->ticks - a->ticks);
    double us_per_tick = (double)(b->utc_us - a->utc_us) / dticks;
    double drift = (1e6 / tick_hz) / us_per_tick - 1.0;
    if (!(fabs(drift) * 1e6 <= TENDO_POD_DRIFT_MAX_PPM))
        return tendo_error_set(err, TENDO_EDATA,
                               "pod clock runs %.0f ppm off its nominal %u Hz, beyond ±%.0f ppm: "
                               "a clock read is wrong or the counter jumped",
                               drift * 1e6, tick_hz, TENDO_POD_DRIFT_MAX_PPM);
    out->ref_ticks = b->ticks;
    out->ref_utc_us = b->utc_us;
    out->us_per_tick = us_per_tick;
    out->drift_ppm = drift * 1e6;
    out->ref_unc_us = (double)b->unc_us;
    out->slope_unc = (double)(a->unc_us + b->unc_us) / dticks;
    return TENDO_OK;
}

/* Signed distance of t from the reference; 0 when it is too far. */
static int span(const tendo_pod_clock_map *m, uint64_t t, double *d)
{
    uint64_t mag = t >= m->ref_ticks ? t - m->ref_ticks : m->ref_ticks - t;
    if (mag > MAX_SPAN_TICKS)
        return 0;
    *d = t >= m->ref_ticks ? (double)mag : -(double)mag;
    return 1;
}

int tendo_pod_clock_to_utc(const tendo_pod_clock_map *m, const uint64_t *ticks, size_t n,
                           int64_t *utc_us, tendo_error *err)
{
    for (size_t i = 0; i < n; i++) {
        double d;
        if (!span(m, ticks[i], &d))
            return tendo_error_set(err, TENDO_EDATA,
                                   "pod tick %llu (value %zu) is more than 2^53 ticks from the "
                                   "clock reading at %llu",
                                   (unsigned long long)ticks[i], i,
                                   (unsigned long long)m->ref_ticks);
        utc_us[i] = m->ref_utc_us + llround(d * m->us_per_tick);
    }
    return TENDO_OK;
}

double tendo_pod_clock_error_us(const tendo_pod_clock_map *m, uint64_t ticks)
{
    double d;
    if (!span(m, ticks, &d))
        return INFINITY;
    return m->ref_unc_us + m->slope_unc * fabs(d);
}

int tendo_pod_clock_check(const tendo_pod_clock_map *m, const tendo_pod_clock_point *p,
                          tendo_error *err)
{
    int64_t predicted;
    int rc = tendo_pod_clock_to_utc(m, &p->ticks, 1, &predicted, err);
    if (rc)
        return rc;
    /* +1 µs for the rounding of both values. */
    double allowed = (double)p->unc_us + tendo_pod_clock_error_us(m, p->ticks) + 1.0;
    double off = fabs((double)(predicted - p->utc_us));
    if (off > allowed)
        return tendo_error_set(err, TENDO_EDATA,
                               "pod clock read at tick %llu is %.0f µs off the fitted clock "
                               "(allowed %.0f µs): the pod's counter jumped",
                               (unsigned long long)p->ticks, off, allowed);
    return TENDO_OK;
}
