/*
 * pod_reasm.c — the host's frame reassembler (PROTOCOL.md sections 3 and 6).
 *
 * USB transfers cut the frame stream anywhere, so bytes are collected until
 * a frame is whole, then checked in the documented order. A frame that lies
 * wholly inside one chunk is checked in place, without a copy: with 64 KiB
 * transfers most frames arrive that way.
 *
 * The first failure is sticky. The host never skips a bad frame (that would
 * leave a hole in the run); it resumes with a new READ at
 * tendo_pod_reasm_offset(), so there is no recovery logic here to get wrong.
 */
#include "pod_protocol.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "pod_internal.h"

struct tendo_pod_reasm {
    /* what the READ asked for */
    uint32_t session_id;
    uint64_t session_size;
    int allow_zlib;
    /* what the next frame must be */
    uint32_t next_seq;
    uint64_t next_offset;
    uint64_t frames; /* frames accepted */
    int done;        /* LAST accepted */
    /* the frame being collected */
    uint64_t stream_pos;  /* bytes consumed since the READ */
    uint64_t frame_start; /* stream byte where the current frame began */
    size_t have;          /* bytes of it in buf */
    size_t need;          /* its full size, once the header is known */
    uint8_t *buf;         /* TENDO_POD_FRAME_MAX_SIZE */
    uint8_t *raw;         /* inflated payload: TENDO_POD_MAX_PAYLOAD + 1 */
    z_stream z;
    int z_ready;
    /* the sticky failure */
    tendo_pod_fault fault;
    int fault_code;
    uint64_t fault_pos;
    uint64_t fault_frame;
    char fault_msg[TENDO_ERROR_MSG_MAX];
};

static const char *const fault_names[] = {
    [TENDO_POD_FAULT_NONE] = "none",
    [TENDO_POD_FAULT_MAGIC] = "bad magic",
    [TENDO_POD_FAULT_VERSION] = "bad version",
    [TENDO_POD_FAULT_HEADER] = "bad header",
    [TENDO_POD_FAULT_LENGTH] = "length beyond limit",
    [TENDO_POD_FAULT_CRC] = "bad CRC",
    [TENDO_POD_FAULT_GAP] = "sequence gap",
    [TENDO_POD_FAULT_DUPLICATE] = "duplicate",
    [TENDO_POD_FAULT_SESSION] = "wrong session",
    [TENDO_POD_FAULT_OFFSET] = "offset mismatch",
    [TENDO_POD_FAULT_INFLATE] = "bad compressed payload",
    [TENDO_POD_FAULT_AFTER_LAST] = "data after last frame",
    [TENDO_POD_FAULT_TRUNCATED] = "truncated",
    [TENDO_POD_FAULT_CALLER] = "frame not stored",
};

const char *tendo_pod_fault_name(tendo_pod_fault f)
{
    if ((unsigned)f < sizeof fault_names / sizeof fault_names[0])
        return fault_names[f];
    return "?";
}

int tendo_pod_reasm_new(tendo_pod_reasm **out, const tendo_pod_read_req *req, uint64_t session_size,
                        tendo_error *err)
{
    *out = NULL;
    if (session_size > TENDO_POD_MAX_SESSION_BYTES || req->offset > session_size)
        return tendo_error_set(err, TENDO_EUSAGE,
                               "READ offset %llu beyond session size %llu (or size beyond %llu)",
                               (unsigned long long)req->offset, (unsigned long long)session_size,
                               (unsigned long long)TENDO_POD_MAX_SESSION_BYTES);
    tendo_pod_reasm *r = calloc(1, sizeof *r);
    if (r) {
        r->buf = malloc(TENDO_POD_FRAME_MAX_SIZE);
        r->raw = malloc(TENDO_POD_MAX_PAYLOAD + 1);
    }
    if (!r || !r->buf || !r->raw) {
        tendo_pod_reasm_free(r);
        return tendo_error_set(err, TENDO_EINTERNAL, "out of memory for a frame reassembler");
    }
    r->session_id = req->session_id;
    r->session_size = session_size;
    r->allow_zlib = (req->flags & TENDO_POD_READ_ALLOW_ZLIB) != 0;
    r->next_seq = req->first_seq;
    r->next_offset = req->offset;
    *out = r;
    return TENDO_OK;
}

void tendo_pod_reasm_free(tendo_pod_reasm *r)
{
    if (!r)
        return;
    if (r->z_ready)
        inflateEnd(&r->z);
    free(r->buf);
    free(r->raw);
    free(r);
}

uint64_t tendo_pod_reasm_offset(const tendo_pod_reasm *r)
{
    return r->next_offset;
}

int tendo_pod_reasm_done(const tendo_pod_reasm *r)
{
    return r->done;
}

tendo_pod_fault tendo_pod_reasm_fault(const tendo_pod_reasm *r, uint64_t *stream_pos,
                                      uint64_t *frame_no)
{
    if (stream_pos)
        *stream_pos = r->fault_pos;
    if (frame_no)
        *frame_no = r->fault_frame;
    return r->fault;
}

/* Records the failure with where it happened and how to go on, and reports
 * it. Every later call reports the same. */
static int fail(tendo_pod_reasm *r, tendo_error *err, tendo_pod_fault fault, int code,
                const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int fail(tendo_pod_reasm *r, tendo_error *err, tendo_pod_fault fault, int code,
                const char *fmt, ...)
{
    char what[640];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    r->fault = fault;
    r->fault_code = code;
    r->fault_pos = r->frame_start;
    r->fault_frame = r->frames;
    snprintf(r->fault_msg, sizeof r->fault_msg,
             "pod stream of session %u, frame %llu at stream byte %llu: %s: %s; "
             "resume with READ at session offset %llu",
             r->session_id, (unsigned long long)r->frames, (unsigned long long)r->frame_start,
             tendo_pod_fault_name(fault), what, (unsigned long long)r->next_offset);
    return tendo_error_set(err, code, "%s", r->fault_msg);
}

/* The header alone, before any of the payload is buffered: a hostile length
 * is refused here, so memory use stays at one maximal frame. */
static int check_header(tendo_pod_reasm *r, const uint8_t *h, tendo_error *err)
{
    uint32_t magic = pod_get32(h);
    uint8_t flags = h[5];
    uint32_t raw_len = pod_get32(h + 24), wire_len = pod_get32(h + 28);
    if (magic != TENDO_POD_FRAME_MAGIC)
        return fail(r, err, TENDO_POD_FAULT_MAGIC, TENDO_EDATA,
                    "0x%08X, expected 0x%08X (\"TNDF\")", magic, TENDO_POD_FRAME_MAGIC);
    if (h[4] != TENDO_POD_VERSION)
        return fail(r, err, TENDO_POD_FAULT_VERSION, TENDO_EDATA, "version %u, expected %u", h[4],
                    TENDO_POD_VERSION);
    if (flags & ~(TENDO_POD_FRAME_ZLIB | TENDO_POD_FRAME_LAST))
        return fail(r, err, TENDO_POD_FAULT_HEADER, TENDO_EDATA, "unknown flag bits 0x%02X",
                    flags & ~(TENDO_POD_FRAME_ZLIB | TENDO_POD_FRAME_LAST));
    if (h[6] || h[7])
        return fail(r, err, TENDO_POD_FAULT_HEADER, TENDO_EDATA, "reserved bytes 6–7 not zero");
    if ((flags & TENDO_POD_FRAME_ZLIB) && !r->allow_zlib)
        return fail(r, err, TENDO_POD_FAULT_HEADER, TENDO_EDATA,
                    "compressed although READ did not allow it");
    if (!(flags & TENDO_POD_FRAME_ZLIB) && wire_len != raw_len)
        return fail(r, err, TENDO_POD_FAULT_HEADER, TENDO_EDATA,
                    "wire_len %u differs from raw_len %u in an uncompressed frame", wire_len,
                    raw_len);
    if (raw_len > TENDO_POD_MAX_PAYLOAD || wire_len > TENDO_POD_MAX_PAYLOAD)
        return fail(r, err, TENDO_POD_FAULT_LENGTH, TENDO_EDATA,
                    "raw_len %u / wire_len %u beyond the %u-byte limit", raw_len, wire_len,
                    TENDO_POD_MAX_PAYLOAD);
    r->need = TENDO_POD_FRAME_HEADER_SIZE + (size_t)wire_len + TENDO_POD_FRAME_CRC_SIZE;
    return TENDO_OK;
}

/* Inflates exactly raw_len bytes into r->raw. The output buffer has one
 * byte more than declared, so a payload that inflates beyond its size is
 * caught without ever writing past the buffer. */
static int inflate_payload(tendo_pod_reasm *r, const uint8_t *in, uint32_t wire_len,
                           uint32_t raw_len, tendo_error *err)
{
    if (!r->z_ready) {
        memset(&r->z, 0, sizeof r->z);
        if (inflateInit(&r->z) != Z_OK)
            return fail(r, err, TENDO_POD_FAULT_INFLATE, TENDO_EINTERNAL, "inflateInit failed");
        r->z_ready = 1;
    } else {
        inflateReset(&r->z);
    }
    r->z.next_in = (Bytef *)in;
    r->z.avail_in = wire_len;
    r->z.next_out = r->raw;
    r->z.avail_out = raw_len + 1;
    int zrc = inflate(&r->z, Z_FINISH);
    if (zrc == Z_STREAM_END && r->z.total_out < raw_len)
        return fail(r, err, TENDO_POD_FAULT_INFLATE, TENDO_EDATA,
                    "inflates to %lu bytes, raw_len says %u", r->z.total_out, raw_len);
    if (zrc == Z_STREAM_END && r->z.total_out == raw_len) {
        if (r->z.avail_in)
            return fail(r, err, TENDO_POD_FAULT_INFLATE, TENDO_EDATA,
                        "%u bytes follow the end of the zlib stream", r->z.avail_in);
        return TENDO_OK;
    }
    if (zrc == Z_MEM_ERROR)
        return fail(r, err, TENDO_POD_FAULT_INFLATE, TENDO_EINTERNAL, "out of memory inflating");
    if (r->z.avail_out == 0)
        return fail(r, err, TENDO_POD_FAULT_INFLATE, TENDO_EDATA,
                    "inflates beyond its declared raw_len %u", raw_len);
    if (zrc == Z_DATA_ERROR)
        return fail(r, err, TENDO_POD_FAULT_INFLATE, TENDO_EDATA, "corrupt zlib stream (%s)",
                    r->z.msg ? r->z.msg : "no detail");
    return fail(r, err, TENDO_POD_FAULT_INFLATE, TENDO_EDATA,
                "zlib stream ends early, after %lu of %u bytes", r->z.total_out, raw_len);
}

/* A whole frame of r->need bytes: every remaining check, then the caller. */
static int accept_frame(tendo_pod_reasm *r, const uint8_t *fr, tendo_pod_frame_fn fn, void *ctx,
                        tendo_error *err)
{
    tendo_pod_frame f;
    f.flags = fr[5];
    f.seq = pod_get32(fr + 8);
    f.session_id = pod_get32(fr + 12);
    f.offset = pod_get64(fr + 16);
    f.raw_len = pod_get32(fr + 24);
    f.wire_len = pod_get32(fr + 28);
    size_t body = TENDO_POD_FRAME_HEADER_SIZE + f.wire_len;
    uint32_t crc = tendo_pod_crc32(0, fr, body), sent = pod_get32(fr + body);
    if (crc != sent)
        return fail(r, err, TENDO_POD_FAULT_CRC, TENDO_EDATA,
                    "CRC-32 0x%08X over %zu bytes, the frame says 0x%08X", crc, body, sent);
    int32_t ahead = (int32_t)(f.seq - r->next_seq);
    if (ahead > 0)
        return fail(r, err, TENDO_POD_FAULT_GAP, TENDO_EDATA,
                    "seq %u, expected %u: %d frame(s) dropped or reordered", f.seq, r->next_seq,
                    ahead);
    if (ahead < 0)
        return fail(r, err, TENDO_POD_FAULT_DUPLICATE, TENDO_EDATA,
                    "seq %u, expected %u: a frame seen again or out of order", f.seq, r->next_seq);
    if (f.session_id != r->session_id)
        return fail(r, err, TENDO_POD_FAULT_SESSION, TENDO_EDATA, "frame of session %u",
                    f.session_id);
    if (f.offset != r->next_offset)
        return fail(r, err, TENDO_POD_FAULT_OFFSET, TENDO_EDATA,
                    "session offset %llu, expected %llu", (unsigned long long)f.offset,
                    (unsigned long long)r->next_offset);
    /* next_offset ≤ size ≤ 2^34 and raw_len ≤ 2^16: no overflow. */
    uint64_t end = f.offset + f.raw_len;
    int last = (f.flags & TENDO_POD_FRAME_LAST) != 0;
    if (end > r->session_size)
        return fail(r, err, TENDO_POD_FAULT_LENGTH, TENDO_EDATA,
                    "payload ends at session byte %llu, beyond the session's %llu",
                    (unsigned long long)end, (unsigned long long)r->session_size);
    if (last != (end == r->session_size))
        return fail(r, err, TENDO_POD_FAULT_HEADER, TENDO_EDATA,
                    last ? "marked LAST but ends at session byte %llu of %llu"
                         : "ends the session (byte %llu of %llu) but is not marked LAST",
                    (unsigned long long)end, (unsigned long long)r->session_size);
    if (f.raw_len == 0 && !last)
        return fail(r, err, TENDO_POD_FAULT_HEADER, TENDO_EDATA, "empty frame that is not LAST");
    f.payload = fr + TENDO_POD_FRAME_HEADER_SIZE;
    if (f.flags & TENDO_POD_FRAME_ZLIB) {
        int rc = inflate_payload(r, f.payload, f.wire_len, f.raw_len, err);
        if (rc)
            return rc;
        f.payload = r->raw;
    }
    if (fn) {
        tendo_error cb_err;
        tendo_error_clear(&cb_err);
        int rc = fn(ctx, &f, &cb_err);
        if (rc)
            return fail(r, err, TENDO_POD_FAULT_CALLER, rc, "%s",
                        cb_err.code ? cb_err.msg : "the frame callback failed");
    }
    r->next_seq++;
    r->next_offset = end;
    r->frames++;
    r->done = last;
    return TENDO_OK;
}

int tendo_pod_reasm_feed(tendo_pod_reasm *r, const void *data, size_t len, tendo_pod_frame_fn fn,
                         void *ctx, tendo_error *err)
{
    const uint8_t *p = data;
    if (r->fault)
        return tendo_error_set(err, r->fault_code, "%s", r->fault_msg);
    while (len) {
        if (r->done)
            return fail(r, err, TENDO_POD_FAULT_AFTER_LAST, TENDO_EDATA,
                        "%zu more bytes after the LAST frame", len);
        if (r->have == 0)
            r->frame_start = r->stream_pos;
        const uint8_t *frame;
        if (r->have == 0 && len >= TENDO_POD_FRAME_HEADER_SIZE) {
            int rc = check_header(r, p, err);
            if (rc)
                return rc;
            if (len < r->need) {
                /* Only the start of the frame is here: keep it. */
                memcpy(r->buf, p, len);
                r->have = len;
                r->stream_pos += len;
                return TENDO_OK;
            }
            frame = p; /* whole frame in this chunk: check it in place */
            r->stream_pos += r->need;
            p += r->need;
            len -= r->need;
        } else {
            size_t target =
                r->have < TENDO_POD_FRAME_HEADER_SIZE ? TENDO_POD_FRAME_HEADER_SIZE : r->need;
            size_t take = target - r->have < len ? target - r->have : len;
            memcpy(r->buf + r->have, p, take);
            r->have += take;
            r->stream_pos += take;
            p += take;
            len -= take;
            if (r->have < target)
                continue;
            if (target == TENDO_POD_FRAME_HEADER_SIZE) {
                int rc = check_header(r, r->buf, err);
                if (rc)
                    return rc;
                continue;
            }
            frame = r->buf;
            r->have = 0;
        }
        int rc = accept_frame(r, frame, fn, ctx, err);
        if (rc)
            return rc;
    }
    return TENDO_OK;
}

int tendo_pod_reasm_finish(tendo_pod_reasm *r, tendo_error *err)
{
    if (r->fault)
        return tendo_error_set(err, r->fault_code, "%s", r->fault_msg);
    if (r->have) {
        if (r->have < TENDO_POD_FRAME_HEADER_SIZE)
            return fail(r, err, TENDO_POD_FAULT_TRUNCATED, TENDO_EUNAVAIL,
                        "the stream ended %zu bytes into the frame header", r->have);
        return fail(r, err, TENDO_POD_FAULT_TRUNCATED, TENDO_EUNAVAIL,
                    "the stream ended %zu bytes into a frame of %zu", r->have, r->need);
    }
    return TENDO_OK;
}
