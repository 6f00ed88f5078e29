/*
 * pod_emu_internal.h — the emulated pod's state, shared by the modules of
 * acquire/emu/ (model, loader, faults, state file). Not a public API.
 */
#ifndef TENDO_POD_EMU_INTERNAL_H
#define TENDO_POD_EMU_INTERNAL_H

#include <stdint.h>

#include "pod_emu.h"
#include "pod_emu_fault.h"

/* One session in the pod's flash. The content (the blocks of PROTOCOL.md
 * section 4, exactly the bytes LIST's size and crc32 describe) is held in
 * memory: it is the pod's flash, 13 bytes a sample (a 2-hour 1000 Hz
 * session is ~94 MB). Frames are built from it lazily, one at a time. */
typedef struct emu_session {
    tendo_pod_session entry; /* the LIST entry */
    uint8_t *content;
    uint64_t *block_off; /* entry.blocks + 1 offsets: block k is [off[k], off[k+1]) */
    int erased;
    char *path; /* the file it came from (messages) */
} emu_session;

/* A file queued by add_file, encoded by start once the clock is known. */
typedef struct emu_file {
    char *path;
    int64_t first_us; /* time of its first sample of this side */
} emu_file;

struct tendo_pod_emu {
    tendo_pod_emu_config cfg;
    emu_file *files;
    size_t nfiles;
    emu_session *s;
    size_t ns;
    uint32_t next_id; /* session ids are never reused */
    char model[TENDO_POD_TEXT_MAX + 1];
    char firmware[TENDO_POD_TEXT_MAX + 1];
    uint8_t placement;

    /* Clock: ticks = d + round(d × drift), d = µs since power-on (epoch). */
    uint32_t epoch;
    int64_t power_on_us;
    int anchored;
    uint64_t anchor_ticks;
    int64_t anchor_utc_us;

    tendo_pod_error_reply last_error; /* for GET_ERROR; cleared when read */

    /* The stream of the current READ. */
    int streaming;        /* 1 while frames remain to be sent */
    size_t cur;           /* session index */
    uint32_t block;       /* next block to frame */
    uint32_t seq;         /* its sequence number */
    int allow_zlib;
    int last_sent;        /* the LAST frame has been queued */
    uint64_t frame_no;    /* frames built since READ */
    uint8_t *frame;       /* the frame being sent: TENDO_POD_FRAME_MAX_SIZE */
    size_t frame_len, frame_pos;
    uint8_t *held;        /* a frame held back by a reorder fault */
    size_t held_len;

    /* Faults (pod_emu_fault.h) and what they left pending. */
    tendo_podsim_fault *faults;
    size_t nfaults;
    int mute;             /* answers nothing */
    int64_t stall_until;  /* monotonic µs; INT64_MAX: until the next READ; 0: none */
    int dup_pending;      /* send the current frame once more */
    size_t cut_at;        /* unplug or reset after this many bytes of the frame */
    int cut_reset;

    int replug_ms; /* after the fault that fired last: -1 never */
    int dirty;     /* state to save */
};

/* Pod clock at a UTC in the current epoch (may be before power-on: 0). */
uint64_t emu_ticks(const tendo_pod_emu *pod, int64_t utc_us);

/* Reads the file's `side` sensor and appends it to the flash as session
 * `id` stamped with the pod clock (pod_emu_load.c). */
int emu_load_session(tendo_pod_emu *pod, const char *path, uint32_t id, tendo_error *err);

#endif
