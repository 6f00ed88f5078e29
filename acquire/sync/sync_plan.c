#include "sync_plan.h"

#include <stdlib.h>
#include <string.h>

#include "tendo_array.h"

typedef struct candidate {
    size_t left, right;
    int64_t overlap;
} candidate;

static int by_overlap(const void *a, const void *b)
{
    const candidate *x = a, *y = b;
    if (x->overlap != y->overlap)
        return x->overlap > y->overlap ? -1 : 1;
    if (x->left != y->left)
        return x->left < y->left ? -1 : 1;
    return x->right < y->right ? -1 : (x->right > y->right);
}

typedef struct start_key {
    int64_t start_us;
    size_t pod, item;
} start_key;

static int by_start(const void *a, const void *b)
{
    const start_key *x = a, *y = b;
    if (x->start_us != y->start_us)
        return x->start_us < y->start_us ? -1 : 1;
    if (x->pod != y->pod)
        return x->pod < y->pod ? -1 : 1;
    return x->item < y->item ? -1 : (x->item > y->item);
}

static size_t one_file_each(sync_item *items, size_t n)
{
    for (size_t i = 0; i < n; i++)
        items[i].group = i;
    return n;
}

size_t sync_plan_pairs(sync_item *items, size_t n)
{
    /* Out of memory: every recording in a file of its own is still right. */
    size_t *partner = malloc((n ? n : 1) * sizeof *partner);
    start_key *order = malloc((n ? n : 1) * sizeof *order);
    candidate *c = NULL;
    size_t nc = 0, cap = 0;
    if (!partner || !order) {
        free(partner);
        free(order);
        return one_file_each(items, n);
    }
    for (size_t i = 0; i < n; i++) {
        partner[i] = (size_t)-1;
        for (size_t j = 0; j < n; j++) {
            if (items[i].right || !items[j].right || items[i].pod == items[j].pod ||
                strcmp(items[i].athlete, items[j].athlete) != 0)
                continue;
            int64_t lo =
                items[i].start_us > items[j].start_us ? items[i].start_us : items[j].start_us;
            int64_t hi = items[i].end_us < items[j].end_us ? items[i].end_us : items[j].end_us;
            if (hi <= lo)
                continue;
            candidate *grown = tendo_array_reserve(c, &cap, nc, sizeof *c, 16);
            if (!grown) {
                free(partner);
                free(order);
                free(c);
                return one_file_each(items, n);
            }
            c = grown;
            c[nc++] = (candidate){i, j, hi - lo};
        }
    }
    if (nc)
        qsort(c, nc, sizeof *c, by_overlap);
    for (size_t k = 0; k < nc; k++)
        if (partner[c[k].left] == (size_t)-1 && partner[c[k].right] == (size_t)-1) {
            partner[c[k].left] = c[k].right;
            partner[c[k].right] = c[k].left;
        }
    /* Number groups by the earliest start of their members. */
    for (size_t i = 0; i < n; i++)
        order[i] = (start_key){items[i].start_us, items[i].pod, i};
    qsort(order, n, sizeof *order, by_start);
    size_t groups = 0;
    for (size_t i = 0; i < n; i++)
        items[i].group = (size_t)-1;
    for (size_t k = 0; k < n; k++) {
        size_t i = order[k].item;
        if (items[i].group != (size_t)-1)
            continue;
        items[i].group = groups;
        if (partner[i] != (size_t)-1)
            items[partner[i]].group = groups;
        groups++;
    }
    free(partner);
    free(c);
    free(order);
    return groups;
}
