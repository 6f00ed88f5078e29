/*
 * tendo_clock.h — elapsed time for timeouts, rates and benchmarks.
 */
#ifndef TENDO_CLOCK_H
#define TENDO_CLOCK_H

/* Seconds on CLOCK_MONOTONIC: only differences mean anything; never jumps
 * with the wall clock. */
double tendo_monotonic_s(void);

#endif
