/*
 * batch_run.c — the batch engine (see batch.h): jobs from the manifest and
 * the INPUT folders, the journal of an earlier run, the coordinator that
 * hands jobs to a transport largest first and records every result, and
 * the outputs rebuilt from the journal.
 */
#include "batch.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "analyze_run.h"
#include "batch_discover.h"
#include "batch_journal.h"
#include "batch_manifest.h"
#include "batch_output.h"
#include "batch_progress.h"
#include "batch_state.h"
#include "tendo_analysis.h"
#include "tendo_session.h"
#include "tendo_version.h"

/* ------------------------------------------------------------ signals */

static volatile sig_atomic_t g_stop;

static void on_signal(int sig)
{
    (void)sig;
    g_stop = 1;
}

/* ------------------------------------------------------------ jobs */

static int by_file(const void *a, const void *b)
{
    return strcmp(((const batch_job *)a)->file, ((const batch_job *)b)->file);
}

static int64_t file_size(const char *path)
{
    struct stat st;
    return path && stat(path, &st) == 0 ? (int64_t)st.st_size : 0;
}

/* The manifest's jobs, then every INPUT file not already in it. */
static int build_jobs(const batch_options *o, batch_job **out, size_t *nout, tendo_error *err)
{
    batch_job def = {.placement = o->placement, .mass_kg = o->mass_kg, .damage_k = o->damage_k};
    batch_job *jobs = NULL;
    size_t n = 0;
    int rc = TENDO_OK;
    if (o->manifest)
        rc = batch_manifest_read(o->manifest, &def, &jobs, &n, err);
    batch_found *found = NULL;
    size_t nfound = 0;
    if (rc == TENDO_OK && o->ninputs)
        rc = batch_discover(o->inputs, o->ninputs, o->out_dir, &found, &nfound, err);
    if (rc == TENDO_OK && nfound) {
        batch_job *g = realloc(jobs, (n + nfound) * sizeof *g);
        if (!g)
            rc = tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
        else
            jobs = g;
    }
    /* a file both in the manifest and in a folder runs once, with the
     * manifest's options */
    struct stat *mst = rc == TENDO_OK ? calloc(n ? n : 1, sizeof *mst) : NULL;
    int *mok = rc == TENDO_OK ? calloc(n ? n : 1, sizeof *mok) : NULL;
    if (rc == TENDO_OK && (!mst || !mok))
        rc = tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
    for (size_t i = 0; rc == TENDO_OK && i < n; i++)
        mok[i] = stat(jobs[i].file, &mst[i]) == 0;
    size_t manifest_n = n;
    for (size_t k = 0; rc == TENDO_OK && k < nfound; k++) {
        int dup = 0;
        for (size_t i = 0; i < manifest_n && !dup; i++)
            dup = mok[i] && mst[i].st_dev == found[k].dev && mst[i].st_ino == found[k].ino;
        if (dup)
            continue;
        batch_job *j = &jobs[n];
        memset(j, 0, sizeof *j);
        j->format = BATCH_H5;
        j->placement = o->placement;
        j->mass_kg = o->mass_kg;
        j->damage_k = o->damage_k;
        j->file = found[k].path;
        found[k].path = NULL;
        n++;
        rc = batch_job_make_params(j, err);
    }
    free(mst);
    free(mok);
    batch_found_free(found, nfound);
    for (size_t i = 0; rc == TENDO_OK && i < n; i++)
        jobs[i].bytes = file_size(jobs[i].file) + file_size(jobs[i].pair);
    if (rc != TENDO_OK) {
        for (size_t i = 0; i < n; i++)
            batch_job_clear(&jobs[i]);
        free(jobs);
        return rc;
    }
    if (n)
        qsort(jobs, n, sizeof *jobs, by_file);
    for (size_t i = 1; i < n; i++)
        if (!strcmp(jobs[i].file, jobs[i - 1].file)) {
            rc = tendo_error_set(err, TENDO_EUSAGE, "%s is named twice", jobs[i].file);
            break;
        }
    *out = jobs;
    *nout = n;
    return rc;
}

/* Order of handing out: largest first (the long sessions start early, so
 * the batch does not end waiting on one), ties by file. */
typedef struct order_key {
    int64_t bytes;
    const char *file;
    size_t index;
} order_key;

static int by_size_desc(const void *a, const void *b)
{
    const order_key *x = a, *y = b;
    if (x->bytes != y->bytes)
        return x->bytes > y->bytes ? -1 : 1;
    return strcmp(x->file, y->file);
}

void batch_order_largest_first(const batch_job *jobs, size_t *idx, size_t n)
{
    order_key *k = malloc((n ? n : 1) * sizeof *k);
    if (!k)
        return; /* out of memory: any order is still correct */
    for (size_t i = 0; i < n; i++)
        k[i] = (order_key){jobs[idx[i]].bytes, jobs[idx[i]].file, idx[i]};
    qsort(k, n, sizeof *k, by_size_desc);
    for (size_t i = 0; i < n; i++)
        idx[i] = k[i].index;
    free(k);
}

/* Shard s (0-based) of each job: largest first, each to the shard with the
 * fewest bytes so far (ties: the lowest shard), so shards take about equal
 * time; every shard computes the same split from the same inputs. */
static int shard_split(const batch_job *jobs, size_t n, int nshards, int *shard_of,
                       tendo_error *err)
{
    size_t *idx = malloc((n ? n : 1) * sizeof *idx);
    double *load = calloc((size_t)nshards, sizeof *load);
    if (!idx || !load) {
        free(idx);
        free(load);
        return tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
    }
    for (size_t i = 0; i < n; i++)
        idx[i] = i;
    batch_order_largest_first(jobs, idx, n);
    for (size_t k = 0; k < n; k++) {
        int best = 0;
        for (int s = 1; s < nshards; s++)
            if (load[s] < load[best])
                best = s;
        shard_of[idx[k]] = best;
        load[best] += (double)jobs[idx[k]].bytes + 1; /* +1: empty files spread too */
    }
    free(idx);
    free(load);
    return TENDO_OK;
}

/* ------------------------------------------------------------ journal */

static const char *jstr(const cJSON *o, const char *name)
{
    const cJSON *v = o ? cJSON_GetObjectItemCaseSensitive(o, name) : NULL;
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static double jnum(const cJSON *o, const char *name)
{
    const cJSON *v = o ? cJSON_GetObjectItemCaseSensitive(o, name) : NULL;
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static int entry_by_file(const void *a, const void *b)
{
    const cJSON *x = *(cJSON *const *)a, *y = *(cJSON *const *)b;
    int c = strcmp(jstr(x, "file"), jstr(y, "file"));
    if (c)
        return c;
    /* the later line wins: keep journal order among equals */
    double ix = jnum(x, "_line"), iy = jnum(y, "_line");
    return ix < iy ? -1 : ix > iy;
}

cJSON **batch_latest_entries(cJSON *arr, size_t *n)
{
    size_t len = (size_t)cJSON_GetArraySize(arr), k = 0;
    cJSON **v = malloc((len ? len : 1) * sizeof *v);
    if (!v)
        return NULL;
    for (cJSON *e = arr ? arr->child : NULL; e; e = e->next, k++) {
        cJSON_DeleteItemFromObjectCaseSensitive(e, "_line");
        cJSON_AddNumberToObject(e, "_line", (double)k);
        v[k] = e;
    }
    if (len)
        qsort(v, len, sizeof *v, entry_by_file);
    size_t m = 0;
    for (size_t i = 0; i < len; i++) {
        if (m && !strcmp(jstr(v[m - 1], "file"), jstr(v[i], "file")))
            m--;
        v[m++] = v[i];
    }
    *n = m;
    return v;
}

const cJSON *batch_find_entry(cJSON *const *v, size_t n, const char *file)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(jstr(v[mid], "file"), file);
        if (c == 0)
            return v[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* May an earlier run's entry stand for this job? Same parameters, same
 * input (sizes and times, or else the same content id), its steps file
 * there when steps are wanted; a failure only if the file was damaged
 * (bad data repeats; I/O errors, missing files and dead workers may not). */
static int entry_reusable(const cJSON *e, const batch_job *j, const char *dir, int steps)
{
    const char *params = jstr(e, "params"), *status = jstr(e, "status");
    if (!params || !status || strcmp(params, j->params))
        return 0;
    if (!strcmp(status, "failed")) {
        if (jnum(e, "code") != 65)
            return 0;
    } else if (strcmp(status, "ok")) {
        return 0;
    } else if (steps) {
        const char *sf = jstr(e, "steps_file");
        char path[4400];
        if (!sf)
            return 0;
        snprintf(path, sizeof path, "%s/%s", dir, sf);
        if (access(path, F_OK) != 0)
            return 0;
    }
    return batch_job_unchanged(j, cJSON_GetObjectItemCaseSensitive(e, "fp"));
}

/* ------------------------------------------------------------ recording */

int batch_record(batch_state *s, size_t index, const char *result, tendo_error *err)
{
    const batch_job *j = &s->jobs[index];
    cJSON *r = cJSON_Parse(result);
    if (!r)
        return tendo_error_set(err, TENDO_EINTERNAL, "a worker's result for %s is not JSON",
                               j->file);
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "file", j->file);
    cJSON_AddStringToObject(e, "format", j->format == BATCH_CSV ? "csv" : "h5");
    if (j->pair)
        cJSON_AddStringToObject(e, "pair", j->pair);
    cJSON_AddStringToObject(e, "params", j->params);
    cJSON *steps = cJSON_DetachItemFromObjectCaseSensitive(r, "steps");
    while (r->child) { /* move the result's fields into the entry */
        cJSON *f = cJSON_DetachItemViaPointer(r, r->child);
        cJSON_AddItemToObject(e, f->string, f);
    }
    cJSON_Delete(r);
    int ok = !strcmp(jstr(e, "status") ? jstr(e, "status") : "", "ok");
    int rc = TENDO_OK;
    if (ok && s->steps) {
        char name[200], path[4400];
        batch_steps_name(j->file, name, sizeof name);
        snprintf(path, sizeof path, "%s/%s", s->dir, name);
        const char *text = cJSON_IsString(steps) ? steps->valuestring : "";
        rc = batch_write_atomic(path, text, strlen(text), err);
        cJSON_AddStringToObject(e, "steps_file", name);
    }
    cJSON_Delete(steps);
    char *line = rc == TENDO_OK ? cJSON_PrintUnformatted(e) : NULL;
    cJSON_Delete(e);
    if (rc == TENDO_OK && !line)
        rc = tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
    if (rc == TENDO_OK)
        rc = batch_journal_append(s->journal, line, err);
    /* what the outputs are built from is what the journal holds */
    cJSON *kept = rc == TENDO_OK ? cJSON_Parse(line) : NULL;
    free(line);
    if (rc == TENDO_OK && !kept)
        rc = tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
    if (rc != TENDO_OK)
        return rc;
    cJSON_Delete(s->entry[index]);
    s->entry[index] = kept;
    s->analyzed++;
    double cpu = jnum(kept, "cpu_s");
    if (isfinite(cpu))
        s->job_cpu_s += cpu;
    double dur = jnum(cJSON_GetObjectItemCaseSensitive(kept, "row"), "duration_s");
    batch_progress_step(&s->progress, (double)j->bytes, isfinite(dur) ? dur / 3600 : 0, !ok);
    return TENDO_OK;
}

/* Hands out todo[] largest first and records each result as it comes. */
int batch_schedule(batch_state *s, batch_transport *t, size_t *todo, size_t ntodo,
                   tendo_error *err)
{
    batch_order_largest_first(s->jobs, todo, ntodo);
    size_t next = 0, running = 0;
    int rc = TENDO_OK;
    for (size_t slot = 0; rc == TENDO_OK && slot < t->slots && next < ntodo; slot++, running++)
        rc = t->give(t->ctx, slot, todo[next++], err);
    while (rc == TENDO_OK && running > 0) {
        size_t slot, index;
        char *result = NULL;
        rc = t->collect(t->ctx, &slot, &index, &result, &g_stop, err);
        if (rc == 1) { /* Ctrl-C or SIGTERM: jobs under way are dropped */
            s->interrupted = 1;
            rc = TENDO_OK;
            break;
        }
        if (rc != TENDO_OK)
            break;
        running--;
        rc = batch_record(s, index, result, err);
        free(result);
        if (rc == TENDO_OK && g_stop) {
            s->interrupted = 1;
            break;
        }
        if (rc == TENDO_OK && next < ntodo) {
            rc = t->give(t->ctx, slot, todo[next++], err);
            running++;
        }
    }
    t->shutdown(t->ctx, rc != TENDO_OK || s->interrupted);
    return rc;
}

/* ------------------------------------------------------------ outputs */

static void iso_now(char *out, size_t size)
{
    time_t now = time(NULL);
    struct tm tmv;
    gmtime_r(&now, &tmv);
    strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tmv);
}

static double process_cpu_s(void)
{
    struct rusage self, kids;
    getrusage(RUSAGE_SELF, &self);
    getrusage(RUSAGE_CHILDREN, &kids);
    return (double)(self.ru_utime.tv_sec + self.ru_stime.tv_sec + kids.ru_utime.tv_sec +
                    kids.ru_stime.tv_sec) +
           (double)(self.ru_utime.tv_usec + self.ru_stime.tv_usec + kids.ru_utime.tv_usec +
                    kids.ru_stime.tv_usec) /
               1e6;
}

/* Counts from the entries (NULL: pending). */
void batch_count(cJSON *const *entries, size_t n, batch_counts *c)
{
    c->sessions = n;
    c->ok = c->failed = c->pending = 0;
    c->data_hours = 0;
    for (size_t i = 0; i < n; i++) {
        const char *st = entries[i] ? jstr(entries[i], "status") : NULL;
        if (!st)
            c->pending++;
        else if (!strcmp(st, "ok"))
            c->ok++;
        else
            c->failed++;
        double d = entries[i] ? jnum(cJSON_GetObjectItemCaseSensitive(entries[i], "row"),
                                     "duration_s")
                              : NAN;
        if (isfinite(d))
            c->data_hours += d / 3600;
    }
}

cJSON *batch_counts_json(const batch_counts *c)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "sessions", (double)c->sessions);
    cJSON_AddNumberToObject(o, "ok", (double)c->ok);
    cJSON_AddNumberToObject(o, "failed", (double)c->failed);
    cJSON_AddNumberToObject(o, "pending", (double)c->pending);
    cJSON_AddNumberToObject(o, "reused", (double)c->reused);
    cJSON_AddNumberToObject(o, "analyzed", (double)c->analyzed);
    return o;
}

int batch_write_run_json(const char *dir, cJSON *run, char **text_out, tendo_error *err)
{
    char *text = cJSON_Print(run);
    if (!text)
        return tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
    size_t len = strlen(text);
    char *with_nl = realloc(text, len + 2);
    if (!with_nl) {
        free(text);
        return tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
    }
    with_nl[len] = '\n';
    with_nl[len + 1] = '\0';
    char path[4200];
    snprintf(path, sizeof path, "%s/run.json", dir);
    int rc = batch_write_atomic(path, with_nl, len + 1, err);
    free(with_nl);
    if (rc == TENDO_OK && text_out)
        *text_out = cJSON_PrintUnformatted(run);
    return rc;
}

static int write_outputs(const batch_options *o, batch_state *s, batch_counts *c,
                         char **run_json, tendo_error *err)
{
    const char **names = malloc((s->n ? s->n : 1) * sizeof *names);
    if (!names)
        return tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
    for (size_t i = 0; i < s->n; i++)
        names[i] = s->jobs[i].file;
    int rc = batch_write_tables(s->dir, s->entry, names, s->n, o->steps, err);
    free(names);
    batch_count(s->entry, s->n, c);
    c->reused = s->reused;
    c->analyzed = s->analyzed;
    c->interrupted = s->interrupted;
    if (rc != TENDO_OK)
        return rc;

    cJSON *run = cJSON_CreateObject();
    cJSON_AddStringToObject(run, "tendo_version", TENDO_VERSION);
    cJSON_AddStringToObject(run, "algorithm_version", TENDO_AN_VERSION);
    cJSON_AddStringToObject(run, "command", o->command ? o->command : "tendo batch");
    cJSON *p = cJSON_AddObjectToObject(run, "parameters");
    cJSON *in = cJSON_AddArrayToObject(p, "inputs");
    for (size_t i = 0; i < o->ninputs; i++)
        cJSON_AddItemToArray(in, cJSON_CreateString(o->inputs[i]));
    if (o->manifest)
        cJSON_AddStringToObject(p, "manifest", o->manifest);
    else
        cJSON_AddNullToObject(p, "manifest");
    cJSON_AddStringToObject(p, "placement",
                            o->placement == TENDO_ANALYZE_AS_RECORDED ? "as recorded"
                            : o->placement == TENDO_PLACEMENT_SHANK   ? "shank"
                                                                      : "foot");
    if (o->mass_kg > 0)
        cJSON_AddNumberToObject(p, "mass_kg", o->mass_kg);
    else
        cJSON_AddNullToObject(p, "mass_kg");
    cJSON_AddNumberToObject(p, "damage_k", o->damage_k);
    cJSON_AddBoolToObject(p, "steps", o->steps);
    if (o->shard_n) {
        char sh[32];
        snprintf(sh, sizeof sh, "%d/%d", o->shard_i, o->shard_n);
        cJSON_AddStringToObject(p, "shard", sh);
    } else {
        cJSON_AddNullToObject(p, "shard");
    }
    cJSON_AddStringToObject(p, "methods", "analysis/MODELS.md");
    cJSON *w = cJSON_AddObjectToObject(run, "workers");
    cJSON_AddStringToObject(w, "mode", o->mode ? o->mode : "processes");
    cJSON_AddNumberToObject(w, "count", (double)s->workers);
    cJSON_AddItemToObject(run, "counts", batch_counts_json(c));
    cJSON_AddNumberToObject(run, "data_hours", c->data_hours);
    cJSON_AddBoolToObject(run, "complete", c->pending == 0);
    cJSON_AddStringToObject(run, "started_utc", s->started_utc);
    char fin[40];
    iso_now(fin, sizeof fin);
    cJSON_AddStringToObject(run, "finished_utc", fin);
    cJSON_AddNumberToObject(run, "wall_s", batch_now() - s->t0);
    cJSON_AddNumberToObject(run, "cpu_s", process_cpu_s());
    cJSON_AddNumberToObject(run, "cpu_s_sessions", s->job_cpu_s);
    cJSON *files = cJSON_AddArrayToObject(run, "files");
    for (size_t i = 0; i < s->n; i++)
        cJSON_AddItemToArray(files, cJSON_CreateString(s->jobs[i].file));
    rc = batch_write_run_json(s->dir, run, NULL, err);
    if (rc == TENDO_OK && run_json) {
        cJSON_DeleteItemFromObjectCaseSensitive(run, "files"); /* the table has them */
        *run_json = cJSON_PrintUnformatted(run);
    }
    cJSON_Delete(run);
    return rc;
}

/* ------------------------------------------------------------ folder */

/* Removes the entries of dir/sub (not "." and "..") that keep(name) does
 * not keep. */
static void remove_entries(const char *dir, const char *sub, int (*keep)(const char *name))
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, sub);
    DIR *d = opendir(path);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && !keep(e->d_name))
            unlinkat(dirfd(d), e->d_name, 0);
    closedir(d);
}

/* Keeps all but the temporary files a killed run may have left
 * (".NAME.tmpPID", batch_write_atomic's names). */
static int not_stale_temporary(const char *name)
{
    const char *tmp = strstr(name, ".tmp");
    return !(name[0] == '.' && tmp && tmp[4] && strspn(tmp + 4, "0123456789") == strlen(tmp + 4));
}

static int keep_nothing(const char *name)
{
    (void)name;
    return 0;
}

/* Creates the output folder and takes its lock (one batch at a time). */
int batch_open_dir(const char *dir, int steps, int *lock_fd, tendo_error *err)
{
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return tendo_error_set(err, TENDO_ECANTCREAT,
                               "cannot create the output folder %s: %s%s", dir, strerror(errno),
                               errno == ENOENT ? " (create its parent folder first)" : "");
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return tendo_error_set(err, TENDO_ECANTCREAT, "%s exists and is not a folder", dir);
    char path[4200];
    snprintf(path, sizeof path, "%s/.lock", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return tendo_error_set(err, TENDO_ECANTCREAT, "cannot write in %s: %s", dir,
                               strerror(errno));
    /* a POSIX record lock, not flock(): worker processes inherit the
     * descriptor but not this lock, so it ends with the coordinator even
     * while killed workers are still on their way out */
    struct flock lk = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
    if (fcntl(fd, F_SETLK, &lk) != 0) {
        close(fd);
        return tendo_error_set(err, TENDO_ECANTCREAT,
                               "another tendo batch is writing to %s; wait for it, or choose "
                               "another --out",
                               dir);
    }
    *lock_fd = fd;
    remove_entries(dir, ".", not_stale_temporary);
    remove_entries(dir, "steps", not_stale_temporary);
    snprintf(path, sizeof path, "%s/steps", dir);
    if (steps && mkdir(path, 0755) != 0 && errno != EEXIST)
        return tendo_error_set(err, TENDO_ECANTCREAT, "cannot create %s: %s", path,
                               strerror(errno));
    return TENDO_OK;
}

/* Empties dir/sub of files (stale scratch sessions; old step tables). */
void batch_empty_folder(const char *dir, const char *sub)
{
    remove_entries(dir, sub, keep_nothing);
}

/* ------------------------------------------------------------ run */

int batch_pool_factory(batch_transport *t, const batch_work *work, size_t ntodo, int jobs,
                       void *arg, tendo_error *err)
{
    (void)arg;
    size_t n = jobs > 0 ? (size_t)jobs : 1;
    if (n > ntodo)
        n = ntodo ? ntodo : 1;
    return batch_pool_new(t, n, work, err);
}

int batch_run(const batch_options *o, batch_transport_factory factory, void *arg,
              batch_counts *counts, char **run_json, tendo_error *err)
{
    memset(counts, 0, sizeof *counts);
    if (run_json)
        *run_json = NULL;
    batch_state s = {.dir = o->out_dir, .steps = o->steps, .t0 = batch_now()};
    iso_now(s.started_utc, sizeof s.started_utc);
    int lock_fd = -1;
    int rc = batch_open_dir(o->out_dir, o->steps, &lock_fd, err);
    char jpath[4200];
    snprintf(jpath, sizeof jpath, "%s/%s", o->out_dir, BATCH_JOURNAL_NAME);
    if (rc == TENDO_OK && !o->resume && !o->force) {
        struct stat st;
        if (stat(jpath, &st) == 0 && st.st_size > 0)
            rc = tendo_error_set(err, TENDO_ECANTCREAT,
                                 "%s holds an earlier batch (%s): add --resume to continue it, "
                                 "or --force to start over",
                                 o->out_dir, BATCH_JOURNAL_NAME);
    }
    if (rc == TENDO_OK)
        rc = build_jobs(o, &s.jobs, &s.n, err);
    if (rc == TENDO_OK && s.n == 0)
        rc = tendo_error_set(err, TENDO_ENOINPUT,
                             "no session files found (folders are searched for *.h5; CSV files "
                             "come through --manifest)");
    /* keep only this shard's jobs */
    if (rc == TENDO_OK && o->shard_n > 0) {
        int *shard_of = malloc(s.n * sizeof *shard_of);
        rc = shard_of ? shard_split(s.jobs, s.n, o->shard_n, shard_of, err)
                      : tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
        size_t k = 0;
        for (size_t i = 0; rc == TENDO_OK && i < s.n; i++) {
            if (shard_of[i] == o->shard_i - 1)
                s.jobs[k++] = s.jobs[i];
            else
                batch_job_clear(&s.jobs[i]);
        }
        if (rc == TENDO_OK)
            s.n = k;
        free(shard_of);
    }
    cJSON *journaled = NULL;
    if (rc == TENDO_OK) {
        if (o->force)
            batch_empty_folder(o->out_dir, "steps");
        rc = batch_journal_open(jpath, o->force || !o->resume, &s.journal, &journaled, err);
    }
    s.entry = rc == TENDO_OK ? calloc(s.n ? s.n : 1, sizeof *s.entry) : NULL;
    size_t *todo = rc == TENDO_OK ? malloc((s.n ? s.n : 1) * sizeof *todo) : NULL;
    if (rc == TENDO_OK && (!s.entry || !todo))
        rc = tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
    size_t ntodo = 0;
    if (rc == TENDO_OK) {
        size_t nlatest = 0;
        cJSON **latest = batch_latest_entries(journaled, &nlatest);
        for (size_t i = 0; latest && i < s.n; i++) {
            const cJSON *e = batch_find_entry(latest, nlatest, s.jobs[i].file);
            if (e && entry_reusable(e, &s.jobs[i], o->out_dir, o->steps)) {
                s.entry[i] = cJSON_Duplicate(e, 1);
                cJSON_DeleteItemFromObjectCaseSensitive(s.entry[i], "_line");
                s.reused++;
            } else {
                todo[ntodo++] = i;
            }
        }
        if (!latest)
            rc = tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
        free(latest);
    }
    cJSON_Delete(journaled);

    if (rc == TENDO_OK && ntodo > 0) {
        char scratch[4200];
        snprintf(scratch, sizeof scratch, "%s/.scratch", o->out_dir);
        if (mkdir(scratch, 0755) != 0 && errno != EEXIST)
            rc = tendo_error_set(err, TENDO_ECANTCREAT, "cannot create %s: %s", scratch,
                                 strerror(errno));
        batch_empty_folder(o->out_dir, ".scratch");
        batch_work work = {.jobs = s.jobs, .scratch_dir = scratch, .steps = o->steps};
        batch_transport t;
        if (rc == TENDO_OK)
            rc = factory(&t, &work, ntodo, o->jobs, arg, err);
        if (rc == TENDO_OK) {
            s.workers = t.slots;
            double bytes = 0;
            for (size_t k = 0; k < ntodo; k++)
                bytes += (double)s.jobs[todo[k]].bytes;
            struct sigaction sa = {.sa_handler = on_signal}, old_int, old_term, old_pipe;
            struct sigaction ign = {.sa_handler = SIG_IGN};
            sigemptyset(&sa.sa_mask);
            sigemptyset(&ign.sa_mask);
            g_stop = 0;
            sigaction(SIGINT, &sa, &old_int);
            sigaction(SIGTERM, &sa, &old_term);
            sigaction(SIGPIPE, &ign, &old_pipe); /* a dead worker is an error code, not death */
            batch_progress_start(&s.progress, o->progress, ntodo, bytes);
            rc = batch_schedule(&s, &t, todo, ntodo, err);
            batch_progress_end(&s.progress);
            sigaction(SIGINT, &old_int, NULL);
            sigaction(SIGTERM, &old_term, NULL);
            sigaction(SIGPIPE, &old_pipe, NULL);
        }
        batch_empty_folder(o->out_dir, ".scratch");
        rmdir(scratch);
    }
    free(todo);
    if (rc == TENDO_OK)
        rc = write_outputs(o, &s, counts, run_json, err);
    batch_journal_close(s.journal);
    for (size_t i = 0; i < s.n; i++) {
        if (s.entry)
            cJSON_Delete(s.entry[i]);
        batch_job_clear(&s.jobs[i]);
    }
    free(s.entry);
    free(s.jobs);
    if (lock_fd >= 0)
        close(lock_fd);
    return rc;
}
