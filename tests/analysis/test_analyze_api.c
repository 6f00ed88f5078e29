/*
 * test_analyze_api.c — the "analyze one file" API (tools/analyze) is what
 * `tendo analyze` prints, and it is reentrant.
 *
 * Usage: test_an_api FILE.h5 OUT_PREFIX
 *   Analyses FILE.h5 once (store = 0) and writes the --json line to
 *   OUT_PREFIX.json, the steps CSV (header + rows) to OUT_PREFIX.csv and the
 *   summary text to OUT_PREFIX.txt, for analyze_cli_test.py (case api) to
 *   compare byte for byte with the command's output. Then analyses the same
 *   file in 4 threads at once, twice over, and checks that every thread's
 *   outputs equal the single-threaded ones (FFTW planning and HDF5 shared by
 *   the threads).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze_run.h"
#include "tendo_check.h"

#define THREADS 4

typedef struct outputs {
    char *json, *csv, *txt;
    size_t csv_len, txt_len;
} outputs;

static int run(const char *path, outputs *o)
{
    memset(o, 0, sizeof *o);
    tendo_analyze_options opt;
    tendo_analyze_defaults(&opt);
    opt.store = 0;
    opt.mass_kg = 70;
    tendo_analyze_result *r;
    tendo_error err = {0};
    if (tendo_analyze_file(path, &opt, &r, &err) != TENDO_OK) {
        fprintf(stderr, "analyze: %s\n", err.msg);
        return -1;
    }
    o->json = tendo_analyze_json_string(r);
    FILE *f = open_memstream(&o->csv, &o->csv_len);
    int rc = f && tendo_analyze_csv_header(f) == 0 && tendo_analyze_csv_rows(f, r) == 0 ? 0 : -1;
    if (f)
        fclose(f);
    FILE *t = open_memstream(&o->txt, &o->txt_len);
    if (t) {
        tendo_analyze_print_summary(t, r);
        fclose(t);
    }
    tendo_analyze_free(r);
    return o->json && o->txt && rc == 0 ? 0 : -1;
}

static void release(outputs *o)
{
    cJSON_free(o->json);
    free(o->csv);
    free(o->txt);
}

typedef struct job {
    const char *path;
    outputs out;
    int rc;
} job;

static void *worker(void *arg)
{
    job *j = arg;
    j->rc = run(j->path, &j->out);
    return NULL;
}

static int write_file(const char *prefix, const char *ext, const char *data, size_t len)
{
    char name[4096];
    snprintf(name, sizeof name, "%s%s", prefix, ext);
    FILE *f = fopen(name, "w");
    if (!f)
        return -1;
    size_t w = fwrite(data, 1, len, f);
    return fclose(f) == 0 && w == len ? 0 : -1;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s FILE.h5 OUT_PREFIX\n", argv[0]);
        return 2;
    }
    outputs ref;
    if (run(argv[1], &ref) != 0) {
        fprintf(stderr, "FAIL: single-threaded analysis of %s\n", argv[1]);
        return 1;
    }
    CHECK(write_file(argv[2], ".json", ref.json, strlen(ref.json)) == 0, "write json");
    CHECK(write_file(argv[2], ".csv", ref.csv, ref.csv_len) == 0, "write csv");
    CHECK(write_file(argv[2], ".txt", ref.txt, ref.txt_len) == 0, "write txt");
    CHECK(ref.csv_len > 200, "the file has steps (%zu CSV bytes)", ref.csv_len);

    for (int round = 0; round < 2; round++) {
        job jobs[THREADS];
        pthread_t th[THREADS];
        for (int i = 0; i < THREADS; i++) {
            jobs[i] = (job){.path = argv[1]};
            CHECK(pthread_create(&th[i], NULL, worker, &jobs[i]) == 0, "thread %d starts", i);
        }
        for (int i = 0; i < THREADS; i++) {
            pthread_join(th[i], NULL);
            CHECK(jobs[i].rc == 0, "thread %d analysed the file", i);
            if (jobs[i].rc != 0)
                continue;
            CHECK(!strcmp(jobs[i].out.json, ref.json), "thread %d: same JSON", i);
            CHECK(jobs[i].out.csv_len == ref.csv_len &&
                      !memcmp(jobs[i].out.csv, ref.csv, ref.csv_len),
                  "thread %d: same steps CSV", i);
            CHECK(jobs[i].out.txt_len == ref.txt_len &&
                      !memcmp(jobs[i].out.txt, ref.txt, ref.txt_len),
                  "thread %d: same summary", i);
            release(&jobs[i].out);
        }
    }
    release(&ref);
    return tendo_check_report("analyze API: outputs written; 4 threads x 2 rounds compared");
}
