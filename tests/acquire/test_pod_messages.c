/*
 * Control requests and replies of the pod protocol: every encoder against
 * golden bytes written out from PROTOCOL.md's tables, every decoder on
 * those bytes, round trips, and each check a decoder makes failing with
 * the field's byte offset in the message.
 */
#include "acq_test.h"
#include "pod_protocol.h"

/* ---------------------------------------------------------- golden bytes */

/* INFO: right foot, 87 %, 1 MHz clock, 65536-byte frames, 3 sessions,
 * 512 MiB flash with 0x01234567 bytes used, model "TP-1", firmware "1.2.3". */
static const char INFO_HEX[] = "01 01 00 57 40 42 0F 00 00 00 01 00 03 00 00 00"
                               "00 00 00 20 00 00 00 00 67 45 23 01 00 00 00 00"
                               "54 50 2D 31 00 00 00 00 00 00 00 00 00 00 00 00"
                               "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00"
                               "31 2E 32 2E 33 00 00 00 00 00 00 00 00 00 00 00"
                               "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00";

/* CLOCK: anchored, epoch 7, ticks 0x123456789, anchor at 2^32 ticks and
 * 1795000000000000 µs. */
static const char CLOCK_HEX[] = "01 01 00 00 07 00 00 00 89 67 45 23 01 00 00 00"
                                "00 00 00 00 01 00 00 00 00 30 5F 01 8B 60 06 00";

static const char CLOCK_SET_HEX[] = "01 00 00 00 00 00 00 00 15 FD BA 08 8B 60 06 00";

/* LIST page 0 of 2: session 17 (2 blocks, 5000 samples, 1000 Hz, ±32 g,
 * ±4000 °/s, crc DEADBEEF) and session 18 (recording, 1 block, 10 samples,
 * 1600 Hz, ±16 g, ±2000 °/s). */
static const char LIST_HEX[] = "01 38 02 00 00 00 02 00 11 00 00 00 00 00 00 00"
                               "18 FE 00 00 00 00 00 00 88 13 00 00 00 00 00 00"
                               "00 10 00 00 00 00 00 00 02 00 00 00 EF BE AD DE"
                               "03 00 00 00 40 42 0F 00 20 00 A0 0F 01 00 00 00"
                               "12 00 00 00 01 00 00 00 9A 00 00 00 00 00 00 00"
                               "0A 00 00 00 00 00 00 00 00 00 00 09 00 00 00 00"
                               "01 00 00 00 00 00 00 00 03 00 00 00 00 6A 18 00"
                               "10 00 D0 07 01 00 00 00";

static const char READ_HEX[] = "01 01 00 00 11 00 00 00 56 34 12 00 00 00 00 00"
                               "FE FF FF FF 00 00 00 00";

static const char ERASE_HEX[] = "01 00 00 00 11 00 00 00 18 FE 00 00 00 00 00 00"
                                "EF BE AD DE 00 00 00 00";

static const char ERROR_HEX[] = "01 06 07 00 11 00 00 00 CD AB 34 12 00 00 00 00";

static tendo_pod_info sample_info(void)
{
    tendo_pod_info v;
    memset(&v, 0, sizeof v);
    v.side = 1;
    v.placement = 0;
    v.battery_pct = 87;
    v.tick_hz = 1000000;
    v.max_payload = 65536;
    v.sessions = 3;
    v.flash_bytes = 0x20000000;
    v.flash_used = 0x01234567;
    strcpy(v.model, "TP-1");
    strcpy(v.firmware, "1.2.3");
    return v;
}

static tendo_pod_session session17(void)
{
    tendo_pod_session s;
    memset(&s, 0, sizeof s);
    s.id = 17;
    s.size_bytes = 24 * 2 + 13 * 5000;
    s.samples = 5000;
    s.start_ticks = 0x1000;
    s.blocks = 2;
    s.crc32 = 0xDEADBEEF;
    s.clock_epoch = 3;
    s.rate_mhz = 1000000;
    s.accel_range_g = 32;
    s.gyro_range_dps = 4000;
    s.layout = 1;
    return s;
}

static tendo_pod_session session18(void)
{
    tendo_pod_session s = session17();
    s.id = 18;
    s.flags = TENDO_POD_SESSION_RECORDING;
    s.size_bytes = 24 + 13 * 10;
    s.samples = 10;
    s.start_ticks = 0x9000000;
    s.blocks = 1;
    s.crc32 = 0;
    s.rate_mhz = 1600000;
    s.accel_range_g = 16;
    s.gyro_range_dps = 2000;
    return s;
}

/* Field by field: structs have padding, which memcmp would compare. */
static int same_session(const tendo_pod_session *a, const tendo_pod_session *b)
{
    return a->id == b->id && a->flags == b->flags && a->size_bytes == b->size_bytes &&
           a->samples == b->samples && a->start_ticks == b->start_ticks && a->blocks == b->blocks &&
           a->crc32 == b->crc32 && a->clock_epoch == b->clock_epoch && a->rate_mhz == b->rate_mhz &&
           a->accel_range_g == b->accel_range_g && a->gyro_range_dps == b->gyro_range_dps &&
           a->layout == b->layout;
}

/* ------------------------------------------------------------- setup */

static void test_setup(void)
{
    static const struct {
        uint8_t req;
        uint16_t value;
        const char *hex;
    } cases[] = {
        {TENDO_POD_REQ_INFO, 0, "C1 01 00 00 00 00 60 00"},
        {TENDO_POD_REQ_CLOCK_GET, 0, "C1 02 00 00 00 00 20 00"},
        {TENDO_POD_REQ_CLOCK_SET, 0, "41 03 00 00 00 00 10 00"},
        {TENDO_POD_REQ_LIST, 64, "C1 04 40 00 00 00 08 0E"},
        {TENDO_POD_REQ_READ, 0, "41 05 00 00 00 00 18 00"},
        {TENDO_POD_REQ_ERASE, 0, "41 06 00 00 00 00 18 00"},
        {TENDO_POD_REQ_GET_ERROR, 0, "C1 07 00 00 00 00 10 00"},
    };
    tendo_error err;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tendo_pod_setup s, back;
        uint8_t got[8], want[8];
        hex_bytes(cases[i].hex, want, sizeof want);
        CHECK_OK(tendo_pod_setup_for(cases[i].req, cases[i].value, &s, &err), &err);
        tendo_pod_setup_encode(&s, got);
        CHECK_BYTES(got, want, 8);
        tendo_pod_setup_decode(want, &back);
        CHECK(back.request_type == s.request_type && back.request == s.request &&
                  back.value == s.value && back.index == s.index && back.length == s.length,
              "setup %s does not round-trip", tendo_pod_request_name(cases[i].req));
        uint8_t data[TENDO_POD_LIST_MAX_SIZE] = {TENDO_POD_VERSION};
        CHECK(tendo_pod_setup_check(&s, s.request_type == 0x41 ? data : NULL, s.length) ==
                  TENDO_POD_ST_NONE,
              "pod refuses a correct %s", tendo_pod_request_name(cases[i].req));
    }
    CHECK(strcmp(tendo_pod_request_name(TENDO_POD_REQ_ERASE), "ERASE") == 0, "name");
    tendo_pod_setup s;
    CHECK_FAILS(tendo_pod_setup_for(0x42, 0, &s, &err), &err, TENDO_EUSAGE, "0x42");

    /* What a pod answers to bad envelopes. */
    uint8_t data[24] = {TENDO_POD_VERSION};
    tendo_pod_setup_for(TENDO_POD_REQ_READ, 0, &s, &err);
    tendo_pod_setup bad = s;
    bad.request = 0x30;
    CHECK(tendo_pod_setup_check(&bad, data, 24) == TENDO_POD_ST_UNKNOWN_REQUEST, "unknown");
    bad = s;
    bad.request_type = 0xC1;
    CHECK(tendo_pod_setup_check(&bad, data, 24) == TENDO_POD_ST_BAD_ARGUMENT, "direction");
    bad = s;
    bad.index = 1;
    CHECK(tendo_pod_setup_check(&bad, data, 24) == TENDO_POD_ST_BAD_ARGUMENT, "wIndex");
    bad = s;
    bad.value = 1;
    CHECK(tendo_pod_setup_check(&bad, data, 24) == TENDO_POD_ST_BAD_ARGUMENT, "wValue");
    bad = s;
    bad.length = 23;
    CHECK(tendo_pod_setup_check(&bad, data, 23) == TENDO_POD_ST_BAD_LENGTH, "wLength");
    CHECK(tendo_pod_setup_check(&s, data, 23) == TENDO_POD_ST_BAD_LENGTH, "short data");
    data[0] = 2;
    CHECK(tendo_pod_setup_check(&s, data, 24) == TENDO_POD_ST_BAD_VERSION, "version");
    tendo_pod_setup_for(TENDO_POD_REQ_LIST, 1025, &s, &err);
    CHECK(tendo_pod_setup_check(&s, NULL, 0) == TENDO_POD_ST_BAD_ARGUMENT, "LIST beyond 1024");
}

/* -------------------------------------------------------------- INFO */

static void test_info(void)
{
    tendo_error err;
    uint8_t want[TENDO_POD_INFO_SIZE], got[TENDO_POD_INFO_SIZE];
    CHECK(hex_bytes(INFO_HEX, want, sizeof want) == TENDO_POD_INFO_SIZE, "golden size");
    tendo_pod_info in = sample_info(), out;
    tendo_pod_info_encode(&in, got);
    CHECK_BYTES(got, want, TENDO_POD_INFO_SIZE);
    CHECK_OK(tendo_pod_info_decode(want, sizeof want, &out, &err), &err);
    CHECK(out.side == 1 && out.battery_pct == 87 && out.tick_hz == 1000000 &&
              out.max_payload == 65536 && out.sessions == 3 && out.flash_bytes == 0x20000000 &&
              out.flash_used == 0x01234567,
          "decoded numbers");
    CHECK(strcmp(out.model, "TP-1") == 0 && strcmp(out.firmware, "1.2.3") == 0,
          "decoded strings %s %s", out.model, out.firmware);

    /* A 31-character model is the longest that fits. */
    strcpy(in.model, "ABCDEFGHIJKLMNOPQRSTUVWXYZ01234");
    tendo_pod_info_encode(&in, got);
    CHECK_OK(tendo_pod_info_decode(got, sizeof got, &out, &err), &err);
    CHECK(strcmp(out.model, in.model) == 0, "31-char model round trip");

    /* Each rule, broken once, on a copy of the golden reply. */
    static const struct {
        size_t off;
        uint8_t value;
        const char *text;
    } bad[] = {
        {0, 2, "byte 0 (version)"},       {1, 2, "byte 1 (side)"},
        {2, 2, "byte 2 (placement)"},     {3, 101, "byte 3 (battery_pct)"},
        {6, 0, "byte 4 (tick_hz)"},       {10, 0x10, "byte 8 (max_payload)"},
        {13, 0x04, "byte 12 (sessions)"}, {14, 1, "byte 14 (reserved)"},
        {31, 1, "byte 24 (flash_used)"},  {32, 0, "byte 32 (model): empty"},
        {33, 0x07, "byte 33 (model)"},    {40, 'x', "byte 40 (model)"},
        {64, 0x80, "byte 64 (firmware)"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint8_t b[TENDO_POD_INFO_SIZE];
        memcpy(b, want, sizeof b);
        b[bad[i].off] = bad[i].value;
        CHECK_FAILS(tendo_pod_info_decode(b, sizeof b, &out, &err), &err, TENDO_EDATA, bad[i].text);
    }
    /* A model filling all 32 bytes has no NUL. */
    uint8_t b[TENDO_POD_INFO_SIZE];
    memcpy(b, want, sizeof b);
    memset(b + 32, 'M', 32);
    CHECK_FAILS(tendo_pod_info_decode(b, sizeof b, &out, &err), &err, TENDO_EDATA, "no NUL");
    /* tick_hz one above the limit. */
    memcpy(b, want, sizeof b);
    b[4] = 0x01, b[5] = 0xCA, b[6] = 0x9A, b[7] = 0x3B; /* 10^9 + 1 */
    CHECK_FAILS(tendo_pod_info_decode(b, sizeof b, &out, &err), &err, TENDO_EDATA, "tick_hz");
    CHECK_FAILS(tendo_pod_info_decode(want, 95, &out, &err), &err, TENDO_EDATA,
                "expected exactly 96");
    CHECK_FAILS(tendo_pod_info_decode(want, 97, &out, &err), &err, TENDO_EDATA, "97 bytes");
}

/* ------------------------------------------------------------- CLOCK */

static void test_clock(void)
{
    tendo_error err;
    uint8_t want[TENDO_POD_CLOCK_SIZE], got[TENDO_POD_CLOCK_SIZE];
    hex_bytes(CLOCK_HEX, want, sizeof want);
    tendo_pod_clock in = {TENDO_POD_CLOCK_ANCHORED, 7, 0x123456789ull, 0x100000000ull,
                          1795000000000000ll};
    tendo_pod_clock out;
    tendo_pod_clock_encode(&in, got);
    CHECK_BYTES(got, want, sizeof want);
    CHECK_OK(tendo_pod_clock_decode(want, sizeof want, &out, &err), &err);
    CHECK(out.flags == in.flags && out.epoch == 7 && out.ticks == in.ticks &&
              out.anchor_ticks == in.anchor_ticks && out.anchor_utc_us == in.anchor_utc_us,
          "clock round trip");

    uint8_t b[TENDO_POD_CLOCK_SIZE];
    memcpy(b, want, sizeof b);
    b[1] = 0x03;
    CHECK_FAILS(tendo_pod_clock_decode(b, sizeof b, &out, &err), &err, TENDO_EDATA,
                "byte 1 (flags)");
    memcpy(b, want, sizeof b);
    b[3] = 1;
    CHECK_FAILS(tendo_pod_clock_decode(b, sizeof b, &out, &err), &err, TENDO_EDATA,
                "byte 3 (reserved)");
    in.anchor_ticks = in.ticks + 1;
    tendo_pod_clock_encode(&in, b);
    CHECK_FAILS(tendo_pod_clock_decode(b, sizeof b, &out, &err), &err, TENDO_EDATA,
                "byte 16 (anchor_ticks)");
    in.anchor_ticks = 1;
    in.anchor_utc_us = -1;
    tendo_pod_clock_encode(&in, b);
    CHECK_FAILS(tendo_pod_clock_decode(b, sizeof b, &out, &err), &err, TENDO_EDATA,
                "byte 24 (anchor_utc_us)");
    in.flags = 0; /* not anchored yet an anchor given */
    in.anchor_utc_us = 5;
    tendo_pod_clock_encode(&in, b);
    CHECK_FAILS(tendo_pod_clock_decode(b, sizeof b, &out, &err), &err, TENDO_EDATA, "not ANCHORED");
    in.anchor_ticks = 0;
    in.anchor_utc_us = 0;
    tendo_pod_clock_encode(&in, b);
    CHECK_OK(tendo_pod_clock_decode(b, sizeof b, &out, &err), &err);

    /* CLOCK_SET */
    uint8_t cs[TENDO_POD_CLOCK_SET_SIZE], cs_want[TENDO_POD_CLOCK_SET_SIZE];
    hex_bytes(CLOCK_SET_HEX, cs_want, sizeof cs_want);
    tendo_pod_clock_set_encode(1795000123456789ll, cs);
    CHECK_BYTES(cs, cs_want, sizeof cs);
    int64_t utc = 0;
    CHECK_OK(tendo_pod_clock_set_decode(cs, sizeof cs, &utc, &err), &err);
    CHECK(utc == 1795000123456789ll, "utc %lld", (long long)utc);
    cs[5] = 1;
    CHECK_FAILS(tendo_pod_clock_set_decode(cs, sizeof cs, &utc, &err), &err, TENDO_EDATA,
                "byte 5 (reserved)");
    tendo_pod_clock_set_encode(-3, cs);
    CHECK_FAILS(tendo_pod_clock_set_decode(cs, sizeof cs, &utc, &err), &err, TENDO_EDATA,
                "negative");
}

/* -------------------------------------------------------------- LIST */

static void test_list(void)
{
    tendo_error err;
    uint8_t want[TENDO_POD_LIST_MAX_SIZE], got[TENDO_POD_LIST_MAX_SIZE];
    size_t wn = hex_bytes(LIST_HEX, want, sizeof want);
    CHECK(wn == 8 + 2 * 56, "golden size %zu", wn);
    tendo_pod_list_page in, out;
    memset(&in, 0, sizeof in);
    in.total = 2;
    in.first = 0;
    in.count = 2;
    in.entry[0] = session17();
    in.entry[1] = session18();
    size_t n = tendo_pod_list_encode(&in, got);
    CHECK(n == wn, "encoded %zu bytes, golden %zu", n, wn);
    CHECK_BYTES(got, want, wn);
    CHECK_OK(tendo_pod_list_decode(want, wn, 0, &out, &err), &err);
    CHECK(out.total == 2 && out.first == 0 && out.count == 2, "header");
    CHECK(same_session(&out.entry[0], &in.entry[0]), "entry 0 round trip");
    CHECK(same_session(&out.entry[1], &in.entry[1]), "entry 1 round trip");

    /* Header rules. */
    uint8_t b[TENDO_POD_LIST_MAX_SIZE];
    memcpy(b, want, wn);
    b[1] = 55;
    CHECK_FAILS(tendo_pod_list_decode(b, wn, 0, &out, &err), &err, TENDO_EDATA,
                "byte 1 (entry_size)");
    CHECK_FAILS(tendo_pod_list_decode(want, wn, 64, &out, &err), &err, TENDO_EDATA,
                "byte 4 (first): 0, the host asked for 64");
    memcpy(b, want, wn);
    b[2] = 0x01, b[3] = 0x04; /* total 1025 */
    CHECK_FAILS(tendo_pod_list_decode(b, wn, 0, &out, &err), &err, TENDO_EDATA, "byte 2 (total)");
    memcpy(b, want, wn);
    b[6] = 1; /* count 1 of total 2 */
    CHECK_FAILS(tendo_pod_list_decode(b, wn, 0, &out, &err), &err, TENDO_EDATA,
                "byte 6 (count): 1, expected 2");
    CHECK_FAILS(tendo_pod_list_decode(want, wn - 1, 0, &out, &err), &err, TENDO_EDATA,
                "2 entries need 120");
    CHECK_FAILS(tendo_pod_list_decode(want, 7, 0, &out, &err), &err, TENDO_EDATA, "header");

    /* Entry rules: each is a lie a pod could tell. Entry 1 starts at byte 64. */
    static const struct {
        const char *what;
        const char *text;
    } lies[] = {
        {"flags", "byte 68 (flags)"},
        {"size beyond limit", "byte 72 (size_bytes)"},
        {"size disagrees", "byte 72 (size_bytes)"},
        {"samples overflow", "byte 72 (size_bytes)"},
        {"more blocks than samples", "byte 80 (samples)"},
        {"too many samples per block", "byte 80 (samples)"},
        {"rate", "byte 108 (rate_mhz)"},
        {"accel range", "byte 112 (accel_range_g)"},
        {"gyro range", "byte 114 (gyro_range_dps)"},
        {"layout", "byte 116 (layout)"},
        {"reserved", "byte 118 (reserved)"},
        {"ids not increasing", "byte 64 (session_id)"},
    };
    for (size_t i = 0; i < sizeof lies / sizeof lies[0]; i++) {
        tendo_pod_list_page p = in;
        tendo_pod_session *s = &p.entry[1];
        switch (i) {
        case 0:
            s->flags = 2;
            break;
        case 1:
            s->size_bytes = (1ull << 34) + 24 + 13 * 1310720;
            s->blocks = 1;
            break;
        case 2:
            s->size_bytes += 1;
            break;
        case 3:
            s->samples = 1ull << 62;
            break; /* 13 × samples would wrap */
        case 4:
            s->blocks = 2, s->samples = 1, s->size_bytes = 48 + 13;
            break;
        case 5:
            s->blocks = 1, s->samples = 4097, s->size_bytes = 24 + 13 * 4097;
            break;
        case 6:
            s->rate_mhz = 99999;
            break;
        case 7:
            s->accel_range_g = 0;
            break;
        case 8:
            s->gyro_range_dps = 20001;
            break;
        case 9:
            s->layout = 2;
            break;
        case 10:
            break; /* patched below */
        case 11:
            s->id = 17;
            break;
        }
        size_t len = tendo_pod_list_encode(&p, b);
        if (i == 10)
            b[8 + 56 + 54] = 1;
        CHECK_FAILS(tendo_pod_list_decode(b, len, 0, &out, &err), &err, TENDO_EDATA, lies[i].text);
        CHECK(strstr(err.msg, "session") != NULL, "%s: message names the session: %s", lies[i].what,
              err.msg);
    }

    /* An empty pod and an empty session are fine. */
    tendo_pod_list_page empty;
    memset(&empty, 0, sizeof empty);
    n = tendo_pod_list_encode(&empty, b);
    CHECK(n == 8, "empty list is a bare header");
    CHECK_OK(tendo_pod_list_decode(b, n, 0, &out, &err), &err);
    tendo_pod_list_page one = in;
    one.total = 1;
    one.count = 1;
    one.entry[0].blocks = 0;
    one.entry[0].samples = 0;
    one.entry[0].size_bytes = 0;
    n = tendo_pod_list_encode(&one, b);
    CHECK_OK(tendo_pod_list_decode(b, n, 0, &out, &err), &err);
}

/* 130 sessions come as pages of 64, 64 and 2; merge checks their seams. */
static void test_list_pages(void)
{
    tendo_error err;
    enum { TOTAL = 130 };
    static tendo_pod_session all[TENDO_POD_MAX_SESSIONS];
    size_t n = 0;
    uint16_t total = 0;
    uint8_t buf[TENDO_POD_LIST_MAX_SIZE];
    for (int page = 0; n < TOTAL || page == 0; page++) {
        tendo_pod_list_page p, out;
        memset(&p, 0, sizeof p);
        p.total = TOTAL;
        p.first = (uint16_t)n;
        p.count = (uint16_t)(TOTAL - n < 64 ? TOTAL - n : 64);
        for (unsigned i = 0; i < p.count; i++) {
            p.entry[i] = session17();
            p.entry[i].id = 1000 + 3 * (uint32_t)(n + i);
        }
        size_t len = tendo_pod_list_encode(&p, buf);
        CHECK(len == 8 + 56u * p.count, "page %d length", page);
        CHECK_OK(tendo_pod_list_decode(buf, len, (uint16_t)n, &out, &err), &err);
        CHECK_OK(tendo_pod_list_merge(&out, all, &n, &total, &err), &err);
        if (acq_failures)
            return;
    }
    CHECK(n == TOTAL && total == TOTAL, "merged %zu of %u", n, total);
    CHECK(all[129].id == 1000 + 3 * 129, "last id %u", all[129].id);

    /* The pod changes its mind between pages. */
    tendo_pod_list_page p;
    memset(&p, 0, sizeof p);
    p.total = TOTAL + 1;
    p.first = 64;
    p.count = 64;
    n = 64;
    total = TOTAL;
    for (unsigned i = 0; i < 64; i++) {
        p.entry[i] = session17();
        p.entry[i].id = 5000 + i;
    }
    CHECK_FAILS(tendo_pod_list_merge(&p, all, &n, &total, &err), &err, TENDO_EDATA,
                "changed between pages");
    /* Ids going back across a page seam. */
    p.total = TOTAL;
    p.entry[0].id = all[63].id;
    CHECK_FAILS(tendo_pod_list_merge(&p, all, &n, &total, &err), &err, TENDO_EDATA,
                "ids must increase");
}

/* --------------------------------------------------------- READ/ERASE */

static void test_read_erase(void)
{
    tendo_error err;
    uint8_t want[24], got[24];
    hex_bytes(READ_HEX, want, sizeof want);
    tendo_pod_read_req rq = {TENDO_POD_READ_ALLOW_ZLIB, 17, 0x123456, 0xFFFFFFFEu}, rq2;
    tendo_pod_read_encode(&rq, got);
    CHECK_BYTES(got, want, 24);
    CHECK_OK(tendo_pod_read_decode(want, 24, &rq2, &err), &err);
    CHECK(rq2.flags == rq.flags && rq2.session_id == 17 && rq2.offset == 0x123456 &&
              rq2.first_seq == 0xFFFFFFFEu,
          "READ round trip");
    got[1] = 0x02;
    CHECK_FAILS(tendo_pod_read_decode(got, 24, &rq2, &err), &err, TENDO_EDATA, "byte 1 (flags)");
    memcpy(got, want, 24);
    got[22] = 9;
    CHECK_FAILS(tendo_pod_read_decode(got, 24, &rq2, &err), &err, TENDO_EDATA,
                "byte 22 (reserved)");
    CHECK_FAILS(tendo_pod_read_decode(want, 25, &rq2, &err), &err, TENDO_EDATA, "25 bytes");

    hex_bytes(ERASE_HEX, want, sizeof want);
    tendo_pod_erase_req er = {17, 24 * 2 + 13 * 5000, 0xDEADBEEF}, er2;
    tendo_pod_erase_encode(&er, got);
    CHECK_BYTES(got, want, 24);
    CHECK_OK(tendo_pod_erase_decode(want, 24, &er2, &err), &err);
    CHECK(er2.session_id == 17 && er2.size_bytes == er.size_bytes && er2.crc32 == 0xDEADBEEF,
          "ERASE round trip");
    got[2] = 1;
    CHECK_FAILS(tendo_pod_erase_decode(got, 24, &er2, &err), &err, TENDO_EDATA,
                "byte 2 (reserved)");
    memcpy(got, want, 24);
    got[0] = 3;
    CHECK_FAILS(tendo_pod_erase_decode(got, 24, &er2, &err), &err, TENDO_EDATA, "byte 0 (version)");
}

/* ---------------------------------------------------------- GET_ERROR */

static void test_errors(void)
{
    tendo_error err;
    uint8_t want[16], got[16];
    hex_bytes(ERROR_HEX, want, sizeof want);
    tendo_pod_error_reply e = {TENDO_POD_REQ_ERASE, TENDO_POD_ST_CHECKSUM_MISMATCH, 17, 0x1234ABCD},
                          e2;
    tendo_pod_error_encode(&e, got);
    CHECK_BYTES(got, want, 16);
    CHECK_OK(tendo_pod_error_decode(want, 16, &e2, &err), &err);
    CHECK(e2.request == e.request && e2.code == e.code && e2.session_id == e.session_id &&
              e2.value == e.value,
          "GET_ERROR round trip");

    /* The documented table: name and tendo code of each refusal. */
    static const struct {
        uint16_t code;
        const char *name;
        int tcode;
    } table[] = {
        {0, "NONE", TENDO_EUNAVAIL},          {1, "UNKNOWN_REQUEST", TENDO_EUNAVAIL},
        {2, "BAD_VERSION", TENDO_EUNAVAIL},   {3, "BAD_LENGTH", TENDO_EINTERNAL},
        {4, "BAD_ARGUMENT", TENDO_EINTERNAL}, {5, "NO_SESSION", TENDO_EDATA},
        {6, "BAD_OFFSET", TENDO_EDATA},       {7, "CHECKSUM_MISMATCH", TENDO_EDATA},
        {8, "BUSY", TENDO_EUNAVAIL},          {9, "FLASH_ERROR", TENDO_EUNAVAIL},
        {10, "UNKNOWN", TENDO_EUNAVAIL},      {0xFFFF, "UNKNOWN", TENDO_EUNAVAIL},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        CHECK(strcmp(tendo_pod_status_name(table[i].code), table[i].name) == 0, "name of %u",
              table[i].code);
        CHECK(tendo_pod_status_code(table[i].code) == table[i].tcode, "code of %u", table[i].code);
        tendo_pod_error_reply r = {TENDO_POD_REQ_READ, table[i].code, 4, 0};
        CHECK_FAILS(tendo_pod_refusal(&r, &err), &err, table[i].tcode, table[i].name);
        CHECK(strstr(err.msg, "READ (session 4)") != NULL, "refusal names the request: %s",
              err.msg);
    }
    CHECK_FAILS(tendo_pod_refusal(&e, &err), &err, TENDO_EDATA, "keeps its data");
    want[0] = 0;
    CHECK_FAILS(tendo_pod_error_decode(want, 16, &e2, &err), &err, TENDO_EDATA, "version");
}

/* ------------------------------------------------------------ strings */

static void test_strings(void)
{
    tendo_error err;
    static const char *good[] = {"L0001A", "a", "pod_7.left-2",
                                 "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        CHECK_OK(tendo_pod_serial_check(good[i], &err), &err);
    CHECK_FAILS(tendo_pod_serial_check("", &err), &err, TENDO_EDATA, "empty");
    CHECK_FAILS(tendo_pod_serial_check("../etc", &err), &err, TENDO_EDATA, "character 2 is 0x2F");
    CHECK_FAILS(tendo_pod_serial_check("a b", &err), &err, TENDO_EDATA, "character 1 is 0x20");
    CHECK_FAILS(tendo_pod_serial_check("\xc3\xa9", &err), &err, TENDO_EDATA, "0xC3");
    char longs[80];
    memset(longs, 'x', 64);
    longs[64] = '\0';
    CHECK_FAILS(tendo_pod_serial_check(longs, &err), &err, TENDO_EDATA, "longer than 63");

    /* String descriptor "L0001A", UTF-16LE. */
    uint8_t want[14], got[300];
    hex_bytes("0E 03 4C 00 30 00 30 00 30 00 31 00 41 00", want, sizeof want);
    size_t n = tendo_pod_string_encode("L0001A", got, sizeof got);
    CHECK(n == 14, "descriptor length %zu", n);
    CHECK_BYTES(got, want, 14);
    char text[128];
    CHECK_OK(tendo_pod_string_decode(want, 14, text, sizeof text, &err), &err);
    CHECK(strcmp(text, "L0001A") == 0, "decoded \"%s\"", text);
    CHECK_FAILS(tendo_pod_string_decode(want, 14, text, 6, &err), &err, TENDO_EDATA, "do not fit");
    CHECK_FAILS(tendo_pod_string_decode(want, 12, text, sizeof text, &err), &err, TENDO_EDATA,
                "bLength 14 but 12 bytes");
    CHECK_FAILS(tendo_pod_string_decode(want, 0, text, sizeof text, &err), &err, TENDO_EDATA,
                "0 bytes");
    uint8_t b[14];
    memcpy(b, want, 14);
    b[1] = 2;
    CHECK_FAILS(tendo_pod_string_decode(b, 14, text, sizeof text, &err), &err, TENDO_EDATA,
                "bDescriptorType");
    memcpy(b, want, 14);
    b[3] = 0x01; /* U+014C */
    CHECK_FAILS(tendo_pod_string_decode(b, 14, text, sizeof text, &err), &err, TENDO_EDATA,
                "byte 2 (text): code unit 0x014C");
    memcpy(b, want, 14);
    b[12] = 0x0A; /* newline */
    CHECK_FAILS(tendo_pod_string_decode(b, 14, text, sizeof text, &err), &err, TENDO_EDATA,
                "byte 12");
    b[0] = 13;
    CHECK_FAILS(tendo_pod_string_decode(b, 13, text, sizeof text, &err), &err, TENDO_EDATA, "odd");
    /* The longest text a descriptor holds, and one more. */
    char lng[128];
    memset(lng, 'p', 127);
    lng[126] = '\0';
    CHECK(tendo_pod_string_encode(lng, got, sizeof got) == 254, "126 characters fit");
    CHECK_OK(tendo_pod_string_decode(got, 254, text, sizeof text, &err), &err);
    lng[126] = 'p';
    lng[127] = '\0';
    CHECK(tendo_pod_string_encode(lng, got, sizeof got) == 0, "127 characters do not");
    CHECK(tendo_pod_string_encode("abc", got, 7) == 0, "cap too small");
}

int main(int argc, char **argv)
{
    static const acq_case cases[] = {
        {"setup", test_setup},           {"info", test_info},
        {"clock", test_clock},           {"list", test_list},
        {"list_pages", test_list_pages}, {"read_erase", test_read_erase},
        {"errors", test_errors},         {"strings", test_strings},
    };
    return acq_main(argc, argv, cases, sizeof cases / sizeof cases[0]);
}
