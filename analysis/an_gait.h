/*
 * an_gait.h — internal interfaces between the gait driver and its steps.
 */
#ifndef TENDO_AN_GAIT_H
#define TENDO_AN_GAIT_H

#include <stddef.h>
#include <stdint.h>

#include "tendo_analysis.h"

/* Accelerometer samples at the sensor's full scale: mask[i] bit k set when
 * sensor axis k of sample i is clipped (mask NULL: nothing marked); axis + 3k
 * is that sensor axis in the frame of the data integrated (unit vector),
 * also used for the scale-error sensitivities. */
typedef struct an_clip {
    const uint8_t *mask;
    double axis[9];
} an_clip;

/* Integrates one stride, samples 0..n-1 of foot- or sensor-frame data, from
 * a zero-velocity instant (sample 0) to the next (sample n-1). a0 is the mean
 * specific force over the starting zero-velocity window (initial attitude
 * and local g). Fills *drift (if not NULL) with the stride's sensitivities
 * to constant sensor biases. Returns 0, or -1 if the data cannot be
 * integrated. clip (NULL: none) marks clipped samples: the part of the
 * end velocity along their axes is attributed to them rather than spread
 * over the stride (MODELS.md, "Clipped impacts"). */
int an_stride_integrate(const float *acc, const float *gyro, size_t n, const double *a0,
                        double fs_hz, const an_clip *clip, double *length_m, double *dz_m,
                        tendo_an_drift *drift);

#endif
