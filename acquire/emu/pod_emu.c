/*
 * pod_emu.c — the emulated pod's firmware: clock, control requests
 * (PROTOCOL.md section 2) and the frame stream of a READ (section 3).
 */
#include "pod_emu.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pod_emu_device.h"
#include "pod_emu_internal.h"
#include "pod_internal.h"

#define USB_TYPE_MASK     0x60
#define USB_TYPE_STANDARD 0x00
#define USB_TYPE_VENDOR   0x40
#define USB_REQ_GET_STATUS 0
#define USB_REQ_GET_DESCRIPTOR 6
#define USB_REQ_GET_CONFIGURATION 8
#define USB_DT_DEVICE 1
#define USB_DT_CONFIG 2
#define USB_DT_STRING 3

#define POD_FLASH_BYTES (4ull << 30) /* 4 GiB: a day at 1600 Hz is ~1.8 GB */
#define POD_BATTERY_PCT 87           /* reported, so hosts show it */
#define POD_FIRMWARE_DEFAULT "1.0"

/* splitmix64 (Steele, Lea, Flood 2014): a seed → well-spread 64-bit values. */
static uint64_t mix64(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

int tendo_pod_emu_new(tendo_pod_emu **out, const tendo_pod_emu_config *cfg, tendo_error *err)
{
    *out = NULL;
    tendo_error serr;
    tendo_error_clear(&serr);
    if (tendo_pod_serial_check(cfg->serial, &serr))
        return tendo_error_set(err, TENDO_EUSAGE, "pod serial: %s", serr.msg);
    if (cfg->side > 1)
        return tendo_error_set(err, TENDO_EUSAGE, "pod %s: side must be left or right",
                               cfg->serial);
    if (!(fabs(cfg->drift_ppm) <= TENDO_POD_DRIFT_MAX_PPM))
        return tendo_error_set(err, TENDO_EUSAGE, "clock drift %g ppm is beyond ±%g ppm",
                               cfg->drift_ppm, TENDO_POD_DRIFT_MAX_PPM);
    tendo_pod_emu *pod = calloc(1, sizeof *pod);
    if (pod)
        pod->frame = malloc(TENDO_POD_FRAME_MAX_SIZE);
    if (!pod || !pod->frame) {
        free(pod);
        return tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
    }
    pod->cfg = *cfg;
    pod->next_id = 1;
    pod->epoch = 1;
    pod->replug_ms = -1;
    pod->cut_at = SIZE_MAX;
    snprintf(pod->model, sizeof pod->model, "%s", TENDO_POD_EMU_MODEL);
    snprintf(pod->firmware, sizeof pod->firmware, "%s", POD_FIRMWARE_DEFAULT);
    *out = pod;
    return TENDO_OK;
}

void tendo_pod_emu_free(tendo_pod_emu *pod)
{
    if (!pod)
        return;
    for (size_t i = 0; i < pod->nfiles; i++)
        free(pod->files[i].path);
    for (size_t i = 0; i < pod->ns; i++) {
        free(pod->s[i].content);
        free(pod->s[i].block_off);
        free(pod->s[i].path);
    }
    free(pod->files);
    free(pod->s);
    free(pod->frame);
    free(pod->held);
    free(pod->faults);
    free(pod);
}

/* ---------------------------------------------------------------- clock */

uint64_t emu_ticks(const tendo_pod_emu *pod, int64_t utc_us)
{
    int64_t d = utc_us - pod->power_on_us;
    if (d <= 0)
        return 0;
    /* d + d × drift: the integer part stays exact, the drift term is small. */
    return (uint64_t)d + (uint64_t)(int64_t)llround((double)d * pod->cfg.drift_ppm * 1e-6);
}

uint64_t tendo_pod_emu_ticks_at(const tendo_pod_emu *pod, int64_t utc_us)
{
    return emu_ticks(pod, utc_us);
}

int tendo_pod_emu_start(tendo_pod_emu *pod, int64_t now_utc_us, int64_t anchor_lead_us,
                        tendo_error *err)
{
    int64_t earliest = now_utc_us;
    for (size_t i = 0; i < pod->nfiles; i++)
        if (pod->files[i].first_us < earliest)
            earliest = pod->files[i].first_us;
    /* Powered on 1 to 25 hours before the earliest sample: a clock offset
     * that differs per pod and seed, so pod ticks are never UTC. */
    uint64_t h = mix64(pod->cfg.seed ^ mix64((uint64_t)pod->cfg.side + 1));
    for (const char *c = pod->cfg.serial; *c; c++)
        h = mix64(h ^ (uint8_t)*c);
    const int64_t hour = 3600000000LL;
    pod->power_on_us = earliest - hour - (int64_t)(h % (uint64_t)(24 * hour));
    if (anchor_lead_us >= 0 && pod->nfiles) {
        pod->anchored = 1;
        pod->anchor_utc_us = earliest - anchor_lead_us;
        pod->anchor_ticks = emu_ticks(pod, pod->anchor_utc_us);
    }
    for (size_t i = 0; i < pod->nfiles; i++) {
        int rc = emu_load_session(pod, pod->files[i].path, pod->next_id, err);
        if (rc)
            return rc;
        pod->next_id++;
    }
    return TENDO_OK;
}

const char *tendo_pod_emu_serial(const tendo_pod_emu *pod)
{
    return pod->cfg.serial;
}

/* The i-th session not erased, or NULL. */
static emu_session *live(const tendo_pod_emu *pod, size_t i)
{
    for (size_t k = 0; k < pod->ns; k++)
        if (!pod->s[k].erased && i-- == 0)
            return &pod->s[k];
    return NULL;
}

static emu_session *by_id(const tendo_pod_emu *pod, uint32_t id)
{
    for (size_t k = 0; k < pod->ns; k++)
        if (!pod->s[k].erased && pod->s[k].entry.id == id)
            return &pod->s[k];
    return NULL;
}

size_t tendo_pod_emu_session_count(const tendo_pod_emu *pod)
{
    size_t n = 0;
    for (size_t k = 0; k < pod->ns; k++)
        n += !pod->s[k].erased;
    return n;
}

int tendo_pod_emu_session(const tendo_pod_emu *pod, size_t i, tendo_pod_session *out)
{
    emu_session *s = live(pod, i);
    if (!s)
        return TENDO_EUSAGE;
    *out = s->entry;
    return TENDO_OK;
}

/* ------------------------------------------------------ control requests */

/* Stalls with a reason that GET_ERROR reports. */
static int refuse(tendo_pod_emu *pod, uint8_t request, uint16_t code, uint32_t session,
                  uint64_t value)
{
    pod->last_error = (tendo_pod_error_reply){
        .request = request, .code = code, .session_id = session, .value = value};
    return 0;
}

/* Byte offset of the first non-zero byte of data[from, from + n), or -1. */
static int nonzero_at(const uint8_t *data, size_t from, size_t n)
{
    for (size_t i = from; i < from + n; i++)
        if (data[i])
            return (int)i;
    return -1;
}

static void stop_stream(tendo_pod_emu *pod)
{
    pod->streaming = 0;
    pod->frame_len = pod->frame_pos = 0;
    pod->held_len = 0;
    pod->stall_until = 0;
    pod->dup_pending = 0;
    pod->cut_at = SIZE_MAX;
}

/* A fault that may still fire (times = 0: every time). */
static int armed(const tendo_podsim_fault *f)
{
    return f->times == 0 || f->fired < f->times;
}

/* The first armed fault of a kind (non-stream faults), or NULL. */
static tendo_podsim_fault *fault_of(tendo_pod_emu *pod, tendo_pod_fault_kind kind)
{
    for (size_t i = 0; i < pod->nfaults; i++)
        if (pod->faults[i].kind == kind && armed(&pod->faults[i]))
            return &pod->faults[i];
    return NULL;
}

static int do_info(tendo_pod_emu *pod, uint8_t *reply, size_t *len)
{
    tendo_pod_info in = {.side = pod->cfg.side,
                         .placement = pod->placement,
                         .battery_pct = POD_BATTERY_PCT,
                         .tick_hz = TENDO_POD_EMU_TICK_HZ,
                         .max_payload = (uint32_t)tendo_pod_block_size(TENDO_POD_BLOCK_MAX_SAMPLES),
                         .sessions = (uint16_t)tendo_pod_emu_session_count(pod),
                         .flash_bytes = POD_FLASH_BYTES};
    for (size_t k = 0; k < pod->ns; k++)
        if (!pod->s[k].erased)
            in.flash_used += pod->s[k].entry.size_bytes;
    snprintf(in.model, sizeof in.model, "%s", pod->model);
    snprintf(in.firmware, sizeof in.firmware, "%s", pod->firmware);
    tendo_pod_info_encode(&in, reply);
    *len = TENDO_POD_INFO_SIZE;
    return 1;
}

static int do_clock_get(tendo_pod_emu *pod, int64_t now, uint8_t *reply, size_t *len)
{
    tendo_pod_clock c = {.flags = pod->anchored ? TENDO_POD_CLOCK_ANCHORED : 0,
                         .epoch = pod->epoch,
                         .ticks = emu_ticks(pod, now),
                         .anchor_ticks = pod->anchored ? pod->anchor_ticks : 0,
                         .anchor_utc_us = pod->anchored ? pod->anchor_utc_us : 0};
    tendo_pod_clock_encode(&c, reply);
    *len = TENDO_POD_CLOCK_SIZE;
    return 1;
}

static int do_clock_set(tendo_pod_emu *pod, const uint8_t *data, int64_t now)
{
    int bad = nonzero_at(data, 1, 7);
    int64_t utc = (int64_t)pod_get64(data + 8);
    if (bad >= 0 || utc < 0)
        return refuse(pod, TENDO_POD_REQ_CLOCK_SET, TENDO_POD_ST_BAD_ARGUMENT, 0,
                      bad >= 0 ? (uint64_t)bad : 8);
    pod->anchored = 1;
    pod->anchor_ticks = emu_ticks(pod, now);
    pod->anchor_utc_us = utc;
    pod->dirty = 1;
    return 1;
}

static int do_list(tendo_pod_emu *pod, uint16_t first, uint8_t *reply, size_t *len)
{
    size_t total = tendo_pod_emu_session_count(pod);
    if (first > total)
        return refuse(pod, TENDO_POD_REQ_LIST, TENDO_POD_ST_BAD_ARGUMENT, 0, 2);
    tendo_pod_list_page page = {.total = (uint16_t)total, .first = first};
    for (size_t i = first; i < total && page.count < TENDO_POD_LIST_PAGE; i++)
        page.entry[page.count++] = live(pod, i)->entry;
    tendo_podsim_fault *lie = fault_of(pod, TENDO_FAULT_LIST_LIE);
    if (lie) {
        lie->fired++;
        for (size_t i = 0; i < page.count; i++) {
            tendo_pod_session *e = &page.entry[i];
            if (!strcmp(lie->form, "size"))
                e->size_bytes += TENDO_POD_SAMPLE_SIZE; /* no longer 24 × blocks + 13 × samples */
            else if (!strcmp(lie->form, "samples"))
                e->samples += 1;
            else if (!strcmp(lie->form, "crc"))
                e->crc32 ^= 0x00010000u; /* counts agree: only the download can tell */
        }
        if (!strcmp(lie->form, "total"))
            page.total = (uint16_t)(total + 1); /* a session that no page lists */
        if (!strcmp(lie->form, "order") && page.count >= 2) {
            uint32_t id = page.entry[0].id;
            page.entry[0].id = page.entry[1].id;
            page.entry[1].id = id;
        }
    }
    *len = tendo_pod_list_encode(&page, reply);
    return 1;
}

/* Index of the block starting at offset, or -1 (binary search). */
static long block_at(const emu_session *s, uint64_t offset)
{
    long lo = 0, hi = (long)s->entry.blocks;
    while (lo <= hi) {
        long mid = lo + (hi - lo) / 2;
        if (s->block_off[mid] == offset)
            return mid;
        if (s->block_off[mid] < offset)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return -1;
}

static int do_read(tendo_pod_emu *pod, const uint8_t *data)
{
    int bad = data[1] & ~TENDO_POD_READ_ALLOW_ZLIB ? 1 : nonzero_at(data, 2, 2);
    if (bad < 0)
        bad = nonzero_at(data, 20, 4);
    uint32_t id = pod_get32(data + 4);
    if (bad >= 0)
        return refuse(pod, TENDO_POD_REQ_READ, TENDO_POD_ST_BAD_ARGUMENT, id, (uint64_t)bad);
    /* A new READ cancels the one in progress, whatever its outcome. */
    stop_stream(pod);
    emu_session *s = by_id(pod, id);
    if (!s)
        return refuse(pod, TENDO_POD_REQ_READ, TENDO_POD_ST_NO_SESSION, id, 0);
    uint64_t offset = pod_get64(data + 8);
    long block = s->entry.blocks == 0 && offset == 0 ? 0 : block_at(s, offset);
    if (block < 0)
        return refuse(pod, TENDO_POD_REQ_READ, TENDO_POD_ST_BAD_OFFSET, id, s->entry.size_bytes);
    pod->streaming = 1;
    pod->cur = (size_t)(s - pod->s);
    pod->block = (uint32_t)block;
    pod->seq = pod_get32(data + 16);
    pod->allow_zlib = data[1] & TENDO_POD_READ_ALLOW_ZLIB;
    pod->last_sent = 0;
    pod->frame_no = 0;
    return 1;
}

static int do_erase(tendo_pod_emu *pod, const uint8_t *data)
{
    int bad = nonzero_at(data, 1, 3);
    if (bad < 0)
        bad = nonzero_at(data, 20, 4);
    uint32_t id = pod_get32(data + 4);
    if (bad >= 0)
        return refuse(pod, TENDO_POD_REQ_ERASE, TENDO_POD_ST_BAD_ARGUMENT, id, (uint64_t)bad);
    emu_session *s = by_id(pod, id);
    if (!s)
        return refuse(pod, TENDO_POD_REQ_ERASE, TENDO_POD_ST_NO_SESSION, id, 0);
    if (pod_get64(data + 8) != s->entry.size_bytes || pod_get32(data + 16) != s->entry.crc32)
        return refuse(pod, TENDO_POD_REQ_ERASE, TENDO_POD_ST_CHECKSUM_MISMATCH, id,
                      s->entry.crc32);
    if (pod->streaming && pod->cur == (size_t)(s - pod->s))
        stop_stream(pod);
    s->erased = 1;
    free(s->content); /* flash pages are free again */
    s->content = NULL;
    pod->dirty = 1;
    return 1;
}

static int do_get_error(tendo_pod_emu *pod, uint8_t *reply, size_t *len)
{
    tendo_pod_error_encode(&pod->last_error, reply);
    memset(&pod->last_error, 0, sizeof pod->last_error);
    *len = TENDO_POD_ERROR_SIZE;
    return 1;
}

/* Standard requests a pod answers on endpoint 0 (USB 2.0 chapter 9). */
static int standard(tendo_pod_emu *pod, const tendo_pod_setup *s, uint8_t *reply, size_t *len)
{
    if (s->request == USB_REQ_GET_DESCRIPTOR && (s->value >> 8) == USB_DT_STRING &&
        (s->value & 0xFF) >= 1) {
        if ((s->value & 0xFF) > 3 || s->index != 0x0409)
            return 0;
        uint8_t buf[256];
        size_t n = tendo_pod_emu_string(pod, (uint8_t)s->value, buf, sizeof buf);
        if (n == 0)
            return 0;
        *len = n < s->length ? n : s->length;
        memcpy(reply, buf, *len);
        return 1;
    }
    if (s->request == USB_REQ_GET_DESCRIPTOR && (s->value >> 8) <= USB_DT_CONFIG &&
        (s->value & 0xFF) == 0 && (s->request_type & 0x80)) {
        /* Device and configuration as sysfs shows them (faults included). */
        uint8_t d[TENDO_POD_EMU_DESC_MAX];
        size_t n = tendo_pod_emu_sysfs_descriptors(pod, d, sizeof d);
        size_t from = (s->value >> 8) == USB_DT_DEVICE ? 0 : TENDO_POD_DEVICE_DESC_SIZE;
        size_t k = (s->value >> 8) == USB_DT_DEVICE ? TENDO_POD_DEVICE_DESC_SIZE : n - from;
        if (n < from + (from ? 1 : k))
            return 0;
        *len = k < s->length ? k : s->length;
        memcpy(reply, d + from, *len);
        return 1;
    }
    if (s->request == USB_REQ_GET_DESCRIPTOR) {
        *len = tendo_pod_emu_get_descriptor(s, pod->cfg.serial, reply, TENDO_POD_LIST_MAX_SIZE);
        return *len > 0 || s->length == 0;
    }
    if (s->request == USB_REQ_GET_STATUS && (s->request_type & 0x80)) {
        *len = s->length < 2 ? s->length : 2;
        memset(reply, 0, *len); /* bus powered, no remote wakeup, not halted */
        return 1;
    }
    if (s->request == USB_REQ_GET_CONFIGURATION && (s->request_type & 0x80)) {
        *len = s->length ? 1 : 0;
        reply[0] = 1;
        return 1;
    }
    /* SET_CONFIGURATION, SET_INTERFACE, CLEAR_FEATURE: accepted, no data. */
    *len = 0;
    return !(s->request_type & 0x80);
}

static int vendor(tendo_pod_emu *pod, const tendo_pod_setup *s, const uint8_t *data, size_t len,
                  int64_t now_utc_us, uint8_t *reply, size_t *reply_len);

int tendo_pod_emu_control(tendo_pod_emu *pod, const tendo_pod_setup *s, const uint8_t *data,
                          size_t len, int64_t now_utc_us, uint8_t *reply, size_t *reply_len)
{
    *reply_len = 0;
    if (pod->mute)
        return -1;
    if ((s->request_type & USB_TYPE_MASK) == USB_TYPE_STANDARD)
        return standard(pod, s, reply, reply_len);
    if ((s->request_type & USB_TYPE_MASK) != USB_TYPE_VENDOR)
        return 0;
    int answered = vendor(pod, s, data, len, now_utc_us, reply, reply_len);
    tendo_podsim_fault *f = fault_of(pod, TENDO_FAULT_SHORT_REPLY);
    if (answered == 1 && f && *reply_len > 0 && (!f->request || f->request == s->request)) {
        f->fired++;
        (*reply_len)--;
    }
    return answered;
}

static int vendor(tendo_pod_emu *pod, const tendo_pod_setup *s, const uint8_t *data, size_t len,
                  int64_t now_utc_us, uint8_t *reply, size_t *reply_len)
{
    uint16_t st = tendo_pod_setup_check(s, (s->request_type & 0x80) ? NULL : data, len);
    if (st != TENDO_POD_ST_NONE) {
        uint64_t value = st == TENDO_POD_ST_BAD_VERSION ? TENDO_POD_VERSION : 0;
        if (st == TENDO_POD_ST_BAD_LENGTH) {
            tendo_pod_setup want;
            value = tendo_pod_setup_for(s->request, 0, &want, NULL) ? 0 : want.length;
        }
        return refuse(pod, s->request, st, 0, value);
    }
    switch (s->request) {
    case TENDO_POD_REQ_INFO:
        return do_info(pod, reply, reply_len);
    case TENDO_POD_REQ_CLOCK_GET:
        return do_clock_get(pod, now_utc_us, reply, reply_len);
    case TENDO_POD_REQ_CLOCK_SET:
        return do_clock_set(pod, data, now_utc_us);
    case TENDO_POD_REQ_LIST:
        return do_list(pod, s->value, reply, reply_len);
    case TENDO_POD_REQ_READ:
        return do_read(pod, data);
    case TENDO_POD_REQ_ERASE:
        return do_erase(pod, data);
    case TENDO_POD_REQ_GET_ERROR:
        return do_get_error(pod, reply, reply_len);
    default:
        return refuse(pod, s->request, TENDO_POD_ST_UNKNOWN_REQUEST, 0, 0);
    }
}

size_t tendo_pod_emu_string(tendo_pod_emu *pod, uint8_t index, uint8_t *out, size_t cap)
{
    tendo_podsim_fault *f = index == 3 ? fault_of(pod, TENDO_FAULT_SERIAL) : NULL;
    if (f) {
        /* Code units as given, unchecked: the host must survive them. */
        int odd = !strcmp(f->form, "odd");
        size_t n = 2 + 2 * f->text_len + (size_t)odd;
        if (n > 255 || n > cap)
            return 0;
        out[0] = (uint8_t)n;
        out[1] = USB_DT_STRING;
        for (size_t i = 0; i < f->text_len; i++)
            pod_put16(out + 2 + 2 * i, f->text[i]);
        if (odd)
            out[n - 1] = 'x';
        f->fired++;
        return n;
    }
    const char *text = index == 1   ? TENDO_POD_MANUFACTURER
                       : index == 2 ? TENDO_POD_PRODUCT
                       : index == 3 ? pod->cfg.serial
                                    : NULL;
    return text ? tendo_pod_string_encode(text, out, cap) : 0;
}

/* Offsets in the descriptors of pod_emu_device.c: device (18), then the
 * configuration (9), interface (9) and the IN endpoint (7). */
#define DESC_CONFIG_TOTAL 20
#define DESC_IF_CLASS     (18 + 9 + 5)
#define DESC_EP_IN_PACKET (18 + 9 + 9 + 4)

size_t tendo_pod_emu_sysfs_descriptors(tendo_pod_emu *pod, uint8_t *out, size_t cap)
{
    if (cap < TENDO_POD_DESCRIPTORS_SIZE)
        return 0;
    tendo_pod_emu_descriptors(out);
    size_t n = TENDO_POD_DESCRIPTORS_SIZE;
    tendo_podsim_fault *f = fault_of(pod, TENDO_FAULT_DESCRIPTORS);
    if (!f)
        return n;
    f->fired++;
    if (!strcmp(f->form, "truncated"))
        n = TENDO_POD_DEVICE_DESC_SIZE + 20; /* wTotalLength still says 32 */
    else if (!strcmp(f->form, "class"))
        out[DESC_IF_CLASS] = 0x00; /* not a vendor interface: not a pod */
    else if (!strcmp(f->form, "packet"))
        pod_put16(out + DESC_EP_IN_PACKET, 1023); /* a high-speed bulk endpoint must be 512 */
    else if (!strcmp(f->form, "length"))
        pod_put16(out + DESC_CONFIG_TOTAL, 0x0100); /* beyond the bytes that follow */
    return n;
}

/* ------------------------------------------------------------ the stream */

static int64_t monotonic_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Encodes block pod->block of the READ's session into buf; *last gets LAST. */
static void build_frame(tendo_pod_emu *pod, uint8_t *buf, size_t *len, tendo_pod_frame *f)
{
    emu_session *s = &pod->s[pod->cur];
    *f = (tendo_pod_frame){.seq = pod->seq, .session_id = s->entry.id};
    if (pod->block >= s->entry.blocks) {
        f->offset = s->entry.size_bytes;
        f->flags = TENDO_POD_FRAME_LAST; /* empty: the READ started at the end */
    } else {
        f->offset = s->block_off[pod->block];
        f->raw_len = (uint32_t)(s->block_off[pod->block + 1] - f->offset);
        f->payload = s->content + f->offset;
        if (pod->block + 1 == s->entry.blocks)
            f->flags = TENDO_POD_FRAME_LAST;
    }
    /* Cannot fail: a block always fits a frame. */
    tendo_pod_frame_encode(f, pod->cfg.compress && pod->allow_zlib, buf, len, NULL);
    pod->seq++;
    pod->block++;
    pod->frame_no++;
    if (f->flags & TENDO_POD_FRAME_LAST)
        pod->last_sent = 1;
}

/* 1 when stream fault f is due at frame number no carrying [off, off + raw). */
static int due(const tendo_podsim_fault *f, const emu_session *s, uint64_t no,
               const tendo_pod_frame *fr, uint64_t *at)
{
    if (!armed(f) || (f->session && f->session != s->entry.id))
        return 0;
    if (f->where == TENDO_WHERE_FRAME) {
        *at = fr->offset + fr->raw_len / 2;
        return no == f->frame;
    }
    uint64_t w = f->where == TENDO_WHERE_BYTE
                     ? f->byte
                     : (uint64_t)floor(f->fraction * (double)s->entry.size_bytes);
    if (w >= s->entry.size_bytes && (fr->flags & TENDO_POD_FRAME_LAST))
        w = fr->offset + (fr->raw_len ? fr->raw_len - 1 : 0);
    *at = w;
    return w >= fr->offset && (w < fr->offset + fr->raw_len || (fr->flags & TENDO_POD_FRAME_LAST));
}

/* Applies the stream faults due at the frame just built; 0 = drop it. */
static int frame_faults(tendo_pod_emu *pod, tendo_pod_frame *fr)
{
    emu_session *s = &pod->s[pod->cur];
    uint64_t no = pod->frame_no - 1, at = 0;
    for (size_t i = 0; i < pod->nfaults; i++) {
        tendo_podsim_fault *f = &pod->faults[i];
        if (f->kind > TENDO_FAULT_LENGTH && f->kind != TENDO_FAULT_MUTE)
            continue; /* not a stream fault */
        if (f->kind == TENDO_FAULT_MUTE && f->where == TENDO_WHERE_NONE)
            continue;
        if (!due(f, s, no, fr, &at))
            continue;
        f->fired++;
        pod->dirty = 1; /* with --state, a fault that fired stays fired */
        uint8_t *b = pod->frame;
        size_t body = pod->frame_len - TENDO_POD_FRAME_CRC_SIZE;
        switch (f->kind) {
        case TENDO_FAULT_CRC: /* one bit of the CRC, chosen by the seed */
            b[body + (f->rnd >> 8) % 4] ^= (uint8_t)(1u << (f->rnd % 8));
            break;
        case TENDO_FAULT_DROP:
            return 0;
        case TENDO_FAULT_DUP:
            pod->dup_pending = 1;
            break;
        case TENDO_FAULT_REORDER:
            if (pod->last_sent) {
                f->fired--; /* nothing follows the LAST frame to swap with */
                break;
            }
            if (!pod->held && !(pod->held = malloc(TENDO_POD_FRAME_MAX_SIZE)))
                break;
            memcpy(pod->held, pod->frame, pod->frame_len);
            pod->held_len = pod->frame_len;
            tendo_pod_frame next;
            build_frame(pod, pod->frame, &pod->frame_len, &next);
            break;
        case TENDO_FAULT_LENGTH: /* both lengths, so the header is consistent but too big */
            pod_put32(b + 24, f->length);
            pod_put32(b + 28, f->length);
            pod_put32(b + body, tendo_pod_crc32(0, b, body));
            break;
        case TENDO_FAULT_STALL:
            pod->stall_until = f->for_ms < 0 ? INT64_MAX : monotonic_us() + 1000LL * f->for_ms;
            break;
        case TENDO_FAULT_MUTE:
            pod->mute = 1;
            break;
        case TENDO_FAULT_UNPLUG:
        case TENDO_FAULT_RESET: {
            /* Cut inside the frame where byte `at` travels (compressed
             * payloads: proportionally), so the host gets exactly that much. */
            uint64_t into = at > fr->offset ? at - fr->offset : 0;
            if (fr->raw_len && fr->wire_len != fr->raw_len)
                into = into * fr->wire_len / fr->raw_len;
            pod->cut_at = TENDO_POD_FRAME_HEADER_SIZE + (size_t)into;
            pod->cut_reset = f->kind == TENDO_FAULT_RESET;
            pod->replug_ms = f->replug_ms;
            break;
        }
        default:
            break;
        }
    }
    return 1;
}

/* Makes the next frame current; 0 when none is left. */
static int next_frame(tendo_pod_emu *pod)
{
    pod->frame_pos = 0;
    if (pod->dup_pending) {
        pod->dup_pending = 0;
        return 1; /* the same bytes again */
    }
    if (pod->held_len) {
        memcpy(pod->frame, pod->held, pod->held_len);
        pod->frame_len = pod->held_len;
        pod->held_len = 0;
        return 1;
    }
    while (pod->streaming && !pod->last_sent) {
        tendo_pod_frame fr;
        build_frame(pod, pod->frame, &pod->frame_len, &fr);
        fr.wire_len = (uint32_t)(pod->frame_len - TENDO_POD_FRAME_HEADER_SIZE -
                                 TENDO_POD_FRAME_CRC_SIZE);
        if (frame_faults(pod, &fr))
            return 1;
    }
    pod->frame_len = 0;
    return 0;
}

/* 1 while a stall or mute keeps the stream from moving. */
static int blocked(tendo_pod_emu *pod)
{
    if (pod->mute)
        return 1;
    if (pod->stall_until && monotonic_us() < pod->stall_until)
        return 1;
    pod->stall_until = 0;
    return 0;
}

tendo_pod_emu_in tendo_pod_emu_bulk_in(tendo_pod_emu *pod, uint8_t *buf, size_t cap, size_t *n)
{
    *n = 0;
    while (*n < cap) {
        if (pod->frame_pos == pod->frame_len && !next_frame(pod))
            break;
        if (pod->frame_pos == 0 && blocked(pod))
            break;
        size_t k = pod->frame_len - pod->frame_pos;
        if (k > cap - *n)
            k = cap - *n;
        if (pod->cut_at != SIZE_MAX && pod->frame_pos + k > pod->cut_at)
            k = pod->cut_at - pod->frame_pos;
        memcpy(buf + *n, pod->frame + pod->frame_pos, k);
        pod->frame_pos += k;
        *n += k;
        if (pod->cut_at != SIZE_MAX && pod->frame_pos == pod->cut_at) {
            int reset = pod->cut_reset;
            pod->cut_at = SIZE_MAX;
            return reset ? TENDO_POD_EMU_IN_RESET : TENDO_POD_EMU_IN_UNPLUG;
        }
    }
    if (pod->last_sent && pod->frame_pos == pod->frame_len && !pod->held_len &&
        !pod->dup_pending)
        pod->streaming = 0; /* the session's stream is complete */
    return *n ? TENDO_POD_EMU_IN_DATA : TENDO_POD_EMU_IN_HOLD;
}

int64_t tendo_pod_emu_wake_us(const tendo_pod_emu *pod)
{
    return pod->stall_until && pod->stall_until != INT64_MAX && !pod->mute ? pod->stall_until : 0;
}

void tendo_pod_emu_unplugged(tendo_pod_emu *pod)
{
    stop_stream(pod);
}

void tendo_pod_emu_reset(tendo_pod_emu *pod, int64_t now_utc_us)
{
    stop_stream(pod);
    /* The counter restarts from 0 in a new epoch; the anchor was of the old one. */
    pod->epoch++;
    pod->power_on_us = now_utc_us;
    pod->anchored = 0;
    pod->anchor_ticks = 0;
    pod->anchor_utc_us = 0;
    pod->dirty = 1;
}

/* A reset pod is back on the bus after it boots (model choice: 200 ms). */
#define POD_BOOT_MS 200

int tendo_pod_emu_replug_ms(const tendo_pod_emu *pod, int reset)
{
    return reset && pod->replug_ms < 0 ? POD_BOOT_MS : pod->replug_ms;
}

int tendo_pod_emu_state_dirty(const tendo_pod_emu *pod)
{
    return pod->dirty;
}
