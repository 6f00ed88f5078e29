/*
 * The session writer's threaded chunk compression (formats/chunk_pool.h):
 * the samples read back bit for bit, through our reader and through plain
 * h5py (no tendo code); 1 and N workers give the same stored chunks and the
 * same file bytes; a partial last chunk, a pod with no samples, float32
 * storage without gyro; a byte flipped in a stored chunk before commit makes
 * commit fail with nothing under the final name.
 *
 *   test_writer_threads TMPDIR CHECK_SCRIPT.py
 */
#define _GNU_SOURCE /* memmem */
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tendo_check.h"
#include "tendo_session.h"

#define CHUNK TENDO_SESSION_CHUNK_ROWS
#define N_A (2 * CHUNK + 4321) /* two whole chunks and a partial one */
#define N_B 1000               /* one partial chunk */

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;
static uint64_t rng(void) /* xorshift64* */
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ULL;
}

typedef struct pod_data {
    size_t n;
    int64_t *time;
    void *accel, *gyro;
    uint8_t *status;
} pod_data;

/* Pod A: int16 IMU-like samples (a slow swing plus noise, so the high byte
 * plane compresses and the low one is stored: the writer switches level
 * inside one deflate stream). Pod B: float32 accel only, no gyro. */
static pod_data pod_a, pod_b;

static void make_data(void)
{
    pod_a.n = N_A;
    pod_a.time = malloc(N_A * sizeof(int64_t));
    int16_t *a = malloc(3 * N_A * sizeof *a), *g = malloc(3 * N_A * sizeof *g);
    pod_a.status = malloc(N_A);
    int64_t t = 1763710200000000LL;
    for (size_t i = 0; i < N_A; i++) {
        t += 999 + (int64_t)(rng() % 3);
        pod_a.time[i] = t;
        pod_a.status[i] = (uint8_t)(rng() % 97 == 0 ? 4 : 0);
        for (int k = 0; k < 3; k++) {
            a[3 * i + k] = (int16_t)(3000 * sin((double)i / (40.0 + k)) + (int)(rng() % 257) - 128);
            g[3 * i + k] = (int16_t)(8000 * sin((double)i / (55.0 + k)) + (int)(rng() % 513) - 256);
        }
    }
    pod_a.accel = a;
    pod_a.gyro = g;
    pod_b.n = N_B;
    pod_b.time = malloc(N_B * sizeof(int64_t));
    float *af = malloc(3 * N_B * sizeof *af);
    pod_b.status = malloc(N_B);
    for (size_t i = 0; i < N_B; i++) {
        pod_b.time[i] = 1763710200000000LL + (int64_t)i * 4883;
        pod_b.status[i] = 0;
        for (int k = 0; k < 3; k++)
            af[3 * i + k] = (float)((double)(rng() % 2000001) / 1000.0 - 1000.0);
    }
    pod_b.accel = af;
    pod_b.gyro = NULL;
}

static const char *SERIALS[3] = {"A1", "B2", "E3"};

static tendo_writer *open_session(const char *path, const char *threads)
{
    setenv("TENDO_WRITER_THREADS", threads, 1);
    tendo_session_meta m = {0};
    snprintf(m.session_id, sizeof m.session_id, "00000000-0000-4000-8000-0000000000aa");
    snprintf(m.source, sizeof m.source, "sync");
    m.start_time_us = 1763710200000000LL;
    tendo_error err = {0};
    tendo_writer *w = NULL;
    CHECK(tendo_writer_open(&w, path, &m, 1, &err) == TENDO_OK, "%s", err.msg);
    if (!w)
        return NULL;
    for (int i = 0; i < 3; i++) {
        tendo_pod_meta p;
        tendo_pod_meta_default(&p);
        snprintf(p.serial, sizeof p.serial, "%s", SERIALS[i]);
        p.side = i == 1 ? TENDO_SIDE_RIGHT : TENDO_SIDE_LEFT;
        if (i == 1) {
            p.storage = TENDO_STORE_FLOAT32;
            p.has_gyro = 0;
        }
        size_t idx = 0;
        CHECK(tendo_writer_add_pod(w, &p, &idx, &err) == TENDO_OK && idx == (size_t)i, "%s",
              err.msg);
    }
    /* pod A in blocks of irregular sizes (the same sizes every time) */
    uint64_t saved = rng_state;
    rng_state = 12345;
    for (size_t done = 0; done < pod_a.n;) {
        size_t take = 1 + rng() % 40000;
        if (take > pod_a.n - done)
            take = pod_a.n - done;
        tendo_block blk = {take, pod_a.time + done, (int16_t *)pod_a.accel + 3 * done,
                           (int16_t *)pod_a.gyro + 3 * done, pod_a.status + done};
        CHECK(tendo_writer_append(w, 0, &blk, &err) == TENDO_OK, "%s", err.msg);
        done += take;
    }
    rng_state = saved;
    tendo_block blk = {pod_b.n, pod_b.time, pod_b.accel, NULL, pod_b.status};
    CHECK(tendo_writer_append(w, 1, &blk, &err) == TENDO_OK, "%s", err.msg);
    /* pod E3 gets no samples: its datasets stay empty */
    return w;
}

static int write_session(const char *path, const char *threads)
{
    tendo_writer *w = open_session(path, threads);
    if (!w)
        return -1;
    tendo_error err = {0};
    int rc = tendo_writer_commit(w, &err);
    CHECK(rc == TENDO_OK, "threads %s: %s", threads, err.msg);
    return rc;
}

/* Every stored chunk of every dataset of two files, byte for byte. */
static void check_same_chunks(const char *p1, const char *p2)
{
    hid_t f1 = H5Fopen(p1, H5F_ACC_RDONLY, H5P_DEFAULT), f2 = H5Fopen(p2, H5F_ACC_RDONLY, H5P_DEFAULT);
    CHECK(f1 >= 0 && f2 >= 0);
    const char *names[4] = {"time", "accel", "gyro", "status"};
    int compared = 0;
    for (int i = 0; i < 3; i++)
        for (int d = 0; d < 4; d++) {
            char path[64];
            snprintf(path, sizeof path, "/sensors/%s/%s", SERIALS[i], names[d]);
            if (H5Lexists(f1, path, H5P_DEFAULT) <= 0) {
                CHECK(H5Lexists(f2, path, H5P_DEFAULT) <= 0);
                continue;
            }
            hid_t d1 = H5Dopen2(f1, path, H5P_DEFAULT), d2 = H5Dopen2(f2, path, H5P_DEFAULT);
            hid_t s1sp = H5Dget_space(d1), s2sp = H5Dget_space(d2);
            hsize_t n1 = 0, n2 = 0;
            CHECK(H5Dget_num_chunks(d1, s1sp, &n1) >= 0 && H5Dget_num_chunks(d2, s2sp, &n2) >= 0);
            CHECK(n1 == n2, "%s: %llu vs %llu chunks", path, (unsigned long long)n1,
                  (unsigned long long)n2);
            for (hsize_t c = 0; c < n1 && c < n2; c++) {
                hsize_t off1[2], off2[2], s1 = 0, s2 = 0;
                unsigned m1 = 9, m2 = 9;
                haddr_t a1, a2;
                CHECK(H5Dget_chunk_info(d1, s1sp, c, off1, &m1, &a1, &s1) >= 0 &&
                      H5Dget_chunk_info(d2, s2sp, c, off2, &m2, &a2, &s2) >= 0);
                CHECK(off1[0] == off2[0] && s1 == s2 && m1 == 0 && m2 == 0, "%s chunk %llu",
                      path, (unsigned long long)c);
                unsigned char *b1 = malloc(s1 + 1), *b2 = malloc(s2 + 1);
                uint32_t k1, k2;
                CHECK(H5Dread_chunk(d1, H5P_DEFAULT, off1, &k1, b1) >= 0 &&
                      H5Dread_chunk(d2, H5P_DEFAULT, off2, &k2, b2) >= 0);
                CHECK(s1 == s2 && memcmp(b1, b2, s1) == 0, "%s chunk %llu differs", path,
                      (unsigned long long)c);
                compared++;
                free(b1);
                free(b2);
            }
            H5Sclose(s1sp);
            H5Sclose(s2sp);
            H5Dclose(d1);
            H5Dclose(d2);
        }
    /* A: 3 chunks × 4 datasets; B: 1 × 3 */
    CHECK(compared == 15, "compared %d chunks", compared);
    H5Fclose(f1);
    H5Fclose(f2);
}

/* Our reader gives back every sample bit for bit (raw storage). */
static void check_reader(const char *path)
{
    tendo_error err = {0};
    tendo_reader *r = NULL;
    CHECK(tendo_reader_open(&r, path, &err) == TENDO_OK, "%s", err.msg);
    if (!r)
        return;
    CHECK(tendo_reader_pod_count(r) == 3);
    const pod_data *pods[3] = {&pod_a, &pod_b, NULL};
    for (size_t i = 0; i < 3; i++) {
        int64_t n = tendo_reader_sample_count(r, i);
        size_t want = pods[i] ? pods[i]->n : 0;
        CHECK(n == (int64_t)want, "pod %zu: %lld samples", i, (long long)n);
        if (!pods[i] || n != (int64_t)want)
            continue;
        size_t vb = i == 1 ? sizeof(float) : sizeof(int16_t);
        int64_t *t = malloc(want * 8);
        void *a = malloc(3 * want * vb), *g = malloc(3 * want * vb);
        uint8_t *s = malloc(want);
        tendo_block blk = {want, t, a, pods[i]->gyro ? g : NULL, s};
        CHECK(tendo_reader_read_raw(r, i, 0, &blk, &err) == TENDO_OK, "%s", err.msg);
        CHECK(memcmp(t, pods[i]->time, want * 8) == 0, "pod %zu time", i);
        CHECK(memcmp(a, pods[i]->accel, 3 * want * vb) == 0, "pod %zu accel", i);
        if (pods[i]->gyro)
            CHECK(memcmp(g, pods[i]->gyro, 3 * want * vb) == 0, "pod %zu gyro", i);
        CHECK(memcmp(s, pods[i]->status, want) == 0, "pod %zu status", i);
        free(t);
        free(a);
        free(g);
        free(s);
    }
    tendo_reader_close(r);
}

static void dump(const char *dir, const char *name, const void *data, size_t bytes)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s.bin", dir, name);
    FILE *f = fopen(path, "wb");
    CHECK(f && fwrite(data, 1, bytes, f) == bytes, "%s", path);
    if (f)
        fclose(f);
}

/* Plain h5py (no tendo code) reads the same samples: the expected arrays
 * go to raw files that the script compares with what h5py decodes. */
static void check_h5py(const char *dir, const char *path, const char *script)
{
    dump(dir, "A1-time", pod_a.time, N_A * 8);
    dump(dir, "A1-accel", pod_a.accel, 3 * N_A * 2);
    dump(dir, "A1-gyro", pod_a.gyro, 3 * N_A * 2);
    dump(dir, "A1-status", pod_a.status, N_A);
    dump(dir, "B2-time", pod_b.time, N_B * 8);
    dump(dir, "B2-accel", pod_b.accel, 3 * N_B * 4);
    dump(dir, "B2-status", pod_b.status, N_B);
    char cmd[3200];
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s %s %s", script, path, dir);
    CHECK(system(cmd) == 0, "%s", cmd);
}

/* A byte flipped in a stored chunk of the temporary file before commit:
 * commit fails (EIO, naming the dataset), nothing under the final name, no
 * temporary file left. The chunk is found by its bytes: the low byte plane
 * of pod A's second accel chunk is noise, stored as it is inside the
 * deflate stream. */
static void check_damage_caught(const char *dir)
{
    char path[1024], tmp[1200];
    snprintf(path, sizeof path, "%s/damaged.h5", dir);
    snprintf(tmp, sizeof tmp, "%s/.damaged.h5.%ld.partial", dir, (long)getpid());
    unlink(path);
    tendo_writer *w = open_session(path, "2");
    if (!w)
        return;
    tendo_error err = {0};
    /* an attribute write first stores every chunk handed on so far */
    CHECK(tendo_writer_put_attr_str(w, "/", "note", "damage test", &err) == TENDO_OK);
    unsigned char plane[256];
    const unsigned char *a = pod_a.accel;
    size_t start = 3 * (size_t)CHUNK + 3 * 5000; /* values inside the second chunk */
    for (size_t i = 0; i < sizeof plane; i++)
        plane[i] = a[2 * (start + i)]; /* low bytes, as the shuffle lays them out */
    size_t len = 0;
    unsigned char *bytes = tendo_check_slurp(tmp, &len);
    unsigned char *at = bytes ? memmem(bytes, len, plane, sizeof plane) : NULL;
    CHECK(at != NULL, "the second accel chunk's low bytes are not in %s", tmp);
    if (at) {
        FILE *t = fopen(tmp, "r+b");
        unsigned char flipped = (unsigned char)(at[100] ^ 0x01);
        CHECK(t && fseek(t, (long)(at - bytes) + 100, SEEK_SET) == 0 &&
              fwrite(&flipped, 1, 1, t) == 1);
        if (t)
            fclose(t);
    }
    free(bytes);
    int rc = tendo_writer_commit(w, &err);
    CHECK(rc == TENDO_EIO, "commit gave %d: %s", rc, err.msg);
    CHECK(strstr(err.msg, "/sensors/A1/accel") != NULL && strstr(err.msg, "storage fault") != NULL,
          "%s", err.msg);
    CHECK(access(path, F_OK) != 0);
    CHECK(access(tmp, F_OK) != 0);
}

/* A set but invalid TENDO_WRITER_THREADS is a usage error, with nothing written. */
static void check_bad_thread_counts(const char *dir)
{
    static const char *const bad[] = {"0", "17", "two", "4x", "-1"};
    char path[1024];
    snprintf(path, sizeof path, "%s/bad-threads.h5", dir);
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        setenv("TENDO_WRITER_THREADS", bad[i], 1);
        tendo_session_meta m = {0};
        snprintf(m.source, sizeof m.source, "sync");
        m.start_time_us = 1763710200000000LL;
        tendo_error err = {0};
        tendo_writer *w = NULL;
        int rc = tendo_writer_open(&w, path, &m, 1, &err);
        CHECK(rc == TENDO_EUSAGE && w == NULL, "TENDO_WRITER_THREADS=%s gave %d", bad[i], rc);
        CHECK(strstr(err.msg, "TENDO_WRITER_THREADS") && strstr(err.msg, bad[i]), "%s", err.msg);
        CHECK(access(path, F_OK) != 0);
    }
    unsetenv("TENDO_WRITER_THREADS");
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s TMPDIR CHECK_SCRIPT.py\n", argv[0]);
        return 64;
    }
    const char *dir = argv[1];
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    make_data();
    char p1[1024], p4[1024], p3[1024];
    snprintf(p1, sizeof p1, "%s/threads-1.h5", dir);
    snprintf(p4, sizeof p4, "%s/threads-4.h5", dir);
    snprintf(p3, sizeof p3, "%s/threads-3.h5", dir);
    CHECK(write_session(p1, "1") == TENDO_OK);
    CHECK(write_session(p4, "4") == TENDO_OK);
    CHECK(write_session(p3, "3") == TENDO_OK);
    check_reader(p1);
    check_reader(p4);
    check_same_chunks(p1, p4);
    check_same_chunks(p1, p3);
    size_t l1 = 0, l4 = 0;
    unsigned char *b1 = tendo_check_slurp(p1, &l1), *b4 = tendo_check_slurp(p4, &l4);
    CHECK(b1 && b4 && l1 == l4 && memcmp(b1, b4, l1) == 0, "1 and 4 workers: files differ");
    free(b1);
    free(b4);
    check_h5py(dir, p4, argv[2]);
    check_damage_caught(dir);
    check_bad_thread_counts(dir);
    return tendo_check_report("test_writer_threads");
}
