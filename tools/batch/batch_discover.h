/*
 * batch_discover.h — the session files named on the command line: files as
 * given, folders searched recursively for *.h5, in one deterministic order.
 */
#ifndef TENDO_BATCH_DISCOVER_H
#define TENDO_BATCH_DISCOVER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "tendo_error.h"

typedef struct batch_found {
    char *path;    /* as given, or folder + "/" + name */
    dev_t dev;     /* identity, to drop a file named twice */
    ino_t ino;
    int64_t size;
} batch_found;

/*
 * Collects the files of inputs[0..n). A named file is taken whatever its
 * name (it may be damaged: the batch records that); in a folder, files
 * ending in ".h5" are taken, hidden entries (".name", such as the temporary
 * files of a writer) are skipped, symbolic links to files are followed and
 * links to folders are not (no cycles). The folder skip_dir (the batch's
 * output, may be NULL) is never entered. The result is sorted by path
 * (bytewise) with repeats of one file removed. TENDO_ENOINPUT when an input
 * does not exist; TENDO_EIO when a folder cannot be read.
 */
int batch_discover(const char *const *inputs, size_t n, const char *skip_dir, batch_found **out,
                   size_t *nout, tendo_error *err);
void batch_found_free(batch_found *f, size_t n);

#endif
