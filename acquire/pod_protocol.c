/*
 * pod_protocol.c — control requests and replies, GET_ERROR codes and USB
 * strings of the pod protocol (PROTOCOL.md sections 1 and 2).
 */
#include "pod_protocol.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "pod_internal.h"

#define TYPE_IN  0xC1 /* device-to-host | vendor | interface */
#define TYPE_OUT 0x41 /* host-to-device | vendor | interface */

/* The one table of requests: the setup builder, the pod-side envelope
 * check and the names in messages all read it. */
static const struct request_def {
    uint8_t request;
    const char *name;
    int in;          /* 1: data flows pod → host */
    uint16_t length; /* exact wLength */
} requests[] = {
    {TENDO_POD_REQ_INFO, "INFO", 1, TENDO_POD_INFO_SIZE},
    {TENDO_POD_REQ_CLOCK_GET, "CLOCK_GET", 1, TENDO_POD_CLOCK_SIZE},
    {TENDO_POD_REQ_CLOCK_SET, "CLOCK_SET", 0, TENDO_POD_CLOCK_SET_SIZE},
    {TENDO_POD_REQ_LIST, "LIST", 1, TENDO_POD_LIST_MAX_SIZE},
    {TENDO_POD_REQ_READ, "READ", 0, TENDO_POD_READ_SIZE},
    {TENDO_POD_REQ_ERASE, "ERASE", 0, TENDO_POD_ERASE_SIZE},
    {TENDO_POD_REQ_GET_ERROR, "GET_ERROR", 1, TENDO_POD_ERROR_SIZE},
};

static const struct request_def *find_request(uint8_t request)
{
    for (size_t i = 0; i < sizeof requests / sizeof requests[0]; i++)
        if (requests[i].request == request)
            return &requests[i];
    return NULL;
}

const char *tendo_pod_request_name(uint8_t request)
{
    const struct request_def *d = find_request(request);
    return d ? d->name : "?";
}

/* Every decoder failure reads "<message> byte <off> (<field>): <detail>",
 * so a bad reply can be found in a USB capture. */
static int bad_field(tendo_error *err, const char *what, size_t off, const char *field,
                     const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int bad_field(tendo_error *err, const char *what, size_t off, const char *field,
                     const char *fmt, ...)
{
    char detail[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    return tendo_error_set(err, TENDO_EDATA, "pod %s byte %zu (%s): %s", what, off, field, detail);
}

static int check_envelope(const uint8_t *buf, size_t len, size_t want, const char *what,
                          tendo_error *err)
{
    if (len != want)
        return tendo_error_set(err, TENDO_EDATA, "pod %s: %zu bytes, expected exactly %zu", what,
                               len, want);
    if (buf[0] != TENDO_POD_VERSION)
        return bad_field(err, what, 0, "version", "%u, this host speaks version %u", buf[0],
                         TENDO_POD_VERSION);
    return TENDO_OK;
}

static int check_reserved(const uint8_t *buf, size_t off, unsigned n, const char *what,
                          tendo_error *err)
{
    for (unsigned i = 0; i < n; i++)
        if (buf[off + i])
            return bad_field(err, what, off + i, "reserved", "0x%02X, must be 0", buf[off + i]);
    return TENDO_OK;
}

/* ------------------------------------------------------- setup packets */

int tendo_pod_setup_for(uint8_t request, uint16_t value, tendo_pod_setup *out, tendo_error *err)
{
    const struct request_def *d = find_request(request);
    if (!d)
        return tendo_error_set(err, TENDO_EUSAGE, "unknown pod request 0x%02X", request);
    out->request_type = d->in ? TYPE_IN : TYPE_OUT;
    out->request = request;
    out->value = request == TENDO_POD_REQ_LIST ? value : 0;
    out->index = 0;
    out->length = d->length;
    return TENDO_OK;
}

void tendo_pod_setup_encode(const tendo_pod_setup *s, uint8_t out[TENDO_POD_SETUP_SIZE])
{
    out[0] = s->request_type;
    out[1] = s->request;
    pod_put16(out + 2, s->value);
    pod_put16(out + 4, s->index);
    pod_put16(out + 6, s->length);
}

void tendo_pod_setup_decode(const uint8_t in[TENDO_POD_SETUP_SIZE], tendo_pod_setup *s)
{
    s->request_type = in[0];
    s->request = in[1];
    s->value = pod_get16(in + 2);
    s->index = pod_get16(in + 4);
    s->length = pod_get16(in + 6);
}

uint16_t tendo_pod_setup_check(const tendo_pod_setup *s, const uint8_t *data, size_t len)
{
    const struct request_def *d = find_request(s->request);
    if (!d)
        return TENDO_POD_ST_UNKNOWN_REQUEST;
    if (s->request_type != (d->in ? TYPE_IN : TYPE_OUT) || s->index != 0)
        return TENDO_POD_ST_BAD_ARGUMENT;
    if (s->request == TENDO_POD_REQ_LIST ? s->value > TENDO_POD_MAX_SESSIONS : s->value != 0)
        return TENDO_POD_ST_BAD_ARGUMENT;
    if (s->length != d->length)
        return TENDO_POD_ST_BAD_LENGTH;
    if (!d->in) {
        if (!data || len != d->length)
            return TENDO_POD_ST_BAD_LENGTH;
        if (data[0] != TENDO_POD_VERSION)
            return TENDO_POD_ST_BAD_VERSION;
    }
    return TENDO_POD_ST_NONE;
}

/* ---------------------------------------------------------------- INFO */

static void put_text(uint8_t *out, const char *s)
{
    size_t n = strnlen(s, TENDO_POD_TEXT_MAX);
    memset(out, 0, TENDO_POD_TEXT_MAX + 1);
    memcpy(out, s, n);
}

/* A char[32] field: printable ASCII, then NULs only, at least one NUL. */
static int get_text(const uint8_t *buf, size_t off, const char *field, char *out, tendo_error *err)
{
    const uint8_t *p = buf + off;
    size_t n = 0;
    while (n <= TENDO_POD_TEXT_MAX && p[n])
        n++;
    if (n > TENDO_POD_TEXT_MAX)
        return bad_field(err, "INFO reply", off, field, "no NUL within %u bytes",
                         TENDO_POD_TEXT_MAX + 1);
    if (n == 0)
        return bad_field(err, "INFO reply", off, field, "empty");
    for (size_t i = 0; i < n; i++)
        if (p[i] < 0x20 || p[i] > 0x7E)
            return bad_field(err, "INFO reply", off + i, field,
                             "character 0x%02X is not printable ASCII", p[i]);
    for (size_t i = n; i <= TENDO_POD_TEXT_MAX; i++)
        if (p[i])
            return bad_field(err, "INFO reply", off + i, field, "bytes after the NUL must be 0");
    memcpy(out, p, n);
    out[n] = '\0';
    return TENDO_OK;
}

void tendo_pod_info_encode(const tendo_pod_info *in, uint8_t out[TENDO_POD_INFO_SIZE])
{
    memset(out, 0, TENDO_POD_INFO_SIZE);
    out[0] = TENDO_POD_VERSION;
    out[1] = in->side;
    out[2] = in->placement;
    out[3] = in->battery_pct;
    pod_put32(out + 4, in->tick_hz);
    pod_put32(out + 8, in->max_payload);
    pod_put16(out + 12, in->sessions);
    pod_put64(out + 16, in->flash_bytes);
    pod_put64(out + 24, in->flash_used);
    put_text(out + 32, in->model);
    put_text(out + 64, in->firmware);
}

int tendo_pod_info_decode(const uint8_t *buf, size_t len, tendo_pod_info *out, tendo_error *err)
{
    const char *w = "INFO reply";
    int rc = check_envelope(buf, len, TENDO_POD_INFO_SIZE, w, err);
    if (rc)
        return rc;
    tendo_pod_info v;
    memset(&v, 0, sizeof v);
    v.side = buf[1];
    v.placement = buf[2];
    v.battery_pct = buf[3];
    v.tick_hz = pod_get32(buf + 4);
    v.max_payload = pod_get32(buf + 8);
    v.sessions = pod_get16(buf + 12);
    v.flash_bytes = pod_get64(buf + 16);
    v.flash_used = pod_get64(buf + 24);
    if (v.side > 1 && v.side != 0xFF)
        return bad_field(err, w, 1, "side", "%u, expected 0, 1 or 255", v.side);
    if (v.placement > 1)
        return bad_field(err, w, 2, "placement", "%u, expected 0 or 1", v.placement);
    if (v.battery_pct > 100 && v.battery_pct != 0xFF)
        return bad_field(err, w, 3, "battery_pct", "%u, expected 0–100 or 255", v.battery_pct);
    if (v.tick_hz < TENDO_POD_TICK_HZ_MIN || v.tick_hz > TENDO_POD_TICK_HZ_MAX)
        return bad_field(err, w, 4, "tick_hz", "%u outside %u–%u", v.tick_hz, TENDO_POD_TICK_HZ_MIN,
                         TENDO_POD_TICK_HZ_MAX);
    if (v.max_payload < 1 || v.max_payload > TENDO_POD_MAX_PAYLOAD)
        return bad_field(err, w, 8, "max_payload", "%u outside 1–%u", v.max_payload,
                         TENDO_POD_MAX_PAYLOAD);
    if (v.sessions > TENDO_POD_MAX_SESSIONS)
        return bad_field(err, w, 12, "sessions", "%u, more than %u", v.sessions,
                         TENDO_POD_MAX_SESSIONS);
    if ((rc = check_reserved(buf, 14, 2, w, err)))
        return rc;
    if (v.flash_used > v.flash_bytes)
        return bad_field(err, w, 24, "flash_used", "%llu exceeds flash_bytes %llu",
                         (unsigned long long)v.flash_used, (unsigned long long)v.flash_bytes);
    if ((rc = get_text(buf, 32, "model", v.model, err)) ||
        (rc = get_text(buf, 64, "firmware", v.firmware, err)))
        return rc;
    *out = v;
    return TENDO_OK;
}

/* --------------------------------------------------------------- CLOCK */

void tendo_pod_clock_encode(const tendo_pod_clock *in, uint8_t out[TENDO_POD_CLOCK_SIZE])
{
    memset(out, 0, TENDO_POD_CLOCK_SIZE);
    out[0] = TENDO_POD_VERSION;
    out[1] = in->flags;
    pod_put32(out + 4, in->epoch);
    pod_put64(out + 8, in->ticks);
    pod_put64(out + 16, in->anchor_ticks);
    pod_put64(out + 24, (uint64_t)in->anchor_utc_us);
}

int tendo_pod_clock_decode(const uint8_t *buf, size_t len, tendo_pod_clock *out, tendo_error *err)
{
    const char *w = "CLOCK reply";
    int rc = check_envelope(buf, len, TENDO_POD_CLOCK_SIZE, w, err);
    if (rc)
        return rc;
    tendo_pod_clock v;
    v.flags = buf[1];
    v.epoch = pod_get32(buf + 4);
    v.ticks = pod_get64(buf + 8);
    v.anchor_ticks = pod_get64(buf + 16);
    v.anchor_utc_us = (int64_t)pod_get64(buf + 24);
    if (v.flags & ~TENDO_POD_CLOCK_ANCHORED)
        return bad_field(err, w, 1, "flags", "unknown bits 0x%02X", v.flags);
    if ((rc = check_reserved(buf, 2, 2, w, err)))
        return rc;
    if (v.flags & TENDO_POD_CLOCK_ANCHORED) {
        if (v.anchor_ticks > v.ticks)
            return bad_field(err, w, 16, "anchor_ticks",
                             "%llu is later than the clock itself (%llu)",
                             (unsigned long long)v.anchor_ticks, (unsigned long long)v.ticks);
        if (v.anchor_utc_us < 0)
            return bad_field(err, w, 24, "anchor_utc_us", "negative (%lld)",
                             (long long)v.anchor_utc_us);
    } else if (v.anchor_ticks || v.anchor_utc_us) {
        return bad_field(err, w, 16, "anchor", "set although the clock is not ANCHORED");
    }
    *out = v;
    return TENDO_OK;
}

void tendo_pod_clock_set_encode(int64_t utc_us, uint8_t out[TENDO_POD_CLOCK_SET_SIZE])
{
    memset(out, 0, TENDO_POD_CLOCK_SET_SIZE);
    out[0] = TENDO_POD_VERSION;
    pod_put64(out + 8, (uint64_t)utc_us);
}

int tendo_pod_clock_set_decode(const uint8_t *buf, size_t len, int64_t *utc_us, tendo_error *err)
{
    const char *w = "CLOCK_SET data";
    int rc = check_envelope(buf, len, TENDO_POD_CLOCK_SET_SIZE, w, err);
    if (rc || (rc = check_reserved(buf, 1, 7, w, err)))
        return rc;
    int64_t v = (int64_t)pod_get64(buf + 8);
    if (v < 0)
        return bad_field(err, w, 8, "utc_us", "negative (%lld)", (long long)v);
    *utc_us = v;
    return TENDO_OK;
}

/* ---------------------------------------------------------------- LIST */

static void put_entry(uint8_t *p, const tendo_pod_session *s)
{
    memset(p, 0, TENDO_POD_LIST_ENTRY_SIZE);
    pod_put32(p + 0, s->id);
    pod_put32(p + 4, s->flags);
    pod_put64(p + 8, s->size_bytes);
    pod_put64(p + 16, s->samples);
    pod_put64(p + 24, s->start_ticks);
    pod_put32(p + 32, s->blocks);
    pod_put32(p + 36, s->crc32);
    pod_put32(p + 40, s->clock_epoch);
    pod_put32(p + 44, s->rate_mhz);
    pod_put16(p + 48, s->accel_range_g);
    pod_put16(p + 50, s->gyro_range_dps);
    p[52] = s->layout;
}

size_t tendo_pod_list_encode(const tendo_pod_list_page *in, uint8_t out[TENDO_POD_LIST_MAX_SIZE])
{
    unsigned count = in->count > TENDO_POD_LIST_PAGE ? TENDO_POD_LIST_PAGE : in->count;
    out[0] = TENDO_POD_VERSION;
    out[1] = TENDO_POD_LIST_ENTRY_SIZE;
    pod_put16(out + 2, in->total);
    pod_put16(out + 4, in->first);
    pod_put16(out + 6, in->count);
    for (unsigned i = 0; i < count; i++)
        put_entry(out + TENDO_POD_LIST_HEADER_SIZE + i * TENDO_POD_LIST_ENTRY_SIZE, &in->entry[i]);
    return TENDO_POD_LIST_HEADER_SIZE + (size_t)count * TENDO_POD_LIST_ENTRY_SIZE;
}

/* One entry at byte off of the reply. The counts must agree with the size,
 * because a pod that lies about one of them would otherwise steer how much
 * the host expects to read. */
static int get_entry(const uint8_t *buf, size_t off, tendo_pod_session *s, tendo_error *err)
{
    const char *w = "LIST reply";
    const uint8_t *p = buf + off;
    s->id = pod_get32(p + 0);
    s->flags = pod_get32(p + 4);
    s->size_bytes = pod_get64(p + 8);
    s->samples = pod_get64(p + 16);
    s->start_ticks = pod_get64(p + 24);
    s->blocks = pod_get32(p + 32);
    s->crc32 = pod_get32(p + 36);
    s->clock_epoch = pod_get32(p + 40);
    s->rate_mhz = pod_get32(p + 44);
    s->accel_range_g = pod_get16(p + 48);
    s->gyro_range_dps = pod_get16(p + 50);
    s->layout = p[52];
    if (s->flags & ~TENDO_POD_SESSION_RECORDING)
        return bad_field(err, w, off + 4, "flags", "session %u: unknown bits 0x%08X", s->id,
                         s->flags);
    if (s->size_bytes > TENDO_POD_MAX_SESSION_BYTES)
        return bad_field(err, w, off + 8, "size_bytes", "session %u: %llu, beyond %llu", s->id,
                         (unsigned long long)s->size_bytes,
                         (unsigned long long)TENDO_POD_MAX_SESSION_BYTES);
    if (s->rate_mhz < TENDO_POD_RATE_MIN_MHZ || s->rate_mhz > TENDO_POD_RATE_MAX_MHZ)
        return bad_field(err, w, off + 44, "rate_mhz", "session %u: %u outside %u–%u", s->id,
                         s->rate_mhz, TENDO_POD_RATE_MIN_MHZ, TENDO_POD_RATE_MAX_MHZ);
    if (s->accel_range_g < 1 || s->accel_range_g > TENDO_POD_ACCEL_RANGE_MAX_G)
        return bad_field(err, w, off + 48, "accel_range_g", "session %u: %u outside 1–%u", s->id,
                         s->accel_range_g, TENDO_POD_ACCEL_RANGE_MAX_G);
    if (s->gyro_range_dps < 1 || s->gyro_range_dps > TENDO_POD_GYRO_RANGE_MAX_DPS)
        return bad_field(err, w, off + 50, "gyro_range_dps", "session %u: %u outside 1–%u", s->id,
                         s->gyro_range_dps, TENDO_POD_GYRO_RANGE_MAX_DPS);
    if (s->layout != TENDO_POD_LAYOUT_IMU6_I16)
        return bad_field(err, w, off + 52, "layout", "session %u: %u, expected %u", s->id,
                         s->layout, TENDO_POD_LAYOUT_IMU6_I16);
    for (unsigned i = 53; i < TENDO_POD_LIST_ENTRY_SIZE; i++)
        if (p[i])
            return bad_field(err, w, off + i, "reserved", "session %u: 0x%02X, must be 0", s->id,
                             p[i]);
    /* size = 24 × blocks + 13 × samples, evaluated without overflow:
     * size ≤ 2^34 bounds samples before it is multiplied. */
    uint64_t hdr = (uint64_t)s->blocks * TENDO_POD_BLOCK_HEADER_SIZE;
    if (s->samples > s->size_bytes / TENDO_POD_SAMPLE_SIZE || hdr > s->size_bytes ||
        hdr + s->samples * TENDO_POD_SAMPLE_SIZE != s->size_bytes)
        return bad_field(err, w, off + 8, "size_bytes",
                         "session %u: %llu bytes cannot hold %u blocks of %llu samples", s->id,
                         (unsigned long long)s->size_bytes, s->blocks,
                         (unsigned long long)s->samples);
    if (s->samples < s->blocks || s->samples > (uint64_t)s->blocks * TENDO_POD_BLOCK_MAX_SAMPLES)
        return bad_field(err, w, off + 16, "samples",
                         "session %u: %llu samples do not fit %u blocks of 1–%u", s->id,
                         (unsigned long long)s->samples, s->blocks, TENDO_POD_BLOCK_MAX_SAMPLES);
    return TENDO_OK;
}

int tendo_pod_list_decode(const uint8_t *buf, size_t len, uint16_t first, tendo_pod_list_page *out,
                          tendo_error *err)
{
    const char *w = "LIST reply";
    if (len < TENDO_POD_LIST_HEADER_SIZE)
        return tendo_error_set(err, TENDO_EDATA,
                               "pod LIST reply: %zu bytes, shorter than its %u-byte header", len,
                               TENDO_POD_LIST_HEADER_SIZE);
    if (buf[0] != TENDO_POD_VERSION)
        return bad_field(err, w, 0, "version", "%u, this host speaks version %u", buf[0],
                         TENDO_POD_VERSION);
    if (buf[1] != TENDO_POD_LIST_ENTRY_SIZE)
        return bad_field(err, w, 1, "entry_size", "%u, expected %u", buf[1],
                         TENDO_POD_LIST_ENTRY_SIZE);
    uint16_t total = pod_get16(buf + 2), got_first = pod_get16(buf + 4), count = pod_get16(buf + 6);
    if (total > TENDO_POD_MAX_SESSIONS)
        return bad_field(err, w, 2, "total", "%u sessions, more than %u", total,
                         TENDO_POD_MAX_SESSIONS);
    if (got_first != first)
        return bad_field(err, w, 4, "first", "%u, the host asked for %u", got_first, first);
    if (first > total)
        return bad_field(err, w, 4, "first", "%u is beyond the %u sessions", first, total);
    unsigned left = (unsigned)total - first;
    unsigned want = left < TENDO_POD_LIST_PAGE ? left : TENDO_POD_LIST_PAGE;
    if (count != want)
        return bad_field(err, w, 6, "count", "%u, expected %u (total %u from %u)", count, want,
                         total, first);
    size_t size = TENDO_POD_LIST_HEADER_SIZE + (size_t)count * TENDO_POD_LIST_ENTRY_SIZE;
    if (len != size)
        return tendo_error_set(err, TENDO_EDATA, "pod LIST reply: %zu bytes, %u entries need %zu",
                               len, count, size);
    out->total = total;
    out->first = first;
    out->count = count;
    for (unsigned i = 0; i < count; i++) {
        size_t off = TENDO_POD_LIST_HEADER_SIZE + (size_t)i * TENDO_POD_LIST_ENTRY_SIZE;
        int rc = get_entry(buf, off, &out->entry[i], err);
        if (rc)
            return rc;
        if (i > 0 && out->entry[i].id <= out->entry[i - 1].id)
            return bad_field(err, w, off, "session_id", "%u after %u: ids must increase",
                             out->entry[i].id, out->entry[i - 1].id);
    }
    return TENDO_OK;
}

int tendo_pod_list_merge(const tendo_pod_list_page *page, tendo_pod_session *all, size_t *n,
                         uint16_t *total, tendo_error *err)
{
    if (*n == 0)
        *total = page->total;
    if (page->first != *n)
        return tendo_error_set(err, TENDO_EUSAGE, "LIST page starts at %u, expected %zu",
                               page->first, *n);
    if (page->total != *total)
        return tendo_error_set(err, TENDO_EDATA,
                               "pod LIST changed between pages: %u sessions, earlier %u",
                               page->total, *total);
    if (page->count && *n && page->entry[0].id <= all[*n - 1].id)
        return tendo_error_set(err, TENDO_EDATA,
                               "pod LIST reply from %u: session id %u after %u: ids must increase",
                               page->first, page->entry[0].id, all[*n - 1].id);
    /* decode bounds count by total ≤ TENDO_POD_MAX_SESSIONS, so all[] fits. */
    memcpy(all + *n, page->entry, page->count * sizeof *all);
    *n += page->count;
    return TENDO_OK;
}

/* ---------------------------------------------------------- READ/ERASE */

void tendo_pod_read_encode(const tendo_pod_read_req *in, uint8_t out[TENDO_POD_READ_SIZE])
{
    memset(out, 0, TENDO_POD_READ_SIZE);
    out[0] = TENDO_POD_VERSION;
    out[1] = in->flags;
    pod_put32(out + 4, in->session_id);
    pod_put64(out + 8, in->offset);
    pod_put32(out + 16, in->first_seq);
}

int tendo_pod_read_decode(const uint8_t *buf, size_t len, tendo_pod_read_req *out, tendo_error *err)
{
    const char *w = "READ data";
    int rc = check_envelope(buf, len, TENDO_POD_READ_SIZE, w, err);
    if (rc || (rc = check_reserved(buf, 2, 2, w, err)) || (rc = check_reserved(buf, 20, 4, w, err)))
        return rc;
    if (buf[1] & ~TENDO_POD_READ_ALLOW_ZLIB)
        return bad_field(err, w, 1, "flags", "unknown bits 0x%02X", buf[1]);
    out->flags = buf[1];
    out->session_id = pod_get32(buf + 4);
    out->offset = pod_get64(buf + 8);
    out->first_seq = pod_get32(buf + 16);
    return TENDO_OK;
}

void tendo_pod_erase_encode(const tendo_pod_erase_req *in, uint8_t out[TENDO_POD_ERASE_SIZE])
{
    memset(out, 0, TENDO_POD_ERASE_SIZE);
    out[0] = TENDO_POD_VERSION;
    pod_put32(out + 4, in->session_id);
    pod_put64(out + 8, in->size_bytes);
    pod_put32(out + 16, in->crc32);
}

int tendo_pod_erase_decode(const uint8_t *buf, size_t len, tendo_pod_erase_req *out,
                           tendo_error *err)
{
    const char *w = "ERASE data";
    int rc = check_envelope(buf, len, TENDO_POD_ERASE_SIZE, w, err);
    if (rc || (rc = check_reserved(buf, 1, 3, w, err)) || (rc = check_reserved(buf, 20, 4, w, err)))
        return rc;
    out->session_id = pod_get32(buf + 4);
    out->size_bytes = pod_get64(buf + 8);
    out->crc32 = pod_get32(buf + 16);
    return TENDO_OK;
}

/* ----------------------------------------------------------- GET_ERROR */

void tendo_pod_error_encode(const tendo_pod_error_reply *in, uint8_t out[TENDO_POD_ERROR_SIZE])
{
    out[0] = TENDO_POD_VERSION;
    out[1] = in->request;
    pod_put16(out + 2, in->code);
    pod_put32(out + 4, in->session_id);
    pod_put64(out + 8, in->value);
}

int tendo_pod_error_decode(const uint8_t *buf, size_t len, tendo_pod_error_reply *out,
                           tendo_error *err)
{
    int rc = check_envelope(buf, len, TENDO_POD_ERROR_SIZE, "GET_ERROR reply", err);
    if (rc)
        return rc;
    /* Codes above the known ones are kept: they are reported as unknown. */
    out->request = buf[1];
    out->code = pod_get16(buf + 2);
    out->session_id = pod_get32(buf + 4);
    out->value = pod_get64(buf + 8);
    return TENDO_OK;
}

static const struct status_def {
    const char *name;
    int code;         /* tendo_code it maps to */
    const char *hint; /* what to do, for the message */
} statuses[] = {
    [TENDO_POD_ST_NONE] = {"NONE", TENDO_EUNAVAIL, "the pod stalled without a reason; replug it"},
    [TENDO_POD_ST_UNKNOWN_REQUEST] = {"UNKNOWN_REQUEST", TENDO_EUNAVAIL,
                                      "the pod's firmware does not speak this protocol; update it"},
    [TENDO_POD_ST_BAD_VERSION] =
        {"BAD_VERSION", TENDO_EUNAVAIL,
         "the pod speaks another protocol version; update the pod or tendo"},
    [TENDO_POD_ST_BAD_LENGTH] = {"BAD_LENGTH", TENDO_EINTERNAL,
                                 "the host and pod disagree on a message size; please report it"},
    [TENDO_POD_ST_BAD_ARGUMENT] = {"BAD_ARGUMENT", TENDO_EINTERNAL,
                                   "the pod rejected a field; please report it"},
    [TENDO_POD_ST_NO_SESSION] = {"NO_SESSION", TENDO_EDATA, "the session is not on the pod"},
    [TENDO_POD_ST_BAD_OFFSET] = {"BAD_OFFSET", TENDO_EDATA,
                                 "the offset is not a block boundary of the session"},
    [TENDO_POD_ST_CHECKSUM_MISMATCH] = {"CHECKSUM_MISMATCH", TENDO_EDATA,
                                        "the pod keeps its data; sync again"},
    [TENDO_POD_ST_BUSY] = {"BUSY", TENDO_EUNAVAIL, "stop the recording on the pod and retry"},
    [TENDO_POD_ST_FLASH_ERROR] = {"FLASH_ERROR", TENDO_EUNAVAIL,
                                  "the pod's storage failed; it needs service"},
};

#define N_STATUSES (sizeof statuses / sizeof statuses[0])

const char *tendo_pod_status_name(uint16_t code)
{
    return code < N_STATUSES ? statuses[code].name : "UNKNOWN";
}

int tendo_pod_status_code(uint16_t code)
{
    return code < N_STATUSES ? statuses[code].code : TENDO_EUNAVAIL;
}

int tendo_pod_refusal(const tendo_pod_error_reply *e, tendo_error *err)
{
    const char *hint = e->code < N_STATUSES
                           ? statuses[e->code].hint
                           : "the pod's firmware is newer than tendo; update tendo";
    return tendo_error_set(err, tendo_pod_status_code(e->code),
                           "pod refused %s (session %u): %s, code %u, detail %llu: %s",
                           tendo_pod_request_name(e->request), e->session_id,
                           tendo_pod_status_name(e->code), e->code, (unsigned long long)e->value,
                           hint);
}

/* ------------------------------------------------------------- strings */

static int serial_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
}

int tendo_pod_serial_check(const char *s, tendo_error *err)
{
    size_t n = strnlen(s, TENDO_POD_SERIAL_MAX + 1);
    if (n == 0)
        return tendo_error_set(err, TENDO_EDATA, "pod serial is empty");
    if (n > TENDO_POD_SERIAL_MAX)
        return tendo_error_set(err, TENDO_EDATA, "pod serial is longer than %u characters",
                               TENDO_POD_SERIAL_MAX);
    for (size_t i = 0; i < n; i++)
        if (!serial_char(s[i]))
            return tendo_error_set(err, TENDO_EDATA,
                                   "pod serial: character %zu is 0x%02X, outside [A-Za-z0-9_.-]", i,
                                   (unsigned char)s[i]);
    return TENDO_OK;
}

int tendo_pod_string_decode(const uint8_t *desc, size_t len, char *out, size_t out_size,
                            tendo_error *err)
{
    const char *w = "string descriptor";
    if (len < 2 || desc[0] != len)
        return tendo_error_set(err, TENDO_EDATA, "pod %s: bLength %u but %zu bytes arrived", w,
                               len ? desc[0] : 0u, len);
    if (desc[1] != 3)
        return bad_field(err, w, 1, "bDescriptorType", "%u, expected 3", desc[1]);
    if (len % 2)
        return bad_field(err, w, 0, "bLength", "%zu is odd; UTF-16 needs whole code units", len);
    size_t n = (len - 2) / 2;
    if (n + 1 > out_size)
        return bad_field(err, w, 0, "bLength", "%zu characters do not fit in %zu", n,
                         out_size ? out_size - 1 : 0);
    for (size_t i = 0; i < n; i++) {
        uint16_t u = pod_get16(desc + 2 + 2 * i);
        if (u < 0x20 || u > 0x7E)
            return bad_field(err, w, 2 + 2 * i, "text", "code unit 0x%04X is not printable ASCII",
                             u);
        out[i] = (char)u;
    }
    out[n] = '\0';
    return TENDO_OK;
}

size_t tendo_pod_string_encode(const char *ascii, uint8_t *out, size_t cap)
{
    size_t n = strlen(ascii);
    if (n > TENDO_POD_STRING_MAX || 2 + 2 * n > cap)
        return 0;
    out[0] = (uint8_t)(2 + 2 * n);
    out[1] = 3;
    for (size_t i = 0; i < n; i++)
        pod_put16(out + 2 + 2 * i, (uint8_t)ascii[i]);
    return 2 + 2 * n;
}
