/*
 * tendo_array.h — growth of the append-only arrays (strides, steps,
 * estimates) that tendo builds while streaming.
 */
#ifndef TENDO_ARRAY_H
#define TENDO_ARRAY_H

#include <stddef.h>

/* Makes room for element number `len` of an array of `elem_size`-byte
 * elements holding *cap: when len == *cap the capacity doubles (starting at
 * `initial`) and the array is reallocated. Returns the array to use from now
 * on (items itself when there was room), or NULL when out of memory — then
 * items and *cap are unchanged and still valid. */
void *tendo_array_reserve(void *items, size_t *cap, size_t len, size_t elem_size,
                          size_t initial);

#endif
