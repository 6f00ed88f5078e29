/*
 * The sandboxed check of an untrusted session file (tendo_probe, see
 * tendo_session.h and SECURITY.md).
 *
 * Why a separate process: fuzzing found inputs that crash or hang Debian's
 * libhdf5 1.10 itself (global heap and object-header parsing), where no
 * check of ours can run first. So a child process under CPU, address-space
 * and core-size limits does to the library what the in-process reading
 * will (open, every object and attribute, every chunk index, one chunk of
 * each sample dataset and every other dataset through HDF5's filters) and
 * reports back through a pipe; only a file that survived that is opened by
 * the caller. A crash, a hang or an exhausted limit in the child becomes
 * TENDO_EDATA with the reason.
 *
 * Why fork + exec of our own binary instead of a bare fork: Debian builds
 * HDF5 thread-safe behind one global lock. A fork taken while another
 * thread holds it would leave the child deadlocked. The exec'd child is a
 * fresh process: the constructor below sees TENDO_PROBE_CHILD in its
 * environment, runs the check and _exits before main(), so any program that
 * links tendo_probe can serve as its own probe.
 */
#define _GNU_SOURCE /* pipe2, strsignal */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "session_internal.h"
#include "tendo_io.h"
#include "tendo_clock.h"

extern char **environ;

#define ENV_CHILD "TENDO_PROBE_CHILD" /* "FD:CPU_SECONDS:MEMORY_MB", internal */
#define ENV_FILE "TENDO_PROBE_FILE"   /* the file to check, internal */
#define ENV_SECONDS "TENDO_PROBE_SECONDS"
#define ENV_MEMORY "TENDO_PROBE_MEMORY_MB"

/* Default limits. CPU: a base for opening plus a generous rate per MiB
 * stored (the validator decodes one hour of two pods, ~20 MB, in ~0.4 s;
 * deflate expands at most ~1032x). Memory: address space the child may add
 * to what it had at start (shared libraries, and under ASan its shadow):
 * the reader needs ~100 MiB at most (chunk caches 2 MiB per dataset, one
 * decompressed chunk of at most 64 MiB, the validator's 4 MiB window). */
#define PROBE_BASE_CPU_S 20u
#define PROBE_CPU_S_PER_MIB 2u
#define PROBE_MAX_CPU_S 3600u
#define PROBE_MEMORY_MB 1024u
/* Objects and attributes a session may hold: it has a few dozen. */
#define PROBE_MAX_OBJECTS 100000u
#define PROBE_MAX_ATTRS 4096u
/* Largest attribute value read (the reader reads < 64 KiB strings). */
#define PROBE_MAX_ATTR_BYTES ((size_t)16 << 20)
/* Datasets outside /sensors (tables) are read in slices of this size;
 * larger than PROBE_MAX_TABLE_BYTES in memory is refused. */
#define PROBE_SLICE_BYTES ((double)(8u << 20))
#define PROBE_MAX_TABLE_BYTES ((double)(1u << 30))

#define PROBE_MAGIC 0x74707262u /* "tprb" */
#define PROBE_EXEC_FAILED 127    /* the child's status when exec failed */

typedef struct probe_record {
    uint32_t magic;
    int32_t code;
    char msg[TENDO_ERROR_MSG_MAX];
} probe_record;

/* ------------------------------------------------------------ the child */

#if H5_VERSION_GE(1, 12, 0)
typedef H5O_info2_t probe_obj_info;
#define PROBE_VISIT(obj, op, data) \
    H5Ovisit3(obj, H5_INDEX_NAME, H5_ITER_NATIVE, op, data, H5O_INFO_BASIC | H5O_INFO_NUM_ATTRS)
#else
typedef H5O_info_t probe_obj_info;
#define PROBE_VISIT(obj, op, data) \
    H5Ovisit2(obj, H5_INDEX_NAME, H5_ITER_NATIVE, op, data, H5O_INFO_BASIC | H5O_INFO_NUM_ATTRS)
#endif

typedef struct probe_walk {
    const char *path;
    const char *object; /* name of the object being visited */
    unsigned objects;
    tendo_error *err;
} probe_walk;

/* 1 for the sample datasets (/sensors/X/time, accel, gyro, status): the
 * in-process reader checks and decodes their chunks itself (bounded, see
 * session_reader.c), so the child decodes only their first chunk. */
static int sample_dataset(const char *name)
{
    static const char *const parts[] = {"time", "accel", "gyro", "status"};
    if (strncmp(name, "sensors/", 8) != 0)
        return 0;
    const char *slash = strchr(name + 8, '/');
    if (!slash || strchr(slash + 1, '/'))
        return 0;
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
        if (!strcmp(slash + 1, parts[i]))
            return 1;
    return 0;
}

/* 1 if values of this type hold variable-length parts (strings or
 * sequences) that H5Dvlen_reclaim must free. It visits every element, so
 * it is skipped for fixed-size types: for a one-hour session's tables it
 * was two thirds of the whole check. */
static int has_variable_parts(hid_t type)
{
    H5T_class_t cls = H5Tget_class(type);
    if (cls == H5T_VLEN || (cls == H5T_STRING && H5Tis_variable_str(type) > 0))
        return 1;
    int found = 0;
    if (cls == H5T_COMPOUND) {
        int n = H5Tget_nmembers(type);
        for (int i = 0; !found && i < n; i++) {
            hid_t m = H5Tget_member_type(type, (unsigned)i);
            found = m >= 0 && has_variable_parts(m);
            if (m >= 0)
                H5Tclose(m);
        }
    } else if (cls == H5T_ARRAY) {
        hid_t super = H5Tget_super(type);
        found = super >= 0 && has_variable_parts(super);
        if (super >= 0)
            H5Tclose(super);
    }
    return found;
}

/* Reads a whole attribute in its native form, strings and variable-length
 * parts included (that is where the global heap gets parsed), and frees it. */
static herr_t read_attr(hid_t loc, const char *name, const H5A_info_t *info, void *data)
{
    (void)info;
    probe_walk *w = data;
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
    if (a < 0)
        return 0; /* a clean failure: the library coped */
    hid_t ftype = H5Aget_type(a), space = H5Aget_space(a);
    hid_t mtype = ftype >= 0 ? H5Tget_native_type(ftype, H5T_DIR_ASCEND) : -1;
    hssize_t n = space >= 0 ? H5Sget_simple_extent_npoints(space) : -1;
    size_t size = mtype >= 0 ? H5Tget_size(mtype) : 0;
    herr_t out = 0;
    if (mtype >= 0 && n > 0 && size > 0) {
        if ((double)n * (double)size > (double)PROBE_MAX_ATTR_BYTES) {
            tendo_error_set(w->err, TENDO_EDATA,
                            "%s: attribute '%s' of /%s holds %.0f bytes, above the %zu tendo "
                            "reads",
                            w->path, name, w->object, (double)n * (double)size,
                            PROBE_MAX_ATTR_BYTES);
            out = -1;
        } else {
            void *buf = calloc((size_t)n, size);
            if (buf && H5Aread(a, mtype, buf) >= 0)
                H5Dvlen_reclaim(mtype, space, H5P_DEFAULT, buf);
            free(buf);
        }
    }
    if (mtype >= 0)
        H5Tclose(mtype);
    if (ftype >= 0)
        H5Tclose(ftype);
    if (space >= 0)
        H5Sclose(space);
    H5Aclose(a);
    H5Eclear2(H5E_DEFAULT);
    return out;
}

/* Reads a dataset through HDF5's own filter pipeline, slice by slice
 * along its first dimension: all of it for tables and anything else a file
 * holds (every chunk decompressed once: HDF5 decodes them in-process later,
 * e.g. tendo_reader_get_table), and only the first chunk's rows of a sample
 * dataset (one_chunk), which the in-process reader decodes itself. */
static int read_dataset(probe_walk *w, hid_t ds, int one_chunk)
{
    hid_t ftype = H5Dget_type(ds), fspace = H5Dget_space(ds);
    hid_t mtype = ftype >= 0 ? H5Tget_native_type(ftype, H5T_DIR_ASCEND) : -1;
    int rank = fspace >= 0 ? H5Sget_simple_extent_ndims(fspace) : -1;
    hsize_t dims[H5S_MAX_RANK], start[H5S_MAX_RANK] = {0}, count[H5S_MAX_RANK];
    int rc = TENDO_OK;
    if (mtype < 0 || rank < 0 || rank > H5S_MAX_RANK ||
        H5Sget_simple_extent_dims(fspace, dims, NULL) < 0 || H5Tget_size(mtype) == 0)
        goto done; /* the library refused it cleanly */
    int vlen = has_variable_parts(mtype);
    double row = (double)H5Tget_size(mtype), rows = rank ? (double)dims[0] : 1;
    for (int i = 1; i < rank; i++)
        row *= (double)dims[i];
    if (row * rows > PROBE_MAX_TABLE_BYTES) {
        rc = tendo_error_set(w->err, TENDO_EDATA,
                             "%s: dataset /%s would take %.0f bytes in memory; tendo reads "
                             "tables up to %.0f",
                             w->path, w->object, row * rows, PROBE_MAX_TABLE_BYTES);
        goto done;
    }
    if (rank == 0 || rows == 0 || row == 0) {
        if (rank == 0) {
            void *buf = calloc(1, (size_t)row);
            if (buf && H5Dread(ds, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0 && vlen)
                H5Dvlen_reclaim(mtype, fspace, H5P_DEFAULT, buf);
            free(buf);
        }
        goto done;
    }
    if (one_chunk) {
        hid_t dcpl = H5Dget_create_plist(ds);
        hsize_t chunk[H5S_MAX_RANK] = {1};
        if (dcpl < 0 || H5Pget_layout(dcpl) != H5D_CHUNKED ||
            H5Pget_chunk(dcpl, H5S_MAX_RANK, chunk) < 1 || chunk[0] == 0)
            chunk[0] = 1; /* not chunked: nothing is decoded */
        if (dcpl >= 0)
            H5Pclose(dcpl);
        if (dims[0] > chunk[0])
            dims[0] = chunk[0];
    }
    hsize_t step = row >= PROBE_SLICE_BYTES ? 1 : (hsize_t)(PROBE_SLICE_BYTES / row);
    void *buf = calloc((size_t)(step < dims[0] ? step : dims[0]), (size_t)row);
    for (int i = 1; i < rank; i++)
        count[i] = dims[i];
    for (hsize_t first = 0; buf && first < dims[0]; first += step) {
        start[0] = first;
        count[0] = dims[0] - first < step ? dims[0] - first : step;
        hid_t mspace = H5Screate_simple(rank, count, NULL);
        herr_t ok = H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, NULL, count, NULL);
        if (ok >= 0)
            ok = H5Dread(ds, mtype, mspace, fspace, H5P_DEFAULT, buf);
        if (ok >= 0 && vlen)
            H5Dvlen_reclaim(mtype, mspace, H5P_DEFAULT, buf);
        H5Sclose(mspace);
        if (ok < 0)
            break; /* refused cleanly: nothing more to learn here */
    }
    free(buf);
done:
    if (mtype >= 0)
        H5Tclose(mtype);
    if (ftype >= 0)
        H5Tclose(ftype);
    if (fspace >= 0)
        H5Sclose(fspace);
    H5Eclear2(H5E_DEFAULT);
    return rc;
}

/* Every object reachable by hard links (H5Ovisit visits each once, so
 * cycles end): its attributes, and its data when tendo_validate has not
 * read it. */
static herr_t visit_object(hid_t root, const char *name, const probe_obj_info *info, void *data)
{
    probe_walk *w = data;
    if (++w->objects > PROBE_MAX_OBJECTS) {
        tendo_error_set(w->err, TENDO_EDATA,
                        "%s: the file holds more than %u HDF5 objects; a session holds a few "
                        "dozen",
                        w->path, PROBE_MAX_OBJECTS);
        return -1;
    }
    w->object = strcmp(name, ".") ? name : "";
    hid_t obj = H5Oopen(root, name, H5P_DEFAULT);
    if (obj < 0) {
        H5Eclear2(H5E_DEFAULT);
        return 0;
    }
    herr_t rc = 0;
    if (info->num_attrs > PROBE_MAX_ATTRS) {
        tendo_error_set(w->err, TENDO_EDATA, "%s: /%s has %llu attributes; tendo reads up to %u",
                        w->path, w->object, (unsigned long long)info->num_attrs,
                        PROBE_MAX_ATTRS);
        rc = -1;
    }
    hsize_t idx = 0;
    if (rc == 0 && H5Aiterate2(obj, H5_INDEX_NAME, H5_ITER_NATIVE, &idx, read_attr, w) < 0 &&
        w->err && w->err->code != TENDO_OK)
        rc = -1;
    if (rc == 0 && info->type == H5O_TYPE_DATASET &&
        read_dataset(w, obj, sample_dataset(name)) != TENDO_OK)
        rc = -1;
    H5Oclose(obj);
    H5Eclear2(H5E_DEFAULT);
    return rc;
}

static int probe_walk_file(const char *path, tendo_error *err)
{
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0)
        return tendo_h5_fail(err, TENDO_EDATA, "%s: the HDF5 file cannot be opened", path);
    probe_walk w = {path, "", 0, err};
    PROBE_VISIT(f, visit_object, &w);
    H5Eclear2(H5E_DEFAULT);
    H5Fclose(f);
    return err->code;
}

/* Address space in use now (bytes), from /proc/self/statm. */
static double address_space_now(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long pages = 0;
    if (f) {
        if (fscanf(f, "%lu", &pages) != 1)
            pages = 0;
        fclose(f);
    }
    return (double)pages * (double)sysconf(_SC_PAGESIZE);
}

/* Runs before main() in a process started by tendo_probe; never returns
 * there. Other processes return at once. */
__attribute__((constructor)) static void probe_child_main(void)
{
    const char *spec = getenv(ENV_CHILD), *file = getenv(ENV_FILE);
    if (!spec)
        return;
    int fd = -1;
    unsigned cpu = 0, mem_mb = 0;
    if (!file || sscanf(spec, "%d:%u:%u", &fd, &cpu, &mem_mb) != 3 || fd < 3)
        _exit(70);
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s", file);
    unsetenv(ENV_CHILD);
    unsetenv(ENV_FILE);
    dup2(2, 1); /* nothing may reach the caller's stdout (--json output) */
    struct rlimit core = {0, 0}, cpu_l = {cpu, cpu + 2};
    double as = address_space_now() + (double)mem_mb * 1048576.0;
    struct rlimit as_l = {(rlim_t)as, (rlim_t)as};
    setrlimit(RLIMIT_CORE, &core);
    setrlimit(RLIMIT_CPU, &cpu_l);
    setrlimit(RLIMIT_AS, &as_l);
    probe_record rec;
    memset(&rec, 0, sizeof rec);
    tendo_error err = {0};
    /* the reader's structural checks and the chunk index walk (stored
     * sizes and places), not the samples: the caller's reader decodes those
     * under its own bounds */
    tendo_reader *r = NULL;
    int rc = tendo_reader_open(&r, path, &err);
    if (rc == TENDO_OK)
        rc = tendo_reader_check_chunks(r, &err);
    tendo_reader_close(r);
    if (rc == TENDO_OK) {
        tendo_h5_quiet();
        rc = probe_walk_file(path, &err);
    }
    rec.magic = PROBE_MAGIC;
    rec.code = rc;
    memcpy(rec.msg, err.msg, sizeof rec.msg);
    _exit(tendo_write_all(fd, &rec, sizeof rec) == 0 ? 0 : 70);
}

/* ----------------------------------------------------------- the parent */

/* *value from the environment when name is set (left alone when not); a set
 * value that is not a whole number in [lo, hi] is a usage error, never a
 * silent fallback. */
static int env_number(const char *name, unsigned lo, unsigned hi, unsigned *value,
                      tendo_error *err)
{
    const char *v = getenv(name);
    char *end;
    if (!v || !*v)
        return TENDO_OK;
    unsigned long n = strtoul(v, &end, 10);
    if (*end != '\0' || v[0] == '-' || n < lo || n > hi)
        return tendo_error_set(err, TENDO_EUSAGE,
                               "%s='%s' is not a whole number from %u to %u; fix it or unset it",
                               name, v, lo, hi);
    *value = (unsigned)n;
    return TENDO_OK;
}

/* The environment of the child: ours without any TENDO_PROBE_ entry, plus
 * the child's two. NULL when out of memory. */
static char **child_env(const char *spec, const char *file)
{
    size_t n = 0;
    while (environ && environ[n])
        n++;
    char **env = calloc(n + 3, sizeof *env);
    if (!env)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (strncmp(environ[i], ENV_CHILD "=", sizeof ENV_CHILD) &&
            strncmp(environ[i], ENV_FILE "=", sizeof ENV_FILE))
            env[k++] = environ[i];
    env[k++] = (char *)spec;
    env[k++] = (char *)file;
    return env;
}

static int describe_failure(const char *path, int status, int timed_out, unsigned cpu,
                            unsigned wall, unsigned mem_mb, tendo_error *err)
{
    char why[160];
    if (timed_out)
        snprintf(why, sizeof why, "did not finish within %u s", wall);
    else if (WIFSIGNALED(status) &&
             (WTERMSIG(status) == SIGXCPU || WTERMSIG(status) == SIGKILL))
        snprintf(why, sizeof why, "ran out of time (%u s of CPU)", cpu);
    else if (WIFSIGNALED(status))
        snprintf(why, sizeof why, "crashed (signal %d, %s)", WTERMSIG(status),
                 strsignal(WTERMSIG(status)));
    else
        snprintf(why, sizeof why, "crashed or ran out of memory (%u MiB; exit status %d)",
                 mem_mb, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    return tendo_error_set(err, TENDO_EDATA,
                           "%s: the HDF5 library %s while checking the file in a sandboxed "
                           "process; the file is damaged or hostile and was not read (see "
                           "SECURITY.md)",
                           path, why);
}

int tendo_probe(const char *path, tendo_report *report, tendo_error *err)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return tendo_error_set(err, TENDO_ENOINPUT, "%s: %s", path, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return tendo_error_set(err, TENDO_ENOINPUT, "%s: not a regular file", path);
    double mib = (double)st.st_size / 1048576.0;
    double cpu_default = PROBE_BASE_CPU_S + PROBE_CPU_S_PER_MIB * mib;
    unsigned cpu = cpu_default > PROBE_MAX_CPU_S ? PROBE_MAX_CPU_S : (unsigned)cpu_default;
    unsigned mem_mb = PROBE_MEMORY_MB;
    if (env_number(ENV_SECONDS, 1, PROBE_MAX_CPU_S, &cpu, err) != TENDO_OK ||
        env_number(ENV_MEMORY, 64, 1u << 20, &mem_mb, err) != TENDO_OK)
        return TENDO_EUSAGE;
    /* Wall clock: the machine may be shared and busy; CPU time is the
     * real bound, this only catches a child blocked without using CPU. */
    unsigned wall = 4 * cpu + 10;

    char self[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    if (len <= 0)
        return tendo_error_set(err, TENDO_EINTERNAL,
                               "%s: cannot find this program (/proc/self/exe) to check the file "
                               "in a separate process",
                               path);
    self[len] = '\0';
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0)
        return tendo_error_set(err, TENDO_EINTERNAL, "pipe: %s", strerror(errno));
    char spec[96], *file = NULL;
    snprintf(spec, sizeof spec, ENV_CHILD "=%d:%u:%u", fds[1], cpu, mem_mb);
    if (asprintf(&file, ENV_FILE "=%s", path) < 0)
        file = NULL;
    char **env = file ? child_env(spec, file) : NULL;
    char *argv[] = {(char *)"tendo-probe", NULL};
    pid_t parent = getpid();
    pid_t pid = env ? fork() : -1;
    if (pid == 0) {
        /* only async-signal-safe calls between fork and exec */
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* dies with its caller */
        if (getppid() != parent)
            _exit(70);
        fcntl(fds[1], F_SETFD, 0);
        execve(self, argv, env);
        /* replaced on disk since it started ("... (deleted)"): the kernel's
         * link still reaches the running image */
        execve("/proc/self/exe", argv, env);
        _exit(PROBE_EXEC_FAILED);
    }
    int spawn_errno = errno;
    close(fds[1]);
    free(env);
    free(file);
    if (pid < 0) {
        close(fds[0]);
        return tendo_error_set(err, TENDO_EINTERNAL, "%s: cannot start the checking process: %s",
                               path, strerror(spawn_errno));
    }
    probe_record rec;
    size_t got = 0;
    int timed_out = 0;
    double deadline = tendo_monotonic_s() + wall;
    for (;;) {
        double left = deadline - tendo_monotonic_s();
        if (left <= 0) {
            timed_out = 1;
            break;
        }
        struct pollfd p = {fds[0], POLLIN, 0};
        int n = poll(&p, 1, left > 1 ? 1000 : (int)(left * 1000) + 1);
        if (n < 0 && errno != EINTR)
            break;
        if (n <= 0)
            continue;
        ssize_t r = read(fds[0], (char *)&rec + got, got < sizeof rec ? sizeof rec - got : 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break; /* end of file: the child has gone */
        got += (size_t)r;
        if (got == sizeof rec)
            break;
    }
    close(fds[0]);
    if (timed_out)
        kill(pid, SIGKILL);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (!timed_out && got == 0 && WIFEXITED(status) && WEXITSTATUS(status) == PROBE_EXEC_FAILED)
        return tendo_error_set(err, TENDO_EINTERNAL,
                               "%s: cannot run %s to check the file in a separate process",
                               path, self);
    if (timed_out || got != sizeof rec || rec.magic != PROBE_MAGIC ||
        !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
        return describe_failure(path, status, timed_out, cpu, wall, mem_mb, err);
    if (rec.code != TENDO_OK) {
        rec.msg[sizeof rec.msg - 1] = '\0';
        return tendo_error_set(err, rec.code, "%s", rec.msg);
    }
    /* the child checked what could crash libhdf5; the full validation
     * (every sample) is safe in this process now */
    return report ? tendo_validate(path, report, err) : TENDO_OK;
}

int tendo_reader_open_untrusted(tendo_reader **out, const char *path, tendo_error *err)
{
    *out = NULL;
    int rc = tendo_probe(path, NULL, err);
    return rc != TENDO_OK ? rc : tendo_reader_open(out, path, err);
}
