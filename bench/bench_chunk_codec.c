/*
 * bench_chunk_codec — per dataset of a session file and per zlib strategy:
 * compression ratio and single-core speed of the writer's chunk pipeline
 * (shuffle + deflate, then inflate as a reader does). How the strategies in
 * formats/SESSION.md were chosen. Not a test: it prints figures.
 *
 *   build/bench/bench_chunk_codec FILE.h5 [POD_SERIAL]
 *
 * Reads every chunk of the pod's time, accel, gyro and status (decoded, as
 * the writer sees the samples), then, for each strategy, shuffles and
 * deflates every chunk and inflates it again, timing both with the thread's
 * CPU clock (the machine is shared; wall time would measure the others).
 */
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "chunk_pool.h"
#include "tendo_session.h"

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static const struct {
    const char *name;
    int level, strategy;
} CONFIGS[] = {
    {"level 1 default", 1, Z_DEFAULT_STRATEGY},
    {"level 1 Z_FILTERED", 1, Z_FILTERED},
    {"Z_RLE", 1, Z_RLE},
    {"Z_HUFFMAN_ONLY", 1, Z_HUFFMAN_ONLY},
    {"level 6 default", 6, Z_DEFAULT_STRATEGY},
};

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE.h5 [POD_SERIAL]\n", argv[0]);
        return 64;
    }
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    hid_t f = H5Fopen(argv[1], H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) {
        fprintf(stderr, "%s: cannot open\n", argv[1]);
        return 66;
    }
    char serial[80] = "";
    if (argc > 2)
        snprintf(serial, sizeof serial, "%s", argv[2]);
    else {
        hid_t g = H5Gopen2(f, "sensors", H5P_DEFAULT);
        if (g < 0 || H5Lget_name_by_idx(g, ".", H5_INDEX_NAME, H5_ITER_INC, 0, serial,
                                        sizeof serial, H5P_DEFAULT) < 0) {
            fprintf(stderr, "%s: no pod\n", argv[1]);
            return 65;
        }
        H5Gclose(g);
    }
    const char *names[] = {"time", "accel", "gyro", "status"};
    printf("%s, pod %s; chunks of %d samples; CPU seconds of one thread\n", argv[1], serial,
           TENDO_SESSION_CHUNK_ROWS);
    printf("| dataset | strategy | raw MB | ratio | shuffle+deflate MB/s | inflate MB/s |\n");
    printf("| --- | --- | --- | --- | --- | --- |\n");
    for (int d = 0; d < 4; d++) {
        char path[160];
        snprintf(path, sizeof path, "/sensors/%s/%s", serial, names[d]);
        hid_t ds = H5Dopen2(f, path, H5P_DEFAULT);
        if (ds < 0)
            continue;
        hid_t type = H5Dget_type(ds), space = H5Dget_space(ds);
        hsize_t dims[2] = {0, 1};
        int rank = H5Sget_simple_extent_dims(space, dims, NULL);
        size_t elem = H5Tget_size(type), cols = rank == 2 ? (size_t)dims[1] : 1;
        size_t chunk_bytes = (size_t)TENDO_SESSION_CHUNK_ROWS * cols * elem;
        size_t nchunks = (size_t)((dims[0] + TENDO_SESSION_CHUNK_ROWS - 1) /
                                  TENDO_SESSION_CHUNK_ROWS);
        unsigned char *all = calloc(nchunks, chunk_bytes);
        if (!all || H5Dread(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, all) < 0) {
            fprintf(stderr, "%s: cannot read\n", path);
            return 65;
        }
        unsigned char *shuf = malloc(chunk_bytes), *back = malloc(chunk_bytes);
        size_t cap = tendo_chunk_out_bound(chunk_bytes);
        unsigned char *out = malloc(cap);
        for (size_t c = 0; c < sizeof CONFIGS / sizeof *CONFIGS; c++) {
            double t_def = 0, t_inf = 0, stored = 0;
            for (size_t k = 0; k < nchunks; k++) {
                double t0 = cpu_s();
                tendo_chunk_shuffle(all + k * chunk_bytes, shuf, chunk_bytes, elem);
                z_stream zs;
                memset(&zs, 0, sizeof zs);
                deflateInit2(&zs, CONFIGS[c].level, Z_DEFLATED, 15, 8, CONFIGS[c].strategy);
                zs.next_in = shuf;
                zs.avail_in = (uInt)chunk_bytes;
                zs.next_out = out;
                zs.avail_out = (uInt)cap;
                deflate(&zs, Z_FINISH);
                size_t len = zs.total_out;
                deflateEnd(&zs);
                double t1 = cpu_s();
                uLongf blen = (uLongf)chunk_bytes;
                uncompress(back, &blen, out, (uLong)len);
                double t2 = cpu_s();
                if (blen != chunk_bytes || memcmp(back, shuf, chunk_bytes)) {
                    fprintf(stderr, "round trip failed\n");
                    return 70;
                }
                t_def += t1 - t0;
                t_inf += t2 - t1;
                stored += (double)len;
            }
            double raw = (double)nchunks * (double)chunk_bytes;
            printf("| %s | %s | %.1f | %.2f | %.0f | %.0f |\n", names[d], CONFIGS[c].name,
                   raw / 1e6, raw / stored, raw / 1e6 / t_def, raw / 1e6 / t_inf);
        }
        /* What the writer's workers do per chunk (tendo_chunk_encode with
         * the writer's settings: shuffle, deflate, CRC-32s, inflate back and
         * compare), and the shuffle alone. */
        {
            unsigned char *scratch = NULL;
            size_t scap = 0;
            double t_enc = 0, t_shuf = 0, stored = 0;
            for (size_t k = 0; k < nchunks; k++) {
                tendo_chunk_job job = {.in = all + k * chunk_bytes, .in_bytes = chunk_bytes,
                                       .valid_bytes = chunk_bytes, .elem = elem, .level = 1,
                                       .store_noisy = d == 1 || d == 2, .out = out,
                                       .out_cap = cap};
                double t0 = cpu_s();
                tendo_chunk_encode(&job, &scratch, &scap);
                double t1 = cpu_s();
                tendo_chunk_shuffle(all + k * chunk_bytes, shuf, chunk_bytes, elem);
                t_shuf += cpu_s() - t1;
                t_enc += t1 - t0;
                stored += (double)job.out_len;
                if (job.rc != 0) {
                    fprintf(stderr, "encode failed: %d\n", job.rc);
                    return 70;
                }
            }
            double raw = (double)nchunks * (double)chunk_bytes;
            printf("| %s | writer (%s), whole job | %.1f | %.2f | %.0f (shuffle alone %.0f) | |\n",
                   names[d], d == 1 || d == 2 ? "runs RLE, noise stored, rest level 1"
                                              : "runs RLE, rest level 1",
                   raw / 1e6, raw / stored, raw / 1e6 / t_enc, raw / 1e6 / t_shuf);
            free(scratch);
        }
        /* Each byte plane of the shuffled chunk on its own: which planes
         * are worth compressing (planes of a 2-D dataset span its columns). */
        size_t plane = chunk_bytes / elem;
        for (size_t j = 0; elem > 1 && j < elem; j++)
            for (size_t c = 0; c < sizeof CONFIGS / sizeof *CONFIGS; c++) {
                double t_def = 0, stored = 0;
                for (size_t k = 0; k < nchunks; k++) {
                    tendo_chunk_shuffle(all + k * chunk_bytes, shuf, chunk_bytes, elem);
                    double t0 = cpu_s();
                    z_stream zs;
                    memset(&zs, 0, sizeof zs);
                    deflateInit2(&zs, CONFIGS[c].level, Z_DEFLATED, 15, 8, CONFIGS[c].strategy);
                    zs.next_in = shuf + j * plane;
                    zs.avail_in = (uInt)plane;
                    zs.next_out = out;
                    zs.avail_out = (uInt)cap;
                    deflate(&zs, Z_FINISH);
                    stored += (double)zs.total_out;
                    deflateEnd(&zs);
                    t_def += cpu_s() - t0;
                }
                double raw = (double)nchunks * (double)plane;
                double hist[256] = {0}, h = 0;
                for (size_t k = 0; k < nchunks; k++) {
                    tendo_chunk_shuffle(all + k * chunk_bytes, shuf, chunk_bytes, elem);
                    for (size_t i = 0; i < plane; i++)
                        hist[shuf[j * plane + i]]++;
                }
                for (int b = 0; b < 256; b++)
                    if (hist[b] > 0)
                        h -= hist[b] / raw * log2(hist[b] / raw);
                printf("| %s plane %zu (%.2f bits/byte) | %s | %.1f | %.2f | %.0f | |\n", names[d], j,
                       h, CONFIGS[c].name, raw / 1e6, raw / stored, raw / 1e6 / t_def);
            }
        free(all);
        free(shuf);
        free(back);
        free(out);
        H5Tclose(type);
        H5Sclose(space);
        H5Dclose(ds);
    }
    H5Fclose(f);
    return 0;
}
