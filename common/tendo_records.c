/*
 * tendo_records.c — tendo_records_memory: the records in one array grown by
 * tendo_array_reserve (see tendo_records.h).
 */
#include "tendo_records.h"

#include <stdlib.h>
#include <string.h>

#include "tendo_array.h"

typedef struct mem_list {
    size_t rec, n, cap;
    unsigned char *data;
} mem_list;

static int mem_open(void **list, size_t rec_size, tendo_error *err)
{
    *list = NULL;
    if (rec_size == 0)
        return tendo_error_set(err, TENDO_EINTERNAL, "records: records of 0 bytes");
    mem_list *m = calloc(1, sizeof *m);
    if (!m)
        return tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
    m->rec = rec_size;
    *list = m;
    return TENDO_OK;
}

static void mem_close(void *list)
{
    mem_list *m = list;
    if (m)
        free(m->data);
    free(m);
}

static size_t mem_count(const void *list)
{
    return ((const mem_list *)list)->n;
}

static int mem_push(void *list, const void *rec, tendo_error *err)
{
    mem_list *m = list;
    unsigned char *d = tendo_array_reserve(m->data, &m->cap, m->n, m->rec, 64);
    if (!d)
        return tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
    m->data = d;
    memcpy(d + m->n * m->rec, rec, m->rec);
    m->n++;
    return TENDO_OK;
}

static int mem_get(void *list, size_t i, void *rec, tendo_error *err)
{
    const mem_list *m = list;
    if (i >= m->n)
        return tendo_error_set(err, TENDO_EINTERNAL, "records: record %zu of %zu", i, m->n);
    memcpy(rec, m->data + i * m->rec, m->rec);
    return TENDO_OK;
}

const tendo_records_ops tendo_records_memory = {mem_open, mem_close, mem_count, mem_push, mem_get};
