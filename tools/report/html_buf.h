/*
 * html_buf.h — building an HTML document in memory and publishing it.
 *
 * Everything that comes from outside the program (athlete names, notes,
 * flag sentences, ids) goes through hb_text/hb_textf, which escape & < > " '
 * so the text can sit in element content and in quoted attribute values
 * alike; hb_raw/hb_printf are for the report's own markup only.
 */
#ifndef TENDO_HTML_BUF_H
#define TENDO_HTML_BUF_H

#include <stddef.h>

#include "tendo_error.h"

typedef struct html_buf {
    char *s;
    size_t len, cap;
    int oom; /* an allocation failed: the document is incomplete */
} html_buf;

void hb_init(html_buf *b);
void hb_free(html_buf *b);
/* Appends trusted markup. */
void hb_raw(html_buf *b, const char *markup);
void hb_printf(html_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends text, escaped. */
void hb_text(html_buf *b, const char *text);
void hb_textf(html_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Writes the document to path: a temporary file beside it, flushed and
 * synced, then renamed, so a reader never sees half a report. An existing
 * path is refused (TENDO_ECANTCREAT) unless overwrite is set. */
int hb_publish(const html_buf *b, const char *path, int overwrite, tendo_error *err);

#endif
