/*
 * catalog_flags.c — flags as computed from the catalog, and their review.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog_internal.h"
#include "tendo_catalog_training.h"

int tendo_catalog_flags_refresh(tendo_catalog *c, const char *athlete_id,
                                const tendo_tr_config *cfg, tendo_error *err)
{
    tendo_tr_result *r;
    int rc = tendo_catalog_training(c, athlete_id, cfg, NULL, NULL, &r, err);
    if (rc != TENDO_OK)
        return rc;
    if ((rc = cat_savepoint(c, err)) != TENDO_OK) {
        tendo_tr_result_free(r);
        return rc;
    }
    sqlite3_stmt *del = cat_prepare(c, "DELETE FROM flags WHERE athlete_id = ?1", err);
    sqlite3_stmt *ins = cat_prepare(c,
                                    "INSERT INTO flags (id, athlete_id, rule, date, session_id, "
                                    "severity, value, threshold, message, computed_utc) VALUES "
                                    "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                                    err);
    if (!del || !ins)
        rc = err ? err->code : TENDO_EINTERNAL;
    char now[32];
    tendo_catalog_now_utc(now);
    if (rc == TENDO_OK) {
        sqlite3_bind_text(del, 1, athlete_id, -1, SQLITE_TRANSIENT);
        int src = sqlite3_step(del);
        if (src != SQLITE_DONE)
            rc = cat_fail(c, src, "replacing flags", err);
    }
    for (size_t i = 0; rc == TENDO_OK && i < r->nflags; i++) {
        const tendo_tr_flag *f = &r->flags[i];
        char date[11];
        tendo_tr_date_format(f->day, date);
        sqlite3_reset(ins);
        sqlite3_bind_text(ins, 1, f->id, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(ins, 2, athlete_id, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(ins, 3, f->rule, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(ins, 4, date, -1, SQLITE_TRANSIENT);
        cat_bind_text_or_null(ins, 5, f->session);
        sqlite3_bind_text(ins, 6, tendo_tr_severity_name(f->severity), -1, SQLITE_STATIC);
        sqlite3_bind_double(ins, 7, f->value);
        sqlite3_bind_double(ins, 8, f->threshold);
        sqlite3_bind_text(ins, 9, f->message, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(ins, 10, now, -1, SQLITE_TRANSIENT);
        int src = sqlite3_step(ins);
        if (src != SQLITE_DONE)
            rc = cat_fail(c, src, "storing flags", err);
    }
    sqlite3_finalize(del);
    sqlite3_finalize(ins);
    tendo_tr_result_free(r);
    if (rc == TENDO_OK)
        return cat_release(c, err);
    cat_undo(c);
    return rc;
}

static tendo_tr_severity severity_of(const char *s)
{
    return !strcmp(s, "high")       ? TENDO_TR_HIGH
           : !strcmp(s, "moderate") ? TENDO_TR_MODERATE
                                    : TENDO_TR_LOW;
}

static int row_to_flag(sqlite3_stmt *st, void *row)
{
    tendo_catalog_flag *f = row;
    cat_column_text(st, 0, f->flag.id, sizeof f->flag.id);
    cat_column_text(st, 1, f->athlete_id, sizeof f->athlete_id);
    cat_column_text(st, 2, f->flag.rule, sizeof f->flag.rule);
    cat_column_text(st, 3, f->date, sizeof f->date);
    tendo_tr_date_parse(f->date, &f->flag.day, NULL);
    cat_column_text(st, 4, f->flag.session, sizeof f->flag.session);
    char sev[16];
    cat_column_text(st, 5, sev, sizeof sev);
    f->flag.severity = severity_of(sev);
    f->flag.value = sqlite3_column_double(st, 6);
    f->flag.threshold = sqlite3_column_double(st, 7);
    cat_column_text(st, 8, f->flag.message, sizeof f->flag.message);
    f->reviewed = sqlite3_column_type(st, 9) != SQLITE_NULL;
    cat_column_text(st, 9, f->review_note, sizeof f->review_note);
    cat_column_text(st, 10, f->reviewed_utc, sizeof f->reviewed_utc);
    return 0;
}

int tendo_catalog_flags_list(tendo_catalog *c, const char *athlete_id, const char *since,
                             tendo_catalog_flag **out, size_t *n, tendo_error *err)
{
    const char *const params[] = {athlete_id, since};
    void *rows;
    int rc =
        cat_list(c,
                 "SELECT f.id, f.athlete_id, f.rule, f.date, f.session_id, f.severity, f.value, "
                 "f.threshold, f.message, r.note, r.reviewed_utc FROM flags f "
                 "LEFT JOIN flag_reviews r ON r.flag_id = f.id "
                 "WHERE (?1 IS NULL OR f.athlete_id = ?1) AND (?2 IS NULL OR f.date >= ?2) "
                 "ORDER BY f.athlete_id, f.date, f.rule, f.id",
                 params, 2, sizeof **out, row_to_flag, NULL, &rows, n, "listing flags", err);
    *out = rows;
    return rc;
}

int tendo_catalog_flag_ack(tendo_catalog *c, const char *flag_id, const char *note,
                           tendo_error *err)
{
    if (!note || !note[strspn(note, " \t\r\n")])
        return tendo_error_set(err, TENDO_EUSAGE,
                               "a review needs a note (what was decided, e.g. \"talked to her, "
                               "easy week\")");
    if (strlen(note) > TENDO_DIARY_NOTE_MAX)
        return tendo_error_set(err, TENDO_EUSAGE, "the note is longer than %d characters",
                               TENDO_DIARY_NOTE_MAX);
    sqlite3_stmt *st = cat_prepare(c, "SELECT athlete_id FROM flags WHERE id = ?1", err);
    if (!st)
        return err ? err->code : TENDO_EINTERNAL;
    sqlite3_bind_text(st, 1, flag_id ? flag_id : "", -1, SQLITE_TRANSIENT);
    char athlete[64] = "";
    int src = sqlite3_step(st);
    if (src == SQLITE_ROW)
        cat_column_text(st, 0, athlete, sizeof athlete);
    sqlite3_finalize(st);
    if (src == SQLITE_DONE)
        return tendo_error_set(err, TENDO_ENOINPUT,
                               "no flag '%s' in the catalog; list them with 'tendo flags "
                               "--athlete ID'",
                               flag_id ? flag_id : "");
    if (src != SQLITE_ROW)
        return cat_fail(c, src, "looking up the flag", err);
    st = cat_prepare(c,
                     "INSERT INTO flag_reviews (flag_id, athlete_id, note, reviewed_utc) "
                     "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (flag_id) DO UPDATE SET "
                     "note = excluded.note, reviewed_utc = excluded.reviewed_utc",
                     err);
    if (!st)
        return err ? err->code : TENDO_EINTERNAL;
    char now[32];
    tendo_catalog_now_utc(now);
    sqlite3_bind_text(st, 1, flag_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, athlete, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, note, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, now, -1, SQLITE_TRANSIENT);
    src = sqlite3_step(st);
    sqlite3_finalize(st);
    return src == SQLITE_DONE ? TENDO_OK : cat_fail(c, src, "recording the review", err);
}
