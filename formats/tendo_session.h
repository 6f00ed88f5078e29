/*
 * tendo_session.h — the tendo session file (HDF5): streaming writer,
 * streaming reader and validator. Layout: formats/SESSION.md.
 *
 * Writing is crash-safe: tendo_writer_open() creates a hidden temporary file
 * beside the final name; tendo_writer_commit() flushes it, checks it against
 * what was appended (sample counts, every stored chunk read back raw against
 * the CRC-32 of the chunk as compressed and verified, each dataset's first
 * chunk decoded by HDF5), fsyncs, and only then renames it into place. A
 * reader never sees half a file.
 *
 * The writer compresses chunks on worker threads (TENDO_WRITER_THREADS, else
 * the online CPUs, at most 4; formats/SESSION.md) and makes every HDF5 call
 * on the caller's thread: one writer is used by one thread at a time.
 *
 * Memory stays flat: the writer holds one chunk per dataset being filled
 * plus at most workers + 2 being compressed, and the reader reads whatever
 * window the caller asks for.
 *
 * Errors follow common/tendo_error.h. Bad files give TENDO_EDATA (exit 65)
 * with the file, dataset and sample index in the message.
 */
#ifndef TENDO_SESSION_H
#define TENDO_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "tendo_error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TENDO_FORMAT_NAME "tendo.session"
#define TENDO_FORMAT_VERSION 1
#define TENDO_MAX_PODS 8
/* Samples per HDF5 chunk along time. Readers that ask for windows of this
 * size (or a multiple), aligned to it, decompress each chunk exactly once:
 * bench_session measured 0.36 s against 0.80 s for half-chunk windows on a
 * one-hour two-pod session. */
#define TENDO_SESSION_CHUNK_ROWS 131072

typedef enum tendo_side { TENDO_SIDE_LEFT = 0, TENDO_SIDE_RIGHT = 1 } tendo_side;
typedef enum tendo_placement { TENDO_PLACEMENT_FOOT = 0, TENDO_PLACEMENT_SHANK = 1 } tendo_placement;
/* How accel/gyro are stored: raw int16 counts × conversion, or float32 SI. */
typedef enum tendo_storage { TENDO_STORE_INT16 = 0, TENDO_STORE_FLOAT32 = 1 } tendo_storage;

/* Bits of the per-sample status dataset. */
enum {
    TENDO_STATUS_ACCEL_CLIPPED = 1u << 0, /* an accel axis is at the sensor's range */
    TENDO_STATUS_GYRO_CLIPPED = 1u << 1,  /* a gyro axis is at the sensor's range */
    TENDO_STATUS_GAP_BEFORE = 1u << 2     /* samples are missing before this one */
};

/* Root attributes. Strings are NUL-terminated. */
typedef struct tendo_session_meta {
    char session_id[40];     /* UUID; when empty the writer derives one from the
                                content (start, athlete, pods, every sample's
                                CRC-32), so one recording always gets one id */
    char athlete_id[64];     /* may be empty */
    int64_t start_time_us;   /* reference time, µs since the Unix epoch (UTC);
                                all "seconds" in /analysis and /truth count from it */
    char source[16];         /* "sync", "import" or "simulate" */
    char software_version[32]; /* filled in by the writer; read back by the reader */
} tendo_session_meta;

/* One pod (sensor): attributes of /sensors/<serial>/. */
typedef struct tendo_pod_meta {
    char serial[64];         /* [A-Za-z0-9_.-]+, also the group name */
    tendo_side side;
    tendo_placement placement;
    double sample_rate_hz;   /* nominal rate; > 0 */
    char model[64];
    char firmware[32];
    double accel_range_g;    /* full scale ±g; 0 when unknown */
    double gyro_range_dps;   /* full scale ±°/s; 0 when unknown or no gyro */
    int has_gyro;            /* 0 for accelerometer-only data */
    tendo_storage storage;
    double accel_conversion; /* m/s² per stored unit (1.0 for float32) */
    double gyro_conversion;  /* rad/s per stored unit (1.0 for float32) */
} tendo_pod_meta;

/*
 * A window of samples of one pod. Row-major: accel[3*i + axis].
 * For the writer and tendo_reader_read_raw, accel/gyro point to int16_t or
 * float according to the pod's storage; for tendo_reader_read_si they point
 * to float in SI units. gyro and status may be NULL (no gyro / all zero).
 */
typedef struct tendo_block {
    size_t n;
    int64_t *time_us;
    void *accel;
    void *gyro;
    uint8_t *status;
} tendo_block;

/* Fills a tendo_pod_meta with defaults: foot, 1000 Hz, int16, ±32 g,
 * ±4000 °/s and the matching conversions, gyro present. */
void tendo_pod_meta_default(tendo_pod_meta *pod);

/* Formats 16 bytes as a UUID string ("xxxxxxxx-xxxx-4xxx-8xxx-…"), setting
 * the RFC 4122 version-4 and variant bits. */
void tendo_session_id_format(const uint8_t bytes[16], char out[40]);

/* Formats µs since the epoch as ISO 8601 UTC ("2026-11-21T07:30:00.000000Z"). */
void tendo_time_format_iso(int64_t time_us, char *out, size_t out_size);
/* Parses ISO 8601 ("2026-11-21T07:30:00Z", fractional seconds and ±hh:mm
 * offsets accepted; a bare date means midnight UTC). TENDO_EUSAGE if malformed. */
int tendo_time_parse_iso(const char *text, int64_t *time_us, tendo_error *err);

/* ---------------------------------------------------------------- writer */

typedef struct tendo_writer tendo_writer;

/* Starts a session that will appear at final_path on commit. Refuses an
 * existing final_path (TENDO_ECANTCREAT) unless overwrite is non-zero. */
int tendo_writer_open(tendo_writer **out, const char *final_path,
                      const tendo_session_meta *meta, int overwrite, tendo_error *err);

/* Starts a rewrite of the existing session at path that keeps its recording
 * and replaces /analysis: a temporary copy beside it holds everything but
 * /analysis (compressed chunks copied as they are); the caller adds tables
 * and attributes; commit checks that the copy's pods, attributes and sample
 * counts match and that every raw dataset's stored chunks are byte for byte
 * the original's (a CRC-32 over the compressed chunks as stored, read
 * without decompressing), then renames the copy over it. A crash at any
 * point leaves the original untouched. The recording is carried over, not
 * re-validated (tendo_validate does that). Pods cannot be added or
 * appended in this mode. */
int tendo_writer_open_update(tendo_writer **out, const char *path, tendo_error *err);

/* Adds a pod; its index (0, 1, ...) is written to *pod_index. */
int tendo_writer_add_pod(tendo_writer *w, const tendo_pod_meta *pod, size_t *pod_index,
                         tendo_error *err);

/* Appends samples to a pod. Time must increase strictly across calls;
 * float data must be finite. Any block size works. */
int tendo_writer_append(tendo_writer *w, size_t pod_index, const tendo_block *blk,
                        tendo_error *err);

/* Column types of a compound table (see tendo_writer_put_table). */
typedef enum tendo_col_type {
    TENDO_COL_F64, TENDO_COL_F32, TENDO_COL_I64, TENDO_COL_I32, TENDO_COL_U8,
    TENDO_COL_STR16   /* char[16], NUL-padded ASCII: categories like "run" */
} tendo_col_type;

typedef struct tendo_column {
    const char *name;   /* field name as h5py/pandas will show it */
    tendo_col_type type;
    size_t offset;      /* offsetof(row struct, member) */
} tendo_column;

/* Writes a compound table at path (e.g. "/truth/L123/steps"), creating
 * parent groups. rows is an array of nrows structs of row_size bytes. */
int tendo_writer_put_table(tendo_writer *w, const char *path, const tendo_column *cols,
                           size_t ncols, const void *rows, size_t row_size, size_t nrows,
                           tendo_error *err);

/* Sets a string or double attribute on a group (created when missing). */
int tendo_writer_put_attr_str(tendo_writer *w, const char *group, const char *name,
                              const char *value, tendo_error *err);
int tendo_writer_put_attr_f64(tendo_writer *w, const char *group, const char *name,
                              double value, tendo_error *err);

/* Flushes, verifies by re-reading, fsyncs and renames into place. The
 * writer is freed whatever the outcome; on failure nothing appears under
 * the final name and the temporary file is removed. */
int tendo_writer_commit(tendo_writer *w, tendo_error *err);

/* Drops the session: removes the temporary file, frees the writer. */
void tendo_writer_abort(tendo_writer *w);

/* ---------------------------------------------------------------- reader */

typedef struct tendo_reader tendo_reader;

/* Opens a session file and checks its structure: format name and version,
 * every pod's attributes, dataset types, shapes and matching lengths.
 * Per-sample content is checked by tendo_validate. */
int tendo_reader_open(tendo_reader **out, const char *path, tendo_error *err);
/* The same for a whole file held in memory (image[0, size), copied by
 * HDF5's core driver; nothing touches the disk). name only labels messages.
 * Used by the fuzz targets (fuzz/) and for files that arrive as bytes. */
int tendo_reader_open_image(tendo_reader **out, const void *image, size_t size,
                            const char *name, tendo_error *err);
void tendo_reader_close(tendo_reader *r);

const tendo_session_meta *tendo_reader_meta(const tendo_reader *r);
size_t tendo_reader_pod_count(const tendo_reader *r);
const tendo_pod_meta *tendo_reader_pod(const tendo_reader *r, size_t pod_index);
int64_t tendo_reader_sample_count(const tendo_reader *r, size_t pod_index);
/* 1 if the HDF5 object at path (a group like "/analysis") exists. */
int tendo_reader_exists(const tendo_reader *r, const char *path);

/* Reads samples [first, first + blk->n) of a pod in their stored type.
 * The caller owns the buffers; a NULL member is skipped. */
int tendo_reader_read_raw(tendo_reader *r, size_t pod_index, int64_t first,
                          tendo_block *blk, tendo_error *err);
/* The same, converted to float SI units (m/s², rad/s). */
int tendo_reader_read_si(tendo_reader *r, size_t pod_index, int64_t first,
                         tendo_block *blk, tendo_error *err);

/* Split reading, for a thread per pod (tools/analyze/analyze_pipe.c): HDF5
 * calls stay in one thread (tendo_reader_cursor, tendo_reader_fetch: the
 * stored, compressed chunks a window needs), while the decompression and
 * the conversion to SI run in the thread that calls tendo_cursor_read_si.
 * A cursor reads one pod's windows in order, each fetched once and read
 * once, in the same order; the results and messages are those of
 * tendo_reader_read_si. A fetch holds one window's stored bytes (a chunk
 * fetched for one window is decoded when that window is read, and kept by
 * the cursor for the next). The reader must outlive its cursors. */
typedef struct tendo_pod_cursor tendo_pod_cursor;
typedef struct tendo_fetch tendo_fetch;
int tendo_reader_cursor(tendo_reader *r, size_t pod_index, int want_gyro,
                        tendo_pod_cursor **out, tendo_error *err);
void tendo_cursor_free(tendo_pod_cursor *c);
int tendo_fetch_new(tendo_fetch **out, tendo_error *err);
void tendo_fetch_free(tendo_fetch *f);
/* Fetches samples [first, first + n) (the window after the last fetched). */
int tendo_reader_fetch(tendo_reader *r, tendo_pod_cursor *c, int64_t first, size_t n,
                       tendo_fetch *f, tendo_error *err);
/* Decodes a fetched window into blk (blk->n = n; time_us, accel and status
 * required, gyro when the cursor wants it), in float SI units. No HDF5. */
int tendo_cursor_read_si(tendo_pod_cursor *c, const tendo_fetch *f, tendo_block *blk,
                         tendo_error *err);

/* Reads a whole compound table into rows described by cols (fields may be
 * a subset of the file's). *rows_out is malloc'ed; *nrows_out rows. */
int tendo_reader_get_table(tendo_reader *r, const char *path, const tendo_column *cols,
                           size_t ncols, size_t row_size, void **rows_out, size_t *nrows_out,
                           tendo_error *err);

/* ------------------------------------------------------------- validator */

typedef struct tendo_pod_report {
    int64_t samples;
    int64_t first_time_us;  /* time of the first and last sample */
    int64_t last_time_us;
    double duration_s;      /* last − first sample time */
    int64_t gaps;           /* intervals > 1.5 × nominal period, or GAP_BEFORE flags */
    double gap_s;           /* total time missing in gaps */
    int64_t accel_clipped;  /* samples flagged or at the full-scale value */
    int64_t gyro_clipped;
    double measured_rate_hz;
} tendo_pod_report;

typedef struct tendo_report {
    size_t pods;
    tendo_pod_report pod[TENDO_MAX_PODS];
    int has_analysis;
    int has_truth;
} tendo_report;

/* Streams every sample of every pod: structure as tendo_reader_open, then
 * time strictly increasing, finite float values. Fills report (may be NULL). */
int tendo_validate(const char *path, tendo_report *report, tendo_error *err);
/* tendo_validate of a file image in memory (see tendo_reader_open_image). */
int tendo_validate_image(const void *image, size_t size, const char *name,
                         tendo_report *report, tendo_error *err);

/* ---------------------------------------------------------------- probe */

/* Checks a session file from outside in a separate, limited process before
 * this process touches it: the child (this program re-executed) runs the
 * reader's structural checks and walks every chunk index, then opens every
 * object, reads every attribute, decodes the first chunk of each sample
 * dataset and all of every other dataset through HDF5's filters, under
 * RLIMIT_CPU, RLIMIT_AS and a wall-clock timeout, so a file that crashes or
 * hangs libhdf5 itself takes only the child with it. The samples are not
 * decoded there: the reader decodes them itself, bounded per chunk. With a
 * report, tendo_validate then runs in this process (every sample). Returns
 * TENDO_OK, the checks' own error, or TENDO_EDATA saying the library
 * crashed, ran out of time or memory on the file. Limits: 20 s + 2 s per
 * MiB of CPU, 1 GiB of address space; the environment variables
 * TENDO_PROBE_SECONDS and TENDO_PROBE_MEMORY_MB override them. Costs a
 * process start and a few percent of a read (SECURITY.md). Files tendo
 * itself wrote and verified need no probe. */
int tendo_probe(const char *path, tendo_report *report, tendo_error *err);
/* tendo_probe, then tendo_reader_open: the way to open a file from outside. */
int tendo_reader_open_untrusted(tendo_reader **out, const char *path, tendo_error *err);

#ifdef __cplusplus
}
#endif
#endif
