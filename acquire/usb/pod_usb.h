/*
 * pod_usb.h — the libusb driver of the tendo pod (acquire/PROTOCOL.md).
 *
 * Finds pods by VID:PID and the vendor interface triple, opens and claims
 * them, reads and checks their string descriptors, runs the control
 * requests with timeouts (a refusal is explained by GET_ERROR) and streams
 * a READ's bulk data with libusb's asynchronous API, several transfers in
 * flight, so the link never waits for the host.
 *
 * Everything the device says is checked by the pure codec
 * (pod_protocol.h) before use. USB failures (timeout, unplug, a pod that
 * never answers) give TENDO_EUNAVAIL with what to try.
 */
#ifndef TENDO_POD_USB_H
#define TENDO_POD_USB_H

#include <stddef.h>
#include <stdint.h>

#include "pod_protocol.h"
#include "tendo_error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Bulk IN transfers kept in flight, and their size. Each transfer costs a
 * few round trips whatever its size, so big ones are cheap per byte:
 * through umockdev 4 × 1 MiB moved 498 MB/s against 123 MB/s for 4 × 256 KiB
 * and 66 MB/s for 4 × 64 KiB (PODSIM.md, bench_podsim_link); a real pod's
 * USB 2.0 link is slower than either. 4 MiB in flight stays far below the
 * kernel's usbfs limit (16 MiB by default). */
#define TENDO_USB_XFERS      4
#define TENDO_USB_XFER_BYTES (1024u * 1024u)
/* A control request that takes longer than this gets no answer. */
#define TENDO_USB_CONTROL_TIMEOUT_MS 2000
/* A download that sees no data for this long: the pod stalled. Measured
 * from the last data, not per transfer, so slow links (USB full speed) work. */
#define TENDO_USB_BULK_TIMEOUT_MS 3000

typedef struct tendo_usb tendo_usb;         /* a libusb context */
typedef struct tendo_usb_pod tendo_usb_pod; /* one opened, claimed pod */

/* What enumeration saw of one candidate device, whether or not it opened. */
typedef struct tendo_usb_found {
    uint8_t bus, address;
    tendo_usb_pod *pod;                /* NULL when it could not be opened */
    int code;                          /* TENDO_OK, or why pod is NULL */
    char problem[TENDO_ERROR_MSG_MAX]; /* the message when code != TENDO_OK */
} tendo_usb_found;

int tendo_usb_open(tendo_usb **out, tendo_error *err);
void tendo_usb_close(tendo_usb *u);

/* Finds every attached pod (VID:PID and interface triple) and opens it:
 * claim, string descriptors, serial check. *found (malloc'ed, *n entries,
 * sorted by bus and address) lists each candidate with its pod or its
 * problem. Fails only when USB itself is unusable (TENDO_EUNAVAIL). */
int tendo_usb_find(tendo_usb *u, tendo_usb_found **found, size_t *n, tendo_error *err);
/* Closes the pods in found[] and frees it. */
void tendo_usb_found_free(tendo_usb_found *found, size_t n);

/* Checked identity: serial matches [A-Za-z0-9_.-]{1,63}, the others are
 * printable ASCII. */
const char *tendo_usb_pod_serial(const tendo_usb_pod *p);
const char *tendo_usb_pod_product(const tendo_usb_pod *p);
/* "bus 1 device 7": where the pod is, for messages. */
const char *tendo_usb_pod_where(const tendo_usb_pod *p);

/* Control requests; replies decoded and checked by the codec. A refused
 * (stalled) request is explained by GET_ERROR (tendo_pod_refusal); when
 * refusal is not NULL it receives that reply (code NONE otherwise). */
int tendo_usb_pod_info(tendo_usb_pod *p, tendo_pod_info *out, tendo_error *err);
/* CLOCK_GET with the host's UTC around it: *point pairs the latched ticks
 * with host time (PROTOCOL.md 5). Of several reads the one with the shortest
 * round trip (the smallest uncertainty) is kept; too slow reads are retried. */
int tendo_usb_pod_clock_get(tendo_usb_pod *p, tendo_pod_clock *out, tendo_pod_clock_point *point,
                            tendo_error *err);
int tendo_usb_pod_clock_set(tendo_usb_pod *p, int64_t utc_us, tendo_error *err);
/* Every session (LIST page after page); all holds TENDO_POD_MAX_SESSIONS. */
int tendo_usb_pod_list(tendo_usb_pod *p, tendo_pod_session *all, size_t *n, tendo_error *err);
int tendo_usb_pod_erase(tendo_usb_pod *p, const tendo_pod_erase_req *req,
                        tendo_pod_error_reply *refusal, tendo_error *err);

/* Receives a READ's bulk stream in order, chunk by chunk, on the thread
 * that called tendo_usb_pod_read. Returns 0 to go on, 1 when it wants no
 * more (the stream is complete or has failed), or a negative tendo_code to
 * abort with the message in err. */
typedef int (*tendo_usb_chunk_fn)(void *ctx, const uint8_t *data, size_t len, tendo_error *err);
/* Polled between USB events: non-zero when the consumer wants the stream
 * to stop (it wakes the loop with tendo_usb_wake). */
typedef int (*tendo_usb_stop_fn)(void *ctx);

/* Sends READ(req); req->first_seq is chosen here (a number this pod has not
 * used since it was opened) and written back. A refusal (BUSY, BAD_OFFSET,
 * NO_SESSION, ...) comes back as its tendo code with GET_ERROR's reason. */
int tendo_usb_pod_read_start(tendo_usb_pod *p, tendo_pod_read_req *req, tendo_error *err);
/* Streams the bulk data of the READ just started to chunk until it or stop
 * says enough. Returns TENDO_OK when the consumer stopped it; TENDO_EUNAVAIL
 * on a timeout or an unplug (resume with a new READ), or chunk's code. */
int tendo_usb_pod_stream(tendo_usb_pod *p, tendo_usb_chunk_fn chunk, tendo_usb_stop_fn stop,
                         void *ctx, tendo_error *err);
/* 1 once the pod has been seen unplugged (this handle is dead). */
int tendo_usb_pod_gone(const tendo_usb_pod *p);
/* Waits up to wait_ms for a pod with the same serial to be plugged in again
 * and continues with it in p (a re-plugged device has a new address).
 * TENDO_EUNAVAIL when it does not come back. */
int tendo_usb_pod_reattach(tendo_usb_pod *p, int wait_ms, tendo_error *err);
/* Devices with the pod's VID:PID that the last tendo_usb_find ignored
 * because they do not present the pod's interface (malformed descriptors,
 * or another pid.codes test device). */
size_t tendo_usb_ignored(const tendo_usb *u);
/* The TENDO_EUNAVAIL error for "no pod found", naming the devices ignored
 * and what to try before running `tendo CMD` again. */
int tendo_usb_no_pod(const tendo_usb *u, const char *cmd, tendo_error *err);

/* Called by the consumer after the stream it reads has ended (done,
 * failed or stopped), with the frames it accepted: the next READ then
 * starts from a sequence number no buffered frame of this one can have. */
void tendo_usb_pod_read_ended(tendo_usb_pod *p, uint64_t frames_accepted);
/* Wakes a tendo_usb_pod_read waiting for USB events (any thread). */
void tendo_usb_wake(tendo_usb *u);

#ifdef __cplusplus
}
#endif
#endif
