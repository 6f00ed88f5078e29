/*
 * catalog_cli.h — what the catalog commands (athlete, add, diary, load,
 * flags) share: opening the catalog of --home, the training config, and
 * JSON for numbers and flags.
 */
#ifndef TENDO_CATALOG_CLI_H
#define TENDO_CATALOG_CLI_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "tendo_catalog.h"
#include "tendo_catalog_training.h"

/* The --home option's help line, the same in every command. */
#define CCLI_HOME_HELP                                                                             \
    "  --home DIR         the tendo home holding catalog.sqlite (default $TENDO_HOME,\n"           \
    "                     else $XDG_DATA_HOME/tendo, else ~/.local/share/tendo)\n"

/* Resolves the home (--home value or NULL) into home[cap] and opens the
 * catalog; on failure prints the message and returns the exit code. */
int ccli_open(const char *cmd, const char *home_opt, char *home, size_t cap, tendo_catalog **c);

/* The training config of home (defaults + HOME/training.json); on failure
 * prints and returns the exit code. */
int ccli_config(const char *cmd, const char *home, tendo_tr_config *cfg);

/* Adds a number, or null when it is not finite. */
void ccli_json_num(cJSON *o, const char *name, double v);
/* Adds a 0-10 score, or null when negative (not given). */
void ccli_json_score(cJSON *o, const char *name, int v);

/* A flag as JSON: id, rule, date, session (null for day rules), severity,
 * value, threshold, message, athlete, reviewed, review_note, reviewed_utc. */
cJSON *ccli_flag_json(const tendo_catalog_flag *f);

/* After new sessions or diary days: recomputes the flags of each athlete
 * named in athletes[0..n) (once each) and prints that athlete's unreviewed
 * flags dated dates[k] or on session sessions[k] (either may be NULL) of
 * one of its rows; only flags of `rule` unless it is NULL. Text: one line
 * per flag; JSON: one object per athlete, {"athlete", "new_flags": [...]}. */
int ccli_show_new_flags(tendo_catalog *c, const char *home, const char *const *athletes,
                        const char *const *dates, const char *const *sessions, size_t n,
                        const char *rule, int json, tendo_error *err);

/* Sessions of athlete_id registered without a summary (by sync): their
 * count (0 also on error), and a sentence saying what to do in note[cap]
 * ("" when none). */
size_t ccli_pending_note(tendo_catalog *c, const char *athlete_id, char *note, size_t cap);

/* Parses a 0-10 whole-number score option; prints a usage error and
 * returns 64 if it is not one. */
int ccli_parse_score(const char *cmd, const char *option, const char *text, int *out);

#endif
