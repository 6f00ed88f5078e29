/*
 * Session file library tests: bit-exact round trip across chunk borders,
 * SI conversion, tables and attributes, determinism, and the writer's
 * refusals (existing file, time not increasing, NaN, failed commit leaves
 * nothing behind), updates (kept recording, replaced /analysis, a damaged
 * copy detected).
 */
#define _GNU_SOURCE /* memmem */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <hdf5.h>

#include "tendo_session.h"
#include "tendo_check.h"


/* Deterministic pseudo-random numbers (xorshift64*). */
static uint64_t rng_state = 88172645463325252ULL;
static uint64_t rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ULL;
}

#define N_INT 300001 /* > 2 chunks of 131072 rows, ending mid-chunk */
#define N_FLT 70000

typedef struct sample_set {
    size_t n;
    int64_t *time;
    int16_t *a16, *g16;
    float *af, *gf;
    uint8_t *status;
} sample_set;

static void make_samples(sample_set *s, size_t n, int64_t t0, int64_t period_us)
{
    s->n = n;
    s->time = malloc(n * sizeof *s->time);
    s->a16 = malloc(3 * n * sizeof *s->a16);
    s->g16 = malloc(3 * n * sizeof *s->g16);
    s->af = malloc(3 * n * sizeof *s->af);
    s->gf = malloc(3 * n * sizeof *s->gf);
    s->status = malloc(n);
    int64_t t = t0;
    for (size_t i = 0; i < n; i++) {
        t += period_us + (int64_t)(rng() % 3); /* jitter: still increasing */
        s->time[i] = t;
        s->status[i] = (uint8_t)(rng() % 8);
        for (int k = 0; k < 3; k++) {
            s->a16[3 * i + k] = (int16_t)(rng() & 0xffff);
            s->g16[3 * i + k] = (int16_t)(rng() & 0xffff);
            s->af[3 * i + k] = (float)((double)(rng() % 2000001) / 1000.0 - 1000.0);
            s->gf[3 * i + k] = (float)((double)(rng() % 2000001) / 1e5 - 10.0);
        }
    }
}

static void free_samples(sample_set *s)
{
    free(s->time);
    free(s->a16);
    free(s->g16);
    free(s->af);
    free(s->gf);
    free(s->status);
}

typedef struct truth_row {
    double ic_s;
    int32_t index;
    char kind[16];
} truth_row;

static const tendo_column TRUTH_COLS[] = {
    {"ic_s", TENDO_COL_F64, offsetof(truth_row, ic_s)},
    {"index", TENDO_COL_I32, offsetof(truth_row, index)},
    {"kind", TENDO_COL_STR16, offsetof(truth_row, kind)},
};

static tendo_session_meta test_meta(void)
{
    tendo_session_meta m = {0};
    snprintf(m.session_id, sizeof m.session_id, "00000000-0000-4000-8000-000000000001");
    snprintf(m.athlete_id, sizeof m.athlete_id, "A01");
    snprintf(m.source, sizeof m.source, "simulate");
    m.start_time_us = 1763710200000000LL; /* 2025-11-21T07:30:00Z */
    return m;
}

/* Writes the int16 pod in irregular block sizes and the float pod in one. */
static int write_session(const char *path, const sample_set *a, const sample_set *b)
{
    tendo_error err = {0};
    tendo_writer *w = NULL;
    tendo_session_meta m = test_meta();
    if (tendo_writer_open(&w, path, &m, 1, &err) != TENDO_OK) {
        fprintf(stderr, "open: %s\n", err.msg);
        return -1;
    }
    tendo_pod_meta pa, pb;
    tendo_pod_meta_default(&pa);
    snprintf(pa.serial, sizeof pa.serial, "L0001");
    tendo_pod_meta_default(&pb);
    snprintf(pb.serial, sizeof pb.serial, "R0002");
    pb.side = TENDO_SIDE_RIGHT;
    pb.storage = TENDO_STORE_FLOAT32;
    pb.sample_rate_hz = 204.8;
    size_t ia, ib;
    int rc = tendo_writer_add_pod(w, &pa, &ia, &err) || tendo_writer_add_pod(w, &pb, &ib, &err);
    for (size_t done = 0; !rc && done < a->n;) {
        size_t take = 1 + rng() % 50000;
        if (take > a->n - done)
            take = a->n - done;
        tendo_block blk = {take, a->time + done, a->a16 + 3 * done, a->g16 + 3 * done,
                           a->status + done};
        rc = tendo_writer_append(w, ia, &blk, &err);
        done += take;
    }
    tendo_block blk = {b->n, b->time, b->af, b->gf, NULL};
    if (!rc)
        rc = tendo_writer_append(w, ib, &blk, &err);
    truth_row rows[3];
    memset(rows, 0xAB, sizeof rows); /* garbage in padding must not reach the file */
    for (int i = 0; i < 3; i++) {
        rows[i].ic_s = 0.5 * i;
        rows[i].index = i;
        snprintf(rows[i].kind, sizeof rows[i].kind, i ? "run" : "walk");
    }
    if (!rc)
        rc = tendo_writer_put_table(w, "/truth/L0001/steps", TRUTH_COLS, 3, rows,
                                    sizeof rows[0], 3, &err);
    if (!rc)
        rc = tendo_writer_put_attr_f64(w, "/truth", "distance_m", 1234.5, &err);
    if (!rc)
        rc = tendo_writer_commit(w, &err);
    else
        tendo_writer_abort(w);
    if (rc)
        fprintf(stderr, "write: %s\n", err.msg);
    return rc;
}

/* Split reading (tendo_reader_cursor/fetch, tendo_cursor_read_si): pod by
 * pod, consecutive windows of random sizes (within and across chunks, in
 * int16 and float storage) give exactly tendo_reader_read_si's samples. */
static void check_cursor(tendo_reader *r)
{
    tendo_error err = {0};
    for (size_t pod = 0; pod < tendo_reader_pod_count(r); pod++) {
        int64_t n = tendo_reader_sample_count(r, pod);
        size_t cap = 200000;
        int64_t *t1 = malloc(cap * sizeof *t1), *t2 = malloc(cap * sizeof *t2);
        float *a1 = malloc(3 * cap * sizeof *a1), *a2 = malloc(3 * cap * sizeof *a2);
        float *g1 = malloc(3 * cap * sizeof *g1), *g2 = malloc(3 * cap * sizeof *g2);
        uint8_t *s1 = malloc(cap), *s2 = malloc(cap);
        tendo_pod_cursor *c = NULL;
        tendo_fetch *f = NULL;
        CHECK(tendo_reader_cursor(r, pod, 1, &c, &err) == TENDO_OK);
        CHECK(tendo_fetch_new(&f, &err) == TENDO_OK);
        int same = 1, windows = 0;
        for (int64_t first = 0; c && f && first < n; windows++) {
            size_t k = 1 + rng() % (windows % 3 ? 1000 : cap);
            if ((int64_t)k > n - first)
                k = (size_t)(n - first);
            tendo_block b1 = {k, t1, a1, g1, s1}, b2 = {k, t2, a2, g2, s2};
            CHECK(tendo_reader_read_si(r, pod, first, &b1, &err) == TENDO_OK);
            CHECK(tendo_reader_fetch(r, c, first, k, f, &err) == TENDO_OK);
            CHECK(tendo_cursor_read_si(c, f, &b2, &err) == TENDO_OK);
            same &= !memcmp(t1, t2, k * sizeof *t1) && !memcmp(a1, a2, 3 * k * sizeof *a1) &&
                    !memcmp(g1, g2, 3 * k * sizeof *g1) && !memcmp(s1, s2, k);
            first += (int64_t)k;
        }
        CHECK(same && windows > 2);
        /* a window behind the last fetched one: its chunk was not fetched
         * again, so reading it is refused, not guessed */
        if (c && f && n > 2 * 131072) {
            tendo_pod_cursor *c2 = NULL;
            CHECK(tendo_reader_cursor(r, pod, 1, &c2, &err) == TENDO_OK);
            tendo_block b2 = {10, t2, a2, g2, s2};
            CHECK(c2 && tendo_reader_fetch(r, c2, 131072 + 5, 10, f, &err) == TENDO_OK);
            CHECK(c2 && tendo_reader_fetch(r, c2, 0, 10, f, &err) == TENDO_OK);
            tendo_error e2 = {0};
            CHECK(c2 && tendo_cursor_read_si(c2, f, &b2, &e2) == TENDO_EINTERNAL);
            tendo_cursor_free(c2);
        }
        tendo_cursor_free(c);
        tendo_fetch_free(f);
        free(t1), free(t2), free(a1), free(a2), free(g1), free(g2), free(s1), free(s2);
    }
}

static void check_read_back(const char *path, const sample_set *a, const sample_set *b,
                            int has_analysis)
{
    tendo_error err = {0};
    tendo_reader *r = NULL;
    CHECK(tendo_reader_open(&r, path, &err) == TENDO_OK);
    if (!r) {
        fprintf(stderr, "%s\n", err.msg);
        return;
    }
    const tendo_session_meta *m = tendo_reader_meta(r);
    CHECK(!strcmp(m->athlete_id, "A01"));
    CHECK(m->start_time_us == 1763710200000000LL);
    CHECK(tendo_reader_pod_count(r) == 2);
    CHECK(tendo_reader_sample_count(r, 0) == (int64_t)a->n);
    CHECK(tendo_reader_sample_count(r, 1) == (int64_t)b->n);
    CHECK(tendo_reader_pod(r, 1)->side == TENDO_SIDE_RIGHT);
    CHECK(tendo_reader_pod(r, 1)->sample_rate_hz == 204.8);
    CHECK(tendo_reader_pod(r, 1)->storage == TENDO_STORE_FLOAT32);

    /* Raw windows of random size and position, across chunk borders. */
    int64_t *t = malloc(a->n * sizeof *t);
    int16_t *acc = malloc(3 * a->n * sizeof *acc), *gyr = malloc(3 * a->n * sizeof *gyr);
    uint8_t *st = malloc(a->n);
    for (int trial = 0; trial < 40; trial++) {
        size_t first = rng() % a->n, n = 1 + rng() % 200000;
        if (n > a->n - first)
            n = a->n - first;
        tendo_block blk = {n, t, acc, gyr, st};
        CHECK(tendo_reader_read_raw(r, 0, (int64_t)first, &blk, &err) == TENDO_OK);
        CHECK(!memcmp(t, a->time + first, n * sizeof *t));
        CHECK(!memcmp(acc, a->a16 + 3 * first, 3 * n * sizeof *acc));
        CHECK(!memcmp(gyr, a->g16 + 3 * first, 3 * n * sizeof *gyr));
        CHECK(!memcmp(st, a->status + first, n));
    }
    /* SI conversion: value = raw × conversion. */
    float *si = malloc(3 * 1000 * sizeof *si);
    tendo_block sblk = {1000, NULL, si, NULL, NULL};
    CHECK(tendo_reader_read_si(r, 0, 5000, &sblk, &err) == TENDO_OK);
    double conv = tendo_reader_pod(r, 0)->accel_conversion;
    CHECK(fabs(conv - 32.0 * 9.80665 / 32768.0) < 1e-15);
    for (int i = 0; i < 3000; i++)
        CHECK(si[i] == (float)(a->a16[3 * 5000 + i] * conv));
    /* Float pod: bit exact, status zero when none was given. */
    float *fa = malloc(3 * b->n * sizeof *fa);
    tendo_block fblk = {b->n, t, fa, NULL, st};
    CHECK(tendo_reader_read_raw(r, 1, 0, &fblk, &err) == TENDO_OK);
    CHECK(!memcmp(fa, b->af, 3 * b->n * sizeof *fa));
    CHECK(!memcmp(t, b->time, b->n * sizeof *t));
    int any = 0;
    for (size_t i = 0; i < b->n; i++)
        any |= st[i];
    CHECK(any == 0);
    check_cursor(r);
    /* Out-of-range window is refused, not read. */
    tendo_block over = {10, t, NULL, NULL, NULL};
    tendo_error e2 = {0};
    CHECK(tendo_reader_read_raw(r, 1, (int64_t)b->n - 5, &over, &e2) != TENDO_OK);

    truth_row *rows = NULL;
    size_t nrows = 0;
    CHECK(tendo_reader_get_table(r, "/truth/L0001/steps", TRUTH_COLS, 3, sizeof(truth_row),
                                 (void **)&rows, &nrows, &err) == TENDO_OK);
    CHECK(nrows == 3);
    if (rows && nrows == 3) {
        CHECK(rows[2].ic_s == 1.0 && rows[2].index == 2 && !strcmp(rows[2].kind, "run"));
        CHECK(!strcmp(rows[0].kind, "walk"));
    }
    free(rows);
    CHECK(tendo_reader_exists(r, "/truth") == 1);
    CHECK(tendo_reader_exists(r, "/analysis") == has_analysis);
    CHECK(tendo_reader_exists(r, "/truth/nope/deeper") == 0);
    tendo_reader_close(r);
    free(t);
    free(acc);
    free(gyr);
    free(st);
    free(si);
    free(fa);
}

static int files_equal(const char *p1, const char *p2)
{
    FILE *f1 = fopen(p1, "rb"), *f2 = fopen(p2, "rb");
    int same = f1 && f2;
    while (same) {
        int c1 = fgetc(f1), c2 = fgetc(f2);
        if (c1 != c2)
            same = 0;
        if (c1 == EOF || c2 == EOF)
            break;
    }
    if (f1)
        fclose(f1);
    if (f2)
        fclose(f2);
    return same;
}

static void check_refusals(const char *dir, const char *existing)
{
    tendo_error err = {0};
    tendo_writer *w = NULL;
    tendo_session_meta m = test_meta();
    /* An existing file is not replaced without overwrite. */
    CHECK(tendo_writer_open(&w, existing, &m, 0, &err) == TENDO_ECANTCREAT);
    CHECK(strstr(err.msg, "already exists") != NULL);
    CHECK(w == NULL);

    char path[512];
    snprintf(path, sizeof path, "%s/refused.h5", dir);
    tendo_pod_meta p;
    tendo_pod_meta_default(&p);
    snprintf(p.serial, sizeof p.serial, "P1");
    size_t idx;
    int64_t times[3] = {10, 20, 20};
    int16_t v[9] = {0};
    tendo_block blk = {3, times, v, v, NULL};
    tendo_error_clear(&err);
    CHECK(tendo_writer_open(&w, path, &m, 0, &err) == TENDO_OK);
    CHECK(tendo_writer_add_pod(w, &p, &idx, &err) == TENDO_OK);
    CHECK(tendo_writer_append(w, idx, &blk, &err) == TENDO_EDATA);
    CHECK(strstr(err.msg, "sample 2") != NULL);
    tendo_writer_abort(w);
    struct stat st;
    CHECK(stat(path, &st) != 0); /* nothing under the final name */

    /* NaN in float data. */
    tendo_error_clear(&err);
    CHECK(tendo_writer_open(&w, path, &m, 0, &err) == TENDO_OK);
    p.storage = TENDO_STORE_FLOAT32;
    CHECK(tendo_writer_add_pod(w, &p, &idx, &err) == TENDO_OK);
    float fv[9] = {0, 0, 0, 0, NAN, 0, 0, 0, 0};
    int64_t good_times[3] = {10, 20, 30};
    tendo_block fblk = {3, good_times, fv, fv, NULL};
    CHECK(tendo_writer_append(w, idx, &fblk, &err) == TENDO_EDATA);
    CHECK(strstr(err.msg, "sample 1") != NULL);
    /* A bad serial is refused. */
    tendo_error_clear(&err);
    snprintf(p.serial, sizeof p.serial, "../x");
    CHECK(tendo_writer_add_pod(w, &p, &idx, &err) == TENDO_EUSAGE);
    /* A session with no samples written still commits only with a pod. */
    tendo_writer_abort(w);
    tendo_error_clear(&err);
    CHECK(tendo_writer_open(&w, path, &m, 0, &err) == TENDO_OK);
    CHECK(tendo_writer_commit(w, &err) == TENDO_EDATA);
    CHECK(stat(path, &st) != 0);

    /* The temporary files are all gone. */
    char cmd[600];
    snprintf(cmd, sizeof cmd, "ls -A %s | grep -q partial", dir);
    CHECK(system(cmd) != 0);
}

/* Update mode: /analysis is added and replaced, the recording and /truth
 * are kept bit for bit, and an aborted update leaves the file untouched. */
static void check_update(const char *path, const char *copy_path, const sample_set *a,
                         const sample_set *b)
{
    tendo_error err = {0};
    tendo_writer *w = NULL;
    truth_row row = {42.0, 7, "analysed"};
    for (int round = 0; round < 2; round++) {
        CHECK(tendo_writer_open_update(&w, path, &err) == TENDO_OK);
        if (!w) {
            fprintf(stderr, "update: %s\n", err.msg);
            return;
        }
        size_t idx;
        tendo_pod_meta p;
        tendo_pod_meta_default(&p);
        snprintf(p.serial, sizeof p.serial, "NEW");
        CHECK(tendo_writer_add_pod(w, &p, &idx, &err) == TENDO_EINTERNAL);
        tendo_error_clear(&err);
        row.index = round;
        CHECK(tendo_writer_put_table(w, "/analysis/L0001/steps", TRUTH_COLS, 3, &row,
                                     sizeof row, 1, &err) == TENDO_OK);
        CHECK(tendo_writer_put_attr_str(w, "/analysis", "algorithm_version", "test", &err) ==
              TENDO_OK);
        CHECK(tendo_writer_commit(w, &err) == TENDO_OK);
    }
    check_read_back(path, a, b, 1); /* samples, /truth table and attributes unchanged */
    tendo_reader *r = NULL;
    CHECK(tendo_reader_open(&r, path, &err) == TENDO_OK);
    truth_row *rows = NULL;
    size_t n = 0;
    if (r) {
        CHECK(tendo_reader_get_table(r, "/analysis/L0001/steps", TRUTH_COLS, 3, sizeof(truth_row),
                                     (void **)&rows, &n, &err) == TENDO_OK);
        CHECK(n == 1 && rows && rows[0].index == 1); /* the second round replaced the first */
        free(rows);
        tendo_reader_close(r);
    }
    /* An aborted update leaves the file byte for byte as it was. */
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "cp %s %s", path, copy_path);
    CHECK(system(cmd) == 0);
    CHECK(tendo_writer_open_update(&w, path, &err) == TENDO_OK);
    CHECK(tendo_writer_put_attr_str(w, "/analysis", "algorithm_version", "other", &err) ==
          TENDO_OK);
    tendo_writer_abort(w);
    CHECK(files_equal(path, copy_path));
    /* Updating a file that is not a session fails like reading it. */
    tendo_error_clear(&err);
    CHECK(tendo_writer_open_update(&w, "/nonexistent/x.h5", &err) == TENDO_ENOINPUT);
}

/* Reads a whole file into memory; *len its size. NULL if unreadable. */
/* An update verifies its copy by the stored (compressed) chunks: one byte
 * flipped inside a copied chunk of /sensors/R0002/gyro, after the copy and
 * before commit, must fail the commit (TENDO_EIO naming the dataset), leave
 * the original byte for byte as it was and leave no temporary file. */
static void check_update_detects_damage(const char *dir, const char *path, const char *copy_path)
{
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "cp %s %s", path, copy_path);
    CHECK(system(cmd) == 0);
    /* the original's first chunk of the dataset, as stored (compressed) */
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t ds = f >= 0 ? H5Dopen2(f, "/sensors/R0002/gyro", H5P_DEFAULT) : -1;
    hsize_t offset[2] = {0, 0}, size = 0;
    CHECK(ds >= 0 && H5Dget_chunk_storage_size(ds, offset, &size) >= 0 && size > 1000);
    unsigned char *chunk = size ? malloc((size_t)size) : NULL;
    uint32_t mask = 0;
    CHECK(chunk && H5Dread_chunk(ds, H5P_DEFAULT, offset, &mask, chunk) >= 0);
    if (ds >= 0)
        H5Dclose(ds);
    if (f >= 0)
        H5Fclose(f);

    tendo_error err = {0};
    tendo_writer *w = NULL;
    CHECK(tendo_writer_open_update(&w, path, &err) == TENDO_OK);
    char tmp[1024];
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    snprintf(tmp, sizeof tmp, "%s/.%s.%ld.partial", dir, base, (long)getpid());
    size_t len = 0;
    unsigned char *bytes = tendo_check_slurp(tmp, &len);
    CHECK(bytes != NULL, "no temporary copy at %s", tmp);
    unsigned char *at = bytes && chunk ? memmem(bytes, len, chunk, (size_t)size) : NULL;
    CHECK(at != NULL); /* the chunk was copied as it is stored */
    if (at) {
        FILE *t = fopen(tmp, "r+b");
        long pos = (long)(at - bytes) + (long)size / 2;
        unsigned char flipped = (unsigned char)(at[size / 2] ^ 0x10);
        CHECK(t && fseek(t, pos, SEEK_SET) == 0 && fwrite(&flipped, 1, 1, t) == 1);
        if (t)
            fclose(t);
    }
    free(bytes);
    free(chunk);
    if (w) {
        CHECK(tendo_writer_put_attr_str(w, "/analysis", "algorithm_version", "x", &err) ==
              TENDO_OK);
        CHECK(tendo_writer_commit(w, &err) == TENDO_EIO);
        CHECK(strstr(err.msg, "/sensors/R0002/gyro differs from the original") != NULL, "%s",
              err.msg);
    }
    CHECK(files_equal(path, copy_path));
    CHECK(access(tmp, F_OK) != 0);
    /* and an undamaged update of the same file still commits */
    tendo_error_clear(&err);
    CHECK(tendo_writer_open_update(&w, path, &err) == TENDO_OK);
    CHECK(w && tendo_writer_put_attr_str(w, "/analysis", "algorithm_version", "y", &err) ==
                   TENDO_OK);
    if (w)
        CHECK(tendo_writer_commit(w, &err) == TENDO_OK, "%s", err.msg);
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : ".";
    char p1[512], p2[512];
    snprintf(p1, sizeof p1, "%s/roundtrip-1.h5", dir);
    snprintf(p2, sizeof p2, "%s/roundtrip-2.h5", dir);
    sample_set a, b;
    make_samples(&a, N_INT, 1763710200000000LL, 1000);
    make_samples(&b, N_FLT, 1763710200300000LL, 4883);
    uint64_t saved = rng_state;
    CHECK(write_session(p1, &a, &b) == 0);
    rng_state = saved; /* same block sizes the second time */
    CHECK(write_session(p2, &a, &b) == 0);
    CHECK(files_equal(p1, p2)); /* same content → same bytes */
    check_read_back(p1, &a, &b, 0);

    tendo_error err = {0};
    tendo_report rep;
    CHECK(tendo_validate(p1, &rep, &err) == TENDO_OK);
    CHECK(rep.pods == 2 && rep.pod[0].samples == N_INT && rep.has_truth && !rep.has_analysis);
    /* status bit 4 (gap before) was set at random in ~half the samples. */
    int64_t gaps = 0;
    for (size_t i = 1; i < a.n; i++)
        gaps += (a.status[i] & TENDO_STATUS_GAP_BEFORE) != 0;
    CHECK(rep.pod[0].gaps == gaps);

    check_refusals(dir, p1);
    char p3[512];
    snprintf(p3, sizeof p3, "%s/before-abort.h5", dir);
    check_update(p2, p3, &a, &b);
    check_update_detects_damage(dir, p2, p3);
    check_read_back(p2, &a, &b, 1);
    free_samples(&a);
    free_samples(&b);
    if (failures)
        fprintf(stderr, "%d check(s) failed\n", failures);
    else
        printf("test_session: all checks passed\n");
    return failures ? 1 : 0;
}
