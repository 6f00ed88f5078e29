/*
 * tendo_spill.h — an append-only list of fixed-size records in bounded
 * memory: the newest records stay in memory, older ones move to an unlinked
 * temporary file (tmpfile(): nothing is left behind, even after a crash) and
 * are read back on demand. For lists that grow with a recording's length
 * (the strides of a 4-hour session) where memory must not.
 *
 * Reads by index are cheap when they go forward or a little back (two
 * blocks of records read from the file are cached). Not thread-safe: one
 * list, one thread at a time.
 */
#ifndef TENDO_SPILL_H
#define TENDO_SPILL_H

#include <stddef.h>

#include "tendo_error.h"
#include "tendo_records.h"

/* Bytes of records a list keeps in memory by default; the environment
 * variable TENDO_SPILL_BYTES (a whole number >= 1) overrides it, e.g. so a
 * test can send every record through the file. */
#define TENDO_SPILL_DEFAULT_BYTES ((size_t)1 << 20)

typedef struct tendo_spill tendo_spill;

/* TENDO_EUSAGE if TENDO_SPILL_BYTES is set but not a whole number >= 1. */
int tendo_spill_new(tendo_spill **out, size_t rec_size, tendo_error *err);
void tendo_spill_free(tendo_spill *s);
size_t tendo_spill_count(const tendo_spill *s);
/* Appends one record. TENDO_EIO if the temporary file cannot be made or
 * written (a full disk), TENDO_EINTERNAL when out of memory. */
int tendo_spill_push(tendo_spill *s, const void *rec, tendo_error *err);
/* Copies record i (< count) to rec. TENDO_EIO if the file cannot be read. */
int tendo_spill_get(tendo_spill *s, size_t i, void *rec, tendo_error *err);

/* The spill list as a tendo_records_ops (tendo_records.h), e.g. for
 * tendo_an_session_options.records. */
extern const tendo_records_ops tendo_spill_records;

#endif
