/*
 * batch_merge.c — `tendo batch --merge SHARD_DIR... --out DIR`: the output
 * folders of a study split with --shard I/N become one, with the tables an
 * unsplit run would have written (rows rebuilt from the shards' journals,
 * sorted by file) and a journal of its own, so DIR is an ordinary batch
 * folder (a later --resume over all inputs reuses every session).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "batch.h"
#include "batch_output.h"
#include "batch_progress.h"
#include "batch_state.h"
#include "tendo_version.h"

static char *slurp(const char *path, size_t *len, tendo_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        tendo_error_set(err, errno == ENOENT ? TENDO_ENOINPUT : TENDO_EIO, "cannot open %s: %s",
                        path, strerror(errno));
        return NULL;
    }
    char *buf = NULL;
    size_t cap = 0;
    *len = 0;
    for (;;) {
        if (*len + 65536 > cap) {
            char *g = realloc(buf, cap = cap ? cap * 2 : 131072);
            if (!g) {
                free(buf);
                fclose(f);
                tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
                return NULL;
            }
            buf = g;
        }
        size_t n = fread(buf + *len, 1, cap - *len - 1, f);
        *len += n;
        if (n == 0)
            break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        tendo_error_set(err, TENDO_EIO, "reading %s failed", path);
        return NULL;
    }
    buf[*len] = '\0';
    return buf;
}

typedef struct shard {
    const char *dir;
    cJSON *run;      /* its run.json */
    cJSON *journal;  /* its journal entries */
    cJSON **latest;
    size_t nlatest;
} shard;

static int load_shard(shard *s, tendo_error *err)
{
    char path[4200];
    size_t len;
    snprintf(path, sizeof path, "%s/run.json", s->dir);
    char *text = slurp(path, &len, err);
    if (!text) {
        tendo_error_prefix(err, "%s is not a finished batch folder: ", s->dir);
        return err->code;
    }
    s->run = cJSON_Parse(text);
    free(text);
    if (!s->run)
        return tendo_error_set(err, TENDO_EDATA, "%s is not JSON", path);
    if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(s->run, "complete")))
        return tendo_error_set(err, TENDO_EDATA,
                               "%s did not finish (its run.json says complete: false); run "
                               "that shard again with --resume, then merge",
                               s->dir);
    snprintf(path, sizeof path, "%s/%s", s->dir, BATCH_JOURNAL_NAME);
    int rc = batch_journal_load(path, &s->journal, err);
    if (rc != TENDO_OK)
        return rc;
    s->latest = batch_latest_entries(s->journal, &s->nlatest);
    return s->latest ? TENDO_OK : tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
}

/* Every shard ran with the same parameters; with --shard, each of 1..N is
 * there exactly once. */
static int check_shards(shard *sh, size_t n, tendo_error *err)
{
    cJSON *p0 = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(sh[0].run, "parameters"), 1);
    const cJSON *s0 = cJSON_GetObjectItemCaseSensitive(p0, "shard");
    int nshards = 0;
    if (cJSON_IsString(s0))
        sscanf(s0->valuestring, "%*d/%d", &nshards);
    cJSON_DeleteItemFromObjectCaseSensitive(p0, "shard");
    int *seen = calloc((size_t)nshards + 1, sizeof *seen);
    int rc = seen ? TENDO_OK : tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
    for (size_t i = 0; rc == TENDO_OK && i < n; i++) {
        cJSON *p = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(sh[i].run, "parameters"), 1);
        const cJSON *si = cJSON_GetObjectItemCaseSensitive(p, "shard");
        int a = 0, b = 0;
        if (cJSON_IsString(si))
            sscanf(si->valuestring, "%d/%d", &a, &b);
        cJSON_DeleteItemFromObjectCaseSensitive(p, "shard");
        if (!cJSON_Compare(p, p0, 1))
            rc = tendo_error_set(err, TENDO_EDATA,
                                 "%s ran with other parameters than %s (see their run.json); "
                                 "only shards of one batch can be merged",
                                 sh[i].dir, sh[0].dir);
        else if (b != nshards || (nshards && (a < 1 || a > nshards)))
            rc = tendo_error_set(err, TENDO_EDATA, "%s is not a shard of %d like %s", sh[i].dir,
                                 nshards, sh[0].dir);
        else if (nshards && seen[a]++)
            rc = tendo_error_set(err, TENDO_EDATA, "shard %d/%d is given twice (%s)", a, nshards,
                                 sh[i].dir);
        cJSON_Delete(p);
    }
    for (int a = 1; rc == TENDO_OK && a <= nshards; a++)
        if (!seen[a])
            rc = tendo_error_set(err, TENDO_EDATA,
                                 "shard %d/%d is missing: give every shard's folder", a, nshards);
    free(seen);
    cJSON_Delete(p0);
    return rc;
}

typedef struct merged {
    const char *file;
    cJSON *entry; /* owned by its shard's journal */
    const char *dir;
} merged;

static int by_file(const void *a, const void *b)
{
    return strcmp(((const merged *)a)->file, ((const merged *)b)->file);
}

static int copy_steps(const char *from_dir, const char *to_dir, const char *name,
                      tendo_error *err)
{
    char src[4400], dst[4400];
    snprintf(src, sizeof src, "%s/%s", from_dir, name);
    snprintf(dst, sizeof dst, "%s/%s", to_dir, name);
    size_t len;
    char *data = slurp(src, &len, err);
    if (!data)
        return err->code;
    int rc = batch_write_atomic(dst, data, len, err);
    free(data);
    return rc;
}

int batch_merge(const char *const *dirs, size_t ndirs, const char *out_dir, int force,
                batch_counts *counts, char **run_json, tendo_error *err)
{
    memset(counts, 0, sizeof *counts);
    if (run_json)
        *run_json = NULL;
    double t0 = batch_now();
    shard *sh = calloc(ndirs, sizeof *sh);
    int rc = sh ? TENDO_OK : tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
    for (size_t i = 0; rc == TENDO_OK && i < ndirs; i++) {
        sh[i].dir = dirs[i];
        rc = load_shard(&sh[i], err);
    }
    if (rc == TENDO_OK)
        rc = check_shards(sh, ndirs, err);
    merged *m = NULL;
    size_t n = 0, cap = 0;
    for (size_t i = 0; rc == TENDO_OK && i < ndirs; i++) {
        const cJSON *files = cJSON_GetObjectItemCaseSensitive(sh[i].run, "files");
        for (const cJSON *f = files ? files->child : NULL; rc == TENDO_OK && f; f = f->next) {
            if (!cJSON_IsString(f))
                continue;
            cJSON *e = (cJSON *)batch_find_entry(sh[i].latest, sh[i].nlatest, f->valuestring);
            if (!e) {
                rc = tendo_error_set(err, TENDO_EDATA, "%s: no journal entry for %s", sh[i].dir,
                                     f->valuestring);
                break;
            }
            if (n == cap) {
                merged *g = realloc(m, (cap = cap ? cap * 2 : 256) * sizeof *g);
                if (!g) {
                    rc = tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
                    break;
                }
                m = g;
            }
            cJSON_DeleteItemFromObjectCaseSensitive(e, "_line");
            m[n++] = (merged){f->valuestring, e, sh[i].dir};
        }
    }
    if (rc == TENDO_OK && n)
        qsort(m, n, sizeof *m, by_file);
    for (size_t i = 1; rc == TENDO_OK && i < n; i++)
        if (!strcmp(m[i].file, m[i - 1].file))
            rc = tendo_error_set(err, TENDO_EDATA, "%s was analysed in both %s and %s",
                                 m[i].file, m[i - 1].dir, m[i].dir);

    int lock_fd = -1;
    const cJSON *p0 = rc == TENDO_OK
                          ? cJSON_GetObjectItemCaseSensitive(sh[0].run, "parameters")
                          : NULL;
    int steps = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(p0, "steps"));
    if (rc == TENDO_OK)
        rc = batch_open_dir(out_dir, steps, &lock_fd, err);
    char jpath[4200];
    snprintf(jpath, sizeof jpath, "%s/%s", out_dir, BATCH_JOURNAL_NAME);
    struct stat st;
    if (rc == TENDO_OK && !force && stat(jpath, &st) == 0 && st.st_size > 0)
        rc = tendo_error_set(err, TENDO_ECANTCREAT,
                             "%s holds a batch already; merge into a new folder, or add --force",
                             out_dir);
    batch_journal *j = NULL;
    if (rc == TENDO_OK) {
        batch_empty_folder(out_dir, "steps");
        rc = batch_journal_open(jpath, 1, &j, NULL, err);
    }
    cJSON **entries = rc == TENDO_OK ? malloc((n ? n : 1) * sizeof *entries) : NULL;
    const char **names = rc == TENDO_OK ? malloc((n ? n : 1) * sizeof *names) : NULL;
    if (rc == TENDO_OK && (!entries || !names))
        rc = tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
    for (size_t i = 0; rc == TENDO_OK && i < n; i++) {
        entries[i] = m[i].entry;
        names[i] = m[i].file;
        const cJSON *sf = cJSON_GetObjectItemCaseSensitive(m[i].entry, "steps_file");
        if (cJSON_IsString(sf))
            rc = copy_steps(m[i].dir, out_dir, sf->valuestring, err);
        char *line = rc == TENDO_OK ? cJSON_PrintUnformatted(m[i].entry) : NULL;
        if (rc == TENDO_OK)
            rc = line ? batch_journal_append(j, line, err)
                      : tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
        free(line);
    }
    if (rc == TENDO_OK)
        rc = batch_write_tables(out_dir, entries, names, n, steps, err);
    if (rc == TENDO_OK) {
        batch_count(entries, n, counts);
        counts->reused = n;
        cJSON *run = cJSON_CreateObject();
        cJSON_AddStringToObject(run, "tendo_version", TENDO_VERSION);
        cJSON_AddStringToObject(run, "algorithm_version",
                                cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
                                    sh[0].run, "algorithm_version")));
        cJSON_AddStringToObject(run, "command", "tendo batch --merge");
        cJSON *p = cJSON_Duplicate(p0, 1);
        cJSON_ReplaceItemInObjectCaseSensitive(p, "shard", cJSON_CreateNull());
        cJSON_AddItemToObject(run, "parameters", p);
        cJSON *from = cJSON_AddArrayToObject(run, "merged_from");
        for (size_t i = 0; i < ndirs; i++)
            cJSON_AddItemToArray(from, cJSON_CreateString(dirs[i]));
        cJSON_AddItemToObject(run, "counts", batch_counts_json(counts));
        cJSON_AddNumberToObject(run, "data_hours", counts->data_hours);
        cJSON_AddBoolToObject(run, "complete", 1);
        cJSON_AddNumberToObject(run, "wall_s", batch_now() - t0);
        cJSON *files = cJSON_AddArrayToObject(run, "files");
        for (size_t i = 0; i < n; i++)
            cJSON_AddItemToArray(files, cJSON_CreateString(names[i]));
        rc = batch_write_run_json(out_dir, run, NULL, err);
        if (rc == TENDO_OK && run_json) {
            cJSON_DeleteItemFromObjectCaseSensitive(run, "files");
            *run_json = cJSON_PrintUnformatted(run);
        }
        cJSON_Delete(run);
    }
    batch_journal_close(j);
    free(entries);
    free(names);
    free(m);
    for (size_t i = 0; sh && i < ndirs; i++) {
        free(sh[i].latest);
        cJSON_Delete(sh[i].journal);
        cJSON_Delete(sh[i].run);
    }
    free(sh);
    if (lock_fd >= 0)
        close(lock_fd);
    return rc;
}
