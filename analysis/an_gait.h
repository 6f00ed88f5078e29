/*
 * an_gait.h — internal interfaces between the gait driver and its steps.
 */
#ifndef TENDO_AN_GAIT_H
#define TENDO_AN_GAIT_H

#include <stddef.h>

#include "tendo_analysis.h"

/* Integrates one stride, samples 0..n-1 of foot- or sensor-frame data, from
 * a zero-velocity instant (sample 0) to the next (sample n-1). a0 is the mean
 * specific force over the starting zero-velocity window (initial attitude
 * and local g). Fills *drift (if not NULL) with the stride's sensitivities
 * to constant sensor biases. Returns 0, or -1 if the data cannot be
 * integrated. */
int an_stride_integrate(const float *acc, const float *gyro, size_t n, const double *a0,
                        double fs_hz, double *length_m, double *dz_m, tendo_an_drift *drift);

#endif
