/*
 * sync_plan.h — which pod recordings go into one session file (internal to
 * the sync engine; pure logic, unit-tested).
 *
 * A run recorded by both feet gives one recording on the left pod and one
 * on the right whose UTC spans overlap. Each left recording is paired with
 * the right recording of the same athlete that overlaps it most (greedy by
 * overlap, largest first); recordings left over become one-pod files.
 */
#ifndef TENDO_SYNC_PLAN_H
#define TENDO_SYNC_PLAN_H

#include <stddef.h>
#include <stdint.h>

typedef struct sync_item {
    /* in */
    size_t pod;               /* which attached pod */
    int right;                /* 0 left, 1 right */
    const char *athlete;      /* "" when the pod belongs to nobody */
    int64_t start_us, end_us; /* UTC span of the recording */
    /* out */
    size_t group; /* items with the same group share a file */
} sync_item;

/* Sets every item's group and returns the number of groups. Groups are
 * numbered by their earliest start (then pod), so files are written in
 * time order. */
size_t sync_plan_pairs(sync_item *items, size_t n);

#endif
