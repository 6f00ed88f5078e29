/*
 * batch_discover.c — input discovery (see batch_discover.h).
 */
#include "batch_discover.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tendo_array.h"

typedef struct found_list {
    batch_found *f;
    size_t len, cap;
    dev_t skip_dev;
    ino_t skip_ino;
    int have_skip;
} found_list;

static int add(found_list *l, const char *path, const struct stat *st, tendo_error *err)
{
    batch_found *f = tendo_array_reserve(l->f, &l->cap, l->len, sizeof *f, 64);
    char *copy = strdup(path);
    if (!f || !copy) {
        free(copy);
        if (f)
            l->f = f;
        return tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
    }
    l->f = f;
    l->f[l->len++] = (batch_found){copy, st->st_dev, st->st_ino, (int64_t)st->st_size};
    return TENDO_OK;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && !strcmp(s + a - b, suffix);
}

static int walk(found_list *l, const char *dir, tendo_error *err)
{
    DIR *d = opendir(dir);
    if (!d)
        return tendo_error_set(err, errno == ENOENT ? TENDO_ENOINPUT : TENDO_EIO,
                               "cannot read the folder %s: %s", dir, strerror(errno));
    int rc = TENDO_OK;
    struct dirent *e;
    while (rc == TENDO_OK && (errno = 0, e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue; /* ".", "..", hidden files, writers' temporaries */
        size_t len = strlen(dir) + strlen(e->d_name) + 2;
        char *path = malloc(len);
        if (!path) {
            rc = tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
            break;
        }
        snprintf(path, len, "%s%s%s", dir, ends_with(dir, "/") ? "" : "/", e->d_name);
        struct stat lst, st;
        if (lstat(path, &lst) != 0) {
            free(path);
            continue; /* vanished meanwhile */
        }
        if (S_ISDIR(lst.st_mode)) {
            if (!(l->have_skip && lst.st_dev == l->skip_dev && lst.st_ino == l->skip_ino))
                rc = walk(l, path, err);
        } else if (ends_with(e->d_name, ".h5") && stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
            rc = add(l, path, &st, err);
        }
        free(path);
    }
    if (rc == TENDO_OK && errno != 0)
        rc = tendo_error_set(err, TENDO_EIO, "cannot read the folder %s: %s", dir,
                             strerror(errno));
    closedir(d);
    return rc;
}

static int by_path(const void *a, const void *b)
{
    return strcmp(((const batch_found *)a)->path, ((const batch_found *)b)->path);
}

/* A file's identity and its place in the path order. */
typedef struct identity {
    dev_t dev;
    ino_t ino;
    size_t index;
} identity;

static int by_identity(const void *a, const void *b)
{
    const identity *x = a, *y = b;
    if (x->dev != y->dev)
        return x->dev < y->dev ? -1 : 1;
    if (x->ino != y->ino)
        return x->ino < y->ino ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

int batch_discover(const char *const *inputs, size_t n, const char *skip_dir, batch_found **out,
                   size_t *nout, tendo_error *err)
{
    found_list l = {0};
    struct stat st;
    if (skip_dir && stat(skip_dir, &st) == 0) {
        l.have_skip = 1;
        l.skip_dev = st.st_dev;
        l.skip_ino = st.st_ino;
    }
    int rc = TENDO_OK;
    for (size_t i = 0; rc == TENDO_OK && i < n; i++) {
        if (stat(inputs[i], &st) != 0)
            rc = tendo_error_set(err, errno == ENOENT ? TENDO_ENOINPUT : TENDO_EIO,
                                 "%s: %s", inputs[i], strerror(errno));
        else if (S_ISDIR(st.st_mode))
            rc = walk(&l, inputs[i], err);
        else
            rc = add(&l, inputs[i], &st, err);
    }
    if (rc != TENDO_OK) {
        batch_found_free(l.f, l.len);
        return rc;
    }
    if (l.len)
        qsort(l.f, l.len, sizeof *l.f, by_path);
    /* one entry per file: the first path in sorted order names it */
    identity *order = malloc((l.len ? l.len : 1) * sizeof *order);
    if (!order) {
        batch_found_free(l.f, l.len);
        return tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
    }
    for (size_t i = 0; i < l.len; i++)
        order[i] = (identity){l.f[i].dev, l.f[i].ino, i};
    qsort(order, l.len, sizeof *order, by_identity);
    for (size_t i = 1; i < l.len; i++)
        if (order[i].dev == order[i - 1].dev && order[i].ino == order[i - 1].ino) {
            free(l.f[order[i].index].path); /* a later path to the same file */
            l.f[order[i].index].path = NULL;
        }
    free(order);
    size_t k = 0;
    for (size_t i = 0; i < l.len; i++)
        if (l.f[i].path)
            l.f[k++] = l.f[i];
    *out = l.f;
    *nout = k;
    return TENDO_OK;
}

void batch_found_free(batch_found *f, size_t n)
{
    for (size_t i = 0; f && i < n; i++)
        free(f[i].path);
    free(f);
}
