/*
 * catalog_athlete.c — the athletes table.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "catalog_internal.h"

static int athlete_ok(const tendo_athlete *a, tendo_error *err)
{
    if (!tendo_catalog_id_ok(a->id))
        return tendo_error_set(err, TENDO_EUSAGE,
                               "athlete id '%s' is not valid: use 1-63 letters, digits, '_', "
                               "'.' or '-'",
                               a->id);
    if (a->mass_kg != 0 && !(a->mass_kg >= 20 && a->mass_kg <= 300))
        return tendo_error_set(err, TENDO_EUSAGE, "body mass %g kg is out of range (20-300 kg)",
                               a->mass_kg);
    if (a->injured_side[0] && strcmp(a->injured_side, "left") && strcmp(a->injured_side, "right"))
        return tendo_error_set(err, TENDO_EUSAGE, "injured side is 'left' or 'right', not '%s'",
                               a->injured_side);
    return TENDO_OK;
}

static int bind_fields(sqlite3_stmt *st, const tendo_athlete *a)
{
    int rc = sqlite3_bind_text(st, 1, a->id, -1, SQLITE_TRANSIENT);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_text(st, 2, a->name, -1, SQLITE_TRANSIENT);
    if (rc == SQLITE_OK)
        rc = a->mass_kg > 0 ? sqlite3_bind_double(st, 3, a->mass_kg) : sqlite3_bind_null(st, 3);
    if (rc == SQLITE_OK)
        rc = cat_bind_text_or_null(st, 4, a->injured_side);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_text(st, 5, a->notes, -1, SQLITE_TRANSIENT);
    return rc;
}

int tendo_catalog_athlete_add(tendo_catalog *c, const tendo_athlete *a, tendo_error *err)
{
    int rc = athlete_ok(a, err);
    if (rc != TENDO_OK)
        return rc;
    tendo_athlete old;
    rc = tendo_catalog_athlete_get(c, a->id, &old, NULL);
    if (rc == TENDO_OK)
        return tendo_error_set(err, TENDO_EDATA,
                               "athlete '%s' already exists (%s); change it with "
                               "'tendo athlete set %s ...'",
                               a->id, old.name[0] ? old.name : "no name", a->id);
    sqlite3_stmt *st = cat_prepare(c,
                                   "INSERT INTO athletes (id, name, mass_kg, injured_side, notes, "
                                   "created_utc) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                                   err);
    if (!st)
        return err ? err->code : TENDO_EINTERNAL;
    char now[32];
    tendo_catalog_now_utc(now);
    int src = bind_fields(st, a);
    if (src == SQLITE_OK)
        src = sqlite3_bind_text(st, 6, now, -1, SQLITE_TRANSIENT);
    if (src == SQLITE_OK)
        src = sqlite3_step(st);
    sqlite3_finalize(st);
    return src == SQLITE_DONE ? TENDO_OK : cat_fail(c, src, "adding the athlete", err);
}

int tendo_catalog_athlete_update(tendo_catalog *c, const tendo_athlete *a, tendo_error *err)
{
    int rc = athlete_ok(a, err);
    if (rc != TENDO_OK)
        return rc;
    sqlite3_stmt *st = cat_prepare(c,
                                   "UPDATE athletes SET name = ?2, mass_kg = ?3, "
                                   "injured_side = ?4, notes = ?5 WHERE id = ?1",
                                   err);
    if (!st)
        return err ? err->code : TENDO_EINTERNAL;
    int src = bind_fields(st, a);
    if (src == SQLITE_OK)
        src = sqlite3_step(st);
    sqlite3_finalize(st);
    if (src != SQLITE_DONE)
        return cat_fail(c, src, "changing the athlete", err);
    if (sqlite3_changes(c->db) == 0)
        return tendo_error_set(err, TENDO_ENOINPUT,
                               "no athlete '%s' in the catalog; add one with 'tendo athlete add'",
                               a->id);
    return TENDO_OK;
}

static int row_to_athlete(sqlite3_stmt *st, void *row)
{
    tendo_athlete *a = row;
    memset(a, 0, sizeof *a);
    cat_column_text(st, 0, a->id, sizeof a->id);
    cat_column_text(st, 1, a->name, sizeof a->name);
    a->mass_kg = sqlite3_column_type(st, 2) == SQLITE_NULL ? 0 : sqlite3_column_double(st, 2);
    cat_column_text(st, 3, a->injured_side, sizeof a->injured_side);
    cat_column_text(st, 4, a->notes, sizeof a->notes);
    cat_column_text(st, 5, a->created_utc, sizeof a->created_utc);
    return 0;
}

#define ATHLETE_COLS "id, name, mass_kg, injured_side, notes, created_utc"

int tendo_catalog_athlete_get(tendo_catalog *c, const char *id, tendo_athlete *out,
                              tendo_error *err)
{
    sqlite3_stmt *st = cat_prepare(c, "SELECT " ATHLETE_COLS " FROM athletes WHERE id = ?1", err);
    if (!st)
        return err ? err->code : TENDO_EINTERNAL;
    sqlite3_bind_text(st, 1, id ? id : "", -1, SQLITE_TRANSIENT);
    int src = sqlite3_step(st), rc = TENDO_OK;
    if (src == SQLITE_ROW)
        row_to_athlete(st, out);
    else if (src == SQLITE_DONE)
        rc = tendo_error_set(err, TENDO_ENOINPUT,
                             "no athlete '%s' in the catalog; see 'tendo athlete list' or add one "
                             "with 'tendo athlete add %s --name NAME --mass KG'",
                             id ? id : "", id && tendo_catalog_id_ok(id) ? id : "ID");
    else
        rc = cat_fail(c, src, "reading the athlete", err);
    sqlite3_finalize(st);
    return rc;
}

int tendo_catalog_athlete_list(tendo_catalog *c, tendo_athlete **out, size_t *n, tendo_error *err)
{
    void *rows;
    int rc = cat_list(c, "SELECT " ATHLETE_COLS " FROM athletes ORDER BY id", NULL, 0, sizeof **out,
                      row_to_athlete, NULL, &rows, n, "listing athletes", err);
    *out = rows;
    return rc;
}
