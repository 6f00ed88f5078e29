#include "tendo_array.h"

#include <stdint.h>
#include <stdlib.h>

void *tendo_array_reserve(void *items, size_t *cap, size_t len, size_t elem_size,
                          size_t initial)
{
    if (len < *cap)
        return items;
    size_t grown = *cap ? 2 * *cap : initial;
    if (grown <= len || grown > SIZE_MAX / elem_size)
        return NULL;
    void *bigger = realloc(items, grown * elem_size);
    if (bigger)
        *cap = grown;
    return bigger;
}
