/*
 * batch_output.h — the files a batch leaves in its output folder, each
 * written whole under a temporary name, fsync'ed and renamed into place (a
 * crash leaves the previous version or the new one, never a torn file):
 *
 *   summary.csv   one row per session: file, pair, format, athlete,
 *                 session_id, start_time_utc, status, then the fields of
 *                 `tendo analyze --json` (quality flattened, notes joined
 *                 by " | "), then steps_file with --steps
 *   failures.csv  file, exit_code, class, message: one row per failed session
 *   steps/NAME.csv  with --steps: each session's steps, as analyze --steps-csv
 *   run.json      version, parameters, counts (written by batch_run.c)
 *
 * Rows follow the order of the entries given (sorted by file): the same
 * whatever the number of workers or ranks.
 */
#ifndef TENDO_BATCH_OUTPUT_H
#define TENDO_BATCH_OUTPUT_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "tendo_error.h"

/* Writes data to path crash-safely (temporary name, fsync, rename, fsync of
 * the folder). TENDO_ECANTCREAT / TENDO_EIO on failure, path untouched. */
int batch_write_atomic(const char *path, const char *data, size_t len, tendo_error *err);
/* fsyncs the folder holding path (so a rename or creation in it is durable). */
int batch_fsync_dir_of(const char *path, tendo_error *err);

/* The steps file name (relative to the output folder) of a session:
 * "steps/<name without .h5/.csv>-<8 hex digits of CRC-32 of file>.csv" —
 * short, and distinct for distinct paths with one base name. */
void batch_steps_name(const char *file, char *out, size_t size);

/* summary.csv and failures.csv of entries[0..n) (journal entries, or NULL
 * for a session not finished: status "pending") in dir; names[] are the
 * sessions' files (for the pending ones). */
int batch_write_tables(const char *dir, cJSON *const *entries, const char *const *names, size_t n,
                       int steps, tendo_error *err);

/* A double as the shortest text that reads back as the same double. */
void batch_format_double(double v, char *out, size_t size);

#endif
