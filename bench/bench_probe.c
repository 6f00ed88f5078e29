/*
 * bench_probe: what the sandboxed check of an untrusted file costs
 * (tendo_probe, SECURITY.md) against an in-process tendo_validate and a bare
 * tendo_reader_open of the same file. Prints milliseconds per file (median
 * of the repeats). Not a test.
 *
 *   build/bench/bench_probe FILE.h5 [REPEATS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "tendo_session.h"

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

enum { OPEN, VALIDATE, PROBE, KINDS };

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_probe FILE.h5 [REPEATS]\n");
        return 64;
    }
    int reps = argc > 2 ? atoi(argv[2]) : 5;
    if (reps < 1 || reps > 1000)
        reps = 5;
    double *t[KINDS];
    for (int k = 0; k < KINDS; k++)
        t[k] = calloc((size_t)reps, sizeof(double));
    for (int i = 0; i < reps; i++) {
        tendo_error err = {0};
        tendo_report rep;
        double t0 = now_ms();
        tendo_reader *r = NULL;
        int rc = tendo_reader_open(&r, argv[1], &err);
        tendo_reader_close(r);
        double t1 = now_ms();
        if (rc == TENDO_OK)
            rc = tendo_validate(argv[1], &rep, &err);
        double t2 = now_ms();
        if (rc == TENDO_OK)
            rc = tendo_probe(argv[1], NULL, &err); /* what analyze, export... run */
        double t3 = now_ms();
        if (rc != TENDO_OK) {
            fprintf(stderr, "bench_probe: %s\n", err.msg);
            return tendo_exit_code(rc);
        }
        t[OPEN][i] = t1 - t0;
        t[VALIDATE][i] = t2 - t1;
        t[PROBE][i] = t3 - t2;
    }
    for (int k = 0; k < KINDS; k++)
        qsort(t[k], (size_t)reps, sizeof(double), cmp);
    printf("%s: median of %d: open %.1f ms, validate in-process %.1f ms, "
           "tendo_probe (the sandboxed check) %.1f ms\n",
           argv[1], reps, t[OPEN][reps / 2], t[VALIDATE][reps / 2], t[PROBE][reps / 2]);
    for (int k = 0; k < KINDS; k++)
        free(t[k]);
    return 0;
}
