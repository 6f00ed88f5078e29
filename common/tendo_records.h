/*
 * tendo_records.h — an append-only list of fixed-size records behind a
 * table of functions, so a library that owns the records (the analysis
 * session's strides) need not know where they are kept. The caller
 * chooses: tendo_records_memory (in memory, grows with the list) or
 * tendo_spill_records (tendo_spill.h: bounded memory, older records in a
 * temporary file). That keeps file use out of analysis/, which stays pure
 * computation, while the command line keeps its memory flat.
 */
#ifndef TENDO_RECORDS_H
#define TENDO_RECORDS_H

#include <stddef.h>

#include "tendo_error.h"

typedef struct tendo_records_ops {
    /* A new empty list of records of rec_size bytes (> 0). */
    int (*open)(void **list, size_t rec_size, tendo_error *err);
    void (*close)(void *list); /* NULL is allowed */
    size_t (*count)(const void *list);
    /* Appends one record (copied). */
    int (*push)(void *list, const void *rec, tendo_error *err);
    /* Copies record i (< count) to rec. */
    int (*get)(void *list, size_t i, void *rec, tendo_error *err);
} tendo_records_ops;

/* Records in one growing array in memory: no file, no limit. */
extern const tendo_records_ops tendo_records_memory;

#endif
