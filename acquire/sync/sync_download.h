/*
 * sync_download.h — one pod session from a pod into a session writer,
 * through a resumable spool (internal to the sync engine).
 *
 * Three threads overlap the work so a download runs at the link's speed:
 * the caller's thread drives USB (libusb asynchronous transfers, several
 * in flight) and only copies bytes; a decode thread reassembles and checks
 * frames (CRC, inflate), appends each verified block to the spool and
 * unpacks it into samples with UTC times; a write thread appends them to
 * the HDF5 writer (shuffle + deflate). Queues between them are bounded,
 * so memory is flat in the length of the run.
 *
 * The spool (HOME/spool/pod-SERIAL/session-ID.bin) holds the session's
 * content exactly as verified, block after block. After a crash or an
 * unplug the next attempt replays it into the writer and READs from its
 * end (PROTOCOL.md 6), so the final content is bit-exact. The finished
 * content must match LIST's size, CRC-32, block and sample counts.
 */
#ifndef TENDO_SYNC_DOWNLOAD_H
#define TENDO_SYNC_DOWNLOAD_H

#include <stdint.h>

#include "pod_protocol.h"
#include "pod_usb.h"
#include "tendo_error.h"
#include "tendo_session.h"

/* Called now and then from the USB thread with the bytes verified so far
 * of this session (resumed bytes included). */
typedef void (*sync_progress_fn)(void *ctx, uint64_t done);

typedef struct sync_download {
    /* in */
    tendo_usb_pod *pod;
    tendo_usb *usb;
    const tendo_pod_session *session;
    uint32_t tick_hz;
    const tendo_pod_clock_map *map;
    int allow_zlib;
    const char *spool_path;
    tendo_writer *writer;
    size_t pod_index;
    sync_progress_fn progress;
    void *progress_ctx;
    int replug_wait_ms; /* how long an unplugged pod may take to come back */
    /* out */
    uint64_t resumed_bytes; /* taken from the spool */
    uint64_t bytes;         /* content bytes verified */
    uint32_t crc32;         /* of those bytes, computed here */
    uint64_t samples;
    uint32_t blocks;
    int64_t first_us, last_us; /* UTC of the first and last sample */
    unsigned attempts;         /* READs sent */
} sync_download;

/* Runs the download to the end of the session, resuming from the spool and
 * retrying READ after link faults (bad CRC, gaps, timeouts) as long as
 * each retry makes progress. On failure the spool keeps every verified
 * byte for the next run; nothing is erased here. */
int sync_download_run(sync_download *d, tendo_error *err);

#endif
