/*
 * pod_usb.c — the libusb driver of the tendo pod. Protocol rules live in
 * the codec (pod_protocol.h); this file moves bytes and maps USB failures
 * to tendo codes with a message that says what to try.
 */
#include "pod_usb.h"
#include "tendo_clock.h"

#include <libusb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Sequence numbers the next READ skips past the last one's: more frames
 * than any pod can have buffered (a frame is ≥ 37 bytes, 2^20 of them
 * ≥ 38 MB), so a stale frame can never carry an expected number. */
#define SEQ_JUMP (1u << 20)
/* Clock reads: the point's error is at most half the round trip, and on a
 * busy machine most round trips are long (the other process waits for a
 * core). So reads go on until CLOCK_KEEP of them are good and the quickest
 * took at most CLOCK_QUICK_US, CLOCK_TRIES in all; the quickest is used, as
 * NTP keeps its minimum-delay sample (Mills, RFC 5905, 2010). */
#define CLOCK_KEEP     3
#define CLOCK_TRIES    24
#define CLOCK_QUICK_US 1000

struct tendo_usb {
    libusb_context *ctx;
    size_t ignored; /* VID:PID matches without the pod interface, last find */
};

struct tendo_usb_pod {
    tendo_usb *usb;
    libusb_device_handle *h;
    int iface;
    uint8_t bus, address;
    char where[32];
    char serial[TENDO_POD_SERIAL_MAX + 1];
    char product[TENDO_POD_STRING_MAX + 1];
    uint32_t next_seq;
    uint32_t last_first_seq;
    int gone; /* seen unplugged */
};

static const char TRY_REPLUG[] =
    "unplug the pod, check the cable and that it is charged, plug it in again and rerun";

int tendo_usb_open(tendo_usb **out, tendo_error *err)
{
    *out = NULL;
    tendo_usb *u = calloc(1, sizeof *u);
    if (!u)
        return tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
    int rc = libusb_init(&u->ctx);
    if (rc) {
        free(u);
        return tendo_error_set(err, TENDO_EUNAVAIL,
                               "cannot use USB (libusb: %s): is /dev/bus/usb readable by you?",
                               libusb_strerror(rc));
    }
    *out = u;
    return TENDO_OK;
}

void tendo_usb_close(tendo_usb *u)
{
    if (!u)
        return;
    libusb_exit(u->ctx);
    free(u);
}

void tendo_usb_wake(tendo_usb *u)
{
    libusb_interrupt_event_handler(u->ctx);
}

const char *tendo_usb_pod_serial(const tendo_usb_pod *p)
{
    return p->serial;
}

const char *tendo_usb_pod_product(const tendo_usb_pod *p)
{
    return p->product;
}

const char *tendo_usb_pod_where(const tendo_usb_pod *p)
{
    return p->where;
}

/* The interface with the pod's triple and a bulk IN endpoint 0x81, or -1. */
static int pod_interface(libusb_device *dev)
{
    struct libusb_config_descriptor *cfg = NULL;
    if (libusb_get_active_config_descriptor(dev, &cfg) || !cfg)
        return -1;
    int found = -1;
    /* A malformed (e.g. truncated) configuration descriptor leaves libusb's
     * arrays shorter than their counts say, or NULL: check before use. */
    for (int i = 0; cfg->interface && i < cfg->bNumInterfaces && found < 0; i++) {
        if (cfg->interface[i].num_altsetting < 1 || !cfg->interface[i].altsetting)
            continue;
        const struct libusb_interface_descriptor *a = &cfg->interface[i].altsetting[0];
        if (a->bInterfaceClass != TENDO_POD_IF_CLASS ||
            a->bInterfaceSubClass != TENDO_POD_IF_SUBCLASS ||
            a->bInterfaceProtocol != TENDO_POD_IF_PROTOCOL || !a->endpoint)
            continue;
        for (int k = 0; k < a->bNumEndpoints; k++)
            if (a->endpoint[k].bEndpointAddress == TENDO_POD_EP_IN &&
                (a->endpoint[k].bmAttributes & 3) == LIBUSB_TRANSFER_TYPE_BULK)
                found = a->bInterfaceNumber;
    }
    libusb_free_config_descriptor(cfg);
    return found;
}

/* A USB failure as a tendo error naming the pod and what to try. */
static int usb_fail(tendo_usb_pod *p, int lrc, const char *what, tendo_error *err)
{
    if (lrc == LIBUSB_ERROR_NO_DEVICE)
        p->gone = 1;
    const char *why = lrc == LIBUSB_ERROR_TIMEOUT     ? "the pod did not answer in time"
                      : lrc == LIBUSB_ERROR_NO_DEVICE ? "the pod was unplugged"
                      : lrc == LIBUSB_ERROR_ACCESS    ? "permission denied"
                      : lrc == LIBUSB_ERROR_BUSY      ? "another program is using the pod"
                                                      : libusb_strerror(lrc);
    const char *hint = lrc == LIBUSB_ERROR_ACCESS ? "give your user access to /dev/bus/usb "
                                                    "(a udev rule for 1209:0001) and rerun"
                       : lrc == LIBUSB_ERROR_BUSY ? "close the other program and rerun"
                                                  : TRY_REPLUG;
    if (!p->serial[0])
        return tendo_error_set(err, TENDO_EUNAVAIL, "pod at %s: %s: %s; %s", p->where, what, why,
                               hint);
    return tendo_error_set(err, TENDO_EUNAVAIL, "pod %s (%s): %s: %s; %s", p->serial, p->where,
                           what, why, hint);
}

/* Reads string descriptor idx as checked ASCII. */
static int read_string(tendo_usb_pod *p, uint8_t idx, const char *name, char *out, size_t cap,
                       tendo_error *err)
{
    uint8_t desc[255];
    if (idx == 0)
        return tendo_error_set(err, TENDO_EDATA, "pod at %s has no %s string", p->where, name);
    int n = libusb_get_string_descriptor(p->h, idx, 0x0409, desc, sizeof desc);
    if (n < 0) {
        char what[64];
        snprintf(what, sizeof what, "reading its %s string", name);
        return usb_fail(p, n, what, err);
    }
    int rc = tendo_pod_string_decode(desc, (size_t)n, out, cap, err);
    if (rc)
        tendo_error_prefix(err, "pod at %s, %s string: ", p->where, name);
    return rc;
}

static void pod_free(tendo_usb_pod *p)
{
    if (!p)
        return;
    if (p->h) {
        if (p->iface >= 0)
            libusb_release_interface(p->h, p->iface);
        libusb_close(p->h);
    }
    free(p);
}

static int pod_open(tendo_usb *u, libusb_device *dev, int iface, tendo_usb_pod **out,
                    tendo_error *err)
{
    *out = NULL;
    tendo_usb_pod *p = calloc(1, sizeof *p);
    if (!p)
        return tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
    p->usb = u;
    p->iface = -1;
    p->bus = libusb_get_bus_number(dev);
    p->address = libusb_get_device_address(dev);
    snprintf(p->where, sizeof p->where, "bus %u device %u", p->bus, p->address);
    /* Sequence numbers start somewhere new for every opening, so frames an
     * earlier process left queued in the pod are never mistaken for ours. */
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    p->next_seq = (uint32_t)(ts.tv_nsec ^ (ts.tv_sec << 20));
    int rc = libusb_open(dev, &p->h);
    if (rc) {
        usb_fail(p, rc, "opening it", err);
        pod_free(p);
        return err ? err->code : TENDO_EUNAVAIL;
    }
    libusb_set_auto_detach_kernel_driver(p->h, 1); /* unsupported is fine */
    rc = libusb_claim_interface(p->h, iface);
    if (rc) {
        usb_fail(p, rc, "claiming its interface", err);
        pod_free(p);
        return err ? err->code : TENDO_EUNAVAIL;
    }
    p->iface = iface;
    struct libusb_device_descriptor d;
    rc = libusb_get_device_descriptor(dev, &d);
    if (rc == 0)
        rc = read_string(p, d.iSerialNumber, "serial", p->serial, sizeof p->serial, err);
    else
        rc = usb_fail(p, rc, "reading its device descriptor", err);
    if (rc == 0 && (rc = tendo_pod_serial_check(p->serial, err)) != 0) {
        /* The text may hold anything printable: never use it again. */
        tendo_error_prefix(err, "pod at %s: ", p->where);
        p->serial[0] = '\0';
    }
    if (rc == 0)
        rc = read_string(p, d.iProduct, "product", p->product, sizeof p->product, err);
    if (rc) {
        pod_free(p);
        return rc;
    }
    *out = p;
    return TENDO_OK;
}

static int found_order(const void *a, const void *b)
{
    const tendo_usb_found *x = a, *y = b;
    return (x->bus * 256 + x->address) - (y->bus * 256 + y->address);
}

int tendo_usb_find(tendo_usb *u, tendo_usb_found **found, size_t *n, tendo_error *err)
{
    *found = NULL;
    *n = 0;
    libusb_device **list = NULL;
    ssize_t count = libusb_get_device_list(u->ctx, &list);
    if (count < 0)
        return tendo_error_set(err, TENDO_EUNAVAIL, "cannot list USB devices (libusb: %s)",
                               libusb_strerror((int)count));
    tendo_usb_found *f = calloc((size_t)count + 1, sizeof *f);
    if (!f) {
        libusb_free_device_list(list, 1);
        return tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
    }
    size_t k = 0;
    u->ignored = 0;
    for (ssize_t i = 0; i < count; i++) {
        struct libusb_device_descriptor d;
        if (libusb_get_device_descriptor(list[i], &d) || d.idVendor != TENDO_POD_VID ||
            d.idProduct != TENDO_POD_PID)
            continue;
        int iface = pod_interface(list[i]);
        if (iface < 0) {
            u->ignored++; /* another pid.codes test device, or a broken pod */
            continue;
        }
        tendo_usb_found *e = &f[k++];
        e->bus = libusb_get_bus_number(list[i]);
        e->address = libusb_get_device_address(list[i]);
        tendo_error perr;
        tendo_error_clear(&perr);
        e->code = pod_open(u, list[i], iface, &e->pod, &perr);
        if (e->code)
            snprintf(e->problem, sizeof e->problem, "%s", perr.msg);
    }
    libusb_free_device_list(list, 1);
    qsort(f, k, sizeof *f, found_order);
    *found = f;
    *n = k;
    return TENDO_OK;
}

void tendo_usb_found_free(tendo_usb_found *found, size_t n)
{
    if (!found)
        return;
    for (size_t i = 0; i < n; i++)
        pod_free(found[i].pod);
    free(found);
}

/* ------------------------------------------------------ control requests */

static int64_t utc_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* GET_ERROR after a stall; the refusal as a tendo error. */
static int explain_stall(tendo_usb_pod *p, uint8_t request, tendo_pod_error_reply *refusal,
                         tendo_error *err)
{
    tendo_pod_setup s;
    tendo_pod_setup_for(TENDO_POD_REQ_GET_ERROR, 0, &s, NULL);
    uint8_t buf[TENDO_POD_ERROR_SIZE];
    int n = libusb_control_transfer(p->h, s.request_type, s.request, s.value, s.index, buf,
                                    s.length, TENDO_USB_CONTROL_TIMEOUT_MS);
    if (n < 0)
        return usb_fail(p, n, "asking why it refused a request (GET_ERROR)", err);
    tendo_pod_error_reply e;
    int rc = tendo_pod_error_decode(buf, (size_t)n, &e, err);
    if (rc) {
        tendo_error_prefix(err, "pod %s: ", p->serial);
        return rc;
    }
    if (refusal)
        *refusal = e;
    if (e.code == TENDO_POD_ST_NONE)
        return tendo_error_set(err, TENDO_EUNAVAIL,
                               "pod %s stalled %s but reports no reason: a pod fault; %s",
                               p->serial, tendo_pod_request_name(request), TRY_REPLUG);
    int rc2 = tendo_pod_refusal(&e, err);
    tendo_error_prefix(err, "pod %s: ", p->serial);
    return rc2;
}

/* One control request: data is the reply buffer (IN, cap bytes) or the
 * data stage (OUT). *got receives the reply length. */
static int control(tendo_usb_pod *p, uint8_t request, uint16_t value, uint8_t *data, size_t *got,
                   tendo_pod_error_reply *refusal, tendo_error *err)
{
    tendo_pod_setup s;
    int rc = tendo_pod_setup_for(request, value, &s, err);
    if (rc)
        return rc;
    if (refusal)
        memset(refusal, 0, sizeof *refusal);
    int n = libusb_control_transfer(p->h, s.request_type, s.request, s.value, s.index, data,
                                    s.length, TENDO_USB_CONTROL_TIMEOUT_MS);
    if (n == LIBUSB_ERROR_PIPE)
        return explain_stall(p, request, refusal, err);
    if (n < 0) {
        char what[48];
        snprintf(what, sizeof what, "%s request", tendo_pod_request_name(request));
        return usb_fail(p, n, what, err);
    }
    if (got)
        *got = (size_t)n;
    else if ((size_t)n != s.length)
        return tendo_error_set(err, TENDO_EDATA, "pod %s took %d of the %u bytes of %s", p->serial,
                               n, s.length, tendo_pod_request_name(request));
    return TENDO_OK;
}

static int decoded(tendo_usb_pod *p, int rc, tendo_error *err)
{
    if (rc)
        tendo_error_prefix(err, "pod %s: ", p->serial);
    return rc;
}

int tendo_usb_pod_info(tendo_usb_pod *p, tendo_pod_info *out, tendo_error *err)
{
    uint8_t buf[TENDO_POD_INFO_SIZE];
    size_t n = 0;
    int rc = control(p, TENDO_POD_REQ_INFO, 0, buf, &n, NULL, err);
    return rc ? rc : decoded(p, tendo_pod_info_decode(buf, n, out, err), err);
}

int tendo_usb_pod_clock_get(tendo_usb_pod *p, tendo_pod_clock *out, tendo_pod_clock_point *point,
                            tendo_error *err)
{
    /* The point's uncertainty is half the round trip: of a few reads keep
     * the quickest. Reads slower than the protocol's limit do not count. */
    int good = 0;
    tendo_error slow;
    tendo_error_clear(&slow);
    for (int attempt = 0;
         attempt < CLOCK_TRIES && (good < CLOCK_KEEP || 2 * point->unc_us > CLOCK_QUICK_US);
         attempt++) {
        uint8_t buf[TENDO_POD_CLOCK_SIZE];
        size_t n = 0;
        tendo_pod_clock c;
        tendo_pod_clock_point pt;
        int64_t before = utc_now_us();
        int rc = control(p, TENDO_POD_REQ_CLOCK_GET, 0, buf, &n, NULL, err);
        int64_t after = utc_now_us();
        if (rc)
            return rc;
        if ((rc = decoded(p, tendo_pod_clock_decode(buf, n, &c, err), err)) != 0)
            return rc;
        if (good && c.epoch != out->epoch)
            return tendo_error_set(err, TENDO_EDATA,
                                   "pod %s: its clock restarted between two reads (epoch %u, "
                                   "then %u); run tendo sync again",
                                   p->serial, out->epoch, c.epoch);
        tendo_error_clear(&slow);
        if (tendo_pod_clock_point_from_read(c.ticks, before, after, &pt, &slow) != TENDO_OK)
            continue;
        if (!good || pt.unc_us < point->unc_us) {
            *out = c;
            *point = pt;
        }
        good++;
    }
    if (good)
        return TENDO_OK;
    return tendo_error_set(err, TENDO_EUNAVAIL,
                           "pod %s: %s (%d tries); the machine is busy: "
                           "close other programs and rerun",
                           p->serial, slow.msg, CLOCK_TRIES);
}

int tendo_usb_pod_clock_set(tendo_usb_pod *p, int64_t utc_us, tendo_error *err)
{
    uint8_t buf[TENDO_POD_CLOCK_SET_SIZE];
    tendo_pod_clock_set_encode(utc_us, buf);
    return control(p, TENDO_POD_REQ_CLOCK_SET, 0, buf, NULL, NULL, err);
}

int tendo_usb_pod_list(tendo_usb_pod *p, tendo_pod_session *all, size_t *n, tendo_error *err)
{
    static _Thread_local uint8_t buf[TENDO_POD_LIST_MAX_SIZE];
    tendo_pod_list_page page;
    uint16_t total = 0;
    *n = 0;
    /* Each page advances *n by its count, which decode requires to be
     * min(64, total − first) > 0 while *n < total: the loop ends. */
    do {
        size_t got = 0;
        int rc = control(p, TENDO_POD_REQ_LIST, (uint16_t)*n, buf, &got, NULL, err);
        if (rc)
            return rc;
        rc = tendo_pod_list_decode(buf, got, (uint16_t)*n, &page, err);
        if (rc == TENDO_OK)
            rc = tendo_pod_list_merge(&page, all, n, &total, err);
        if (rc)
            return decoded(p, rc, err);
    } while (*n < total);
    return TENDO_OK;
}

int tendo_usb_pod_erase(tendo_usb_pod *p, const tendo_pod_erase_req *req,
                        tendo_pod_error_reply *refusal, tendo_error *err)
{
    uint8_t buf[TENDO_POD_ERASE_SIZE];
    tendo_pod_erase_encode(req, buf);
    return control(p, TENDO_POD_REQ_ERASE, 0, buf, NULL, refusal, err);
}

/* ------------------------------------------------------------ bulk READ */

/* Transfers on one endpoint complete in the order they were submitted, so
 * each carries its submission number: when one fails (or cannot even be
 * submitted) the data of those submitted before it is still delivered, and
 * nothing after it. */
typedef struct stream stream;

typedef struct slot {
    stream *s;
    struct libusb_transfer *t;
    uint64_t seq; /* submission number of the transfer now in flight */
} slot;

struct stream {
    tendo_usb_pod *p;
    tendo_usb_chunk_fn chunk;
    void *ctx;
    slot slots[TENDO_USB_XFERS];
    int in_flight;
    uint64_t next_seq;
    uint64_t fail_seq; /* the first failed submission; UINT64_MAX while none */
    int stopping;      /* the consumer has enough: deliver nothing more */
    int code;          /* the first failure */
    double last_data_s; /* monotonic time data last arrived (or the stream began) */
    tendo_error *err;
};

static void fail_at(stream *s, uint64_t seq, int code)
{
    if (seq < s->fail_seq)
        s->fail_seq = seq;
    if (!s->code)
        s->code = code;
}

static void submit(slot *sl)
{
    stream *s = sl->s;
    sl->seq = s->next_seq++;
    int rc = libusb_submit_transfer(sl->t);
    if (rc) {
        tendo_error e;
        tendo_error_clear(&e);
        int code = usb_fail(s->p, rc, "submitting a bulk transfer", &e);
        if (!s->code && s->err)
            *s->err = e;
        fail_at(s, sl->seq, code);
    } else {
        s->in_flight++;
    }
}

static void LIBUSB_CALL on_transfer(struct libusb_transfer *t)
{
    slot *sl = t->user_data;
    stream *s = sl->s;
    s->in_flight--;
    if (s->stopping || sl->seq >= s->fail_seq)
        return; /* after the end or after a failure: not delivered */
    switch (t->status) {
    case LIBUSB_TRANSFER_COMPLETED:
        break;
    case LIBUSB_TRANSFER_NO_DEVICE:
        s->p->gone = 1;
        if (!s->code)
            tendo_error_set(s->err, TENDO_EUNAVAIL, "pod %s was unplugged during a download",
                            s->p->serial);
        fail_at(s, sl->seq, TENDO_EUNAVAIL);
        return;
    case LIBUSB_TRANSFER_CANCELLED:
        fail_at(s, sl->seq, s->code ? s->code : TENDO_EUNAVAIL);
        return;
    default: /* STALL, OVERFLOW (babble), ERROR (no timeouts: see the stream's loop) */
        if (!s->code)
            tendo_error_set(s->err, TENDO_EUNAVAIL,
                            "pod %s: bulk transfer failed (libusb status %d) during a download",
                            s->p->serial, (int)t->status);
        fail_at(s, sl->seq, TENDO_EUNAVAIL);
        return;
    }
    if (t->actual_length > 0) {
        int rc = s->chunk(s->ctx, t->buffer, (size_t)t->actual_length, s->err);
        /* after the consumer returns: time it spent blocked on a full queue
         * (a slow disk) is not the pod's silence */
        s->last_data_s = tendo_monotonic_s();
        if (rc < 0) {
            fail_at(s, sl->seq + 1, rc);
            return;
        }
        if (rc > 0) {
            s->stopping = 1;
            return;
        }
    }
    if (s->code)
        return; /* a later submission failed already: this one was the last */
    submit(sl);
}

int tendo_usb_pod_stream(tendo_usb_pod *p, tendo_usb_chunk_fn chunk, tendo_usb_stop_fn stop,
                         void *ctx, tendo_error *err)
{
    stream s = {.p = p,
                .chunk = chunk,
                .ctx = ctx,
                .err = err,
                .fail_seq = UINT64_MAX,
                .last_data_s = tendo_monotonic_s()};
    for (int i = 0; i < TENDO_USB_XFERS && !s.code; i++) {
        slot *sl = &s.slots[i];
        sl->s = &s;
        uint8_t *buf = malloc(TENDO_USB_XFER_BYTES);
        sl->t = libusb_alloc_transfer(0);
        if (!buf || !sl->t) {
            free(buf);
            fail_at(&s, s.next_seq,
                    tendo_error_set(err, TENDO_EINTERNAL, "out of memory for USB transfers"));
            break;
        }
        /* No libusb timeout: it would run from submission, so on a slow link
         * (USB full speed, ~1 MB/s) the last of 4 queued 1 MiB transfers
         * would time out while data flows. The loop below detects a pod
         * that sends nothing for TENDO_USB_BULK_TIMEOUT_MS instead. */
        libusb_fill_bulk_transfer(sl->t, p->h, TENDO_POD_EP_IN, buf, TENDO_USB_XFER_BYTES,
                                  on_transfer, sl, 0);
        sl->t->flags = LIBUSB_TRANSFER_FREE_BUFFER;
        submit(sl);
    }
    int cancelled = 0, broken = 0;
    while (s.in_flight > 0) {
        if (!s.stopping && !s.code && stop(ctx))
            s.stopping = 1;
        if (!s.stopping && !s.code &&
            tendo_monotonic_s() - s.last_data_s > TENDO_USB_BULK_TIMEOUT_MS / 1000.0) {
            tendo_error_set(err, TENDO_EUNAVAIL,
                            "pod %s stopped sending for %d ms during a download", p->serial,
                            TENDO_USB_BULK_TIMEOUT_MS);
            uint64_t oldest = s.next_seq;
            for (int i = 0; i < TENDO_USB_XFERS; i++)
                if (s.slots[i].t && s.slots[i].seq < oldest)
                    oldest = s.slots[i].seq;
            fail_at(&s, oldest, TENDO_EUNAVAIL);
        }
        if ((s.stopping || s.code) && !cancelled) {
            for (int i = 0; i < TENDO_USB_XFERS; i++)
                if (s.slots[i].t)
                    libusb_cancel_transfer(s.slots[i].t); /* NOT_FOUND when idle: fine */
            cancelled = 1;
        }
        struct timeval tv = {0, 100000};
        int erc = libusb_handle_events_timeout_completed(p->usb->ctx, &tv, NULL);
        if (erc && erc != LIBUSB_ERROR_INTERRUPTED && ++broken >= 10) {
            /* The event loop itself keeps failing: nothing more will
             * complete, and the transfers cannot be freed safely. */
            if (!s.code)
                s.code = usb_fail(p, erc, "waiting for USB events", err);
            return s.code;
        }
    }
    for (int i = 0; i < TENDO_USB_XFERS; i++)
        if (s.slots[i].t)
            libusb_free_transfer(s.slots[i].t);
    return s.stopping ? TENDO_OK : s.code;
}

int tendo_usb_pod_read_start(tendo_usb_pod *p, tendo_pod_read_req *req, tendo_error *err)
{
    req->first_seq = p->next_seq;
    p->last_first_seq = p->next_seq;
    p->next_seq += SEQ_JUMP; /* read_ended refines this */
    uint8_t data[TENDO_POD_READ_SIZE];
    tendo_pod_read_encode(req, data);
    return control(p, TENDO_POD_REQ_READ, 0, data, NULL, NULL, err);
}

size_t tendo_usb_ignored(const tendo_usb *u)
{
    return u->ignored;
}

int tendo_usb_no_pod(const tendo_usb *u, const char *cmd, tendo_error *err)
{
    char note[200] = "";
    if (u && u->ignored)
        snprintf(note, sizeof note,
                 " (%zu USB device%s with the pod's ID 1209:0001 %s no tendo pod interface: a "
                 "broken pod or another device, ignored)",
                 u->ignored, u->ignored == 1 ? "" : "s", u->ignored == 1 ? "shows" : "show");
    return tendo_error_set(err, TENDO_EUNAVAIL,
                           "no tendo pod is attached%s. Plug the pods in with a data USB cable "
                           "(a charge-only cable carries no data), check they are charged, and "
                           "run 'tendo %s' again%s",
                           note, cmd,
                           strcmp(cmd, "pods") ? "; 'tendo pods' lists what tendo sees" : "");
}

int tendo_usb_pod_gone(const tendo_usb_pod *p)
{
    return p->gone;
}

int tendo_usb_pod_reattach(tendo_usb_pod *p, int wait_ms, tendo_error *err)
{
    double deadline = tendo_monotonic_s() + wait_ms / 1000.0;
    do {
        libusb_device **list = NULL;
        ssize_t count = libusb_get_device_list(p->usb->ctx, &list);
        for (ssize_t i = 0; i < count; i++) {
            struct libusb_device_descriptor d;
            if (libusb_get_device_descriptor(list[i], &d) || d.idVendor != TENDO_POD_VID ||
                d.idProduct != TENDO_POD_PID)
                continue;
            uint8_t bus = libusb_get_bus_number(list[i]), addr = libusb_get_device_address(list[i]);
            int iface = pod_interface(list[i]);
            if (iface < 0 || (bus == p->bus && addr == p->address))
                continue;
            /* Another pod, or ours again: its serial says which. */
            tendo_usb_pod *q = NULL;
            if (pod_open(p->usb, list[i], iface, &q, NULL) != TENDO_OK)
                continue;
            if (strcmp(q->serial, p->serial) != 0) {
                pod_free(q);
                continue;
            }
            libusb_release_interface(p->h, p->iface);
            libusb_close(p->h);
            p->h = q->h;
            p->iface = q->iface;
            p->bus = q->bus;
            p->address = q->address;
            snprintf(p->where, sizeof p->where, "%s", q->where);
            p->gone = 0;
            q->h = NULL;
            pod_free(q);
            libusb_free_device_list(list, 1);
            return TENDO_OK;
        }
        if (count >= 0)
            libusb_free_device_list(list, 1);
        struct timespec nap = {0, 200 * 1000000L};
        nanosleep(&nap, NULL);
    } while (tendo_monotonic_s() < deadline);
    return tendo_error_set(err, TENDO_EUNAVAIL,
                           "pod %s was unplugged and did not come back within %d s", p->serial,
                           wait_ms / 1000);
}

void tendo_usb_pod_read_ended(tendo_usb_pod *p, uint64_t frames_accepted)
{
    p->next_seq = p->last_first_seq + (uint32_t)frames_accepted + SEQ_JUMP;
}
