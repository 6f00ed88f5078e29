/*
 * test_catalog_core.c — the catalog's core API against a real SQLite file:
 * creation and schema version, WAL, athletes, sessions registered once,
 * transactions that roll back, the home lookup order.
 *
 * usage: test_catalog_core SCRATCH_DIR
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>

#include "tendo_catalog.h"
#include "tendo_check.h"

static int count(const char *dbpath, const char *sql)
{
    sqlite3 *db;
    if (sqlite3_open_v2(dbpath, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        return -1;
    sqlite3_stmt *st;
    int n = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

static tendo_catalog_session session(const char *id, const char *path, const char *athlete,
                                     const char *start, char *summary)
{
    tendo_catalog_session s;
    memset(&s, 0, sizeof s);
    snprintf(s.id, sizeof s.id, "%s", id);
    snprintf(s.path, sizeof s.path, "%s", path);
    snprintf(s.athlete_id, sizeof s.athlete_id, "%s", athlete);
    snprintf(s.start_utc, sizeof s.start_utc, "%s", start);
    snprintf(s.source, sizeof s.source, "simulate");
    s.duration_s = 1800;
    s.summary_json = summary;
    return s;
}

static void test_home(void)
{
    char out[256];
    tendo_error e = {0};
    setenv("TENDO_HOME", "/t/home", 1);
    setenv("XDG_DATA_HOME", "/t/xdg", 1);
    CHECK(tendo_catalog_home("/t/override", out, sizeof out, &e) == TENDO_OK);
    CHECK(!strcmp(out, "/t/override"), "%s", out);
    CHECK(tendo_catalog_home(NULL, out, sizeof out, &e) == TENDO_OK && !strcmp(out, "/t/home"));
    unsetenv("TENDO_HOME");
    CHECK(tendo_catalog_home("", out, sizeof out, &e) == TENDO_OK && !strcmp(out, "/t/xdg/tendo"),
          "%s", out);
    unsetenv("XDG_DATA_HOME");
    setenv("HOME", "/t/user", 1);
    CHECK(tendo_catalog_home(NULL, out, sizeof out, &e) == TENDO_OK &&
              !strcmp(out, "/t/user/.local/share/tendo"),
          "%s", out);
    char tiny[8];
    CHECK(tendo_catalog_home("/a/very/long/path", tiny, sizeof tiny, &e) == TENDO_EUSAGE);
}

static void test_dates_ids(void)
{
    CHECK(tendo_catalog_date_ok("2026-02-28"));
    CHECK(tendo_catalog_date_ok("2024-02-29"));
    CHECK(!tendo_catalog_date_ok("2026-02-29"));
    CHECK(!tendo_catalog_date_ok("2026-13-01"));
    CHECK(!tendo_catalog_date_ok("2026-1-01"));
    CHECK(!tendo_catalog_date_ok("2026-01-01x"));
    CHECK(!tendo_catalog_date_ok("2026/01/01"));
    CHECK(tendo_catalog_id_ok("ann.b-2_x"));
    CHECK(!tendo_catalog_id_ok(""));
    CHECK(!tendo_catalog_id_ok("ann b"));
    CHECK(!tendo_catalog_id_ok("ann/b"));
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s SCRATCH_DIR\n", argv[0]);
        return 2;
    }
    char home[512], dbpath[600], cmd[2400];
    snprintf(home, sizeof home, "%s/home/deeper", argv[1]);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", argv[1]);
    if (system(cmd) != 0)
        return 2;
    test_home();
    test_dates_ids();

    tendo_error e = {0};
    tendo_catalog *c = NULL;
    CHECK(tendo_catalog_open(home, &c, &e) == TENDO_OK, "%s", e.msg);
    if (!c)
        return tendo_check_report("catalog_core");
    snprintf(dbpath, sizeof dbpath, "%s/catalog.sqlite", home);
    CHECK(!strcmp(tendo_catalog_path(c), dbpath));
    CHECK(count(dbpath, "PRAGMA user_version") == TENDO_CATALOG_SCHEMA_VERSION);
    CHECK(count(dbpath, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN "
                        "('athletes','pods','sessions','sync_ledger','diary','flags',"
                        "'flag_reviews','capacity_tests')") == 8);

    /* athletes */
    tendo_athlete a = {.id = "ann", .name = "Ann Runner", .mass_kg = 61.5};
    strcpy(a.injured_side, "left");
    CHECK(tendo_catalog_athlete_add(c, &a, &e) == TENDO_OK, "%s", e.msg);
    tendo_error_clear(&e);
    CHECK(tendo_catalog_athlete_add(c, &a, &e) == TENDO_EDATA);
    CHECK(strstr(e.msg, "already exists"), "%s", e.msg);
    tendo_athlete bad = {.id = "bad id", .mass_kg = 60};
    tendo_error_clear(&e);
    CHECK(tendo_catalog_athlete_add(c, &bad, &e) == TENDO_EUSAGE);
    tendo_athlete heavy = {.id = "heavy", .mass_kg = 400};
    tendo_error_clear(&e);
    CHECK(tendo_catalog_athlete_add(c, &heavy, &e) == TENDO_EUSAGE && strstr(e.msg, "20-300"));
    tendo_athlete side = {.id = "s", .mass_kg = 70};
    strcpy(side.injured_side, "both");
    tendo_error_clear(&e);
    CHECK(tendo_catalog_athlete_add(c, &side, &e) == TENDO_EUSAGE);
    tendo_athlete got;
    tendo_error_clear(&e);
    CHECK(tendo_catalog_athlete_get(c, "ann", &got, &e) == TENDO_OK);
    CHECK(!strcmp(got.name, "Ann Runner") && got.mass_kg == 61.5 &&
          !strcmp(got.injured_side, "left") && got.created_utc[0]);
    tendo_error_clear(&e);
    CHECK(tendo_catalog_athlete_get(c, "nobody", &got, &e) == TENDO_ENOINPUT);
    CHECK(strstr(e.msg, "no athlete 'nobody'"), "%s", e.msg);
    a.mass_kg = 60;
    a.injured_side[0] = '\0';
    tendo_error_clear(&e);
    CHECK(tendo_catalog_athlete_update(c, &a, &e) == TENDO_OK, "%s", e.msg);
    CHECK(tendo_catalog_athlete_get(c, "ann", &got, &e) == TENDO_OK && got.mass_kg == 60 &&
          got.injured_side[0] == '\0');
    tendo_athlete ghost = {.id = "ghost"};
    tendo_error_clear(&e);
    CHECK(tendo_catalog_athlete_update(c, &ghost, &e) == TENDO_ENOINPUT);
    tendo_athlete bob = {.id = "bob", .name = "Bob"};
    CHECK(tendo_catalog_athlete_add(c, &bob, &e) == TENDO_OK);
    tendo_athlete *list;
    size_t n;
    CHECK(tendo_catalog_athlete_list(c, &list, &n, &e) == TENDO_OK && n == 2);
    CHECK(n == 2 && !strcmp(list[0].id, "ann") && !strcmp(list[1].id, "bob") &&
          list[1].mass_kg == 0);
    free(list);

    /* sessions: once by id, once by path */
    char sum[] = "{\"distance_m\": 5000, \"achilles_load\": 4000}";
    tendo_catalog_session s1 =
        session("id-1", "/data/run1.h5", "ann", "2026-03-02T07:00:00Z", sum);
    tendo_error_clear(&e);
    CHECK(tendo_catalog_session_add(c, &s1, &e) == TENDO_OK, "%s", e.msg);
    tendo_error_clear(&e);
    CHECK(tendo_catalog_session_add(c, &s1, &e) == TENDO_EDATA);
    CHECK(strstr(e.msg, "already registered") && strstr(e.msg, "nothing was added"), "%s", e.msg);
    tendo_catalog_session s1b =
        session("id-other", "/data/run1.h5", "ann", "2026-03-02T07:00:00Z", sum);
    tendo_error_clear(&e);
    CHECK(tendo_catalog_session_add(c, &s1b, &e) == TENDO_EDATA && strstr(e.msg, "id-1"), "%s",
          e.msg);
    tendo_catalog_session s1c =
        session("id-1", "/data/copy-of-run1.h5", "ann", "2026-03-02T07:00:00Z", sum);
    tendo_error_clear(&e);
    CHECK(tendo_catalog_session_add(c, &s1c, &e) == TENDO_EDATA && strstr(e.msg, "run1.h5"));
    tendo_catalog_session s_ghost =
        session("id-2", "/data/run2.h5", "nobody", "2026-03-03T07:00:00Z", sum);
    tendo_error_clear(&e);
    CHECK(tendo_catalog_session_add(c, &s_ghost, &e) == TENDO_ENOINPUT);
    tendo_catalog_session s_rel = session("id-3", "run3.h5", "ann", "2026-03-03T07:00:00Z", sum);
    tendo_error_clear(&e);
    CHECK(tendo_catalog_session_add(c, &s_rel, &e) == TENDO_EUSAGE);
    char notobj[] = "[1, 2]";
    tendo_catalog_session s_arr =
        session("id-4", "/data/run4.h5", "ann", "2026-03-03T07:00:00Z", notobj);
    tendo_error_clear(&e);
    CHECK(tendo_catalog_session_add(c, &s_arr, &e) == TENDO_EDATA);
    char broken[] = "{\"distance_m\": ";
    tendo_catalog_session s_bad =
        session("id-5", "/data/run5.h5", "ann", "2026-03-03T07:00:00Z", broken);
    tendo_error_clear(&e);
    CHECK(tendo_catalog_session_add(c, &s_bad, &e) == TENDO_EDATA, "%s", e.msg);
    CHECK(count(dbpath, "SELECT count(*) FROM sessions") == 1);
    CHECK(tendo_catalog_session_exists(c, "id-1", NULL, &e) == 1);
    CHECK(tendo_catalog_session_exists(c, "zzz", "/data/run1.h5", &e) == 1);
    CHECK(tendo_catalog_session_exists(c, "zzz", "/zzz", &e) == 0);

    /* a transaction that rolls back leaves nothing; one that commits keeps both */
    tendo_catalog_session s2 =
        session("id-2", "/data/run2.h5", "ann", "2026-03-05T18:00:00Z", sum);
    tendo_catalog_session s3 =
        session("id-3", "/data/run3.h5", "bob", "2026-03-04T18:00:00Z", NULL);
    tendo_error_clear(&e);
    CHECK(tendo_catalog_begin(c, &e) == TENDO_OK);
    CHECK(tendo_catalog_session_add(c, &s2, &e) == TENDO_OK);
    tendo_catalog_rollback(c);
    CHECK(count(dbpath, "SELECT count(*) FROM sessions") == 1);
    CHECK(tendo_catalog_begin(c, &e) == TENDO_OK);
    CHECK(tendo_catalog_session_add(c, &s2, &e) == TENDO_OK);
    CHECK(tendo_catalog_session_add(c, &s3, &e) == TENDO_OK);
    CHECK(tendo_catalog_session_add(c, &s1, &e) == TENDO_EDATA); /* fails alone, tx lives on */
    tendo_error_clear(&e);
    CHECK(tendo_catalog_commit(c, &e) == TENDO_OK, "%s", e.msg);
    CHECK(count(dbpath, "SELECT count(*) FROM sessions") == 3);

    tendo_catalog_session *ss;
    CHECK(tendo_catalog_session_list(c, "ann", NULL, NULL, &ss, &n, &e) == TENDO_OK && n == 2);
    CHECK(n == 2 && !strcmp(ss[0].id, "id-1") && !strcmp(ss[1].id, "id-2") &&
          ss[0].summary_json && strstr(ss[0].summary_json, "4000") && ss[0].duration_s == 1800);
    tendo_catalog_sessions_free(ss, n);
    CHECK(tendo_catalog_session_list(c, NULL, "2026-03-04", "2026-03-04", &ss, &n, &e) ==
              TENDO_OK &&
          n == 1 && !strcmp(ss[0].id, "id-3") && ss[0].summary_json == NULL);
    tendo_catalog_sessions_free(ss, n);

    CHECK(tendo_catalog_check(c, &e) == TENDO_OK, "%s", e.msg);
    tendo_catalog_close(c);

    /* reopen: same data, no second migration; WAL mode persisted */
    CHECK(tendo_catalog_open(home, &c, &e) == TENDO_OK, "%s", e.msg);
    CHECK(tendo_catalog_athlete_get(c, "ann", &got, &e) == TENDO_OK);
    tendo_catalog_close(c);
    CHECK(count(dbpath, "SELECT count(*) FROM sessions") == 3);
    sqlite3 *db;
    sqlite3_open(dbpath, &db);
    sqlite3_stmt *st;
    sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL);
    CHECK(sqlite3_step(st) == SQLITE_ROW && !strcmp((const char *)sqlite3_column_text(st, 0), "wal"));
    sqlite3_finalize(st);
    /* a catalog from the future is refused, not damaged */
    sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL);
    sqlite3_close(db);
    tendo_error_clear(&e);
    CHECK(tendo_catalog_open(home, &c, &e) == TENDO_EDATA && c == NULL);
    CHECK(strstr(e.msg, "newer"), "%s", e.msg);
    /* a file that is not a database */
    char junk[600];
    snprintf(junk, sizeof junk, "%s/junk", argv[1]);
    snprintf(cmd, sizeof cmd,
             "mkdir -p '%s' && printf 'not a database at all, no%%0100d' 0 > '%s/catalog.sqlite'",
             junk, junk);
    CHECK(system(cmd) == 0);
    tendo_error_clear(&e);
    CHECK(tendo_catalog_open(junk, &c, &e) == TENDO_EDATA && c == NULL, "%d %s", e.code, e.msg);
    /* home is a file */
    tendo_error_clear(&e);
    snprintf(junk, sizeof junk, "%s/junk/catalog.sqlite", argv[1]);
    CHECK(tendo_catalog_open(junk, &c, &e) == TENDO_ECANTCREAT && c == NULL, "%d %s", e.code, e.msg);
    return tendo_check_report("catalog_core");
}
