/*
 * podsim_client — a host written against plain libusb, run as the command
 * of tendo-podsim: it drives the emulated pods the way `tendo sync` will
 * and checks what comes back against the session files the pods were
 * loaded from (decoded with the acquire/ codec, compared sample by sample).
 *
 *   tendo-podsim --pod ... -- podsim_client CASE [ARGS...]
 *
 * One case per ctest (tests/podsim/CMakeLists.txt lists them).
 */
#include <libusb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pod_protocol.h"
#include "tendo_check.h"
#include "tendo_session.h"

#define TIMEOUT_MS 2000

/* ------------------------------------------------------------ the host */

typedef struct pod {
    libusb_device_handle *h;
    char serial[128];
    tendo_pod_info info;
} pod;

static libusb_context *ctx;

/* Opens every attached pod (VID:PID and interface triple), in bus order. */
static size_t open_pods(pod *out, size_t cap)
{
    libusb_device **list = NULL;
    ssize_t n = libusb_get_device_list(ctx, &list);
    size_t k = 0;
    for (ssize_t i = 0; i < n && k < cap; i++) {
        struct libusb_device_descriptor d;
        if (libusb_get_device_descriptor(list[i], &d) || d.idVendor != TENDO_POD_VID ||
            d.idProduct != TENDO_POD_PID)
            continue;
        pod *p = &out[k];
        memset(p, 0, sizeof *p);
        int rc = libusb_open(list[i], &p->h);
        CHECK(rc == 0, "libusb_open: %s", libusb_error_name(rc));
        if (rc)
            continue;
        rc = libusb_claim_interface(p->h, 0);
        CHECK(rc == 0, "claim: %s", libusb_error_name(rc));
        k++;
    }
    libusb_free_device_list(list, 1);
    return k;
}

static void close_pods(pod *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        libusb_release_interface(p[i].h, 0);
        libusb_close(p[i].h);
    }
}

/* A vendor IN request; returns the reply length or a libusb error. */
static int ctrl_in(pod *p, uint8_t req, uint16_t value, uint8_t *buf, uint16_t len)
{
    tendo_pod_setup s;
    tendo_pod_setup_for(req, value, &s, NULL);
    return libusb_control_transfer(p->h, s.request_type, s.request, s.value, s.index, buf,
                                   len ? len : s.length, TIMEOUT_MS);
}

static int ctrl_out(pod *p, uint8_t req, uint8_t *buf)
{
    tendo_pod_setup s;
    tendo_pod_setup_for(req, 0, &s, NULL);
    return libusb_control_transfer(p->h, s.request_type, s.request, s.value, s.index, buf,
                                   s.length, TIMEOUT_MS);
}

static tendo_pod_error_reply get_error(pod *p)
{
    uint8_t b[TENDO_POD_ERROR_SIZE];
    tendo_pod_error_reply e = {0};
    tendo_error err;
    int n = ctrl_in(p, TENDO_POD_REQ_GET_ERROR, 0, b, 0);
    CHECK(n == TENDO_POD_ERROR_SIZE, "GET_ERROR: %d", n);
    if (n == TENDO_POD_ERROR_SIZE)
        CHECK(tendo_pod_error_decode(b, (size_t)n, &e, &err) == 0, "%s", err.msg);
    return e;
}

static int get_info(pod *p)
{
    uint8_t b[TENDO_POD_INFO_SIZE];
    tendo_error err;
    int n = ctrl_in(p, TENDO_POD_REQ_INFO, 0, b, 0);
    if (n != TENDO_POD_INFO_SIZE)
        return n < 0 ? n : -1000;
    return tendo_pod_info_decode(b, (size_t)n, &p->info, &err) ? -1001 : 0;
}

static int get_serial(pod *p)
{
    uint8_t b[256];
    tendo_error err;
    tendo_error_clear(&err);
    int n = libusb_get_string_descriptor(p->h, 3, 0x0409, b, sizeof b);
    if (n < 0)
        return n;
    return tendo_pod_string_decode(b, (size_t)n, p->serial, sizeof p->serial, &err) ? -1001 : 0;
}

/* All sessions of a pod, page by page. */
static int list_all(pod *p, tendo_pod_session *all, size_t *n)
{
    uint16_t total = 0;
    *n = 0;
    tendo_error err;
    tendo_error_clear(&err);
    do {
        static uint8_t b[TENDO_POD_LIST_MAX_SIZE];
        tendo_pod_list_page page;
        int len = ctrl_in(p, TENDO_POD_REQ_LIST, (uint16_t)*n, b, 0);
        if (len < 0)
            return len;
        if (tendo_pod_list_decode(b, (size_t)len, (uint16_t)*n, &page, &err) ||
            tendo_pod_list_merge(&page, all, n, &total, &err)) {
            fprintf(stderr, "LIST: %s\n", err.msg);
            return -1001;
        }
    } while (*n < total);
    return 0;
}

static int clock_get(pod *p, tendo_pod_clock *c)
{
    uint8_t b[TENDO_POD_CLOCK_SIZE];
    tendo_error err;
    int n = ctrl_in(p, TENDO_POD_REQ_CLOCK_GET, 0, b, 0);
    if (n < 0)
        return n;
    return tendo_pod_clock_decode(b, (size_t)n, c, &err) ? -1001 : 0;
}

static int send_read(pod *p, uint32_t id, uint64_t offset, uint32_t seq, int zlib)
{
    tendo_pod_read_req r = {.flags = zlib ? TENDO_POD_READ_ALLOW_ZLIB : 0,
                            .session_id = id, .offset = offset, .first_seq = seq};
    uint8_t b[TENDO_POD_READ_SIZE];
    tendo_pod_read_encode(&r, b);
    int n = ctrl_out(p, TENDO_POD_REQ_READ, b);
    return n == TENDO_POD_READ_SIZE ? 0 : n < 0 ? n : -1000;
}

static int send_erase(pod *p, uint32_t id, uint64_t size, uint32_t crc)
{
    tendo_pod_erase_req r = {.session_id = id, .size_bytes = size, .crc32 = crc};
    uint8_t b[TENDO_POD_ERASE_SIZE];
    tendo_pod_erase_encode(&r, b);
    int n = ctrl_out(p, TENDO_POD_REQ_ERASE, b);
    return n == TENDO_POD_ERASE_SIZE ? 0 : n < 0 ? n : -1000;
}

/* ------------------------------------------- reading a session's stream */

/* What a download gathered: the content, and how the stream ended. */
typedef struct download {
    const tendo_pod_session *s;
    uint8_t *content; /* s->size_bytes */
    uint64_t frames;
    int usb_rc;       /* the libusb error that ended the stream, or 0 */
    uint64_t bytes;   /* stream bytes received */
    int reasm_rc;
    tendo_pod_fault fault;
} download;

static int on_frame(void *user, const tendo_pod_frame *f, tendo_error *err)
{
    download *d = user;
    if (f->offset + f->raw_len > d->s->size_bytes)
        return tendo_error_set(err, TENDO_EDATA, "frame beyond the session");
    memcpy(d->content + f->offset, f->payload, f->raw_len);
    d->frames++;
    return 0;
}

/* READs a session from offset with `chunk`-byte bulk transfers until LAST,
 * a reassembler failure or a USB error. */
static void download_session(pod *p, const tendo_pod_session *s, uint64_t offset, uint32_t seq,
                             int zlib, size_t chunk, download *d)
{
    tendo_error err;
    tendo_error_clear(&err);
    d->s = s;
    d->usb_rc = send_read(p, s->id, offset, seq, zlib);
    CHECK(d->usb_rc == 0, "READ session %u: %d", s->id, d->usb_rc);
    if (d->usb_rc)
        return;
    tendo_pod_read_req req = {.flags = zlib ? TENDO_POD_READ_ALLOW_ZLIB : 0,
                              .session_id = s->id, .offset = offset, .first_seq = seq};
    tendo_pod_reasm *r = NULL;
    CHECK(tendo_pod_reasm_new(&r, &req, s->size_bytes, &err) == 0, "%s", err.msg);
    uint8_t *buf = malloc(chunk);
    while (r && buf && !tendo_pod_reasm_done(r)) {
        int got = 0;
        int rc = libusb_bulk_transfer(p->h, TENDO_POD_EP_IN, buf, (int)chunk, &got, TIMEOUT_MS);
        d->bytes += (uint64_t)got;
        if (got > 0 && (d->reasm_rc = tendo_pod_reasm_feed(r, buf, (size_t)got, on_frame, d, &err)))
            break;
        if (rc) {
            d->usb_rc = rc;
            break;
        }
    }
    if (r) {
        if (!d->reasm_rc && d->usb_rc)
            d->reasm_rc = tendo_pod_reasm_finish(r, &err);
        d->fault = tendo_pod_reasm_fault(r, NULL, NULL);
        tendo_pod_reasm_free(r);
    }
    free(buf);
}

/* Every sample of the session equals the file's side sensor, bit for bit,
 * and the block times are the pod clock's. */
static void compare_with_file(const download *d, const char *path, uint8_t side)
{
    tendo_error err;
    tendo_error_clear(&err);
    tendo_reader *r = NULL;
    CHECK(tendo_reader_open(&r, path, &err) == 0, "%s", err.msg);
    if (!r)
        return;
    size_t pi = 0;
    while (pi < tendo_reader_pod_count(r) && tendo_reader_pod(r, pi)->side != (tendo_side)side)
        pi++;
    CHECK(pi < tendo_reader_pod_count(r), "no side %u in %s", side, path);
    int64_t total = tendo_reader_sample_count(r, pi);
    CHECK((uint64_t)total == d->s->samples, "samples %lld in file, %llu on the pod",
          (long long)total, (unsigned long long)d->s->samples);
    int16_t fa[3 * 4096], fg[3 * 4096], pa[3 * 4096], pg[3 * 4096];
    uint8_t fs[4096], ps[4096];
    uint64_t pos = 0, sample = 0, mismatches = 0;
    tendo_pod_block prev, b;
    int have_prev = 0;
    while (pos < d->s->size_bytes) {
        /* The block's length from its count field (bytes 2-3), then parse. */
        uint64_t len = tendo_pod_block_size(d->content[pos + 2] | d->content[pos + 3] << 8);
        if (len > d->s->size_bytes - pos ||
            tendo_pod_block_parse(d->content + pos, len, pos, &b, &err)) {
            CHECK(0, "block at %llu: %s", (unsigned long long)pos, err.msg);
            break;
        }
        CHECK(tendo_pod_block_follows(have_prev ? &prev : NULL, &b, d->s, 1000000, pos, &err) == 0,
              "%s", err.msg);
        tendo_pod_block_unpack(d->content + pos, &b, 1000000, NULL, pa, pg, ps);
        tendo_block fb = {.n = b.count, .accel = fa, .gyro = fg, .status = fs};
        memset(fs, 0, sizeof fs);
        CHECK(tendo_reader_read_raw(r, pi, (int64_t)sample, &fb, &err) == 0, "%s", err.msg);
        for (size_t i = 0; i < b.count; i++) {
            mismatches += memcmp(pa + 3 * i, fa + 3 * i, 6) != 0;
            mismatches += memcmp(pg + 3 * i, fg + 3 * i, 6) != 0;
            mismatches += ps[i] != (fs[i] & 7);
        }
        sample += b.count;
        pos += tendo_pod_block_size(b.count);
        prev = b;
        have_prev = 1;
    }
    CHECK(sample == d->s->samples, "blocks hold %llu samples", (unsigned long long)sample);
    CHECK(mismatches == 0, "%llu sample fields differ from %s", (unsigned long long)mismatches,
          path);
    CHECK(tendo_pod_crc32(0, d->content, d->s->size_bytes) == d->s->crc32,
          "content CRC differs from LIST");
    tendo_reader_close(r);
}

/* ---------------------------------------------------------------- cases */

/* Pod i is the one whose serial is argv's; returns its index or -1. */
static int find(pod *p, size_t n, const char *serial)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(p[i].serial, serial))
            return (int)i;
    return -1;
}

/* info SERIAL SIDE NFILES: identity, INFO, LIST and CLOCK agree with the
 * files the pod was loaded with. */
static int case_info(int argc, char **argv)
{
    if (argc < 4)
        return 2;
    pod pods[8];
    size_t n = open_pods(pods, 8);
    int rc;
    for (size_t i = 0; i < n; i++)
        CHECK((rc = get_serial(&pods[i])) == 0, "serial descriptor: %d", rc);
    int k = find(pods, n, argv[1]);
    CHECK(k >= 0, "no pod %s among %zu", argv[1], n);
    if (k < 0)
        return tendo_check_report("info");
    pod *p = &pods[k];
    CHECK(get_info(p) == 0, "INFO");
    CHECK(p->info.side == (uint8_t)atoi(argv[2]), "side %u", p->info.side);
    CHECK(p->info.tick_hz == 1000000, "tick_hz %u", p->info.tick_hz);
    size_t want = (size_t)atoi(argv[3]);
    CHECK(p->info.sessions == want, "INFO sessions %u, want %zu", p->info.sessions, want);
    static tendo_pod_session all[TENDO_POD_MAX_SESSIONS];
    size_t ns = 0;
    CHECK(list_all(p, all, &ns) == 0 && ns == want, "LIST %zu sessions", ns);
    tendo_pod_clock c;
    CHECK(clock_get(p, &c) == 0, "CLOCK_GET");
    CHECK(c.epoch == 1 && (c.flags & TENDO_POD_CLOCK_ANCHORED), "epoch %u flags %u", c.epoch,
          c.flags);
    for (size_t i = 0; i < ns; i++) {
        CHECK(all[i].start_ticks > c.anchor_ticks && all[i].start_ticks < c.ticks,
              "session %u starts at tick %llu: after the anchor %llu, before now %llu",
              all[i].id, (unsigned long long)all[i].start_ticks,
              (unsigned long long)c.anchor_ticks, (unsigned long long)c.ticks);
        CHECK(all[i].id == i + 1, "ids 1, 2, ...");
    }
    /* A second read later: the clock runs. */
    tendo_pod_clock c2;
    usleep(20000);
    CHECK(clock_get(p, &c2) == 0 && c2.ticks > c.ticks + 10000, "the clock runs");
    close_pods(pods, n);
    return tendo_check_report("info");
}

/* Opens the pods and returns the one named serial (its sessions in all). */
static pod *setup_pod(pod *pods, size_t *n, const char *serial, tendo_pod_session *all,
                      size_t *ns)
{
    *n = open_pods(pods, 8);
    int rc;
    for (size_t i = 0; i < *n; i++)
        CHECK((rc = get_serial(&pods[i])) == 0, "serial descriptor: %d", rc);
    int k = find(pods, *n, serial);
    CHECK(k >= 0, "no pod %s among %zu", serial, *n);
    if (k < 0)
        return NULL;
    CHECK(get_info(&pods[k]) == 0, "INFO");
    CHECK(list_all(&pods[k], all, ns) == 0, "LIST");
    return &pods[k];
}

/* read SERIAL SIDE ZLIB CHUNK FILE...: every session downloads whole and
 * equals its file; with ZLIB the pod compresses (run with --compress). */
static int case_read(int argc, char **argv)
{
    if (argc < 5)
        return 2;
    pod pods[8];
    size_t n = 0, ns = 0;
    static tendo_pod_session all[TENDO_POD_MAX_SESSIONS];
    pod *p = setup_pod(pods, &n, argv[1], all, &ns);
    int zlib = atoi(argv[3]);
    size_t chunk = (size_t)atol(argv[4]);
    CHECK(p && ns == (size_t)(argc - 5), "%zu sessions for %d files", ns, argc - 5);
    uint32_t seq = 1000;
    for (size_t i = 0; p && i < ns && i < (size_t)(argc - 5); i++) {
        download d = {.content = calloc(1, all[i].size_bytes + 1)};
        download_session(p, &all[i], 0, seq, zlib, chunk, &d);
        seq += (uint32_t)d.frames + 1;
        CHECK(d.usb_rc == 0 && d.reasm_rc == 0, "session %u: usb %s, reassembler %s",
              all[i].id, libusb_error_name(d.usb_rc), tendo_pod_fault_name(d.fault));
        CHECK(d.frames == all[i].blocks, "%llu frames for %u blocks",
              (unsigned long long)d.frames, all[i].blocks);
        if (zlib)
            CHECK(d.bytes < all[i].size_bytes, "compressed stream %llu of %llu bytes",
                  (unsigned long long)d.bytes, (unsigned long long)all[i].size_bytes);
        compare_with_file(&d, argv[5 + i], (uint8_t)atoi(argv[2]));
        free(d.content);
        /* Resume in the middle: a READ at a block boundary streams the rest. */
        if (all[i].blocks > 2) {
            download r = {.content = calloc(1, all[i].size_bytes + 1)};
            uint64_t half = 0;
            tendo_pod_block b;
            tendo_error err;
            download whole = {.content = calloc(1, all[i].size_bytes + 1)};
            download_session(p, &all[i], 0, seq, zlib, chunk, &whole);
            seq += (uint32_t)whole.frames + 1;
            for (uint32_t k = 0; k < all[i].blocks / 2; k++) {
                const uint8_t *at = whole.content + half;
                size_t len = tendo_pod_block_size(at[2] | at[3] << 8);
                CHECK(tendo_pod_block_parse(at, len, half, &b, &err) == 0, "%s", err.msg);
                half += len;
            }
            memcpy(r.content, whole.content, half);
            download_session(p, &all[i], half, seq, zlib, chunk, &r);
            seq += (uint32_t)r.frames + 1;
            CHECK(r.usb_rc == 0 && r.reasm_rc == 0 &&
                      r.frames == all[i].blocks - all[i].blocks / 2,
                  "resume at %llu: %llu frames", (unsigned long long)half,
                  (unsigned long long)r.frames);
            CHECK(memcmp(r.content, whole.content, all[i].size_bytes) == 0, "resumed content");
            free(r.content);
            free(whole.content);
        }
    }
    /* Nothing follows the LAST frame: a further read times out. */
    uint8_t b[512];
    int got = 0;
    if (p)
        CHECK(libusb_bulk_transfer(p->h, TENDO_POD_EP_IN, b, sizeof b, &got, 200) ==
                  LIBUSB_ERROR_TIMEOUT && got == 0,
              "bytes after the last frame");
    close_pods(pods, n);
    return tendo_check_report("read");
}

/* erase SERIAL: a wrong checksum is refused and erases nothing; the right
 * one erases that session only; an unknown id is NO_SESSION. */
static int case_erase(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    pod pods[8];
    size_t n = 0, ns = 0, after = 0;
    static tendo_pod_session all[TENDO_POD_MAX_SESSIONS], now[TENDO_POD_MAX_SESSIONS];
    pod *p = setup_pod(pods, &n, argv[1], all, &ns);
    CHECK(p && ns >= 2, "needs a pod with two sessions");
    if (!p || ns < 2)
        return tendo_check_report("erase");
    CHECK(send_erase(p, all[0].id, all[0].size_bytes, all[0].crc32 ^ 1) == LIBUSB_ERROR_PIPE,
          "a wrong CRC must stall");
    tendo_pod_error_reply e = get_error(p);
    CHECK(e.request == TENDO_POD_REQ_ERASE && e.code == TENDO_POD_ST_CHECKSUM_MISMATCH &&
              e.session_id == all[0].id && e.value == all[0].crc32,
          "GET_ERROR %u/%u", e.request, e.code);
    CHECK(get_error(p).code == TENDO_POD_ST_NONE, "GET_ERROR clears");
    CHECK(send_erase(p, all[0].id, all[0].size_bytes + 1, all[0].crc32) == LIBUSB_ERROR_PIPE,
          "a wrong size must stall");
    CHECK(list_all(p, now, &after) == 0 && after == ns, "nothing erased");
    CHECK(send_erase(p, 999999, 1, 1) == LIBUSB_ERROR_PIPE &&
              get_error(p).code == TENDO_POD_ST_NO_SESSION,
          "unknown session");
    CHECK(send_erase(p, all[0].id, all[0].size_bytes, all[0].crc32) == 0, "the right checksum");
    CHECK(list_all(p, now, &after) == 0 && after == ns - 1 && now[0].id == all[1].id,
          "session %u erased, %zu left", all[0].id, after);
    CHECK(send_read(p, all[0].id, 0, 1, 0) == LIBUSB_ERROR_PIPE &&
              get_error(p).code == TENDO_POD_ST_NO_SESSION,
          "an erased session cannot be read");
    CHECK(get_info(p) == 0 && p->info.sessions == ns - 1, "INFO sessions");
    close_pods(pods, n);
    return tendo_check_report("erase");
}

/* count SERIAL N: the pod lists N sessions (state across runs). */
static int case_count(int argc, char **argv)
{
    if (argc < 3)
        return 2;
    pod pods[8];
    size_t n = 0, ns = 0;
    static tendo_pod_session all[TENDO_POD_MAX_SESSIONS];
    pod *p = setup_pod(pods, &n, argv[1], all, &ns);
    CHECK(p && ns == (size_t)atoi(argv[2]), "pod lists %zu sessions, expected %s", ns, argv[2]);
    close_pods(pods, n);
    return tendo_check_report("count");
}

/* "bad CRC" → "bad_CRC": names that fit one argument. */
static const char *fault_token(tendo_pod_fault f)
{
    static char buf[64];
    snprintf(buf, sizeof buf, "%s", tendo_pod_fault_name(f));
    for (char *c = buf; *c; c++)
        if (*c == ' ')
            *c = '_';
    return buf;
}

/* stream SERIAL ZLIB CHUNK EXPECT [frames=N] [cut=FRACTION]: downloads the
 * pod's first session and checks how it ended: EXPECT is "ok", a libusb
 * error name (LIBUSB_ERROR_TIMEOUT) or a reassembler fault (bad_CRC,
 * sequence_gap, ...); frames= the frames accepted before; cut= the
 * fraction of the content at which an unplug cut the plain stream (the
 * host then holds exactly the stream bytes up to that content byte). */
static int case_stream(int argc, char **argv)
{
    if (argc < 5)
        return 2;
    pod pods[8];
    size_t n = 0, ns = 0;
    static tendo_pod_session all[TENDO_POD_MAX_SESSIONS];
    pod *p = setup_pod(pods, &n, argv[1], all, &ns);
    CHECK(p && ns >= 1, "a pod with a session");
    if (!p || ns < 1)
        return tendo_check_report("stream");
    download d = {.content = calloc(1, all[0].size_bytes + 1)};
    download_session(p, &all[0], 0, 77, atoi(argv[2]), (size_t)atol(argv[3]), &d);
    const char *got = d.reasm_rc && d.fault != TENDO_POD_FAULT_TRUNCATED ? fault_token(d.fault)
                      : d.usb_rc                                      ? libusb_error_name(d.usb_rc)
                                                                       : "ok";
    CHECK(!strcmp(got, argv[4]), "the stream ended with %s, expected %s (%llu frames, %llu bytes)",
          got, argv[4], (unsigned long long)d.frames, (unsigned long long)d.bytes);
    for (int i = 5; i < argc; i++) {
        if (!strncmp(argv[i], "frames=", 7))
            CHECK(d.frames == strtoull(argv[i] + 7, NULL, 10), "%llu frames accepted, expected %s",
                  (unsigned long long)d.frames, argv[i] + 7);
        if (!strncmp(argv[i], "cut=", 4)) {
            /* Plain frames: 32 header + payload + 4 CRC. The cut lies inside
             * the frame after the last accepted one, at content byte W (a
             * fraction of the content when written with a point). */
            const char *v = argv[i] + 4;
            uint64_t w = strchr(v, '.') ? (uint64_t)(atof(v) * (double)all[0].size_bytes)
                                        : strtoull(v, NULL, 10);
            uint64_t want = w + (TENDO_POD_FRAME_HEADER_SIZE + TENDO_POD_FRAME_CRC_SIZE) * d.frames +
                            TENDO_POD_FRAME_HEADER_SIZE;
            CHECK(d.bytes == want, "unplugged after %llu bytes, expected %llu (content byte %llu)",
                  (unsigned long long)d.bytes, (unsigned long long)want, (unsigned long long)w);
        }
    }
    if (!strcmp(argv[4], "ok"))
        CHECK(tendo_pod_crc32(0, d.content, all[0].size_bytes) == all[0].crc32,
              "content CRC equals LIST");
    free(d.content);
    close_pods(pods, n);
    return tendo_check_report("stream");
}

static int arrived, left;

static int LIBUSB_CALL on_hotplug(libusb_context *c, libusb_device *dev, libusb_hotplug_event ev,
                                  void *user)
{
    (void)c, (void)dev, (void)user;
    if (ev == LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED)
        arrived++;
    else
        left++;
    return 0;
}

/* replug SERIAL FRACTION FILE SIDE RESET: the pod unplugs at FRACTION of
 * its first session (run with unplug@F,replug=T or reset@F); the host sees
 * NO_DEVICE, the hotplug events "left" then "arrived", opens the pod again
 * at its new address, resumes the READ and ends with the file's samples
 * bit for bit. With RESET=1 the pod's clock is in the next epoch,
 * unanchored; else the same clock runs on. */
static int case_replug(int argc, char **argv)
{
    if (argc < 6)
        return 2;
    libusb_hotplug_callback_handle hh;
    CHECK(libusb_hotplug_register_callback(ctx,
                                           LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED |
                                               LIBUSB_HOTPLUG_EVENT_DEVICE_LEFT,
                                           0, TENDO_POD_VID, TENDO_POD_PID, LIBUSB_HOTPLUG_MATCH_ANY,
                                           on_hotplug, NULL, &hh) == 0,
          "hotplug");
    pod pods[8];
    size_t n = 0, ns = 0;
    static tendo_pod_session all[TENDO_POD_MAX_SESSIONS];
    pod *p = setup_pod(pods, &n, argv[1], all, &ns);
    CHECK(p && ns >= 1, "a pod with a session");
    if (!p || ns < 1)
        return tendo_check_report("replug");
    uint8_t addr = libusb_get_device_address(libusb_get_device(p->h));
    tendo_pod_clock before;
    CHECK(clock_get(p, &before) == 0, "CLOCK_GET before");
    download d = {.content = calloc(1, all[0].size_bytes + 1)};
    download_session(p, &all[0], 0, 5, 0, 65536, &d);
    CHECK(d.usb_rc == LIBUSB_ERROR_NO_DEVICE, "unplug: %s", libusb_error_name(d.usb_rc));
    uint64_t w = (uint64_t)(atof(argv[2]) * (double)all[0].size_bytes);
    uint64_t resume = d.frames ? 0 : 0;
    CHECK(d.bytes == w + 36 * d.frames + 32, "cut after %llu bytes", (unsigned long long)d.bytes);
    /* Where the host resumes: the end of the last frame it accepted. */
    for (uint64_t k = 0; k < d.frames; k++)
        resume += tendo_pod_block_size(d.content[resume + 2] | d.content[resume + 3] << 8);
    uint8_t b[TENDO_POD_INFO_SIZE];
    CHECK(ctrl_in(p, TENDO_POD_REQ_INFO, 0, b, 0) == LIBUSB_ERROR_NO_DEVICE, "INFO after unplug");
    close_pods(pods, n);
    /* Wait (bounded) for the pod to come back. */
    for (int i = 0; i < 100 && !(left && arrived); i++) {
        struct timeval tv = {0, 50000};
        libusb_handle_events_timeout_completed(ctx, &tv, NULL);
    }
    CHECK(left == 1 && arrived == 1, "hotplug: %d left, %d arrived", left, arrived);
    n = 0;
    p = setup_pod(pods, &n, argv[1], all, &ns);
    CHECK(p != NULL, "the pod is back");
    if (p) {
        CHECK(libusb_get_device_address(libusb_get_device(p->h)) != addr, "a new address");
        download r = {.content = d.content};
        download_session(p, &all[0], resume, 5 + (uint32_t)d.frames + 100, 0, 65536, &r);
        CHECK(r.usb_rc == 0 && r.reasm_rc == 0, "resume: %s %s", libusb_error_name(r.usb_rc),
              tendo_pod_fault_name(r.fault));
        r.frames += d.frames;
        compare_with_file(&r, argv[3], (uint8_t)atoi(argv[4]));
        tendo_pod_clock c;
        CHECK(clock_get(p, &c) == 0, "CLOCK_GET");
        if (atoi(argv[5]))
            CHECK(c.epoch == before.epoch + 1 && !(c.flags & TENDO_POD_CLOCK_ANCHORED) &&
                      c.ticks < 60000000,
                  "after a reset: epoch %u flags %u ticks %llu", c.epoch, c.flags,
                  (unsigned long long)c.ticks);
        else
            CHECK(c.epoch == before.epoch && c.ticks > before.ticks, "epoch %u", c.epoch);
        close_pods(pods, n);
    }
    free(d.content);
    libusb_hotplug_deregister_callback(ctx, hh);
    return tendo_check_report("replug");
}

/* 1 when the device's configuration is exactly PROTOCOL.md section 1's. */
static int descriptors_ok(libusb_device *dev)
{
    struct libusb_config_descriptor *cfg = NULL;
    if (libusb_get_active_config_descriptor(dev, &cfg) || !cfg)
        return 0;
    int ok = cfg->bNumInterfaces == 1 && cfg->wTotalLength == 32 &&
             cfg->interface[0].num_altsetting == 1;
    if (ok) {
        const struct libusb_interface_descriptor *a = &cfg->interface[0].altsetting[0];
        ok = a->bInterfaceClass == TENDO_POD_IF_CLASS && a->bInterfaceSubClass == TENDO_POD_IF_SUBCLASS &&
             a->bInterfaceProtocol == TENDO_POD_IF_PROTOCOL && a->bNumEndpoints == 2 &&
             /* libusb 1.0.26 keeps bNumEndpoints from a truncated descriptor
              * but parses no endpoints: check the pointer too. */
             a->endpoint != NULL && a->endpoint[0].bEndpointAddress == TENDO_POD_EP_IN &&
             a->endpoint[0].wMaxPacketSize == 512 && a->endpoint[1].wMaxPacketSize == 512;
    }
    libusb_free_config_descriptor(cfg);
    return ok;
}

/* control FAULT [ARG]: the control-side faults, as a host meets them.
 *   mute          every request times out (the pod still enumerates)
 *   short         INFO comes one byte short
 *   list-lie F    LIST fails its checks (F = crc: LIST passes, the
 *                 downloaded content's CRC differs)
 *   descriptors B B=1: the configuration is PROTOCOL.md's; B=0: it is not
 *   evil F        the serial descriptor is hostile: rejected by the codec */
static int case_control(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    const char *what = argv[1], *arg = argc > 2 ? argv[2] : "";
    pod pods[8];
    size_t n = open_pods(pods, 8);
    CHECK(n == 1, "one pod enumerates, %zu found", n);
    if (n != 1)
        return tendo_check_report("control");
    pod *p = &pods[0];
    uint8_t b[256];
    static tendo_pod_session all[TENDO_POD_MAX_SESSIONS];
    size_t ns = 0;
    tendo_error err;
    tendo_error_clear(&err);
    if (!strcmp(what, "mute")) {
        tendo_pod_setup s;
        tendo_pod_setup_for(TENDO_POD_REQ_INFO, 0, &s, NULL);
        int rc = libusb_control_transfer(p->h, s.request_type, s.request, 0, 0, b, s.length, 300);
        CHECK(rc == LIBUSB_ERROR_TIMEOUT, "INFO: %s", libusb_error_name(rc));
        rc = libusb_get_string_descriptor(p->h, 3, 0x0409, b, sizeof b);
        CHECK(rc == LIBUSB_ERROR_TIMEOUT, "serial: %s", libusb_error_name(rc));
    } else if (!strcmp(what, "short")) {
        CHECK(ctrl_in(p, TENDO_POD_REQ_INFO, 0, b, 0) == TENDO_POD_INFO_SIZE - 1, "INFO length");
        CHECK(get_info(p) == -1000, "a short INFO is refused");
        CHECK(clock_get(p, &(tendo_pod_clock){0}) == 0, "CLOCK_GET is whole");
    } else if (!strcmp(what, "list-lie")) {
        int rc = list_all(p, all, &ns);
        if (strcmp(arg, "crc")) {
            CHECK(rc == -1001, "LIST %s lie undetected (%d)", arg, rc);
        } else {
            CHECK(rc == 0 && ns >= 1, "LIST with a wrong CRC passes its checks");
            download d = {.content = calloc(1, all[0].size_bytes + 1)};
            download_session(p, &all[0], 0, 1, 0, 65536, &d);
            CHECK(d.usb_rc == 0 && d.reasm_rc == 0, "download");
            CHECK(tendo_pod_crc32(0, d.content, all[0].size_bytes) != all[0].crc32,
                  "content CRC differs from LIST's");
            free(d.content);
        }
    } else if (!strcmp(what, "descriptors")) {
        CHECK(descriptors_ok(libusb_get_device(p->h)) == atoi(arg),
              "configuration descriptor should%s match PROTOCOL.md", atoi(arg) ? "" : " not");
    } else if (!strcmp(what, "evil")) {
        int len = libusb_get_string_descriptor(p->h, 3, 0x0409, b, sizeof b);
        CHECK(len >= 2, "serial descriptor: %d", len);
        char text[256];
        int dec = len >= 2 ? tendo_pod_string_decode(b, (size_t)len, text, sizeof text, &err) : -1;
        int bad = dec || tendo_pod_serial_check(text, &err);
        CHECK(bad, "hostile serial %s accepted", arg);
        /* The bytes are the hostile ones asked for. */
        if (!strcmp(arg, "path"))
            CHECK(len == 16 && b[2] == '.' && b[6] == '/' && b[14] == 'x', "../../x");
        if (!strcmp(arg, "utf16"))
            CHECK(len >= 4 && b[2] == 0x00 && b[3] == 0xD8, "a lone surrogate");
        if (!strcmp(arg, "long"))
            CHECK(len == 254, "126 code units");
        if (!strcmp(arg, "odd"))
            CHECK(len % 2 == 1, "odd length");
    } else {
        CHECK(0, "no control case %s", what);
    }
    close_pods(pods, n);
    return tendo_check_report("control");
}

/* epoch SERIAL E: the pod's clock is in epoch E (state across runs). */
static int case_epoch(int argc, char **argv)
{
    if (argc < 3)
        return 2;
    pod pods[8];
    size_t n = 0, ns = 0;
    static tendo_pod_session all[TENDO_POD_MAX_SESSIONS];
    pod *p = setup_pod(pods, &n, argv[1], all, &ns);
    tendo_pod_clock c;
    CHECK(p && clock_get(p, &c) == 0 && c.epoch == (uint32_t)atoi(argv[2]), "epoch %u, expected %s",
          p ? c.epoch : 0, argv[2]);
    close_pods(pods, n);
    return tendo_check_report("epoch");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: podsim_client CASE [ARGS...] (under tendo-podsim)\n");
        return 2;
    }
    CHECK(libusb_init(&ctx) == 0, "libusb_init");
    int rc = 2;
    if (!strcmp(argv[1], "info"))
        rc = case_info(argc - 1, argv + 1);
    else if (!strcmp(argv[1], "read"))
        rc = case_read(argc - 1, argv + 1);
    else if (!strcmp(argv[1], "erase"))
        rc = case_erase(argc - 1, argv + 1);
    else if (!strcmp(argv[1], "stream"))
        rc = case_stream(argc - 1, argv + 1);
    else if (!strcmp(argv[1], "replug"))
        rc = case_replug(argc - 1, argv + 1);
    else if (!strcmp(argv[1], "control"))
        rc = case_control(argc - 1, argv + 1);
    else if (!strcmp(argv[1], "epoch"))
        rc = case_epoch(argc - 1, argv + 1);
    else if (!strcmp(argv[1], "count"))
        rc = case_count(argc - 1, argv + 1);
    else
        fprintf(stderr, "podsim_client: no case %s\n", argv[1]);
    libusb_exit(ctx);
    return rc;
}
