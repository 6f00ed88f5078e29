/*
 * test_analyze_threads.c — tendo_analyze_file gives the same result with
 * 1, 2 and 4 threads (tools/analyze/analyze_pipe.c), also when it fails.
 *
 * Usage: test_an_threads FILE.h5...
 *   Analyses each file in-process (trusted = 1: no sandboxed probe first, so
 *   a damaged chunk reaches the pipeline's reader instead of the probe's
 *   validator) with 1, 2 and 4 threads, and checks that the return code,
 *   the error message, the JSON line and the steps CSV are byte-identical.
 *   Prints one line per file: "FILE: ok STEPS steps" or "FILE: error CODE
 *   MESSAGE", for analyze_cli_test.py (case threads) to check.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze_run.h"
#include "tendo_check.h"

typedef struct outcome {
    int rc;
    char msg[TENDO_ERROR_MSG_MAX];
    char *json, *csv;
    size_t csv_len, steps;
} outcome;

static void run(const char *path, int threads, outcome *o)
{
    memset(o, 0, sizeof *o);
    tendo_analyze_options opt;
    tendo_analyze_defaults(&opt);
    opt.store = 0;
    opt.trusted = 1;
    opt.threads = threads;
    tendo_analyze_result *r;
    tendo_error err = {0};
    o->rc = tendo_analyze_file(path, &opt, &r, &err);
    if (o->rc != TENDO_OK) {
        snprintf(o->msg, sizeof o->msg, "%s", err.msg);
        return;
    }
    o->json = tendo_analyze_json_string(r);
    FILE *f = open_memstream(&o->csv, &o->csv_len);
    if (f) {
        tendo_analyze_csv_rows(f, r);
        fclose(f);
    }
    o->steps = tendo_analyze_summary(r)->steps;
    tendo_analyze_free(r);
}

static void release(outcome *o)
{
    cJSON_free(o->json);
    free(o->csv);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE.h5...\n", argv[0]);
        return 2;
    }
    static const int threads[] = {1, 2, 4};
    for (int a = 1; a < argc; a++) {
        outcome o[3];
        for (int k = 0; k < 3; k++)
            run(argv[a], threads[k], &o[k]);
        for (int k = 1; k < 3; k++) {
            CHECK(o[k].rc == o[0].rc, "%s: threads %d: code %d, 1 thread: %d", argv[a],
                        threads[k], o[k].rc, o[0].rc);
            CHECK(!strcmp(o[k].msg, o[0].msg), "%s: threads %d: '%s', 1 thread: '%s'",
                        argv[a], threads[k], o[k].msg, o[0].msg);
            CHECK((!o[k].json && !o[0].json) ||
                            (o[k].json && o[0].json && !strcmp(o[k].json, o[0].json)),
                        "%s: threads %d: JSON differs", argv[a], threads[k]);
            CHECK(o[k].csv_len == o[0].csv_len &&
                            (o[0].csv_len == 0 || !memcmp(o[k].csv, o[0].csv, o[0].csv_len)),
                        "%s: threads %d: steps CSV differs", argv[a], threads[k]);
        }
        if (o[0].rc == TENDO_OK)
            printf("%s: ok %zu steps\n", argv[a], o[0].steps);
        else
            printf("%s: error %d %s\n", argv[a], o[0].rc, o[0].msg);
        for (int k = 0; k < 3; k++)
            release(&o[k]);
    }
    return tendo_check_report("analyze threads: 1, 2 and 4 threads agree");
}
