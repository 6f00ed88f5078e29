/*
 * batch_journal.h — the journal of a batch: one JSON line per finished
 * session, appended and fsync'ed before the session counts as done, so a
 * batch stopped in any way (Ctrl-C, SIGKILL, power loss) knows exactly what
 * it finished. The batch's outputs are rebuilt from it.
 *
 * A line cut short by a crash is recognised (no newline, or not JSON) and
 * cut off before the next append. A session redone later appends a newer
 * line; the last line of a file wins.
 */
#ifndef TENDO_BATCH_JOURNAL_H
#define TENDO_BATCH_JOURNAL_H

#include <cjson/cJSON.h>

#include "tendo_error.h"

#define BATCH_JOURNAL_NAME "journal.jsonl"

typedef struct batch_journal batch_journal;

/* Opens (creating) the journal at path for appending; fresh = 1 empties
 * it first. *entries (may be NULL) receives a cJSON array of its entries
 * (objects with a "file"), oldest first. */
int batch_journal_open(const char *path, int fresh, batch_journal **out, cJSON **entries,
                       tendo_error *err);
/* Appends one entry (a JSON text without newlines) and fsyncs. */
int batch_journal_append(batch_journal *j, const char *entry, tendo_error *err);
void batch_journal_close(batch_journal *j);

/* Reads a journal without changing it (merging shards). */
int batch_journal_load(const char *path, cJSON **entries, tendo_error *err);

#endif
