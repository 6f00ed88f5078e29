/*
 * bench_session — session file throughput and memory (a benchmark, not a
 * test). Writes a 1000 Hz two-pod session of the given length with
 * tendo_writer, reads it back with tendo_reader (SI conversion, as the
 * analysis reads), and reads the same datasets with bare H5Dread calls (the
 * floor). Each phase runs in its own child process so its peak resident
 * memory (ru_maxrss) is its own.
 *
 *   bench_session [--minutes M] [--dir DIR]      (default 60 minutes, /tmp)
 *
 * MB/s counts raw sample bytes: time (8) + accel (6) + gyro (6) + status (1)
 * = 21 bytes per sample, the same for every phase.
 */
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tendo_session.h"

#define RATE 1000
#define BLOCK 4096
#define RAW_BYTES_PER_SAMPLE 21.0

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A signal with the statistics that matter to compression: a stride-rate
 * oscillation (1.4 Hz, so 5 s hold exactly 7 cycles) and harmonics, plus
 * noise. Tabulated once so the benchmark times the writer, not sin(). */
#define PERIOD_SAMPLES 5000
static int16_t signal_table[2][PERIOD_SAMPLES][6];

static void make_signal_table(void)
{
    for (int pod = 0; pod < 2; pod++)
        for (int i = 0; i < PERIOD_SAMPLES; i++)
            for (int k = 0; k < 6; k++) {
                double ph = 2 * M_PI * 1.4 * i / RATE + k + pod;
                double amp = k < 3 ? 3000 : 5000;
                signal_table[pod][i][k] = (int16_t)(amp * sin(ph) + 800 * sin(3 * ph));
            }
}

/* Sensor noise of about ±8 counts (a few mg; a real MEMS accelerometer at
 * ±32 g shows 2–10 counts RMS), drawn fresh for every sample. */
static void fill_block(int16_t *a, int16_t *g, size_t n, int64_t first, int pod)
{
    static uint32_t seed = 12345;
    for (size_t i = 0; i < n; i++) {
        const int16_t *row = signal_table[pod][(first + (int64_t)i) % PERIOD_SAMPLES];
        for (int k = 0; k < 3; k++) {
            seed = seed * 1664525u + 1013904223u;
            a[3 * i + k] = (int16_t)(row[k] + (int)((seed >> 16) & 15) - 8);
            g[3 * i + k] = (int16_t)(row[k + 3] + (int)((seed >> 24) & 15) - 8);
        }
    }
}

static int phase_write(const char *path, int64_t n)
{
    tendo_error err = {0};
    tendo_writer *w;
    tendo_session_meta m = {0};
    m.start_time_us = 1763710200000000LL;
    snprintf(m.source, sizeof m.source, "simulate");
    if (tendo_writer_open(&w, path, &m, 1, &err))
        goto fail;
    size_t idx[2];
    for (int p = 0; p < 2; p++) {
        tendo_pod_meta pod;
        tendo_pod_meta_default(&pod);
        snprintf(pod.serial, sizeof pod.serial, "BENCH%d", p);
        pod.side = p ? TENDO_SIDE_RIGHT : TENDO_SIDE_LEFT;
        if (tendo_writer_add_pod(w, &pod, &idx[p], &err))
            goto fail;
    }
    static int64_t t[BLOCK];
    static int16_t a[3 * BLOCK], g[3 * BLOCK];
    for (int64_t first = 0; first < n; first += BLOCK) {
        size_t take = (size_t)(n - first < BLOCK ? n - first : BLOCK);
        for (int p = 0; p < 2; p++) {
            for (size_t i = 0; i < take; i++)
                t[i] = m.start_time_us + (first + (int64_t)i) * 1000;
            fill_block(a, g, take, first, p);
            tendo_block blk = {take, t, a, g, NULL};
            if (tendo_writer_append(w, idx[p], &blk, &err))
                goto fail;
        }
    }
    if (tendo_writer_commit(w, &err))
        goto fail;
    return 0;
fail:
    fprintf(stderr, "bench_session: %s\n", err.msg);
    return 1;
}

static int phase_read(const char *path)
{
    tendo_error err = {0};
    tendo_reader *r;
    if (tendo_reader_open(&r, path, &err))
        goto fail;
    enum { WIN = TENDO_SESSION_CHUNK_ROWS };
    static int64_t t[WIN];
    static float a[3 * WIN], g[3 * WIN];
    static uint8_t s[WIN];
    double checksum = 0;
    for (size_t p = 0; p < tendo_reader_pod_count(r); p++) {
        int64_t n = tendo_reader_sample_count(r, p);
        for (int64_t first = 0; first < n; first += WIN) {
            tendo_block blk = {(size_t)(n - first < WIN ? n - first : WIN), t, a, g, s};
            if (tendo_reader_read_si(r, p, first, &blk, &err))
                goto fail;
            checksum += a[0] + g[0];
        }
    }
    tendo_reader_close(r);
    return checksum == 12345.678 ? 2 : 0; /* keeps the reads from being optimised out */
fail:
    fprintf(stderr, "bench_session: %s\n", err.msg);
    return 1;
}

static int bare_read_dataset(hid_t file, const char *name, hid_t mtype, int cols, void *buf,
                             size_t win)
{
    hid_t ds = H5Dopen2(file, name, H5P_DEFAULT);
    hid_t fspace = H5Dget_space(ds);
    hsize_t dims[2];
    H5Sget_simple_extent_dims(fspace, dims, NULL);
    for (hsize_t first = 0; first < dims[0]; first += win) {
        hsize_t start[2] = {first, 0}, count[2] = {dims[0] - first < win ? dims[0] - first : win,
                                                  (hsize_t)cols};
        H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, NULL, count, NULL);
        hid_t mspace = H5Screate_simple(cols > 1 ? 2 : 1, count, NULL);
        if (H5Dread(ds, mtype, mspace, fspace, H5P_DEFAULT, buf) < 0)
            return 1;
        H5Sclose(mspace);
    }
    H5Sclose(fspace);
    H5Dclose(ds);
    return 0;
}

static int phase_bare(const char *path)
{
    enum { WIN = 131072 };
    void *buf = malloc((size_t)WIN * 3 * sizeof(int16_t) + (size_t)WIN * sizeof(int64_t));
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    int bad = f < 0 || !buf;
    const char *pods[2] = {"/sensors/BENCH0", "/sensors/BENCH1"};
    for (int p = 0; p < 2 && !bad; p++) {
        char name[64];
        snprintf(name, sizeof name, "%s/time", pods[p]);
        bad |= bare_read_dataset(f, name, H5T_NATIVE_INT64, 1, buf, WIN);
        snprintf(name, sizeof name, "%s/accel", pods[p]);
        bad |= bare_read_dataset(f, name, H5T_NATIVE_INT16, 3, buf, WIN);
        snprintf(name, sizeof name, "%s/gyro", pods[p]);
        bad |= bare_read_dataset(f, name, H5T_NATIVE_INT16, 3, buf, WIN);
        snprintf(name, sizeof name, "%s/status", pods[p]);
        bad |= bare_read_dataset(f, name, H5T_NATIVE_UINT8, 1, buf, WIN);
    }
    if (f >= 0)
        H5Fclose(f);
    free(buf);
    return bad;
}

typedef int (*phase_fn)(const char *path, int64_t n);
static int run_write(const char *p, int64_t n) { return phase_write(p, n); }
static int run_read(const char *p, int64_t n) { (void)n; return phase_read(p); }
static int run_bare(const char *p, int64_t n) { (void)n; return phase_bare(p); }

/* Runs one phase in a child; reports seconds and the child's peak RSS. */
static int measure(const char *label, phase_fn fn, const char *path, int64_t n)
{
    double t0 = now();
    pid_t pid = fork();
    if (pid == 0)
        _exit(fn(path, n));
    int status;
    struct rusage ru;
    wait4(pid, &status, 0, &ru);
    double secs = now() - t0;
    if (!WIFEXITED(status) || WEXITSTATUS(status) == 1) {
        fprintf(stderr, "bench_session: %s failed\n", label);
        return 1;
    }
    double mb = RAW_BYTES_PER_SAMPLE * (double)n * 2 / 1e6;
    printf("%-28s %8.2f s %9.1f MB/s raw  peak RSS %6.1f MB\n", label, secs, mb / secs,
           (double)ru.ru_maxrss / 1024.0);
    return 0;
}

int main(int argc, char **argv)
{
    double minutes = 60;
    const char *dir = "/tmp";
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--minutes"))
            minutes = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--dir"))
            dir = argv[i + 1];
    }
    if (!(minutes > 0)) {
        fprintf(stderr, "usage: bench_session [--minutes M] [--dir DIR]\n");
        return 64;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/bench_session.%ld.h5", dir, (long)getpid());
    int64_t n = (int64_t)(minutes * 60 * RATE);
    make_signal_table();
    printf("session: %.0f min, 1000 Hz, 2 pods, int16, %lld samples per pod, %.1f MB raw\n",
           minutes, (long long)n, RAW_BYTES_PER_SAMPLE * (double)n * 2 / 1e6);
    int bad = measure("write (tendo_writer+verify)", run_write, path, n);
    if (!bad) {
        FILE *f = fopen(path, "rb");
        if (f) {
            fseek(f, 0, SEEK_END);
            printf("file size: %.1f MB\n", (double)ftell(f) / 1e6);
            fclose(f);
        }
        bad |= measure("read (tendo_reader, SI)", run_read, path, n);
        bad |= measure("bare H5Dread (floor)", run_bare, path, n);
    }
    unlink(path);
    return bad;
}
