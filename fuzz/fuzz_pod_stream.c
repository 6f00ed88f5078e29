/*
 * Fuzz target: the bulk stream of one READ (acquire/pod_protocol.h):
 * the streaming frame reassembler (magic, header, CRC, sequence, session,
 * offset, zlib inflate) fed in chunks, and each verified payload parsed
 * and unpacked as the sample block it must hold, as the sync engine does.
 *
 * Input: [u8 READ flags][u32 session id][u64 offset][u32 first seq]
 *        [u64 session size][u16 chunk size, 0 = all at once]
 *        then the bytes the pod sent.
 */
#include "fuzz_util.h"
#include "pod_protocol.h"

typedef struct stream_state {
    uint64_t next_offset; /* where the next accepted frame must start */
} stream_state;

static int on_frame(void *ctx, const tendo_pod_frame *f, tendo_error *err)
{
    stream_state *st = ctx;
    if (f->raw_len > TENDO_POD_MAX_PAYLOAD || (f->raw_len && !f->payload) ||
        f->offset != st->next_offset)
        __builtin_trap(); /* the reassembler passed on a frame it should have refused */
    tendo_pod_block b;
    int rc = tendo_pod_block_parse(f->payload, f->raw_len, f->offset, &b, err);
    if (rc != TENDO_OK)
        return rc; /* what the sync engine does: the frame is not stored */
    st->next_offset = f->offset + f->raw_len;
    static uint64_t ticks[TENDO_POD_BLOCK_MAX_SAMPLES];
    static int16_t accel[3 * TENDO_POD_BLOCK_MAX_SAMPLES], gyro[3 * TENDO_POD_BLOCK_MAX_SAMPLES];
    static uint8_t status[TENDO_POD_BLOCK_MAX_SAMPLES];
    tendo_pod_block_unpack(f->payload, &b, 1000000u, ticks, accel, gyro, status);
    return TENDO_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_bytes in = {data, size};
    tendo_pod_read_req req = {0};
    req.flags = (uint8_t)fuzz_take(&in, 1);
    req.session_id = (uint32_t)fuzz_take(&in, 4);
    req.offset = fuzz_take(&in, 8);
    req.first_seq = (uint32_t)fuzz_take(&in, 4);
    uint64_t session_size = fuzz_take(&in, 8);
    size_t chunk = (size_t)fuzz_take(&in, 2);
    if (chunk == 0)
        chunk = in.n ? in.n : 1;

    tendo_error err;
    tendo_error_clear(&err);
    tendo_pod_reasm *r = NULL;
    if (tendo_pod_reasm_new(&r, &req, session_size, &err) != TENDO_OK)
        return 0;
    stream_state st = {req.offset};
    int rc = TENDO_OK;
    for (size_t off = 0; off < in.n && rc == TENDO_OK; off += chunk) {
        size_t len = in.n - off < chunk ? in.n - off : chunk;
        rc = tendo_pod_reasm_feed(r, in.p + off, len, on_frame, &st, &err);
    }
    tendo_error_clear(&err);
    tendo_pod_reasm_finish(r, &err);
    uint64_t pos, frame;
    (void)tendo_pod_reasm_fault(r, &pos, &frame);
    (void)tendo_pod_fault_name(tendo_pod_reasm_fault(r, NULL, NULL));
    if (tendo_pod_reasm_offset(r) != st.next_offset || tendo_pod_reasm_offset(r) > session_size)
        __builtin_trap(); /* the resume offset must be the end of the last stored frame */
    tendo_pod_reasm_free(r);
    return 0;
}
