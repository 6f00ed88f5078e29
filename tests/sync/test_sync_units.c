/*
 * Unit tests of the sync engine's pure parts and of its catalog functions
 * (real SQLite files): which recordings share a file, the ledger's states,
 * pods with their clock anchor. The end-to-end cases run under
 * tendo-podsim (sync_cases.py).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "sync_plan.h"
#include "tendo_catalog.h"
#include "tendo_catalog_sync.h"
#include "tendo_check.h"
#include "tendo_catalog_training.h"
#include "tendo_training.h"

#define MIN_US 60000000LL

static sync_item item(size_t pod, int right, const char *athlete, int64_t start_min,
                      int64_t end_min)
{
    sync_item it = {.pod = pod,
                    .right = right,
                    .athlete = athlete,
                    .start_us = start_min * MIN_US,
                    .end_us = end_min * MIN_US};
    return it;
}

/* Two runs recorded by both feet, a walk recorded only on the left, and a
 * right recording of another athlete overlapping the first run. */
static void test_pairs(void)
{
    sync_item it[] = {
        item(0, 0, "anna", 0, 60),    /* 0: run 1, left  */
        item(0, 0, "anna", 120, 150), /* 1: run 2, left  */
        item(0, 0, "anna", 300, 310), /* 2: walk, left only */
        item(1, 1, "anna", 1, 61),    /* 3: run 1, right */
        item(1, 1, "anna", 119, 149), /* 4: run 2, right */
        item(2, 1, "ben", 0, 60),     /* 5: ben's right pod, same time as run 1 */
    };
    size_t n = sizeof it / sizeof it[0];
    size_t groups = sync_plan_pairs(it, n);
    CHECK(groups == 4, "%zu groups", groups);
    CHECK(it[0].group == it[3].group, "run 1 paired");
    CHECK(it[1].group == it[4].group, "run 2 paired");
    CHECK(it[2].group != it[0].group && it[2].group != it[1].group, "walk alone");
    CHECK(it[5].group != it[0].group && it[5].group != it[2].group, "ben alone");
    /* time order: run 1 (and ben's, same start) first, the walk last */
    CHECK(it[0].group <= 1 && it[5].group <= 1, "first groups %zu %zu", it[0].group, it[5].group);
    CHECK(it[1].group == 2 && it[2].group == 3, "later groups %zu %zu", it[1].group, it[2].group);
}

/* A left recording overlapping two right ones takes the larger overlap;
 * the other right recording stays alone; never two of one pod together. */
static void test_best_overlap(void)
{
    sync_item it[] = {
        item(0, 0, "", 0, 100), item(1, 1, "", 90, 200), /* overlap 10 */
        item(1, 1, "", -50, 80),                         /* overlap 80 */
        item(0, 1, "", 0, 100), /* a "right" on pod 0: same pod, never paired */
    };
    size_t groups = sync_plan_pairs(it, 4);
    CHECK(groups == 3, "%zu groups", groups);
    CHECK(it[0].group == it[2].group, "largest overlap wins");
    CHECK(it[1].group != it[0].group && it[3].group != it[0].group, "others alone");
    /* touching spans (end == start) do not overlap */
    sync_item t2[] = {item(0, 0, "", 0, 10), item(1, 1, "", 10, 20)};
    CHECK(sync_plan_pairs(t2, 2) == 2, "touching spans are separate runs");
    CHECK(sync_plan_pairs(NULL, 0) == 0, "no recordings, no groups");
}

static void test_ledger(const char *scratch)
{
    char home[512];
    snprintf(home, sizeof home, "%s/home-ledger", scratch);
    char cmd[1100];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", home);
    CHECK(system(cmd) == 0);
    tendo_error err;
    tendo_error_clear(&err);
    tendo_catalog *c = NULL;
    CHECK(tendo_catalog_open(home, &c, &err) == TENDO_OK, "%s", err.msg);
    if (!c)
        return;
    tendo_catalog_pod pod;
    CHECK(tendo_catalog_pod_get(c, "L01", &pod, &err) == 0, "unknown pod");
    CHECK(tendo_catalog_pod_seen(c, "L01", "left", "m", "1.0", &err) == TENDO_OK, "%s", err.msg);
    CHECK(tendo_catalog_pod_seen(c, "L01", "left", "m", "1.1", &err) == TENDO_OK, "%s", err.msg);
    CHECK(tendo_catalog_pod_get(c, "L01", &pod, &err) == 1);
    CHECK(!strcmp(pod.firmware, "1.1") && !strcmp(pod.side, "left") && !pod.has_clock &&
              !pod.athlete_id[0],
          "firmware %s side %s", pod.firmware, pod.side);
    CHECK(tendo_catalog_pod_set_clock(c, "L01", 9000000000ull, 1795246200000000LL, 1000000, &err) ==
              TENDO_OK,
          "%s", err.msg);
    CHECK(tendo_catalog_pod_get(c, "L01", &pod, &err) == 1);
    CHECK(pod.has_clock && pod.clock_ticks == 9000000000ull &&
              pod.clock_utc_us == 1795246200000000LL && pod.clock_tick_hz == 1000000,
          "anchor read back");
    /* an athlete must exist before pods are assigned */
    tendo_error_clear(&err);
    CHECK(tendo_catalog_pod_set_athlete(c, "L01", "anna", &err) == TENDO_ENOINPUT, "%s", err.msg);
    tendo_athlete a;
    memset(&a, 0, sizeof a);
    snprintf(a.id, sizeof a.id, "anna");
    snprintf(a.name, sizeof a.name, "Anna");
    CHECK(tendo_catalog_athlete_add(c, &a, &err) == TENDO_OK, "%s", err.msg);
    CHECK(tendo_catalog_pod_set_athlete(c, "L01", "anna", &err) == TENDO_OK, "%s", err.msg);
    CHECK(tendo_catalog_pod_get(c, "L01", &pod, &err) == 1 && !strcmp(pod.athlete_id, "anna"));

    /* the ledger: committed with its session in one transaction */
    tendo_ledger_entry e;
    CHECK(tendo_catalog_ledger_lookup(c, "L01", 7, 0xdeadbeef, &e, &err) == TENDO_LEDGER_NONE);
    tendo_catalog_session s;
    memset(&s, 0, sizeof s);
    snprintf(s.id, sizeof s.id, "0b0c7b3e-1111-4222-8333-444455556666");
    snprintf(s.path, sizeof s.path, "%s/sessions/x.h5", home);
    snprintf(s.athlete_id, sizeof s.athlete_id, "anna");
    snprintf(s.start_utc, sizeof s.start_utc, "2026-11-21T07:30:00Z");
    snprintf(s.source, sizeof s.source, "sync");
    tendo_ledger_entry in = {
        .pod_serial = "L01", .pod_session = 7, .crc32 = 0xdeadbeef, .bytes = 12345678901ull};
    snprintf(in.session_id, sizeof in.session_id, "%s", s.id);
    CHECK(tendo_catalog_begin(c, &err) == TENDO_OK);
    CHECK(tendo_catalog_session_add(c, &s, &err) == TENDO_OK, "%s", err.msg);
    CHECK(tendo_catalog_ledger_record(c, &in, &err) == TENDO_OK, "%s", err.msg);
    CHECK(tendo_catalog_commit(c, &err) == TENDO_OK, "%s", err.msg);
    CHECK(tendo_catalog_ledger_lookup(c, "L01", 7, 0xdeadbeef, &e, &err) == TENDO_LEDGER_COMMITTED,
          "committed");
    CHECK(e.bytes == 12345678901ull && e.crc32 == 0xdeadbeef && !strcmp(e.session_id, s.id),
          "entry read back: %llu %08x %s", (unsigned long long)e.bytes, e.crc32, e.session_id);
    /* same recording with another checksum is another recording */
    CHECK(tendo_catalog_ledger_lookup(c, "L01", 7, 0xdeadbeee, &e, &err) == TENDO_LEDGER_NONE);
    /* recording it twice is refused, nothing changes */
    tendo_error_clear(&err);
    CHECK(tendo_catalog_ledger_record(c, &in, &err) == TENDO_EDATA, "duplicate refused");
    CHECK(strstr(err.msg, "already in the sync ledger") != NULL, "%s", err.msg);
    /* a rolled-back transaction leaves no ledger row */
    tendo_ledger_entry in2 = in;
    in2.pod_session = 8;
    CHECK(tendo_catalog_begin(c, &err) == TENDO_OK);
    CHECK(tendo_catalog_ledger_record(c, &in2, &err) == TENDO_OK, "%s", err.msg);
    tendo_catalog_rollback(c);
    CHECK(tendo_catalog_ledger_lookup(c, "L01", 8, 0xdeadbeef, &e, &err) == TENDO_LEDGER_NONE,
          "rolled back");

    tendo_ledger_entry *list = NULL;
    size_t n = 0;
    CHECK(tendo_catalog_ledger_unerased(c, "L01", &list, &n, &err) == TENDO_OK);
    CHECK(n == 1 && list && list[0].pod_session == 7, "%zu unerased", n);
    free(list);
    CHECK(tendo_catalog_ledger_mark_erased(c, "L01", 7, 0xdeadbeef, &err) == TENDO_OK);
    CHECK(tendo_catalog_ledger_lookup(c, "L01", 7, 0xdeadbeef, &e, &err) == TENDO_LEDGER_ERASED);
    CHECK(tendo_catalog_ledger_unerased(c, "L01", &list, &n, &err) == TENDO_OK && n == 0);
    free(list);
    CHECK(tendo_catalog_check(c, &err) == TENDO_OK, "%s", err.msg);
    tendo_catalog_close(c);
}

/* A merge retires a one-pod session: what referred to it moves to the new
 * one (ledger row, capacity test, flag and its review under the id the same
 * flag has on the new session), the old row goes; claims give athlete-less
 * sessions to the pod's athlete, never an owned one. */
static void test_retire(const char *scratch)
{
    char home[1024];
    snprintf(home, sizeof home, "%s/retire", scratch);
    char cmd[1100];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", home);
    CHECK(system(cmd) == 0);
    tendo_error err;
    tendo_error_clear(&err);
    tendo_catalog *c = NULL;
    CHECK(tendo_catalog_open(home, &c, &err) == TENDO_OK, "%s", err.msg);
    if (!c)
        return;
    tendo_athlete a;
    memset(&a, 0, sizeof a);
    snprintf(a.id, sizeof a.id, "anna");
    CHECK(tendo_catalog_athlete_add(c, &a, &err) == TENDO_OK, "%s", err.msg);
    CHECK(tendo_catalog_pod_seen(c, "L1", "left", "m", "1", &err) == TENDO_OK);
    CHECK(tendo_catalog_pod_seen(c, "R1", "right", "m", "1", &err) == TENDO_OK);
    const char *old_id = "00000000-0000-4000-8000-000000000001";
    const char *new_id = "00000000-0000-4000-8000-000000000002";
    const char *free_id = "00000000-0000-4000-8000-000000000003";
    const char *ids[3] = {old_id, free_id, new_id};
    const char *who[3] = {"anna", "", "anna"};
    for (int i = 0; i < 3; i++) {
        tendo_catalog_session s;
        memset(&s, 0, sizeof s);
        snprintf(s.id, sizeof s.id, "%s", ids[i]);
        snprintf(s.path, sizeof s.path, "%s/sessions/%d.h5", home, i);
        snprintf(s.athlete_id, sizeof s.athlete_id, "%s", who[i]);
        snprintf(s.start_utc, sizeof s.start_utc, "2026-11-2%dT07:30:00Z", i);
        snprintf(s.source, sizeof s.source, "sync");
        s.duration_s = 600;
        tendo_ledger_entry le = {.pod_serial = "L1", .pod_session = (uint32_t)i + 1, .crc32 = 7};
        snprintf(le.session_id, sizeof le.session_id, "%s", ids[i]);
        CHECK(tendo_catalog_begin(c, &err) == TENDO_OK);
        CHECK(tendo_catalog_session_add(c, &s, &err) == TENDO_OK, "%s", err.msg);
        if (i < 2)
            CHECK(tendo_catalog_ledger_record(c, &le, &err) == TENDO_OK, "%s", err.msg);
        CHECK(tendo_catalog_commit(c, &err) == TENDO_OK, "%s", err.msg);
    }
    /* lone sessions of the left pod: anna's and the athlete-less one */
    tendo_catalog_synced *lone = NULL;
    size_t n = 0;
    CHECK(tendo_catalog_sync_lone(c, "left", "anna", &lone, &n, &err) == TENDO_OK, "%s", err.msg);
    CHECK(n == 1 && !strcmp(lone[0].session_id, old_id) && lone[0].rec.pod_session == 1 &&
              lone[0].duration_s == 600,
          "%zu lone sessions of anna", n);
    free(lone);
    CHECK(tendo_catalog_sync_lone(c, "left", "", &lone, &n, &err) == TENDO_OK);
    CHECK(n == 1 && !strcmp(lone[0].session_id, free_id), "%zu without athlete", n);
    free(lone);
    CHECK(tendo_catalog_sync_lone(c, "right", "anna", &lone, &n, &err) == TENDO_OK && n == 0);
    free(lone);
    /* a flag on the old session with a review, and a capacity test */
    char path[1100];
    snprintf(path, sizeof path, "%s/catalog.sqlite", home);
    sqlite3 *db = NULL;
    CHECK(sqlite3_open(path, &db) == SQLITE_OK);
    int day = 0;
    CHECK(tendo_tr_date_parse("2026-11-20", &day, NULL) == TENDO_OK);
    char fid[TENDO_TR_FLAG_ID_LEN], fresh[TENDO_TR_FLAG_ID_LEN];
    tendo_tr_flag_id("anna", "long_run", day, old_id, fid);
    tendo_tr_flag_id("anna", "long_run", day, new_id, fresh);
    char sql[1024];
    snprintf(
        sql, sizeof sql,
        "INSERT INTO flags VALUES ('%s','anna','long_run','2026-11-20','%s','high',1,1,'m','x');"
        "INSERT INTO capacity_tests (athlete_id, date, session_id, added_utc) VALUES "
        "('anna','2026-11-20','%s','x');",
        fid, old_id, old_id);
    CHECK(sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK, "%s", sqlite3_errmsg(db));
    CHECK(tendo_catalog_flag_ack(c, fid, "seen", &err) == TENDO_OK, "%s", err.msg);
    CHECK(tendo_catalog_begin(c, &err) == TENDO_OK);
    CHECK(tendo_catalog_session_retire(c, old_id, new_id, &err) == TENDO_OK, "%s", err.msg);
    CHECK(tendo_catalog_commit(c, &err) == TENDO_OK);
    struct {
        const char *sql;
        const char *want;
    } q[] = {{"SELECT count(*) FROM sessions WHERE id = ?1", "0"},
             {"SELECT session_id FROM sync_ledger WHERE pod_session = 1 AND ?1 != ''", new_id},
             {"SELECT session_id FROM capacity_tests WHERE ?1 != ''", new_id},
             {"SELECT id FROM flags WHERE session_id != ?1", fresh},
             {"SELECT flag_id || note FROM flag_reviews WHERE ?1 != ''", NULL}};
    char review[64];
    snprintf(review, sizeof review, "%sseen", fresh);
    q[4].want = review;
    for (size_t i = 0; i < sizeof q / sizeof *q; i++) {
        sqlite3_stmt *st = NULL;
        snprintf(sql, sizeof sql, "%s", q[i].sql);
        CHECK(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK, "%s", sql);
        sqlite3_bind_text(st, 1, old_id, -1, SQLITE_STATIC);
        const char *got =
            st && sqlite3_step(st) == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : NULL;
        CHECK(got && !strcmp(got, q[i].want), "%s: %s, want %s", sql, got ? got : "(none)",
              q[i].want);
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
    tendo_error_clear(&err);
    CHECK(tendo_catalog_session_retire(c, old_id, new_id, &err) == TENDO_ENOINPUT, "%s", err.msg);
    /* claims: only the athlete-less session, once */
    tendo_catalog_synced *got = NULL;
    CHECK(tendo_catalog_sync_claim(c, "L1", "anna", &got, &n, &err) == TENDO_OK, "%s", err.msg);
    CHECK(n == 1 && !strcmp(got[0].session_id, free_id) && !strcmp(got[0].athlete_id, "anna"),
          "%zu claimed", n);
    free(got);
    CHECK(tendo_catalog_sync_claim(c, "L1", "anna", &got, &n, &err) == TENDO_OK && n == 0);
    free(got);
    CHECK(tendo_catalog_check(c, &err) == TENDO_OK, "%s", err.msg);
    tendo_catalog_close(c);
}

int main(int argc, char **argv)
{
    const char *scratch = argc > 2 ? argv[2] : ".";
    mkdir(scratch, 0755);
    const char *only = argc > 1 ? argv[1] : "all";
    if (!strcmp(only, "all") || !strcmp(only, "pairs")) {
        test_pairs();
        test_best_overlap();
    }
    if (!strcmp(only, "all") || !strcmp(only, "ledger"))
        test_ledger(scratch);
    if (!strcmp(only, "all") || !strcmp(only, "retire"))
        test_retire(scratch);
    return tendo_check_report("test_sync_units");
}
