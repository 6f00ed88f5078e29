/*
 * Bulk frames, the reassembler and sample blocks against PROTOCOL.md:
 * golden bytes, a whole session streamed in chunks of 1, 7, 512 and 65536
 * bytes giving identical output, and every corruption a cable or a hostile
 * pod can produce, each reported as the right fault at the right frame and
 * stream byte.
 */
#include <zlib.h>

#include "acq_test.h"
#include "pod_protocol.h"

#define TICK_HZ 1000000u

/* Block 5 of two samples at 1000 Hz from tick 1000. */
static const char BLOCK_HEX[] = "01 00 02 00 05 00 00 00 E8 03 00 00 00 00 00 00"
                                "40 42 0F 00 00 00 00 00 01 00 FE FF 03 00 FC FF"
                                "05 00 FA FF 01 FF 7F 00 80 00 00 64 00 9C FF 07"
                                "00 04";
/* That block as the only, LAST frame (seq 9) of session 17. */
static const char FRAME_HEX[] = "54 4E 44 46 01 02 00 00 09 00 00 00 11 00 00 00"
                                "00 00 00 00 00 00 00 00 32 00 00 00 32 00 00 00"
                                "01 00 02 00 05 00 00 00 E8 03 00 00 00 00 00 00"
                                "40 42 0F 00 00 00 00 00 01 00 FE FF 03 00 FC FF"
                                "05 00 FA FF 01 FF 7F 00 80 00 00 64 00 9C FF 07"
                                "00 04 8F 45 C4 AD";

static const int16_t GOLD_ACCEL[6] = {1, -2, 3, 32767, -32768, 0};
static const int16_t GOLD_GYRO[6] = {-4, 5, -6, 100, -100, 7};
static const uint8_t GOLD_STATUS[2] = {1, 4};

/* ------------------------------------------------- a synthetic session */

/* A session's content as a pod stores it: blocks of samples that look like
 * IMU data (a slow swing plus noise), so compression does something. */
typedef struct content {
    uint8_t *bytes;
    size_t size;
    size_t nblocks;
    size_t block_off[64];
    size_t block_len[64];
    tendo_pod_session session;
} content;

static uint32_t rng_state = 12345;
static uint32_t rng(void)
{
    rng_state = rng_state * 1664525u + 1013904223u;
    return rng_state >> 8;
}

static void make_content(content *c, size_t nblocks, uint16_t per_block, uint32_t rate_mhz)
{
    tendo_error err;
    memset(c, 0, sizeof *c);
    c->bytes = calloc(nblocks, tendo_pod_block_size(per_block));
    static int16_t accel[3 * TENDO_POD_BLOCK_MAX_SAMPLES], gyro[3 * TENDO_POD_BLOCK_MAX_SAMPLES];
    static uint8_t status[TENDO_POD_BLOCK_MAX_SAMPLES];
    uint64_t t0 = 5000000;
    for (size_t b = 0; b < nblocks; b++) {
        /* The last block is shorter, as a pod's final block usually is. */
        uint16_t n = b + 1 == nblocks && per_block > 3 ? (uint16_t)(per_block / 3) : per_block;
        for (unsigned i = 0; i < n; i++) {
            for (int k = 0; k < 3; k++) {
                accel[3 * i + k] =
                    (int16_t)((int)((i * 37 + k * 1000) % 4000) - 2000 + (int)(rng() % 64));
                gyro[3 * i + k] = (int16_t)((int)(rng() % 512) - 256);
            }
            status[i] = (uint8_t)(rng() % 97 == 0 ? 1 : 0);
        }
        tendo_pod_block hdr = {n, (uint32_t)b, t0, rate_mhz};
        size_t len;
        CHECK_OK(tendo_pod_block_encode(&hdr, accel, gyro, status, c->bytes + c->size,
                                        tendo_pod_block_size(per_block), &len, &err),
                 &err);
        c->block_off[b] = c->size;
        c->block_len[b] = len;
        c->size += len;
        c->session.samples += n;
        /* Next block starts one period after this one's last sample, plus
         * a little jitter as the pod re-anchors. */
        t0 = tendo_pod_sample_ticks(&hdr, TICK_HZ, n) + rng() % 3;
    }
    c->nblocks = nblocks;
    c->session.id = 42;
    c->session.size_bytes = c->size;
    c->session.blocks = (uint32_t)nblocks;
    c->session.crc32 = tendo_pod_crc32(0, c->bytes, c->size);
    c->session.start_ticks = 5000000;
    c->session.rate_mhz = rate_mhz;
    c->session.accel_range_g = 32;
    c->session.gyro_range_dps = 4000;
    c->session.layout = TENDO_POD_LAYOUT_IMU6_I16;
}

/* The pod's side of READ(offset, first_seq): one frame per block from the
 * block at `offset`, or a lone empty LAST frame at the end. `compress`:
 * 0 none, 1 all, 2 every other frame. */
typedef struct stream {
    uint8_t *bytes;
    size_t size;
    size_t nframes;
    size_t frame_off[65];
    size_t frame_len[65];
} stream;

static void make_stream(stream *s, const content *c, uint64_t offset, uint32_t first_seq,
                        int compress)
{
    tendo_error err;
    memset(s, 0, sizeof *s);
    s->bytes = malloc((c->nblocks + 1) * TENDO_POD_FRAME_MAX_SIZE);
    size_t b = 0;
    while (b < c->nblocks && c->block_off[b] < offset)
        b++;
    do {
        tendo_pod_frame f;
        memset(&f, 0, sizeof f);
        f.seq = first_seq + (uint32_t)s->nframes;
        f.session_id = c->session.id;
        f.offset = b < c->nblocks ? c->block_off[b] : c->size;
        f.raw_len = b < c->nblocks ? (uint32_t)c->block_len[b] : 0;
        f.payload = b < c->nblocks ? c->bytes + c->block_off[b] : NULL;
        f.flags = f.offset + f.raw_len == c->size ? TENDO_POD_FRAME_LAST : 0;
        int z = compress == 1 || (compress == 2 && s->nframes % 2 == 1);
        size_t len;
        CHECK_OK(tendo_pod_frame_encode(&f, z, s->bytes + s->size, &len, &err), &err);
        s->frame_off[s->nframes] = s->size;
        s->frame_len[s->nframes] = len;
        s->size += len;
        s->nframes++;
        b++;
    } while (b < c->nblocks);
}

/* What the host got from a reassembler: the content and one line per frame. */
typedef struct sink {
    uint8_t *bytes;
    size_t size;
    size_t cap;
    size_t frames;
    uint32_t seq[65];
    uint64_t offset[65];
    uint8_t flags[65];
    size_t fail_at; /* frame number whose callback fails; SIZE_MAX never */
} sink;

static void sink_init(sink *k, size_t cap)
{
    memset(k, 0, sizeof *k);
    k->bytes = malloc(cap);
    k->cap = cap;
    k->fail_at = SIZE_MAX;
}

static int sink_frame(void *ctx, const tendo_pod_frame *f, tendo_error *err)
{
    sink *k = ctx;
    if (k->frames == k->fail_at)
        return tendo_error_set(err, TENDO_EIO, "disk full storing frame %zu", k->frames);
    if (k->size + f->raw_len > k->cap || k->frames >= 65)
        return tendo_error_set(err, TENDO_EINTERNAL, "test sink overflow");
    memcpy(k->bytes + k->size, f->payload, f->raw_len);
    k->size += f->raw_len;
    k->seq[k->frames] = f->seq;
    k->offset[k->frames] = f->offset;
    k->flags[k->frames] = f->flags;
    k->frames++;
    return TENDO_OK;
}

/* Feeds data in chunks of `chunk` bytes, then finishes; returns the first
 * failure (or TENDO_OK). */
static int feed_all(tendo_pod_reasm *r, const uint8_t *data, size_t len, size_t chunk, sink *k,
                    tendo_error *err)
{
    tendo_error_clear(err);
    for (size_t at = 0; at < len; at += chunk) {
        size_t n = len - at < chunk ? len - at : chunk;
        int rc = tendo_pod_reasm_feed(r, data + at, n, sink_frame, k, err);
        if (rc)
            return rc;
    }
    return tendo_pod_reasm_finish(r, err);
}

static tendo_pod_reasm *new_reasm(const content *c, uint64_t offset, uint32_t first_seq,
                                  int allow_zlib)
{
    tendo_error err;
    tendo_pod_read_req rq = {allow_zlib ? TENDO_POD_READ_ALLOW_ZLIB : 0, c->session.id, offset,
                             first_seq};
    tendo_pod_reasm *r = NULL;
    CHECK_OK(tendo_pod_reasm_new(&r, &rq, c->size, &err), &err);
    return r;
}

/* Writes a frame straight from PROTOCOL.md's table, independent of the
 * encoder, with a correct CRC over whatever it is given. */
static size_t raw_frame(uint8_t *out, uint8_t flags, uint32_t seq, uint32_t session,
                        uint64_t offset, uint32_t raw_len, const uint8_t *wire, uint32_t wire_len)
{
    static const uint8_t magic[4] = {'T', 'N', 'D', 'F'};
    memcpy(out, magic, 4);
    out[4] = 1;
    out[5] = flags;
    out[6] = out[7] = 0;
    for (int i = 0; i < 4; i++) {
        out[8 + i] = (uint8_t)(seq >> (8 * i));
        out[12 + i] = (uint8_t)(session >> (8 * i));
        out[24 + i] = (uint8_t)(raw_len >> (8 * i));
        out[28 + i] = (uint8_t)(wire_len >> (8 * i));
    }
    for (int i = 0; i < 8; i++)
        out[16 + i] = (uint8_t)(offset >> (8 * i));
    memcpy(out + 32, wire, wire_len);
    uint32_t crc = (uint32_t)crc32(0, out, 32 + wire_len);
    for (int i = 0; i < 4; i++)
        out[32 + wire_len + i] = (uint8_t)(crc >> (8 * i));
    return 36 + wire_len;
}

/* -------------------------------------------------------------- cases */

static void test_crc(void)
{
    CHECK(tendo_pod_crc32(0, "123456789", 9) == 0xCBF43926u, "CRC-32 check value");
    /* Continuing a CRC equals one pass. */
    uint32_t part = tendo_pod_crc32(tendo_pod_crc32(0, "1234", 4), "56789", 5);
    CHECK(part == 0xCBF43926u, "CRC-32 in two pieces");
}

static void test_block_golden(void)
{
    tendo_error err;
    uint8_t want[64], got[64];
    size_t wn = hex_bytes(BLOCK_HEX, want, sizeof want), len = 0;
    CHECK(wn == tendo_pod_block_size(2) && wn == 50, "golden block size %zu", wn);
    tendo_pod_block b = {2, 5, 1000, 1000000}, p;
    CHECK_OK(
        tendo_pod_block_encode(&b, GOLD_ACCEL, GOLD_GYRO, GOLD_STATUS, got, sizeof got, &len, &err),
        &err);
    CHECK(len == wn, "encoded %zu", len);
    CHECK_BYTES(got, want, wn);
    CHECK_OK(tendo_pod_block_parse(want, wn, 0, &p, &err), &err);
    CHECK(p.count == 2 && p.index == 5 && p.t0_ticks == 1000 && p.rate_mhz == 1000000,
          "parsed header");
    uint64_t ticks[2];
    int16_t a[6], g[6];
    uint8_t st[2];
    tendo_pod_block_unpack(want, &p, TICK_HZ, ticks, a, g, st);
    CHECK(ticks[0] == 1000 && ticks[1] == 2000, "ticks %llu %llu", (unsigned long long)ticks[0],
          (unsigned long long)ticks[1]);
    CHECK(memcmp(a, GOLD_ACCEL, sizeof a) == 0 && memcmp(g, GOLD_GYRO, sizeof g) == 0 &&
              memcmp(st, GOLD_STATUS, sizeof st) == 0,
          "unpacked samples");
    /* NULL outputs are skipped. */
    tendo_pod_block_unpack(want, &p, TICK_HZ, NULL, a, NULL, NULL);
    /* Encoding limits. */
    b.count = 0;
    CHECK_FAILS(
        tendo_pod_block_encode(&b, GOLD_ACCEL, GOLD_GYRO, NULL, got, sizeof got, &len, &err), &err,
        TENDO_EUSAGE, "0 samples");
    b.count = 3;
    CHECK_FAILS(tendo_pod_block_encode(&b, NULL, NULL, NULL, got, 62, &len, &err), &err,
                TENDO_EUSAGE, "63 bytes");
}

static void test_block_errors(void)
{
    tendo_error err;
    uint8_t want[64], b[64];
    size_t wn = hex_bytes(BLOCK_HEX, want, sizeof want);
    tendo_pod_block p;
    static const struct {
        size_t off;
        uint8_t value;
        const char *text;
    } bad[] = {
        {0, 2, "byte 0: layout 2"},
        {1, 1, "byte 1: reserved"},
        {22, 1, "byte 20: reserved"},
        {2, 0, "byte 2: count 0"},
        {3, 0x10, "byte 2: count 4098"},
        {2, 3, "byte 2: 3 samples need 63 bytes, the block has 50"},
        {18, 0, "byte 16: rate_mhz 16960"},
        {49, 0x08, "byte 49: sample 1: status 0x08"},
        {36, 0x80, "byte 36: sample 0: status 0x80"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        memcpy(b, want, wn);
        b[bad[i].off] = bad[i].value;
        CHECK_FAILS(tendo_pod_block_parse(b, wn, 777, &p, &err), &err, TENDO_EDATA, bad[i].text);
        CHECK(strstr(err.msg, "session offset 777") != NULL, "where: %s", err.msg);
    }
    CHECK_FAILS(tendo_pod_block_parse(want, 23, 0, &p, &err), &err, TENDO_EDATA, "shorter");
    CHECK_FAILS(tendo_pod_block_parse(want, 51, 0, &p, &err), &err, TENDO_EDATA, "has 51");
}

static void test_block_follows(void)
{
    tendo_error err;
    tendo_pod_session s;
    memset(&s, 0, sizeof s);
    s.rate_mhz = 1000000;
    s.start_ticks = 1000;
    tendo_pod_block b0 = {100, 0, 1000, 1000000};
    tendo_pod_block b1 = {100, 1, 1000 + 100 * 1000, 1000000};
    CHECK_OK(tendo_pod_block_follows(NULL, &b0, &s, TICK_HZ, 0, &err), &err);
    CHECK_OK(tendo_pod_block_follows(&b0, &b1, &s, TICK_HZ, 1324, &err), &err);

    tendo_pod_block x = b0;
    x.index = 1;
    CHECK_FAILS(tendo_pod_block_follows(NULL, &x, &s, TICK_HZ, 0, &err), &err, TENDO_EDATA,
                "first block is 0");
    x = b0;
    x.t0_ticks = 999;
    CHECK_FAILS(tendo_pod_block_follows(NULL, &x, &s, TICK_HZ, 0, &err), &err, TENDO_EDATA,
                "LIST says the session starts at 1000");
    x = b1;
    x.index = 2;
    CHECK_FAILS(tendo_pod_block_follows(&b0, &x, &s, TICK_HZ, 9, &err), &err, TENDO_EDATA,
                "index 2 after block 0");
    x = b1;
    x.t0_ticks = 1000 + 99 * 1000; /* = the previous block's last sample */
    CHECK_FAILS(tendo_pod_block_follows(&b0, &x, &s, TICK_HZ, 9, &err), &err, TENDO_EDATA,
                "not after");
    x = b1;
    x.t0_ticks = 1000 + 99 * 1000 + (1ull << 32) + 1;
    CHECK_FAILS(tendo_pod_block_follows(&b0, &x, &s, TICK_HZ, 9, &err), &err, TENDO_EDATA, "jumps");
    x.t0_ticks = 1000 + 99 * 1000 + (1ull << 32); /* the largest jump allowed */
    CHECK_OK(tendo_pod_block_follows(&b0, &x, &s, TICK_HZ, 9, &err), &err);
    x = b1;
    x.rate_mhz = 1600000;
    CHECK_FAILS(tendo_pod_block_follows(&b0, &x, &s, TICK_HZ, 9, &err), &err, TENDO_EDATA,
                "the session's is 1000000");
    x = b1;
    x.t0_ticks = UINT64_MAX - 1000;
    CHECK_FAILS(tendo_pod_block_follows(&b0, &x, &s, TICK_HZ, 9, &err), &err, TENDO_EDATA,
                "overflow");
    CHECK_FAILS(tendo_pod_block_follows(&b0, &b1, &s, 1000, 9, &err), &err, TENDO_EUSAGE,
                "tick_hz");
}

/* Sample spacing is nominal in ticks, rounded to the nearest tick. */
static void test_sample_ticks(void)
{
    static const uint32_t rates[] = {200000, 1000000, 1024000, 1600000, 102400};
    static const uint32_t hz[] = {1000000, 32768, 1000000000};
    for (size_t r = 0; r < 5; r++)
        for (size_t h = 0; h < 3; h++) {
            tendo_pod_block b = {4096, 0, 77, rates[r]};
            for (uint32_t i = 0; i < 4096; i += 13) {
                double exact = (double)i * hz[h] * 1000.0 / rates[r];
                uint64_t t = tendo_pod_sample_ticks(&b, hz[h], i);
                CHECK((double)(t - 77) - exact <= 0.5 && exact - (double)(t - 77) <= 0.5,
                      "rate %u mHz, %u Hz clock, sample %u: tick %llu, exact %.3f", rates[r], hz[h],
                      i, (unsigned long long)t, exact + 77);
            }
        }
}

static void test_frame_golden(void)
{
    tendo_error err;
    uint8_t want[128], block[64];
    static uint8_t got[TENDO_POD_FRAME_MAX_SIZE];
    size_t wn = hex_bytes(FRAME_HEX, want, sizeof want);
    size_t bn = hex_bytes(BLOCK_HEX, block, sizeof block), len = 0;
    tendo_pod_frame f = {TENDO_POD_FRAME_LAST, 9, 17, 0, (uint32_t)bn, 0, block};
    CHECK_OK(tendo_pod_frame_encode(&f, 0, got, &len, &err), &err);
    CHECK(len == wn && wn == 86, "frame length %zu, golden %zu", len, wn);
    CHECK_BYTES(got, want, wn);

    /* The host reads it back. */
    tendo_pod_read_req rq = {0, 17, 0, 9};
    tendo_pod_reasm *r;
    CHECK_OK(tendo_pod_reasm_new(&r, &rq, bn, &err), &err);
    sink k;
    sink_init(&k, 1024);
    CHECK_OK(feed_all(r, want, wn, wn, &k, &err), &err);
    CHECK(k.frames == 1 && k.size == bn && memcmp(k.bytes, block, bn) == 0, "frame payload");
    CHECK(k.seq[0] == 9 && k.offset[0] == 0 && k.flags[0] == TENDO_POD_FRAME_LAST, "fields");
    CHECK(tendo_pod_reasm_done(r) && tendo_pod_reasm_offset(r) == bn, "done at %llu",
          (unsigned long long)tendo_pod_reasm_offset(r));
    tendo_pod_reasm_free(r);
    free(k.bytes);

    /* Compression is used only when it pays: the tiny block goes plain,
     * a run of zeros goes compressed and comes back whole. */
    CHECK_OK(tendo_pod_frame_encode(&f, 1, got, &len, &err), &err);
    CHECK(len == wn && got[5] == TENDO_POD_FRAME_LAST, "incompressible stays plain");
    static uint8_t zeros[4096];
    tendo_pod_frame z = {0, 0, 17, 0, sizeof zeros, 0, zeros};
    CHECK_OK(tendo_pod_frame_encode(&z, 1, got, &len, &err), &err);
    CHECK(got[5] == TENDO_POD_FRAME_ZLIB && len < 200, "zeros compress to %zu bytes", len);
    z.raw_len = TENDO_POD_MAX_PAYLOAD + 1;
    CHECK_FAILS(tendo_pod_frame_encode(&z, 0, got, &len, &err), &err, TENDO_EUSAGE, "65537");
}

/* One session, several chunkings and compression settings: identical frames
 * and content every time, equal to what the pod stored. */
static void test_chunking(void)
{
    tendo_error err;
    content c;
    make_content(&c, 40, 1000, 1000000);
    CHECK(c.size > 4 * 65536, "content of %zu bytes spans several 64 KiB transfers", c.size);
    static const size_t chunks[] = {1, 7, 512, 65536, 1u << 30};
    sink first;
    int have_first = 0;
    for (int compress = 0; compress <= 2; compress++) {
        stream s;
        make_stream(&s, &c, 0, 1000, compress);
        CHECK(s.nframes == 40, "%zu frames", s.nframes);
        if (compress == 1)
            CHECK(s.size < c.size, "compressed stream %zu < content %zu", s.size, c.size);
        for (size_t i = 0; i < sizeof chunks / sizeof chunks[0]; i++) {
            tendo_pod_reasm *r = new_reasm(&c, 0, 1000, compress != 0);
            sink k;
            sink_init(&k, c.size);
            CHECK_OK(feed_all(r, s.bytes, s.size, chunks[i], &k, &err), &err);
            CHECK(tendo_pod_reasm_done(r), "chunk %zu: done", chunks[i]);
            CHECK(tendo_pod_reasm_offset(r) == c.size, "chunk %zu: offset", chunks[i]);
            CHECK(k.size == c.size && memcmp(k.bytes, c.bytes, c.size) == 0,
                  "chunk %zu, compress %d: content differs", chunks[i], compress);
            CHECK(tendo_pod_crc32(0, k.bytes, k.size) == c.session.crc32, "session CRC");
            if (!have_first) {
                first = k;
                have_first = 1;
            } else {
                CHECK(k.frames == first.frames && memcmp(k.seq, first.seq, sizeof k.seq) == 0 &&
                          memcmp(k.offset, first.offset, sizeof k.offset) == 0,
                      "chunk %zu, compress %d: frames differ", chunks[i], compress);
                for (size_t f = 0; f < k.frames; f++)
                    CHECK((k.flags[f] & TENDO_POD_FRAME_LAST) ==
                              (first.flags[f] & TENDO_POD_FRAME_LAST),
                          "LAST flag of frame %zu", f);
                free(k.bytes);
            }
            tendo_pod_reasm_free(r);
        }
        free(s.bytes);
    }
    /* Decode the received content back into samples and check them. */
    tendo_pod_block prev, b;
    static int16_t a[3 * TENDO_POD_BLOCK_MAX_SAMPLES];
    static uint64_t ticks[TENDO_POD_BLOCK_MAX_SAMPLES];
    uint64_t samples = 0, last_tick = 0;
    for (size_t i = 0; i < first.frames; i++) {
        size_t len = i + 1 < first.frames ? first.offset[i + 1] - first.offset[i]
                                          : first.size - first.offset[i];
        const uint8_t *blk = first.bytes + first.offset[i];
        CHECK_OK(tendo_pod_block_parse(blk, len, first.offset[i], &b, &err), &err);
        CHECK_OK(tendo_pod_block_follows(i ? &prev : NULL, &b, &c.session, TICK_HZ, first.offset[i],
                                         &err),
                 &err);
        tendo_pod_block_unpack(blk, &b, TICK_HZ, ticks, a, NULL, NULL);
        CHECK(ticks[0] > last_tick || i == 0, "time increases across blocks");
        last_tick = ticks[b.count - 1];
        samples += b.count;
        prev = b;
    }
    CHECK(samples == c.session.samples, "samples %llu of %llu", (unsigned long long)samples,
          (unsigned long long)c.session.samples);
    free(first.bytes);
    free(c.bytes);
}

/* Flips every bit of a small stream, one at a time: the reassembler must
 * stop at the frame holding the bit, having delivered the frames before it
 * untouched, and name CRC for any bit of a payload or CRC. */
static void flip_every_bit(int compress, uint16_t per_block)
{
    tendo_error err;
    content c;
    make_content(&c, 4, per_block, 1000000);
    stream s;
    make_stream(&s, &c, 0, 7, compress);
    size_t zframes = 0;
    for (size_t f = 0; f < s.nframes; f++)
        zframes += (s.bytes[s.frame_off[f] + 5] & TENDO_POD_FRAME_ZLIB) != 0;
    CHECK(compress ? zframes > 0 : zframes == 0, "%zu compressed frames", zframes);
    uint8_t *copy = malloc(s.size);
    size_t undetected = 0;
    for (size_t byte = 0; byte < s.size; byte++) {
        size_t fr = 0;
        while (fr + 1 < s.nframes && s.frame_off[fr + 1] <= byte)
            fr++;
        size_t in_frame = byte - s.frame_off[fr];
        for (int bit = 0; bit < 8; bit++) {
            memcpy(copy, s.bytes, s.size);
            copy[byte] ^= (uint8_t)(1u << bit);
            tendo_pod_reasm *r = new_reasm(&c, 0, 7, 1);
            sink k;
            sink_init(&k, c.size + 65536);
            int rc = feed_all(r, copy, s.size, 7, &k, &err);
            uint64_t pos, frame_no;
            tendo_pod_fault fault = tendo_pod_reasm_fault(r, &pos, &frame_no);
            if (rc == TENDO_OK) {
                undetected++;
            } else {
                CHECK(frame_no == fr && pos == s.frame_off[fr],
                      "byte %zu bit %d: fault %s at frame %llu / stream byte %llu, expected "
                      "frame %zu at %zu",
                      byte, bit, tendo_pod_fault_name(fault), (unsigned long long)frame_no,
                      (unsigned long long)pos, fr, s.frame_off[fr]);
                CHECK(k.frames == fr && tendo_pod_reasm_offset(r) == c.block_off[fr],
                      "byte %zu bit %d: %zu frames delivered before the fault", byte, bit,
                      k.frames);
                CHECK(memcmp(k.bytes, c.bytes, k.size) == 0, "delivered bytes intact");
                if (in_frame >= 32)
                    CHECK(fault == TENDO_POD_FAULT_CRC,
                          "byte %zu (payload/CRC) bit %d: fault %s, expected bad CRC", byte, bit,
                          tendo_pod_fault_name(fault));
                if (in_frame < 4)
                    CHECK(fault == TENDO_POD_FAULT_MAGIC, "magic bit: %s",
                          tendo_pod_fault_name(fault));
                CHECK(rc == (fault == TENDO_POD_FAULT_TRUNCATED ? TENDO_EUNAVAIL : TENDO_EDATA),
                      "code %d for %s", rc, tendo_pod_fault_name(fault));
            }
            tendo_pod_reasm_free(r);
            free(k.bytes);
        }
    }
    CHECK(undetected == 0, "%zu of %zu single-bit errors went undetected", undetected, s.size * 8);
    free(copy);
    free(s.bytes);
    free(c.bytes);
}

static void test_bitflips(void)
{
    flip_every_bit(0, 6);
    flip_every_bit(1, 40);
}

/* Cut the stream at every length: inside a frame is TRUNCATED (EUNAVAIL)
 * with the whole frames before it delivered; on a boundary is fine. */
static void test_truncated(void)
{
    tendo_error err;
    content c;
    make_content(&c, 3, 5, 1000000);
    stream s;
    make_stream(&s, &c, 0, 0, 0);
    for (size_t cut = 1; cut <= s.size; cut++) {
        tendo_pod_reasm *r = new_reasm(&c, 0, 0, 0);
        sink k;
        sink_init(&k, c.size);
        int rc = feed_all(r, s.bytes, cut, 5, &k, &err);
        size_t whole = 0;
        while (whole < s.nframes && s.frame_off[whole] + s.frame_len[whole] <= cut)
            whole++;
        int boundary = whole == s.nframes || s.frame_off[whole] == cut;
        CHECK(k.frames == whole, "cut %zu: %zu frames, expected %zu", cut, k.frames, whole);
        if (boundary) {
            CHECK(rc == TENDO_OK, "cut %zu on a boundary: %s", cut, err.msg);
        } else {
            CHECK(rc == TENDO_EUNAVAIL &&
                      tendo_pod_reasm_fault(r, NULL, NULL) == TENDO_POD_FAULT_TRUNCATED,
                  "cut %zu: rc %d %s", cut, rc, err.msg);
            CHECK(strstr(err.msg, "resume with READ at session offset") != NULL,
                  "message says how to go on: %s", err.msg);
        }
        CHECK(tendo_pod_reasm_done(r) == (cut == s.size), "cut %zu: done flag", cut);
        tendo_pod_reasm_free(r);
        free(k.bytes);
    }
    free(s.bytes);
    free(c.bytes);
}

/* Frames rearranged: dropped, duplicated, reordered. */
static void test_sequence(void)
{
    tendo_error err;
    content c;
    make_content(&c, 5, 8, 1000000);
    stream s;
    make_stream(&s, &c, 0, 0xFFFFFFFEu, 0); /* seq wraps from 2^32 − 2 */
    static const struct {
        const char *name;
        int order[6];
        tendo_pod_fault fault;
        size_t at; /* index in `order` where the fault is */
        const char *text;
    } cases[] = {
        {"in order", {0, 1, 2, 3, 4, -1}, TENDO_POD_FAULT_NONE, 5, ""},
        {"dropped", {0, 1, 3, 4, -1}, TENDO_POD_FAULT_GAP, 2, "seq 1, expected 0: 1 frame(s)"},
        {"duplicated",
         {0, 1, 1, 2, 3, 4},
         TENDO_POD_FAULT_DUPLICATE,
         2,
         "seq 4294967295, expected 0"},
        {"reordered", {0, 2, 1, 3, 4, -1}, TENDO_POD_FAULT_GAP, 1, "seq 0, expected 4294967295"},
        {"old frame again", {0, 1, 2, 0, 3, 4}, TENDO_POD_FAULT_DUPLICATE, 3, "expected 1"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t *buf = malloc(s.size * 2);
        size_t len = 0, start_of_fault = 0;
        for (size_t j = 0; j < 6 && cases[i].order[j] >= 0; j++) {
            int f = cases[i].order[j];
            if (j == cases[i].at)
                start_of_fault = len;
            memcpy(buf + len, s.bytes + s.frame_off[f], s.frame_len[f]);
            len += s.frame_len[f];
        }
        tendo_pod_reasm *r = new_reasm(&c, 0, 0xFFFFFFFEu, 0);
        sink k;
        sink_init(&k, c.size);
        tendo_error_clear(&err);
        int rc = feed_all(r, buf, len, 512, &k, &err);
        uint64_t pos, no;
        tendo_pod_fault fault = tendo_pod_reasm_fault(r, &pos, &no);
        CHECK(fault == cases[i].fault, "%s: fault %s", cases[i].name, tendo_pod_fault_name(fault));
        if (cases[i].fault == TENDO_POD_FAULT_NONE) {
            CHECK(rc == TENDO_OK && k.size == c.size && tendo_pod_reasm_done(r), "%s: %s",
                  cases[i].name, err.msg);
            CHECK(k.seq[1] == 0xFFFFFFFFu && k.seq[2] == 0 && k.seq[4] == 2, "seq wraps");
        } else {
            CHECK(rc == TENDO_EDATA, "%s: rc %d", cases[i].name, rc);
            CHECK(no == cases[i].at && pos == start_of_fault && k.frames == cases[i].at,
                  "%s: frame %llu at byte %llu, expected %zu at %zu", cases[i].name,
                  (unsigned long long)no, (unsigned long long)pos, cases[i].at, start_of_fault);
            CHECK(strstr(err.msg, cases[i].text) != NULL, "%s: message %s", cases[i].name, err.msg);
        }
        tendo_pod_reasm_free(r);
        free(k.bytes);
        free(buf);
    }
    free(s.bytes);
    free(c.bytes);
}

/* Hand-made frames that break one header or payload rule each. */
static void test_bad_frames(void)
{
    tendo_error err;
    content c;
    make_content(&c, 2, 4, 1000000); /* blocks of 76 and 37 bytes */
    const uint8_t *b0 = c.bytes, *b1 = c.bytes + c.block_off[1];
    uint32_t l0 = (uint32_t)c.block_len[0], l1 = (uint32_t)c.block_len[1];
    static uint8_t buf[4 * TENDO_POD_FRAME_MAX_SIZE], z[2 * TENDO_POD_MAX_PAYLOAD];
    static uint8_t big[2 * TENDO_POD_MAX_PAYLOAD];
    struct {
        const char *name;
        tendo_pod_fault fault;
        const char *text;
        int allow_zlib;
    } cases[] = {
        {"good", TENDO_POD_FAULT_NONE, "", 0},
        {"wrong session", TENDO_POD_FAULT_SESSION, "frame of session 43", 0},
        {"offset mismatch", TENDO_POD_FAULT_OFFSET, "session offset 75, expected 76", 0},
        {"unknown flag", TENDO_POD_FAULT_HEADER, "unknown flag bits 0x04", 0},
        {"zlib not allowed", TENDO_POD_FAULT_HEADER, "did not allow", 0},
        {"wire != raw", TENDO_POD_FAULT_HEADER, "wire_len 37 differs from raw_len 36", 0},
        {"missing LAST", TENDO_POD_FAULT_HEADER, "not marked LAST", 0},
        {"early LAST", TENDO_POD_FAULT_HEADER, "marked LAST but ends at session byte 76", 0},
        {"empty frame", TENDO_POD_FAULT_HEADER, "empty frame", 0},
        {"beyond session", TENDO_POD_FAULT_LENGTH, "beyond the session's 113", 0},
        {"after LAST", TENDO_POD_FAULT_AFTER_LAST, "more bytes after the LAST", 0},
        {"bad version", TENDO_POD_FAULT_VERSION, "version 2", 0},
        {"garbage", TENDO_POD_FAULT_MAGIC, "expected 0x46444E54", 0},
        {"inflates beyond", TENDO_POD_FAULT_INFLATE, "beyond its declared raw_len 37", 1},
        {"zip bomb", TENDO_POD_FAULT_INFLATE, "beyond its declared raw_len 37", 1},
        {"inflates short", TENDO_POD_FAULT_INFLATE, "inflates to 37 bytes, raw_len says 38", 1},
        {"truncated zlib", TENDO_POD_FAULT_INFLATE, "ends early", 1},
        {"trailing bytes", TENDO_POD_FAULT_INFLATE, "follow the end of the zlib stream", 1},
        {"corrupt zlib", TENDO_POD_FAULT_INFLATE, "corrupt zlib stream", 1},
        {"compressed, too big", TENDO_POD_FAULT_LENGTH, "beyond the 65536-byte limit", 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t len = raw_frame(buf, 0, 0, 42, 0, l0, b0, l0); /* frame 0 is always good */
        size_t second = len;
        uLongf zn = sizeof z;
        uint8_t L = TENDO_POD_FRAME_LAST, Z = TENDO_POD_FRAME_ZLIB;
        switch (i) {
        case 0:
            len += raw_frame(buf + len, L, 1, 42, l0, l1, b1, l1);
            break;
        case 1:
            len += raw_frame(buf + len, L, 1, 43, l0, l1, b1, l1);
            break;
        case 2:
            len += raw_frame(buf + len, L, 1, 42, l0 - 1, l1, b1, l1);
            break;
        case 3:
            len += raw_frame(buf + len, L | 4, 1, 42, l0, l1, b1, l1);
            break;
        case 4:
            compress2(z, &zn, b1, l1, 9);
            len += raw_frame(buf + len, L | Z, 1, 42, l0, l1, z, (uint32_t)zn);
            break;
        case 5:
            len += raw_frame(buf + len, L, 1, 42, l0, l1 - 1, b1, l1);
            break;
        case 6:
            len += raw_frame(buf + len, 0, 1, 42, l0, l1, b1, l1);
            break;
        case 7:
            len = raw_frame(buf, L, 0, 42, 0, l0, b0, l0);
            break;
        case 8:
            len += raw_frame(buf + len, 0, 1, 42, l0, 0, b1, 0);
            break;
        case 9:
            len += raw_frame(buf + len, L, 1, 42, l0, l1 + 1, b1, l1 + 1);
            break;
        case 10:
            len += raw_frame(buf + len, L, 1, 42, l0, l1, b1, l1);
            buf[len++] = 0;
            break;
        case 11:
            len += raw_frame(buf + len, L, 1, 42, l0, l1, b1, l1);
            buf[second + 4] = 2;
            break;
        case 12:
            memset(buf + len, 0xA5, 100);
            len += 100;
            break;
        case 13: /* 38 bytes of content declared as 37 */
            compress2(z, &zn, b1, l1 + 1, 9);
            len += raw_frame(buf + len, L | Z, 1, 42, l0, l1, z, (uint32_t)zn);
            break;
        case 14: /* 128 KiB of zeros in a few hundred bytes, declared 37 */
            memset(big, 0, sizeof big);
            compress2(z, &zn, big, sizeof big, 9);
            len += raw_frame(buf + len, L | Z, 1, 42, l0, l1, z, (uint32_t)zn);
            break;
        case 15: /* 37 bytes declared as 38: the frame would also pass the end */
            compress2(z, &zn, b1, l1, 9);
            c.size += 1; /* so the length check passes and inflate is reached */
            len += raw_frame(buf + len, L | Z, 1, 42, l0, l1 + 1, z, (uint32_t)zn);
            break;
        case 16:
            compress2(z, &zn, b1, l1, 9);
            len += raw_frame(buf + len, L | Z, 1, 42, l0, l1, z, (uint32_t)zn - 3);
            break;
        case 17:
            compress2(z, &zn, b1, l1, 9);
            z[zn] = 0x55;
            len += raw_frame(buf + len, L | Z, 1, 42, l0, l1, z, (uint32_t)zn + 1);
            break;
        case 18:
            compress2(z, &zn, b1, l1, 9);
            z[0] ^= 0x40; /* breaks the zlib header check; the frame CRC is still right */
            len += raw_frame(buf + len, L | Z, 1, 42, l0, l1, z, (uint32_t)zn);
            break;
        case 19:
            memset(big, 1, sizeof big);
            compress2(z, &zn, big, TENDO_POD_MAX_PAYLOAD + 1, 9);
            len +=
                raw_frame(buf + len, L | Z, 1, 42, l0, TENDO_POD_MAX_PAYLOAD + 1, z, (uint32_t)zn);
            break;
        }
        tendo_pod_reasm *r = new_reasm(&c, 0, 0, cases[i].allow_zlib);
        sink k;
        sink_init(&k, c.size + 16);
        tendo_error_clear(&err);
        int rc = feed_all(r, buf, len, i % 2 ? 1 : 65536, &k, &err);
        tendo_pod_fault fault = tendo_pod_reasm_fault(r, NULL, NULL);
        CHECK(fault == cases[i].fault, "%s: fault %s (%s)", cases[i].name,
              tendo_pod_fault_name(fault), err.msg);
        if (cases[i].fault == TENDO_POD_FAULT_NONE) {
            CHECK(rc == TENDO_OK && k.size == c.size, "%s: %s", cases[i].name, err.msg);
        } else {
            CHECK(rc == TENDO_EDATA, "%s: rc %d", cases[i].name, rc);
            CHECK(strstr(err.msg, cases[i].text) != NULL, "%s: message %s", cases[i].name, err.msg);
            /* Frame 0 was good and is kept, except where frame 0 is the bad
             * one; after LAST both frames were good. */
            size_t good = i == 7 ? 0 : i == 10 ? 2 : 1;
            uint64_t kept = good == 2 ? c.size : good ? l0 : 0;
            CHECK(k.frames == good && tendo_pod_reasm_offset(r) == kept,
                  "%s: %zu frames kept, resume at %llu", cases[i].name, k.frames,
                  (unsigned long long)tendo_pod_reasm_offset(r));
            /* Sticky: more bytes get the same answer. */
            tendo_error again;
            tendo_error_clear(&again);
            CHECK(tendo_pod_reasm_feed(r, buf, 1, sink_frame, &k, &again) == rc &&
                      strcmp(again.msg, err.msg) == 0,
                  "%s: not sticky", cases[i].name);
        }
        if (i == 15)
            c.size -= 1;
        tendo_pod_reasm_free(r);
        free(k.bytes);
    }
    free(c.bytes);
}

/* A length beyond the limit is refused from the header alone, before a
 * single payload byte is buffered. */
static void test_oversized(void)
{
    tendo_error err;
    content c;
    make_content(&c, 1, 4, 1000000);
    uint8_t hdr[64];
    static const uint8_t nothing[1];
    raw_frame(hdr, 0, 0, 42, 0, 0x7FFFFFF0u, nothing, 0);
    hdr[28] = 0xF0, hdr[29] = 0xFF, hdr[30] = 0xFF, hdr[31] = 0x7F; /* wire_len too */
    tendo_pod_reasm *r = new_reasm(&c, 0, 0, 0);
    CHECK(tendo_pod_reasm_feed(r, hdr, 31, NULL, NULL, &err) == TENDO_OK, "31 header bytes");
    tendo_error_clear(&err);
    CHECK(tendo_pod_reasm_feed(r, hdr + 31, 1, NULL, NULL, &err) == TENDO_EDATA,
          "the 32nd header byte triggers the check");
    CHECK(tendo_pod_reasm_fault(r, NULL, NULL) == TENDO_POD_FAULT_LENGTH, "fault");
    CHECK(strstr(err.msg, "raw_len 2147483632") != NULL, "%s", err.msg);
    tendo_pod_reasm_free(r);
    /* One byte over the limit, uncompressed. */
    static uint8_t frame[TENDO_POD_FRAME_MAX_SIZE + 8], payload[TENDO_POD_MAX_PAYLOAD + 1];
    size_t len = raw_frame(frame, 0, 0, 42, 0, TENDO_POD_MAX_PAYLOAD + 1, payload,
                           TENDO_POD_MAX_PAYLOAD + 1);
    r = new_reasm(&c, 0, 0, 0);
    sink k;
    sink_init(&k, 16);
    CHECK_FAILS(feed_all(r, frame, len, 65536, &k, &err), &err, TENDO_EDATA,
                "raw_len 65537 / wire_len 65537 beyond the 65536-byte limit");
    tendo_pod_reasm_free(r);
    free(k.bytes);
    free(c.bytes);
}

/* The host stops (disk full in the callback, or a cable drop) and resumes
 * with READ at the last verified offset: the content ends bit-exact, and a
 * READ at the very end yields one empty LAST frame. */
static void test_resume(void)
{
    tendo_error err;
    content c;
    make_content(&c, 12, 300, 1600000);
    stream s;
    make_stream(&s, &c, 0, 0, 2);
    sink k;
    sink_init(&k, c.size);
    k.fail_at = 5;
    tendo_pod_reasm *r = new_reasm(&c, 0, 0, 1);
    CHECK_FAILS(feed_all(r, s.bytes, s.size, 4096, &k, &err), &err, TENDO_EIO,
                "disk full storing frame 5");
    CHECK(tendo_pod_reasm_fault(r, NULL, NULL) == TENDO_POD_FAULT_CALLER, "caller fault");
    uint64_t resume = tendo_pod_reasm_offset(r);
    CHECK(resume == c.block_off[5] && k.size == resume, "resume at %llu, have %zu",
          (unsigned long long)resume, k.size);
    tendo_pod_reasm_free(r);

    /* Second READ: from the resume offset, next sequence numbers. */
    stream s2;
    make_stream(&s2, &c, resume, 500, 2);
    CHECK(s2.nframes == 7, "%zu frames after resuming", s2.nframes);
    /* A cable drop in the middle of frame 3 of this READ. */
    size_t cut = s2.frame_off[3] + s2.frame_len[3] / 2;
    r = new_reasm(&c, resume, 500, 1);
    k.fail_at = SIZE_MAX;
    CHECK_FAILS(feed_all(r, s2.bytes, cut, 777, &k, &err), &err, TENDO_EUNAVAIL, "truncated");
    resume = tendo_pod_reasm_offset(r);
    CHECK(resume == c.block_off[8], "resume at block 8's offset");
    tendo_pod_reasm_free(r);

    /* Third READ finishes. */
    stream s3;
    make_stream(&s3, &c, resume, 507, 2);
    r = new_reasm(&c, resume, 507, 1);
    CHECK_OK(feed_all(r, s3.bytes, s3.size, 65536, &k, &err), &err);
    CHECK(tendo_pod_reasm_done(r), "done");
    CHECK(k.size == c.size && memcmp(k.bytes, c.bytes, c.size) == 0, "bit-exact after resumes");
    CHECK(tendo_pod_crc32(0, k.bytes, k.size) == c.session.crc32, "CRC matches LIST");
    tendo_pod_reasm_free(r);

    /* A READ at the end: one empty LAST frame, nothing else. */
    stream s4;
    make_stream(&s4, &c, c.size, 600, 0);
    CHECK(s4.nframes == 1 && s4.frame_len[0] == 36, "empty LAST frame");
    r = new_reasm(&c, c.size, 600, 0);
    size_t before = k.frames;
    CHECK_OK(feed_all(r, s4.bytes, s4.size, 1, &k, &err), &err);
    CHECK(tendo_pod_reasm_done(r) && k.frames == before + 1 && k.size == c.size, "end READ");
    tendo_pod_reasm_free(r);

    tendo_pod_read_req rq = {0, 42, c.size + 1, 0};
    CHECK_FAILS(tendo_pod_reasm_new(&r, &rq, c.size, &err), &err, TENDO_EUSAGE, "beyond");
    free(s.bytes);
    free(s2.bytes);
    free(s3.bytes);
    free(s4.bytes);
    free(k.bytes);
    free(c.bytes);
}

int main(int argc, char **argv)
{
    static const acq_case cases[] = {
        {"crc", test_crc},
        {"block_golden", test_block_golden},
        {"block_errors", test_block_errors},
        {"block_follows", test_block_follows},
        {"sample_ticks", test_sample_ticks},
        {"frame_golden", test_frame_golden},
        {"chunking", test_chunking},
        {"bitflips", test_bitflips},
        {"truncated", test_truncated},
        {"sequence", test_sequence},
        {"bad_frames", test_bad_frames},
        {"oversized", test_oversized},
        {"resume", test_resume},
    };
    return acq_main(argc, argv, cases, sizeof cases / sizeof cases[0]);
}
