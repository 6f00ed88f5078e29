/*
 * batch_mpi.c — the batch over MPI ranks (see batch_mpi.h).
 *
 * Messages (MPI_CHAR, COMM_WORLD):
 *   0 → r  TAG_JOB     {"job":{batch_job_to_json}, "scratch_dir":..., "steps":0|1}
 *   r → 0  TAG_RESULT  batch_job_run's result text
 *   0 → r  TAG_STOP    empty: leave the serve loop
 * Rank 0 keeps which job each rank holds, so results need no job number.
 */
#include "batch_mpi.h"

#include <mpi.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { TAG_JOB = 1, TAG_RESULT = 2, TAG_STOP = 3 };
#define POLL_NS 1000000L /* 1 ms between probes: negligible CPU, negligible latency */

static int g_size = 1;
static int g_released = 1; /* set to 0 once worker ranks wait for rank 0 */

static void nap(void)
{
    struct timespec ts = {0, POLL_NS};
    nanosleep(&ts, NULL);
}

int batch_mpi_init(int *argc, char ***argv, int *rank, int *size, tendo_error *err)
{
    int provided = 0;
    if (MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
        return tendo_error_set(err, TENDO_EUNAVAIL, "MPI could not start");
    if (provided < MPI_THREAD_FUNNELED) {
        MPI_Finalize();
        return tendo_error_set(err, TENDO_EUNAVAIL,
                               "this MPI library does not allow a worker thread in rank 0 "
                               "(MPI_THREAD_FUNNELED)");
    }
    MPI_Comm_rank(MPI_COMM_WORLD, rank);
    MPI_Comm_size(MPI_COMM_WORLD, size);
    g_size = *size;
    g_released = *size <= 1;
    return TENDO_OK;
}

/* Receives the message a successful probe found; NULL when out of memory. */
static char *receive(const MPI_Status *st)
{
    int count = 0;
    MPI_Get_count(st, MPI_CHAR, &count);
    char *buf = malloc((size_t)count + 1);
    if (!buf)
        return NULL;
    MPI_Recv(buf, count, MPI_CHAR, st->MPI_SOURCE, st->MPI_TAG, MPI_COMM_WORLD,
             MPI_STATUS_IGNORE);
    buf[count] = '\0';
    return buf;
}

/* ------------------------------------------------------------ ranks > 0 */

static char *run_message(const char *msg, const char *tag)
{
    cJSON *m = cJSON_Parse(msg);
    const cJSON *jj = cJSON_GetObjectItemCaseSensitive(m, "job");
    const cJSON *sd = cJSON_GetObjectItemCaseSensitive(m, "scratch_dir");
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(m, "steps");
    batch_job job;
    tendo_error err;
    tendo_error_clear(&err);
    char *out = NULL;
    if (m && cJSON_IsString(sd) && batch_job_from_json(jj, &job, &err) == TENDO_OK) {
        char scratch[4400];
        batch_scratch_path(sd->valuestring, tag, scratch, sizeof scratch);
        batch_job_run(&job, scratch, cJSON_IsTrue(st), &out);
        batch_job_clear(&job);
    }
    cJSON_Delete(m);
    return out;
}

int batch_mpi_serve(tendo_error *err)
{
    int rank;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    char tag[32];
    snprintf(tag, sizeof tag, "r%d", rank);
    for (;;) {
        int flag = 0;
        MPI_Status st;
        MPI_Iprobe(0, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &st);
        if (!flag) {
            nap();
            continue;
        }
        char *msg = receive(&st);
        if (!msg)
            return tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
        if (st.MPI_TAG == TAG_STOP) {
            free(msg);
            return TENDO_OK;
        }
        char *out = run_message(msg, tag);
        free(msg);
        if (!out) /* a job rank 0 cannot have meant, or out of memory */
            out = strdup("{\"status\":\"failed\",\"code\":70,\"class\":\"internal error\","
                         "\"message\":\"a worker rank could not run this job (out of memory?)\"}");
        MPI_Send(out, (int)strlen(out), MPI_CHAR, 0, TAG_RESULT, MPI_COMM_WORLD);
        free(out);
    }
}

/* ------------------------------------------------------------ rank 0 */

/* The worker thread of rank 0: analyses, never calls MPI. */
typedef struct local_worker {
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int has_job, done, quit;
    size_t index;
    char *result;
} local_worker;

typedef struct mpi_ctx {
    batch_work work;
    size_t slots;       /* slot 0: the local thread; slot r: rank r */
    size_t *index_of;   /* job held by each slot */
    int *busy;
    local_worker lw;
    int started;
} mpi_ctx;

static void *local_main(void *arg)
{
    mpi_ctx *c = arg;
    sigset_t block; /* signals are the main thread's business */
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &block, NULL);
    char scratch[4400];
    batch_scratch_path(c->work.scratch_dir, "r0", scratch, sizeof scratch);
    local_worker *w = &c->lw;
    for (;;) {
        pthread_mutex_lock(&w->mu);
        while (!w->has_job && !w->quit)
            pthread_cond_wait(&w->cv, &w->mu);
        if (!w->has_job) {
            pthread_mutex_unlock(&w->mu);
            return NULL;
        }
        size_t index = w->index;
        w->has_job = 0;
        pthread_mutex_unlock(&w->mu);
        char *out = NULL;
        batch_job_run(&c->work.jobs[index], scratch, c->work.steps, &out);
        pthread_mutex_lock(&w->mu);
        w->result = out ? out : strdup("");
        w->done = 1;
        pthread_mutex_unlock(&w->mu);
    }
}

static int mpi_give(void *ctx, size_t slot, size_t index, tendo_error *err)
{
    mpi_ctx *c = ctx;
    c->index_of[slot] = index;
    c->busy[slot] = 1;
    if (slot == 0) {
        pthread_mutex_lock(&c->lw.mu);
        c->lw.index = index;
        c->lw.has_job = 1;
        pthread_cond_signal(&c->lw.cv);
        pthread_mutex_unlock(&c->lw.mu);
        return TENDO_OK;
    }
    cJSON *m = cJSON_CreateObject();
    cJSON_AddItemToObject(m, "job", batch_job_to_json(&c->work.jobs[index]));
    cJSON_AddStringToObject(m, "scratch_dir", c->work.scratch_dir);
    cJSON_AddBoolToObject(m, "steps", c->work.steps);
    char *text = cJSON_PrintUnformatted(m);
    cJSON_Delete(m);
    if (!text)
        return tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
    int rc = MPI_Send(text, (int)strlen(text), MPI_CHAR, (int)slot, TAG_JOB, MPI_COMM_WORLD);
    free(text);
    return rc == MPI_SUCCESS ? TENDO_OK
                             : tendo_error_set(err, TENDO_EUNAVAIL, "MPI could not reach rank %zu",
                                               slot);
}

/* A result of the local thread, if one is ready. */
static char *local_result(mpi_ctx *c)
{
    char *out = NULL;
    pthread_mutex_lock(&c->lw.mu);
    if (c->lw.done) {
        out = c->lw.result;
        c->lw.result = NULL;
        c->lw.done = 0;
    }
    pthread_mutex_unlock(&c->lw.mu);
    return out;
}

static int mpi_collect(void *ctx, size_t *slot, size_t *index, char **result,
                       volatile sig_atomic_t *stop, tendo_error *err)
{
    mpi_ctx *c = ctx;
    for (;;) {
        if (*stop)
            return 1;
        char *out = c->busy[0] ? local_result(c) : NULL;
        if (out) {
            *slot = 0;
        } else {
            int flag = 0;
            MPI_Status st;
            MPI_Iprobe(MPI_ANY_SOURCE, TAG_RESULT, MPI_COMM_WORLD, &flag, &st);
            if (!flag) {
                nap();
                continue;
            }
            out = receive(&st);
            if (!out)
                return tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
            *slot = (size_t)st.MPI_SOURCE;
        }
        c->busy[*slot] = 0;
        *index = c->index_of[*slot];
        if (!out[0]) { /* the local thread ran out of memory */
            free(out);
            tendo_error e;
            tendo_error_clear(&e);
            tendo_error_set(&e, TENDO_EINTERNAL, "out of memory while analysing this file");
            out = batch_job_failure(&c->work.jobs[*index], &e);
        }
        *result = out;
        return out ? TENDO_OK : tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
    }
}

static int g_must_abort; /* ranks may be mid-job: only MPI_Abort ends them */

static void mpi_shutdown(void *ctx, int abort)
{
    mpi_ctx *c = ctx;
    int busy = 0;
    for (size_t r = 1; r < c->slots; r++)
        busy |= c->busy[r];
    /* Ranks still busy (Ctrl-C, SIGTERM from the scheduler, an error) may
     * be dead already or blocked sending a result: waiting for them could
     * hang, so the run ends with MPI_Abort once rank 0 has written its
     * tables (batch_mpi_finish). Idle ranks are told to stop. */
    if (abort && busy)
        g_must_abort = 1;
    else
        batch_mpi_release();
    /* the local thread finishes the job it holds (it reads the job list,
     * which the engine frees after this) */
    pthread_mutex_lock(&c->lw.mu);
    c->lw.quit = 1;
    pthread_cond_signal(&c->lw.cv);
    pthread_mutex_unlock(&c->lw.mu);
    if (c->started)
        pthread_join(c->lw.th, NULL);
    free(c->lw.result);
    pthread_mutex_destroy(&c->lw.mu);
    pthread_cond_destroy(&c->lw.cv);
    free(c->index_of);
    free(c->busy);
    free(c);
}

void batch_mpi_finish(int exit_code)
{
    if (g_must_abort)
        MPI_Abort(MPI_COMM_WORLD, exit_code); /* does not return */
    MPI_Finalize();
}

void batch_mpi_release(void)
{
    if (g_released)
        return;
    for (int r = 1; r < g_size; r++)
        MPI_Send(NULL, 0, MPI_CHAR, r, TAG_STOP, MPI_COMM_WORLD);
    g_released = 1;
}

int batch_mpi_factory(batch_transport *t, const batch_work *work, size_t ntodo, int jobs,
                      void *arg, tendo_error *err)
{
    (void)ntodo, (void)jobs, (void)arg;
    mpi_ctx *c = calloc(1, sizeof *c);
    if (c) {
        c->slots = (size_t)g_size;
        c->index_of = calloc(c->slots, sizeof *c->index_of);
        c->busy = calloc(c->slots, sizeof *c->busy);
    }
    if (!c || !c->index_of || !c->busy) {
        if (c) {
            free(c->index_of);
            free(c->busy);
        }
        free(c);
        return tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
    }
    c->work = *work;
    pthread_mutex_init(&c->lw.mu, NULL);
    pthread_cond_init(&c->lw.cv, NULL);
    if (pthread_create(&c->lw.th, NULL, local_main, c) != 0) {
        pthread_mutex_destroy(&c->lw.mu);
        pthread_cond_destroy(&c->lw.cv);
        free(c->index_of);
        free(c->busy);
        free(c);
        return tendo_error_set(err, TENDO_EINTERNAL, "cannot start rank 0's worker thread");
    }
    c->started = 1;
    *t = (batch_transport){.ctx = c, .slots = c->slots, .give = mpi_give,
                           .collect = mpi_collect, .shutdown = mpi_shutdown};
    return TENDO_OK;
}
