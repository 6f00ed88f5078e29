/*
 * add_session.h — registering an analysed session file in the catalog, as
 * `tendo add` does; sync can call the same to store the same summary.
 */
#ifndef TENDO_ADD_SESSION_H
#define TENDO_ADD_SESSION_H

#include "analyze_run.h"
#include "tendo_session.h"
#include "tendo_catalog.h"

/* The summary stored in sessions.summary_json: the `tendo analyze --json`
 * object plus "training": {"speed_hist_bin_mps", "speed_hist_m" (running
 * distance per 0.25 m/s speed bin, so the high-speed threshold can change
 * later), "load_left_pct"}. malloc'ed; NULL when out of memory. */
char *tendo_add_summary_json(const tendo_analyze_result *r);

/* Fills a catalog session from the file's root attributes and its
 * analysis: id, absolute path, start, duration, source, summary;
 * athlete_id as given. s->summary_json is malloc'ed (free it). */
int tendo_add_session_record(const tendo_analyze_result *r, const tendo_session_meta *m,
                             const char *abs_path, const char *athlete_id,
                             tendo_catalog_session *s, tendo_error *err);

#endif
