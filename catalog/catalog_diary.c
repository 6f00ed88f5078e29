/*
 * catalog_diary.c — the symptom diary: one entry per athlete and day.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog_internal.h"
#include "tendo_catalog_training.h"

int tendo_catalog_diary_check(const tendo_diary_entry *e, tendo_error *err)
{
    if (!tendo_catalog_id_ok(e->athlete_id))
        return tendo_error_set(err, TENDO_EUSAGE, "athlete id '%s' is not valid", e->athlete_id);
    if (!tendo_catalog_date_ok(e->date))
        return tendo_error_set(err, TENDO_EUSAGE,
                               "date '%s' is not a date: use YYYY-MM-DD (e.g. 2026-03-14)",
                               e->date);
    const struct {
        const char *name;
        int v;
    } score[] = {{"pain", e->pain}, {"pain-24h", e->pain_24h}, {"stiffness", e->stiffness}};
    for (size_t i = 0; i < 3; i++)
        if (score[i].v < -1 || score[i].v > 10)
            return tendo_error_set(err, TENDO_EUSAGE,
                                   "%s %d is out of range: a whole number from 0 (none) to 10 "
                                   "(worst imaginable)",
                                   score[i].name, score[i].v);
    if (e->pain < 0 && e->pain_24h < 0 && e->stiffness < 0 && !e->note[0])
        return tendo_error_set(err, TENDO_EUSAGE,
                               "the diary entry for %s is empty: give --pain, --pain-24h, "
                               "--stiffness or --note",
                               e->date);
    return TENDO_OK;
}

static void bind_score(sqlite3_stmt *st, int i, int v)
{
    if (v >= 0)
        sqlite3_bind_int(st, i, v);
    else
        sqlite3_bind_null(st, i);
}

int tendo_catalog_diary_put(tendo_catalog *c, const tendo_diary_entry *e, tendo_error *err)
{
    int rc = tendo_catalog_diary_check(e, err);
    tendo_athlete a;
    if (rc == TENDO_OK)
        rc = tendo_catalog_athlete_get(c, e->athlete_id, &a, err);
    if (rc != TENDO_OK)
        return rc;
    /* given fields replace, missing ones keep what the day already has */
    sqlite3_stmt *st = cat_prepare(
        c,
        "INSERT INTO diary (athlete_id, date, pain, pain_24h, stiffness, note, updated_utc) "
        "VALUES (?1, ?2, ?3, ?4, ?5, coalesce(?6, ''), ?7) "
        "ON CONFLICT (athlete_id, date) DO UPDATE SET "
        "pain = coalesce(excluded.pain, pain), pain_24h = coalesce(excluded.pain_24h, pain_24h), "
        "stiffness = coalesce(excluded.stiffness, stiffness), "
        "note = CASE WHEN ?6 IS NULL THEN note ELSE ?6 END, updated_utc = excluded.updated_utc",
        err);
    if (!st)
        return err ? err->code : TENDO_EINTERNAL;
    char now[32];
    tendo_catalog_now_utc(now);
    sqlite3_bind_text(st, 1, e->athlete_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, e->date, -1, SQLITE_TRANSIENT);
    bind_score(st, 3, e->pain);
    bind_score(st, 4, e->pain_24h);
    bind_score(st, 5, e->stiffness);
    cat_bind_text_or_null(st, 6, e->note);
    sqlite3_bind_text(st, 7, now, -1, SQLITE_TRANSIENT);
    int src = sqlite3_step(st);
    sqlite3_finalize(st);
    return src == SQLITE_DONE ? TENDO_OK : cat_fail(c, src, "recording the diary", err);
}

static int row_to_entry(sqlite3_stmt *st, void *row)
{
    tendo_diary_entry *e = row;
    cat_column_text(st, 0, e->athlete_id, sizeof e->athlete_id);
    cat_column_text(st, 1, e->date, sizeof e->date);
    e->pain = sqlite3_column_type(st, 2) == SQLITE_NULL ? -1 : sqlite3_column_int(st, 2);
    e->pain_24h = sqlite3_column_type(st, 3) == SQLITE_NULL ? -1 : sqlite3_column_int(st, 3);
    e->stiffness = sqlite3_column_type(st, 4) == SQLITE_NULL ? -1 : sqlite3_column_int(st, 4);
    cat_column_text(st, 5, e->note, sizeof e->note);
    cat_column_text(st, 6, e->updated_utc, sizeof e->updated_utc);
    return 0;
}

int tendo_catalog_diary_list(tendo_catalog *c, const char *athlete_id, const char *from,
                             const char *to, tendo_diary_entry **out, size_t *n, tendo_error *err)
{
    const char *const params[] = {athlete_id, from, to};
    void *rows;
    int rc =
        cat_list(c,
                 "SELECT athlete_id, date, pain, pain_24h, stiffness, note, "
                 "updated_utc FROM diary WHERE (?1 IS NULL OR athlete_id = ?1) "
                 "AND (?2 IS NULL OR date >= ?2) AND (?3 IS NULL OR date <= ?3) "
                 "ORDER BY athlete_id, date",
                 params, 3, sizeof **out, row_to_entry, NULL, &rows, n, "reading the diary", err);
    *out = rows;
    return rc;
}
