/*
 * session_internal.h — pieces shared by the session writer, reader and
 * validator. Not installed; not part of the public API.
 */
#ifndef TENDO_SESSION_INTERNAL_H
#define TENDO_SESSION_INTERNAL_H

#include <hdf5.h>
#include <stdint.h>

#include "tendo_session.h"

/* Rows per chunk along time: 131072 × int64 = 1 MiB for `time`, 768 KiB
 * (int16) or 1.5 MiB (float32) for accel/gyro — DESIGN.md's "~1 MiB". */
#define TENDO_CHUNK_ROWS TENDO_SESSION_CHUNK_ROWS
/* zlib level 1, the fastest: on bench_session's 10-minute signal levels 4
 * and 6 made files only 1% and 6% smaller (build with
 * -DTENDO_DEFLATE_LEVEL=N to compare). */
#ifndef TENDO_DEFLATE_LEVEL
#define TENDO_DEFLATE_LEVEL 1
#endif
/* Reader chunk cache per dataset: one float32 accel chunk plus slack. */
#define TENDO_CHUNK_CACHE_BYTES (2u * 1024u * 1024u)
/* Upper bound on samples per pod accepted from a file: 2^36 (> 2 years at
 * 1000 Hz) keeps every size computation far from overflow. */
#define TENDO_MAX_SAMPLES ((int64_t)1 << 36)
/* Upper bound on rows of a compound table read into memory. */
#define TENDO_MAX_TABLE_ROWS ((size_t)1 << 26)

/* Link iteration changed signature in HDF5 1.12; Debian 12 ships 1.10. */
#if H5_VERSION_GE(1, 12, 0)
typedef H5L_info2_t tendo_link_info;
#define TENDO_ITERATE_LINKS H5Literate2
#else
typedef H5L_info_t tendo_link_info;
#define TENDO_ITERATE_LINKS H5Literate
#endif

/* Prepares HDF5 for tendo, once per process: silences its automatic error
 * printing and stops it from loading filter plugins a file names.
 * Idempotent. */
void tendo_h5_quiet(void);

/* Sets err like tendo_error_set and appends the innermost HDF5 error
 * description (e.g. the OS error from a failed write). Returns code. */
int tendo_h5_fail(tendo_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Attributes: scalar variable-length UTF-8 strings (what h5py writes and
 * reads back as str) and scalar numbers. */
int tendo_h5_put_str(hid_t obj, const char *name, const char *value);
int tendo_h5_put_f64(hid_t obj, const char *name, double value);
int tendo_h5_put_i64(hid_t obj, const char *name, int64_t value);
/* Reads a scalar string attribute (variable or fixed length) into out.
 * Returns 1 if read, 0 if absent, -1 if present but not a usable string. */
int tendo_h5_get_str(hid_t obj, const char *name, char *out, size_t out_size);
/* Reads a scalar numeric attribute. Returns 1, 0 if absent, -1 if unusable. */
int tendo_h5_get_f64(hid_t obj, const char *name, double *out);

/* A compound type of the given columns: packed (file) when packed != 0,
 * else laid out at the columns' offsets within row_size (memory). */
hid_t tendo_h5_compound(const tendo_column *cols, size_t ncols, size_t row_size, int packed);

/* Selects rows [first, first + n) (all cols) of a 1-D ([N]) or 2-D ([N,cols])
 * dataset: *fspace gets the file selection, *mspace a matching memory
 * space. The caller closes both. */
void tendo_h5_select_rows(hid_t ds, int64_t first, size_t n, int cols, hid_t *fspace,
                          hid_t *mspace);

/* Group creation property list without object timestamps, so the same
 * content gives the same bytes. Caller closes it. */
hid_t tendo_h5_gcpl(void);

/* Walks the chunk index of every pod dataset of an open reader before its
 * samples are decoded: each chunk inside the file and its stored size
 * within what the chunk shape allows (no inflating: the reader's own
 * decoder bounds each chunk to its shape as it reads; only datasets that
 * HDF5 must decode itself get a zlib pass first, in the reader). Used by
 * the validator and the sandboxed probe. */
int tendo_reader_check_chunks(tendo_reader *r, tendo_error *err);

/* Names. */
const char *tendo_side_name(tendo_side side);
const char *tendo_placement_name(tendo_placement placement);
/* 1 if serial is non-empty, at most 63 chars of [A-Za-z0-9_.-] and not "." or "..". */
int tendo_serial_is_valid(const char *serial);

#endif
