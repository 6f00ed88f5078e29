/*
 * Fuzz target: a session's content as the host checks it after a READ
 * (acquire/pod_protocol.h, PROTOCOL.md section 4): consecutive sample
 * blocks, each parsed, checked against the one before and the session's
 * LIST entry, and unpacked into ticks, counts and status.
 *
 * Input: [u32 tick_hz][u32 rate_mhz][u64 start_ticks][u16 accel_range]
 *        [u16 gyro_range] then the session content (blocks back to back;
 *        each block's length comes from its count field, as a pod's frames
 *        carry one block each).
 */
#include "fuzz_util.h"
#include "pod_protocol.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_bytes in = {data, size};
    uint32_t tick_hz = (uint32_t)fuzz_take(&in, 4);
    tendo_pod_session s = {0};
    s.rate_mhz = (uint32_t)fuzz_take(&in, 4);
    s.start_ticks = fuzz_take(&in, 8);
    s.accel_range_g = (uint16_t)fuzz_take(&in, 2);
    s.gyro_range_dps = (uint16_t)fuzz_take(&in, 2);
    s.layout = TENDO_POD_LAYOUT_IMU6_I16;
    s.size_bytes = in.n;

    static uint64_t ticks[TENDO_POD_BLOCK_MAX_SAMPLES];
    static int16_t accel[3 * TENDO_POD_BLOCK_MAX_SAMPLES], gyro[3 * TENDO_POD_BLOCK_MAX_SAMPLES];
    static uint8_t status[TENDO_POD_BLOCK_MAX_SAMPLES];
    tendo_pod_block prev, b;
    int have_prev = 0;
    size_t off = 0;
    while (off < in.n) {
        tendo_error err;
        tendo_error_clear(&err);
        size_t len = in.n - off;
        if (len >= 4) {
            size_t claimed = tendo_pod_block_size((uint32_t)(in.p[off + 2] | in.p[off + 3] << 8));
            len = claimed < len ? claimed : len;
        }
        if (tendo_pod_block_parse(in.p + off, len, off, &b, &err) != TENDO_OK)
            break;
        size_t bytes = tendo_pod_block_size(b.count);
        if (b.count == 0 || b.count > TENDO_POD_BLOCK_MAX_SAMPLES || bytes > in.n - off)
            __builtin_trap(); /* parse accepted a block it cannot hold */
        if (tendo_pod_block_follows(have_prev ? &prev : NULL, &b, &s, tick_hz, off, &err) !=
            TENDO_OK)
            break;
        tendo_pod_block_unpack(in.p + off, &b, tick_hz, ticks, accel, gyro, status);
        for (uint32_t i = 1; i < b.count; i++)
            if (ticks[i] <= ticks[i - 1])
                __builtin_trap(); /* follows/parse let sample times run backwards */
        prev = b;
        have_prev = 1;
        off += bytes;
    }
    return 0;
}
