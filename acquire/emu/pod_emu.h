/*
 * pod_emu.h — an emulated tendo pod, in pure C (no USB, no umockdev): its
 * flash (sessions loaded from session .h5 files), its drifting clock, its
 * answers to every control request of PROTOCOL.md section 2 and the bulk
 * frame stream of section 3, with faults on demand (pod_emu_fault.h).
 * acquire/emu/pod_bus.h puts pods on an emulated USB bus; tools/podsim is
 * the command. Decisions and the fault syntax: acquire/PODSIM.md.
 *
 * Not thread-safe: one caller at a time (the bus serialises).
 */
#ifndef TENDO_POD_EMU_H
#define TENDO_POD_EMU_H

#include <stddef.h>
#include <stdint.h>

#include "pod_protocol.h"
#include "tendo_error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TENDO_POD_EMU_TICK_HZ 1000000u /* current pods count microseconds */
#define TENDO_POD_EMU_MODEL   "tendo pod (emulated)"

typedef struct tendo_pod_emu tendo_pod_emu;

typedef struct tendo_pod_emu_config {
    char serial[TENDO_POD_SERIAL_MAX + 1]; /* [A-Za-z0-9_.-]{1,63} */
    uint8_t side;                          /* 0 left, 1 right */
    double drift_ppm;     /* the pod counts tick_hz × (1 + drift) per true second */
    int compress;         /* compress frames when the host allows it (ALLOW_ZLIB) */
    uint64_t seed;        /* clock offset and faults follow from it */
} tendo_pod_emu_config;

/* A new pod with empty flash. TENDO_EUSAGE for a bad serial, side or a
 * drift beyond ±1000 ppm. */
int tendo_pod_emu_new(tendo_pod_emu **out, const tendo_pod_emu_config *cfg, tendo_error *err);
void tendo_pod_emu_free(tendo_pod_emu *pod);

/* Records the `side` sensor of a session file as the pod's next session,
 * encoded as the pod stores it (blocks of raw int16 samples stamped with
 * pod clock ticks). TENDO_ENOINPUT / TENDO_EDATA for a missing or bad file
 * or one without that side's sensor. Call before the pod is used. */
int tendo_pod_emu_add_file(tendo_pod_emu *pod, const char *path, tendo_error *err);

/* Fixes the pod clock once all files are added, then encodes them into
 * flash: the pod was powered on some hours (from the seed) before its
 * earliest sample, and, unless anchor_lead_us < 0, a sync anchored it
 * (CLOCK_SET) that long before its earliest sample (a perfect anchor: its
 * ticks are the pod clock at that UTC). */
int tendo_pod_emu_start(tendo_pod_emu *pod, int64_t now_utc_us, int64_t anchor_lead_us,
                        tendo_error *err);

const char *tendo_pod_emu_serial(const tendo_pod_emu *pod);
size_t tendo_pod_emu_session_count(const tendo_pod_emu *pod); /* not erased */
/* The pod's own LIST entry of session i (0-based among sessions not erased). */
int tendo_pod_emu_session(const tendo_pod_emu *pod, size_t i, tendo_pod_session *out);
/* The pod clock at a UTC (µs since the Unix epoch), as CLOCK_GET reports. */
uint64_t tendo_pod_emu_ticks_at(const tendo_pod_emu *pod, int64_t utc_us);

/* ------------------------------------------------ the pod's USB function */

/* The answer to a vendor control request (PROTOCOL.md 2): setup plus, for
 * OUT requests, its data stage (data/len). For IN requests the reply goes
 * into reply (TENDO_POD_LIST_MAX_SIZE bytes) with *reply_len. Returns 1
 * when answered, 0 when the pod stalls (the reason is kept for GET_ERROR),
 * -1 when it does not answer at all (the request must time out: fault). */
int tendo_pod_emu_control(tendo_pod_emu *pod, const tendo_pod_setup *s, const uint8_t *data,
                          size_t len, int64_t now_utc_us, uint8_t *reply, size_t *reply_len);

/* A string descriptor (index 1 manufacturer, 2 product, 3 serial) as the
 * pod sends it; 0 when it would stall. Faults may make it hostile. */
size_t tendo_pod_emu_string(tendo_pod_emu *pod, uint8_t index, uint8_t *out, size_t cap);
/* The device+configuration descriptors the pod presents (sysfs), possibly
 * malformed by a fault; returns the length. */
size_t tendo_pod_emu_sysfs_descriptors(tendo_pod_emu *pod, uint8_t *out, size_t cap);

/* What the bus should do with a bulk IN request. */
typedef enum tendo_pod_emu_in {
    TENDO_POD_EMU_IN_DATA = 0,   /* *n bytes were written: complete the transfer */
    TENDO_POD_EMU_IN_HOLD,       /* nothing to send now: keep the transfer pending */
    TENDO_POD_EMU_IN_UNPLUG,     /* *n bytes, then the pod drops off the bus */
    TENDO_POD_EMU_IN_RESET       /* *n bytes, then the pod resets (re-enumerates) */
} tendo_pod_emu_in;

/* Fills up to cap bytes of a bulk IN transfer on endpoint 0x81 from the
 * stream of the current READ. *n gets the bytes written. */
tendo_pod_emu_in tendo_pod_emu_bulk_in(tendo_pod_emu *pod, uint8_t *buf, size_t cap, size_t *n);

/* When a held bulk IN transfer may get data without any request (a stall
 * with an end): CLOCK_MONOTONIC µs, or 0. */
int64_t tendo_pod_emu_wake_us(const tendo_pod_emu *pod);

/* After bulk_in said UNPLUG or RESET: milliseconds until the pod is on the
 * bus again, or -1 for never. */
int tendo_pod_emu_replug_ms(const tendo_pod_emu *pod, int reset);

/* The pod lost power or was unplugged: the stream stops, queued frames are
 * gone (a reset also restarts the clock in a new epoch). */
void tendo_pod_emu_unplugged(tendo_pod_emu *pod);
void tendo_pod_emu_reset(tendo_pod_emu *pod, int64_t now_utc_us);

/* ------------------------------------------------------- persistent state */

/* Writes / reads what a pod keeps across power cycles (erased sessions,
 * clock epoch, anchor, clock origin) to/from DIR/<serial>.state. Reading a
 * missing file is not an error (a fresh pod). Writes are atomic (temporary
 * file, fsync, rename). */
int tendo_pod_emu_state_save(const tendo_pod_emu *pod, const char *dir, tendo_error *err);
int tendo_pod_emu_state_load(tendo_pod_emu *pod, const char *dir, tendo_error *err);
/* 1 once something a pod keeps has changed since the last save. */
int tendo_pod_emu_state_dirty(const tendo_pod_emu *pod);

#ifdef __cplusplus
}
#endif
#endif
