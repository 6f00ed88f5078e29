/*
 * make_seeds.c — writes the binary seed inputs of the pod fuzz targets
 * (fuzz/corpus/pod_*) with tendo's own encoders, so every seed is a
 * well-formed message or stream the fuzzer then mutates. Run after a
 * protocol change:
 *     build/fuzz/make_seeds fuzz/corpus
 * The CSV, profile and session seeds are ordinary files (see fuzz/README.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pod_protocol.h"

static const char *out_dir;

static void put(const char *target, const char *name, const void *a, size_t alen,
                const void *b, size_t blen)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s/%s", out_dir, target, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(a, 1, alen, f) != alen || (blen && fwrite(b, 1, blen, f) != blen) ||
        fclose(f) != 0) {
        fprintf(stderr, "make_seeds: cannot write %s\n", path);
        exit(1);
    }
}

static void le(uint8_t *p, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static tendo_error err;

#define MUST(call)                                                                                 \
    do {                                                                                           \
        if ((call) != TENDO_OK) {                                                                  \
            fprintf(stderr, "make_seeds: %s: %s\n", #call, err.msg);                               \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)

/* A session's content: nblocks blocks of count samples at 1000 Hz on a
 * 1 MHz tick clock, with a few clipped/gap status bits. Returns its size. */
static size_t make_content(uint8_t *out, size_t cap, int nblocks, uint16_t count, size_t *ends)
{
    static int16_t accel[3 * TENDO_POD_BLOCK_MAX_SAMPLES], gyro[3 * TENDO_POD_BLOCK_MAX_SAMPLES];
    static uint8_t status[TENDO_POD_BLOCK_MAX_SAMPLES];
    size_t off = 0;
    for (int k = 0; k < nblocks; k++) {
        for (size_t i = 0; i < count; i++) {
            for (int a = 0; a < 3; a++) {
                accel[3 * i + a] = (int16_t)((i * 37 + a * 1000 + k) % 4000 - 2000);
                gyro[3 * i + a] = (int16_t)((i * 11 + a * 300) % 3000 - 1500);
            }
            status[i] = (uint8_t)(i % 97 == 5 ? 1 : i % 101 == 7 ? 4 : 0);
        }
        tendo_pod_block b = {count, (uint32_t)k, 5000000u + (uint64_t)k * count * 1000u, 1000000u};
        size_t len;
        MUST(tendo_pod_block_encode(&b, accel, gyro, status, out + off, cap - off, &len, &err));
        off += len;
        ends[k] = off;
    }
    return off;
}

static void pod_block_seeds(void)
{
    static uint8_t content[8 * TENDO_POD_BLOCK_MAX_SIZE];
    size_t ends[8];
    uint8_t head[20];
    le(head, 1000000u, 4);   /* tick_hz */
    le(head + 4, 1000000u, 4); /* rate_mhz: 1000 Hz */
    le(head + 8, 5000000u, 8); /* start_ticks */
    le(head + 16, 32, 2);
    le(head + 18, 4000, 2);
    size_t n = make_content(content, sizeof content, 3, 50, ends);
    put("pod_block", "three-blocks", head, sizeof head, content, n);
    n = make_content(content, sizeof content, 1, 1, ends);
    put("pod_block", "one-sample", head, sizeof head, content, n);
    n = make_content(content, sizeof content, 2, TENDO_POD_BLOCK_MAX_SAMPLES, ends);
    put("pod_block", "two-full-blocks", head, sizeof head, content, n);
}

/* A READ's stream of the content, one frame per block. */
static void stream_seed(const char *name, int zlib, uint16_t chunk, int nblocks, uint16_t count,
                        int from_block)
{
    static uint8_t content[8 * TENDO_POD_BLOCK_MAX_SIZE];
    static uint8_t stream[8 * TENDO_POD_FRAME_MAX_SIZE];
    size_t ends[8];
    size_t size = make_content(content, sizeof content, nblocks, count, ends);
    size_t at = 0, begin = from_block ? ends[from_block - 1] : 0;
    for (int k = from_block; k < nblocks; k++) {
        size_t start = k ? ends[k - 1] : 0;
        tendo_pod_frame f = {k == nblocks - 1 ? TENDO_POD_FRAME_LAST : 0,
                             (uint32_t)(k - from_block), 7, start, (uint32_t)(ends[k] - start),
                             0, content + start};
        size_t len;
        MUST(tendo_pod_frame_encode(&f, zlib, stream + at, &len, &err));
        at += len;
    }
    uint8_t head[27];
    head[0] = zlib ? TENDO_POD_READ_ALLOW_ZLIB : 0;
    le(head + 1, 7, 4);
    le(head + 5, begin, 8);
    le(head + 13, 0, 4);
    le(head + 17, size, 8);
    le(head + 25, chunk, 2);
    put("pod_stream", name, head, sizeof head, stream, at);
}

static void pod_control_seeds(void)
{
    uint8_t buf[TENDO_POD_LIST_MAX_SIZE + 16], sel;
    tendo_pod_info info = {0, 0, 80, 1000000u, TENDO_POD_MAX_PAYLOAD, 3, 1u << 30, 1u << 20,
                           "tendo-pod-1", "1.0.0"};
    tendo_pod_info_encode(&info, buf);
    sel = 0;
    put("pod_control", "info", &sel, 1, buf, TENDO_POD_INFO_SIZE);
    tendo_pod_clock clk = {TENDO_POD_CLOCK_ANCHORED, 2, 123456789, 1000, 1767225600000000};
    tendo_pod_clock_encode(&clk, buf);
    sel = 1;
    put("pod_control", "clock", &sel, 1, buf, TENDO_POD_CLOCK_SIZE);
    tendo_pod_clock_set_encode(1767225600000000, buf);
    sel = 2;
    put("pod_control", "clock-set", &sel, 1, buf, TENDO_POD_CLOCK_SET_SIZE);

    static tendo_pod_list_page page;
    memset(&page, 0, sizeof page);
    page.total = 3;
    page.count = 3;
    for (int i = 0; i < 3; i++) {
        tendo_pod_session *s = &page.entry[i];
        s->id = (uint32_t)(10 + i);
        s->blocks = 2;
        s->samples = 100;
        s->size_bytes = 24 * 2 + 13 * 100;
        s->start_ticks = 1000u * (uint64_t)i;
        s->crc32 = 0x12345678u + (uint32_t)i;
        s->rate_mhz = 1000000u;
        s->accel_range_g = 32;
        s->gyro_range_dps = 4000;
        s->layout = TENDO_POD_LAYOUT_IMU6_I16;
    }
    size_t len = tendo_pod_list_encode(&page, buf + 3);
    buf[0] = 3;
    le(buf + 1, 0, 2);
    put("pod_control", "list", buf, len + 3, NULL, 0);
    /* Two pages for the merge case: 2 then 1 of 3 sessions. */
    static uint8_t pages[2 * TENDO_POD_LIST_MAX_SIZE + 8];
    size_t at = 1;
    pages[0] = 9;
    page.count = 2;
    len = tendo_pod_list_encode(&page, pages + at + 2);
    le(pages + at, len, 2);
    at += 2 + len;
    page.first = 2;
    page.count = 1;
    page.entry[0] = page.entry[2];
    len = tendo_pod_list_encode(&page, pages + at + 2);
    le(pages + at, len, 2);
    at += 2 + len;
    put("pod_control", "list-two-pages", pages, at, NULL, 0);

    tendo_pod_read_req rd = {TENDO_POD_READ_ALLOW_ZLIB, 10, 0, 0};
    tendo_pod_read_encode(&rd, buf);
    sel = 4;
    put("pod_control", "read", &sel, 1, buf, TENDO_POD_READ_SIZE);
    tendo_pod_erase_req er = {10, 1348, 0x12345678u};
    tendo_pod_erase_encode(&er, buf);
    sel = 5;
    put("pod_control", "erase", &sel, 1, buf, TENDO_POD_ERASE_SIZE);
    tendo_pod_error_reply e = {TENDO_POD_REQ_ERASE, TENDO_POD_ST_CHECKSUM_MISMATCH, 10, 99};
    tendo_pod_error_encode(&e, buf);
    sel = 6;
    put("pod_control", "error", &sel, 1, buf, TENDO_POD_ERROR_SIZE);
    len = tendo_pod_string_encode("TP-0001-L", buf, sizeof buf);
    sel = 7;
    put("pod_control", "string-serial", &sel, 1, buf, len);
    len = tendo_pod_string_encode("tendo pod", buf, sizeof buf);
    put("pod_control", "string-product", &sel, 1, buf, len);

    tendo_pod_setup s;
    MUST(tendo_pod_setup_for(TENDO_POD_REQ_LIST, 0, &s, &err));
    buf[0] = 8;
    tendo_pod_setup_encode(&s, buf + 1);
    put("pod_control", "setup-list", buf, 1 + TENDO_POD_SETUP_SIZE, NULL, 0);
    MUST(tendo_pod_setup_for(TENDO_POD_REQ_ERASE, 0, &s, &err));
    tendo_pod_setup_encode(&s, buf + 1);
    tendo_pod_erase_encode(&er, buf + 1 + TENDO_POD_SETUP_SIZE);
    put("pod_control", "setup-erase", buf, 1 + TENDO_POD_SETUP_SIZE + TENDO_POD_ERASE_SIZE,
        NULL, 0);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: make_seeds CORPUS_DIR (fuzz/corpus; its pod_* folders must exist)\n");
        return 64;
    }
    out_dir = argv[1];
    pod_block_seeds();
    pod_control_seeds();
    stream_seed("plain-whole", 0, 0, 3, 50, 0);
    stream_seed("zlib-chunks-7", 1, 7, 3, 200, 0);
    stream_seed("plain-chunks-512-full", 0, 512, 2, TENDO_POD_BLOCK_MAX_SAMPLES, 0);
    stream_seed("zlib-resume-at-block-2", 1, 4096, 4, 100, 2);
    return 0;
}
