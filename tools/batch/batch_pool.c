/*
 * batch_pool.c — worker processes on one machine (see batch_transport.h).
 *
 * Processes rather than threads: HDF5 serialises every call of a process
 * behind one lock (Debian builds it thread-safe), so threads would decode
 * chunks one at a time; and a process that dies on a hostile file takes
 * only its job with it.
 *
 * Wire: the coordinator writes a job index (a size_t) to the worker's job
 * pipe; the worker answers with a uint64 length and the result text on its
 * result pipe. A worker ends at end of file on its job pipe; it ignores
 * SIGINT (the coordinator decides what Ctrl-C means) and dies with the
 * coordinator (PR_SET_PDEATHSIG), so a killed batch leaves no orphans.
 */
#define _GNU_SOURCE /* pipe2 */
#include "batch_transport.h"
#include "tendo_io.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct worker {
    pid_t pid;          /* 0: not running */
    int job_fd, res_fd; /* coordinator's ends */
    int busy;
    size_t index;       /* job under way */
    char *buf;          /* result being received */
    size_t len, cap;
} worker;

typedef struct pool {
    batch_work work;
    size_t n;
    worker *w;
} pool;

void batch_scratch_path(const char *scratch_dir, const char *tag, char *out, size_t size)
{
    char host[64] = "host";
    gethostname(host, sizeof host - 1);
    host[sizeof host - 1] = '\0';
    for (char *c = host; *c; c++)
        if (*c == '/')
            *c = '_';
    snprintf(out, size, "%s/%s-%ld-%s.h5", scratch_dir, host, (long)getpid(), tag);
}

static void worker_main(const pool *p, int job_fd, int res_fd)
{
    char scratch[4400];
    batch_scratch_path(p->work.scratch_dir, "w", scratch, sizeof scratch);
    size_t index;
    while (tendo_read_all(job_fd, &index, sizeof index) == 0) {
        char *out = NULL;
        if (batch_job_run(&p->work.jobs[index], scratch, p->work.steps, &out) != 0)
            _exit(70); /* out of memory: the coordinator records the job as failed */
        uint64_t len = strlen(out);
        if (tendo_write_all(res_fd, &len, sizeof len) != 0 || tendo_write_all(res_fd, out, len) != 0)
            _exit(74);
        free(out);
    }
    _exit(0);
}

static int spawn(pool *p, worker *w, tendo_error *err)
{
    int jp[2], rp[2];
    if (pipe2(jp, O_CLOEXEC) != 0)
        return tendo_error_set(err, TENDO_EINTERNAL, "pipe: %s", strerror(errno));
    if (pipe2(rp, O_CLOEXEC) != 0) {
        close(jp[0]);
        close(jp[1]);
        return tendo_error_set(err, TENDO_EINTERNAL, "pipe: %s", strerror(errno));
    }
    fflush(NULL); /* nothing buffered is written twice */
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        close(jp[0]), close(jp[1]), close(rp[0]), close(rp[1]);
        return tendo_error_set(err, TENDO_EINTERNAL, "cannot start a worker process: %s",
                               strerror(errno));
    }
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) /* the coordinator died before prctl */
            _exit(0);
        signal(SIGINT, SIG_IGN);
        signal(SIGTERM, SIG_DFL);
        signal(SIGPIPE, SIG_DFL);
        for (size_t i = 0; i < p->n; i++) /* other workers' pipes */
            if (p->w[i].pid) {
                close(p->w[i].job_fd);
                close(p->w[i].res_fd);
            }
        close(jp[1]);
        close(rp[0]);
        worker_main(p, jp[0], rp[1]);
    }
    close(jp[0]);
    close(rp[1]);
    w->pid = pid;
    w->job_fd = jp[1];
    w->res_fd = rp[0];
    w->busy = 0;
    w->len = 0;
    return TENDO_OK;
}

/* Reaps a worker whose pipe closed; describes how it ended. */
static void reap(worker *w, char *why, size_t size)
{
    int status = 0;
    close(w->job_fd);
    close(w->res_fd);
    if (waitpid(w->pid, &status, 0) < 0)
        snprintf(why, size, "ended in an unknown way");
    else if (WIFSIGNALED(status))
        snprintf(why, size, "was killed by signal %d (%s)", WTERMSIG(status),
                 strsignal(WTERMSIG(status)));
    else
        snprintf(why, size, "exited with status %d", WEXITSTATUS(status));
    w->pid = 0;
    w->busy = 0;
    w->len = 0;
}

static int pool_give(void *ctx, size_t slot, size_t index, tendo_error *err)
{
    pool *p = ctx;
    worker *w = &p->w[slot];
    /* a worker that died while idle shows as a broken pipe here (SIGPIPE
     * is ignored during a batch): start another and hand it the job */
    for (int attempt = 0; attempt < 2; attempt++) {
        if (!w->pid) {
            int rc = spawn(p, w, err);
            if (rc != TENDO_OK)
                return rc;
        }
        if (tendo_write_all(w->job_fd, &index, sizeof index) == 0) {
            w->busy = 1;
            w->index = index;
            w->len = 0;
            return TENDO_OK;
        }
        char why[160];
        reap(w, why, sizeof why);
    }
    return tendo_error_set(err, TENDO_EINTERNAL, "cannot start a worker that stays up: %s",
                           strerror(errno));
}

/* Reads what is there; 1 when a whole result has arrived, 0 for more to
 * come, -1 when the worker is gone. */
static int receive(worker *w)
{
    if (w->cap < w->len + 65536) {
        size_t cap = w->cap ? w->cap * 2 : 1 << 17;
        while (cap < w->len + 65536)
            cap *= 2;
        char *g = realloc(w->buf, cap);
        if (!g)
            return -1;
        w->buf = g;
        w->cap = cap;
    }
    ssize_t n = read(w->res_fd, w->buf + w->len, w->cap - w->len - 1);
    if (n < 0 && errno == EINTR)
        return 0;
    if (n <= 0)
        return -1;
    w->len += (size_t)n;
    uint64_t want;
    if (w->len < sizeof want)
        return 0;
    memcpy(&want, w->buf, sizeof want);
    return w->len >= sizeof want + want;
}

static int pool_collect(void *ctx, size_t *slot, size_t *index, char **result,
                        volatile sig_atomic_t *stop, tendo_error *err)
{
    pool *p = ctx;
    struct pollfd fds[p->n];
    size_t who[p->n];
    for (;;) {
        if (*stop)
            return 1;
        nfds_t nf = 0;
        for (size_t i = 0; i < p->n; i++)
            if (p->w[i].busy) {
                fds[nf] = (struct pollfd){.fd = p->w[i].res_fd, .events = POLLIN};
                who[nf++] = i;
            }
        if (nf == 0)
            return tendo_error_set(err, TENDO_EINTERNAL, "no job is under way");
        /* a bounded wait: a Ctrl-C that lands just before poll() is still
         * seen within a quarter of a second */
        int ready = poll(fds, nf, 250);
        if (ready < 0 && errno == EINTR)
            continue;
        if (ready < 0)
            return tendo_error_set(err, TENDO_EINTERNAL, "poll: %s", strerror(errno));
        for (nfds_t k = 0; k < nf; k++) {
            if (!(fds[k].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            worker *w = &p->w[who[k]];
            int got = receive(w);
            if (got == 0)
                continue;
            *slot = who[k];
            *index = w->index;
            if (got > 0) {
                uint64_t len;
                memcpy(&len, w->buf, sizeof len);
                *result = malloc(len + 1);
                if (!*result)
                    return tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
                memcpy(*result, w->buf + sizeof len, len);
                (*result)[len] = '\0';
                w->busy = 0;
                w->len = 0;
                return TENDO_OK;
            }
            /* the worker died under this job: the job fails, a new worker
             * takes the slot at the next give */
            if (*stop)
                return 1;
            char why[160], msg[600];
            reap(w, why, sizeof why);
            snprintf(msg, sizeof msg,
                     "the worker analysing this file %s; the file may defeat the reader, "
                     "please report it with the file",
                     why);
            tendo_error e;
            tendo_error_clear(&e);
            tendo_error_set(&e, TENDO_EINTERNAL, "%s", msg);
            *result = batch_job_failure(&p->work.jobs[*index], &e);
            if (!*result)
                return tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
            return TENDO_OK;
        }
    }
}

static void pool_shutdown(void *ctx, int abort)
{
    pool *p = ctx;
    for (size_t i = 0; i < p->n; i++) {
        worker *w = &p->w[i];
        if (!w->pid)
            continue;
        close(w->job_fd); /* an idle worker ends at end of file */
        if (abort && w->busy)
            kill(w->pid, SIGTERM);
        close(w->res_fd);
        while (waitpid(w->pid, NULL, 0) < 0 && errno == EINTR)
            ;
        free(w->buf);
    }
    for (size_t i = 0; i < p->n; i++)
        if (!p->w[i].pid)
            free(p->w[i].buf);
    free(p->w);
    free(p);
}

int batch_pool_new(batch_transport *t, size_t n, const batch_work *work, tendo_error *err)
{
    pool *p = calloc(1, sizeof *p);
    worker *w = calloc(n ? n : 1, sizeof *w);
    if (!p || !w) {
        free(p);
        free(w);
        return tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
    }
    p->work = *work;
    p->n = n;
    p->w = w;
    *t = (batch_transport){.ctx = p, .slots = n, .give = pool_give, .collect = pool_collect,
                           .shutdown = pool_shutdown};
    return TENDO_OK;
}
