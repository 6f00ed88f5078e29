/*
 * report_page.h — the report's pages as one self-contained HTML document:
 * inline CSS (screen and print), inline SVG, no script, no external file or
 * address of any kind, every catalog text escaped.
 */
#ifndef TENDO_REPORT_PAGE_H
#define TENDO_REPORT_PAGE_H

#include "html_buf.h"
#include "report_data.h"

/* One athlete: summary, return-to-run checklist, charts, flags, capacity
 * tests, recent runs. */
void rp_athlete(html_buf *b, const rep_athlete *r);

/* The squad: athletes ranked by open flags (then high, then moderate
 * ones), each with their numbers, checklist and open flags. list is
 * reordered. */
void rp_squad(html_buf *b, rep_athlete *list, size_t n, int weeks);

#endif
