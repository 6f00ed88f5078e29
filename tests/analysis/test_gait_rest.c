/*
 * test_gait_rest.c — a pod lying still (gravity plus sensor noise, any
 * mounting) gives zero strides and no orientation, without error; bad
 * options are refused with a message.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tendo_analysis.h"
#include "tendo_check.h"


static unsigned long long rng = 0x9E3779B97F4A7C15ULL;
static double gauss(void)
{
    double u[2];
    for (int k = 0; k < 2; k++) {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        u[k] = ((double)(rng >> 11) + 0.5) / 9007199254740992.0;
    }
    return sqrt(-2 * log(u[0])) * cos(2 * M_PI * u[1]);
}

int main(void)
{
    const double rates[] = {100, 1000, 2000};
    for (size_t r = 0; r < 3; r++) {
        double fs = rates[r];
        size_t n = (size_t)(90 * fs); /* longer than the 30 s calibration window */
        float *acc = malloc(3 * n * sizeof *acc), *gyr = malloc(3 * n * sizeof *gyr);
        double up[3] = {0.3, -0.5, 0.81}; /* an odd mounting */
        double un = sqrt(up[0] * up[0] + up[1] * up[1] + up[2] * up[2]);
        for (size_t i = 0; i < n; i++)
            for (int k = 0; k < 3; k++) {
                acc[3 * i + k] = (float)(9.81 * up[k] / un + 0.05 * gauss());
                gyr[3 * i + k] = (float)(0.01 * gauss()); /* ~0.6 °/s noise */
            }
        tendo_an_gait *g;
        tendo_error err = {0};
        tendo_an_gait_options opt = {.fs_hz = fs};
        CHECK(tendo_an_gait_new(&g, &opt, &err) == TENDO_OK, "%s", err.msg);
        for (size_t i = 0; i < n; i += 4096) {
            size_t k = n - i < 4096 ? n - i : 4096;
            CHECK(tendo_an_gait_push(g, acc + 3 * i, gyr + 3 * i, k, &err) == TENDO_OK, "%s",
                  err.msg);
        }
        CHECK(tendo_an_gait_finish(g, &err) == TENDO_OK, "%s", err.msg);
        tendo_an_stride s;
        size_t ns = 0;
        while (tendo_an_gait_next(g, &s))
            ns++;
        CHECK(ns == 0, "%g Hz: %zu strides found in a pod lying still", fs, ns);
        CHECK(tendo_an_gait_orientation(g) == NULL, "%g Hz: orientation from no movement", fs);
        tendo_an_gait_free(g);

        tendo_an_orientation o;
        tendo_error_clear(&err);
        CHECK(tendo_an_orientation_estimate(acc, gyr, n, fs, &o, &err) == TENDO_EDATA,
              "orientation from a still pod should be TENDO_EDATA");
        CHECK(strstr(err.msg, "override") != NULL, "message says what to do: %s", err.msg);
        free(acc);
        free(gyr);
    }
    tendo_an_gait *g = NULL;
    tendo_error err = {0};
    tendo_an_gait_options bad = {.fs_hz = 0};
    CHECK(tendo_an_gait_new(&g, &bad, &err) == TENDO_EUSAGE && g == NULL, "fs 0 accepted");
    if (failures)
        fprintf(stderr, "%d failure(s)\n", failures);
    else
        printf("gait at rest: all checks passed\n");
    return failures ? 1 : 0;
}
