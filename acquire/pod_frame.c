/*
 * pod_frame.c — building bulk frames (PROTOCOL.md section 3): the pod's
 * side, used by the emulator and by tests. Reading them is pod_reasm.c.
 */
#include "pod_protocol.h"

#include <string.h>
#include <zlib.h>

#include "pod_internal.h"

/* Pods favour speed over ratio: they compress while streaming at link
 * speed, and IMU noise leaves little for higher levels to find. */
#define FRAME_ZLIB_LEVEL 1

uint32_t tendo_pod_crc32(uint32_t crc, const void *buf, size_t len)
{
    const Bytef *p = buf;
    /* zlib takes uInt lengths; feed in pieces so any size_t works. */
    while (len) {
        uInt n = len > 0x40000000u ? 0x40000000u : (uInt)len;
        crc = (uint32_t)crc32(crc, p, n);
        p += n;
        len -= n;
    }
    return crc;
}

int tendo_pod_frame_encode(const tendo_pod_frame *f, int compress, uint8_t *out, size_t *out_len,
                           tendo_error *err)
{
    if (f->raw_len > TENDO_POD_MAX_PAYLOAD)
        return tendo_error_set(err, TENDO_EUSAGE, "frame payload of %u bytes exceeds %u",
                               f->raw_len, TENDO_POD_MAX_PAYLOAD);
    uint8_t *payload = out + TENDO_POD_FRAME_HEADER_SIZE;
    uint8_t flags = (uint8_t)(f->flags & ~TENDO_POD_FRAME_ZLIB);
    uLongf wire = 0;
    if (compress && f->raw_len > 0) {
        /* Room for one byte less than the raw payload: compress2 fails with
         * Z_BUF_ERROR when deflating does not pay, and we send it plain. */
        wire = f->raw_len - 1;
        int zrc = compress2(payload, &wire, f->payload, f->raw_len, FRAME_ZLIB_LEVEL);
        if (zrc == Z_OK)
            flags |= TENDO_POD_FRAME_ZLIB;
        else if (zrc != Z_BUF_ERROR)
            return tendo_error_set(err, TENDO_EINTERNAL, "zlib compress2 failed (%d)", zrc);
    }
    if (!(flags & TENDO_POD_FRAME_ZLIB)) {
        wire = f->raw_len;
        if (f->raw_len)
            memcpy(payload, f->payload, f->raw_len);
    }
    pod_put32(out + 0, TENDO_POD_FRAME_MAGIC);
    out[4] = TENDO_POD_VERSION;
    out[5] = flags;
    pod_put16(out + 6, 0);
    pod_put32(out + 8, f->seq);
    pod_put32(out + 12, f->session_id);
    pod_put64(out + 16, f->offset);
    pod_put32(out + 24, f->raw_len);
    pod_put32(out + 28, (uint32_t)wire);
    size_t body = TENDO_POD_FRAME_HEADER_SIZE + wire;
    pod_put32(out + body, tendo_pod_crc32(0, out, body));
    *out_len = body + TENDO_POD_FRAME_CRC_SIZE;
    return TENDO_OK;
}
