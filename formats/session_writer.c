/*
 * The streaming session writer. Samples are buffered one chunk at a time;
 * a full chunk is shuffled and deflated by a worker thread (chunk_pool.h),
 * which inflates it back and compares it with the samples, and the writer's
 * own thread stores the compressed chunks, in the order they were filled,
 * with H5Dwrite_chunk (HDF5 is only ever called from the writer's caller).
 * The datasets declare shuffle + deflate, so every reader decodes the chunks
 * as if HDF5 had compressed them. Per dataset the writer keeps the CRC-32 of
 * the appended samples and of the stored chunk stream, so commit can prove,
 * by reading the stored chunks back raw, that what lands under the final
 * name is exactly what was compressed and checked.
 */
#define _GNU_SOURCE /* renameat2 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>
#include <zlib.h>

#include "chunk_pool.h"
#include "session_internal.h"
#include "tendo_version.h"

enum { DS_TIME, DS_ACCEL, DS_GYRO, DS_STATUS, DS_COUNT };

/* One chunk of one dataset: filled by append, then encoded by a worker,
 * then stored; then reused. */
typedef struct chunk_slot {
    tendo_chunk_job job;
    unsigned char *in, *out;
    size_t in_cap, out_cap;
    size_t pod;
    int ds;
    int64_t row0;  /* first row of the chunk */
    size_t rows;   /* rows holding samples (the rest is zero padding) */
    struct chunk_slot *next; /* free list, or the queue of chunks to store */
} chunk_slot;

typedef struct pod_writer {
    tendo_pod_meta meta;
    hid_t group;
    hid_t ds[DS_COUNT];
    size_t elem;              /* bytes per accel/gyro value: 2 or 4 */
    size_t buffered;          /* rows waiting in the fill slots */
    int64_t written;          /* rows handed on to be compressed and stored */
    int64_t last_time;        /* for the strictly-increasing check */
    chunk_slot *fill[DS_COUNT]; /* the chunk being filled, per dataset */
    uint32_t crc[DS_COUNT];   /* of the appended samples */
    /* of the stored chunk stream as chunk_walk() reads it back (offset,
     * filter mask, size and bytes of every chunk, in order), and of the
     * first chunk's samples, which commit decodes through HDF5 */
    uint32_t stored_crc[DS_COUNT], first_crc[DS_COUNT];
    uint64_t stored_len[DS_COUNT];
    /* updates: each raw dataset's fingerprint in the original (chunk_print) */
    uint32_t print[DS_COUNT];
    uint64_t print_bytes[DS_COUNT];
} pod_writer;

struct tendo_writer {
    char final_path[PATH_MAX];
    char tmp_path[PATH_MAX];
    int overwrite;
    int derive_id; /* no session id given: derive it from the content at commit */
    int updating; /* opened by tendo_writer_open_update: no new samples */
    hid_t file;
    tendo_session_meta meta;
    pod_writer pods[TENDO_MAX_PODS];
    size_t npods;
    /* chunk compression: workers, slots, and the chunks waiting to be
     * stored, oldest first */
    int workers;
    tendo_chunk_pool *pool; /* started at the first chunk; NULL: encode inline */
    chunk_slot *free_slots, *queue_head, *queue_tail;
    size_t queued;
    int failed; /* a chunk could not be encoded or stored: no more writes */
};

static const char *DS_NAME[DS_COUNT] = {"time", "accel", "gyro", "status"};

static int drain(tendo_writer *w, tendo_error *err);

static uint32_t crc_update(uint32_t crc, const void *buf, size_t len)
{
    return (uint32_t)crc32(crc, (const Bytef *)buf, (uInt)len);
}

/* FNV-1a, 64 bit (Fowler, Noll, Vo): a fast, well-spread hash for ids. */
static uint64_t fnv1a(uint64_t h, const void *data, size_t len)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 1099511628211ULL;
    }
    return h;
}

/* The content-derived session id: start, athlete and, per pod, serial,
 * sample count and CRC-32s, hashed twice with different offset bases to
 * fill 128 bits. */
static void derive_session_id(tendo_writer *w)
{
    uint64_t h[2] = {14695981039346656037ULL, 0x6c62272e07bb0142ULL};
    for (int k = 0; k < 2; k++) {
        h[k] = fnv1a(h[k], &w->meta.start_time_us, sizeof w->meta.start_time_us);
        h[k] = fnv1a(h[k], w->meta.athlete_id, strlen(w->meta.athlete_id));
        for (size_t i = 0; i < w->npods; i++) {
            const pod_writer *p = &w->pods[i];
            h[k] = fnv1a(h[k], p->meta.serial, strlen(p->meta.serial));
            h[k] = fnv1a(h[k], &p->written, sizeof p->written);
            h[k] = fnv1a(h[k], p->crc, sizeof p->crc);
        }
    }
    uint8_t bytes[16];
    for (int i = 0; i < 16; i++)
        bytes[i] = (uint8_t)(h[i / 8] >> (8 * (i % 8)));
    tendo_session_id_format(bytes, w->meta.session_id);
}

static void slot_free(chunk_slot *s)
{
    if (s) {
        free(s->in);
        free(s->out);
        free(s);
    }
}

static void free_slot_list(chunk_slot *s)
{
    while (s) {
        chunk_slot *next = s->next;
        slot_free(s);
        s = next;
    }
}

/* Closes a pod's HDF5 handles and frees its fill slots; keeps its
 * metadata, counts and CRCs, which commit still needs to verify the file. */
static void close_pod(pod_writer *p)
{
    for (int d = 0; d < DS_COUNT; d++) {
        if (p->ds[d] > 0)
            H5Dclose(p->ds[d]);
        slot_free(p->fill[d]);
        p->fill[d] = NULL;
    }
    if (p->group > 0)
        H5Gclose(p->group);
    memset(p->ds, 0, sizeof p->ds);
    p->group = 0;
}

static void writer_free(tendo_writer *w, int remove_tmp)
{
    /* Workers finish what they hold before the slots go. */
    tendo_chunk_pool_stop(w->pool);
    w->pool = NULL;
    free_slot_list(w->queue_head);
    free_slot_list(w->free_slots);
    for (size_t i = 0; i < w->npods; i++)
        close_pod(&w->pods[i]);
    if (w->file > 0)
        H5Fclose(w->file);
    if (remove_tmp && w->tmp_path[0])
        unlink(w->tmp_path);
    free(w);
}

static int write_root_attrs(tendo_writer *w, tendo_error *err)
{
    char start[40];
    tendo_time_format_iso(w->meta.start_time_us, start, sizeof start);
    hid_t root = w->file;
    if (tendo_h5_put_str(root, "tendo_format", TENDO_FORMAT_NAME) < 0 ||
        tendo_h5_put_i64(root, "tendo_format_version", TENDO_FORMAT_VERSION) < 0 ||
        tendo_h5_put_str(root, "session_id", w->meta.session_id) < 0 ||
        tendo_h5_put_str(root, "athlete_id", w->meta.athlete_id) < 0 ||
        tendo_h5_put_str(root, "start_time_utc", start) < 0 ||
        tendo_h5_put_i64(root, "start_time_us", w->meta.start_time_us) < 0 ||
        tendo_h5_put_str(root, "source", w->meta.source) < 0 ||
        tendo_h5_put_str(root, "software_version", w->meta.software_version) < 0)
        return tendo_h5_fail(err, TENDO_EIO, "%s: cannot write the session attributes",
                             w->tmp_path);
    return TENDO_OK;
}

/* Removes temporary files that writers killed before commit left beside
 * final_path (".NAME.PID.partial" whose PID is no longer running, or is
 * ours): they never held anything under a final name, so they are garbage. */
static void remove_stale_partials(const char *dir, const char *base)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    size_t blen = strlen(base);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        const char *name = e->d_name;
        if (name[0] != '.' || strncmp(name + 1, base, blen) != 0 || name[1 + blen] != '.')
            continue;
        char *end = NULL;
        long pid = strtol(name + 2 + blen, &end, 10);
        if (pid <= 0 || !end || strcmp(end, ".partial") != 0)
            continue;
        if (pid == (long)getpid() || (kill((pid_t)pid, 0) != 0 && errno == ESRCH)) {
            char path[PATH_MAX];
            if (snprintf(path, sizeof path, "%s/%s", dir, name) < (int)sizeof path)
                unlink(path);
        }
    }
    closedir(d);
}

/* Creates the temporary file and writes the root attributes; /sensors is
 * created empty when with_sensors is set (a new session), not when an
 * update copies it over. */
static int writer_create(tendo_writer **out, const char *final_path,
                         const tendo_session_meta *meta, int overwrite, int with_sensors,
                         tendo_error *err)
{
    *out = NULL;
    tendo_h5_quiet();
    if (strlen(final_path) + 32 >= PATH_MAX)
        return tendo_error_set(err, TENDO_EUSAGE, "%s: path too long", final_path);
    struct stat st;
    if (!overwrite && stat(final_path, &st) == 0)
        return tendo_error_set(err, TENDO_ECANTCREAT,
                               "%s already exists; choose another name or pass --force to "
                               "replace it",
                               final_path);
    tendo_writer *w = calloc(1, sizeof *w);
    if (!w)
        return tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
    snprintf(w->final_path, sizeof w->final_path, "%s", final_path);
    w->overwrite = overwrite;
    w->workers = tendo_chunk_workers_default();
    w->meta = *meta;
    w->derive_id = !w->meta.session_id[0];
    if (!w->meta.source[0])
        snprintf(w->meta.source, sizeof w->meta.source, "import");
    snprintf(w->meta.software_version, sizeof w->meta.software_version, "tendo %s",
             TENDO_VERSION);

    /* The temporary file lives beside the final one (same file system, so
     * the rename is atomic) under a hidden name no reader looks for. */
    char dir_buf[PATH_MAX], base_buf[PATH_MAX];
    snprintf(dir_buf, sizeof dir_buf, "%s", final_path);
    snprintf(base_buf, sizeof base_buf, "%s", final_path);
    const char *dir = dirname(dir_buf), *base = basename(base_buf);
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        free(w);
        return tendo_error_set(err, TENDO_ECANTCREAT,
                               "%s: folder %s does not exist; create it first", final_path, dir);
    }
    int n = snprintf(w->tmp_path, sizeof w->tmp_path, "%s/.%s.%ld.partial", dir, base,
                     (long)getpid());
    if (n < 0 || (size_t)n >= sizeof w->tmp_path) {
        free(w);
        return tendo_error_set(err, TENDO_EUSAGE, "%s: path too long", final_path);
    }
    remove_stale_partials(dir, base);

    hid_t fcpl = H5Pcreate(H5P_FILE_CREATE);
    H5Pset_obj_track_times(fcpl, 0);
    w->file = H5Fcreate(w->tmp_path, H5F_ACC_EXCL, fcpl, H5P_DEFAULT);
    H5Pclose(fcpl);
    if (w->file < 0) {
        int e = errno;
        w->tmp_path[0] = '\0';
        int rc = tendo_h5_fail(err, e == ENOSPC ? TENDO_EIO : TENDO_ECANTCREAT,
                               "%s: cannot create a file in %s (%s)", final_path, dir,
                               strerror(e));
        free(w);
        return rc;
    }
    int rc = write_root_attrs(w, err);
    if (rc == TENDO_OK && with_sensors) {
        hid_t gcpl = tendo_h5_gcpl();
        hid_t g = H5Gcreate2(w->file, "sensors", H5P_DEFAULT, gcpl, H5P_DEFAULT);
        H5Pclose(gcpl);
        if (g < 0)
            rc = tendo_h5_fail(err, TENDO_EIO, "%s: cannot create /sensors", w->tmp_path);
        else
            H5Gclose(g);
    }
    if (rc != TENDO_OK) {
        writer_free(w, 1);
        return rc;
    }
    *out = w;
    return TENDO_OK;
}

int tendo_writer_open(tendo_writer **out, const char *final_path,
                      const tendo_session_meta *meta, int overwrite, tendo_error *err)
{
    return writer_create(out, final_path, meta, overwrite, 1, err);
}

static hid_t create_dataset(hid_t group, const char *name, hid_t type, int cols)
{
    hsize_t dims[2] = {0, (hsize_t)cols}, maxdims[2] = {H5S_UNLIMITED, (hsize_t)cols};
    hsize_t chunk[2] = {TENDO_CHUNK_ROWS, (hsize_t)cols};
    int rank = cols > 1 ? 2 : 1;
    hid_t space = H5Screate_simple(rank, dims, maxdims);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_chunk(dcpl, rank, chunk);
    H5Pset_shuffle(dcpl);
    H5Pset_deflate(dcpl, TENDO_DEFLATE_LEVEL);
    H5Pset_obj_track_times(dcpl, 0);
    hid_t ds = H5Dcreate2(group, name, type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    H5Pclose(dcpl);
    H5Sclose(space);
    return ds;
}

static int check_pod_meta(const tendo_writer *w, const tendo_pod_meta *pod, tendo_error *err)
{
    if (!tendo_serial_is_valid(pod->serial))
        return tendo_error_set(err, TENDO_EUSAGE,
                               "pod serial '%s' is not valid: use 1-63 letters, digits, '_', "
                               "'.' or '-'",
                               pod->serial);
    for (size_t i = 0; i < w->npods; i++)
        if (!strcmp(w->pods[i].meta.serial, pod->serial))
            return tendo_error_set(err, TENDO_EUSAGE, "pod serial '%s' appears twice",
                                   pod->serial);
    if (!(pod->sample_rate_hz > 0 && pod->sample_rate_hz <= 100000))
        return tendo_error_set(err, TENDO_EUSAGE,
                               "pod %s: sample rate %g Hz is outside 0-100000 Hz", pod->serial,
                               pod->sample_rate_hz);
    if (!(pod->accel_conversion > 0 && isfinite(pod->accel_conversion)) ||
        (pod->has_gyro && !(pod->gyro_conversion > 0 && isfinite(pod->gyro_conversion))))
        return tendo_error_set(err, TENDO_EUSAGE, "pod %s: conversion factors must be > 0",
                               pod->serial);
    if (w->npods == TENDO_MAX_PODS)
        return tendo_error_set(err, TENDO_EUSAGE, "a session holds at most %d pods",
                               TENDO_MAX_PODS);
    return TENDO_OK;
}

static int write_pod_attrs(hid_t g, const tendo_pod_meta *pod)
{
    int bad = 0;
    bad |= tendo_h5_put_str(g, "side", tendo_side_name(pod->side));
    bad |= tendo_h5_put_str(g, "placement", tendo_placement_name(pod->placement));
    bad |= tendo_h5_put_f64(g, "sample_rate_hz", pod->sample_rate_hz);
    bad |= tendo_h5_put_str(g, "model", pod->model);
    bad |= tendo_h5_put_str(g, "firmware", pod->firmware);
    bad |= tendo_h5_put_f64(g, "accel_range_g", pod->accel_range_g);
    bad |= tendo_h5_put_f64(g, "gyro_range_dps", pod->has_gyro ? pod->gyro_range_dps : 0.0);
    return bad;
}

static int write_dataset_attrs(hid_t ds, const char *unit, double conversion)
{
    return tendo_h5_put_str(ds, "unit", unit) | tendo_h5_put_f64(ds, "conversion", conversion);
}

int tendo_writer_add_pod(tendo_writer *w, const tendo_pod_meta *pod, size_t *pod_index,
                         tendo_error *err)
{
    if (w->updating)
        return tendo_error_set(err, TENDO_EINTERNAL, "an update cannot add pods");
    int rc = check_pod_meta(w, pod, err);
    if (rc == TENDO_OK)
        rc = drain(w, err);
    if (rc != TENDO_OK)
        return rc;
    pod_writer *p = &w->pods[w->npods];
    memset(p, 0, sizeof *p);
    p->meta = *pod;
    p->last_time = INT64_MIN;
    p->elem = pod->storage == TENDO_STORE_INT16 ? sizeof(int16_t) : sizeof(float);
    if (pod->storage == TENDO_STORE_FLOAT32)
        p->meta.accel_conversion = p->meta.gyro_conversion = 1.0;
    hid_t vtype = pod->storage == TENDO_STORE_INT16 ? H5T_STD_I16LE : H5T_IEEE_F32LE;
    hid_t gcpl = tendo_h5_gcpl();
    char path[128];
    snprintf(path, sizeof path, "/sensors/%s", pod->serial);
    p->group = H5Gcreate2(w->file, path, H5P_DEFAULT, gcpl, H5P_DEFAULT);
    H5Pclose(gcpl);
    w->npods++; /* from here on close_pod() cleans up on any failure */
    if (p->group < 0 || write_pod_attrs(p->group, &p->meta))
        return tendo_h5_fail(err, TENDO_EIO, "%s: cannot create %s", w->tmp_path, path);
    p->ds[DS_TIME] = create_dataset(p->group, "time", H5T_STD_I64LE, 1);
    p->ds[DS_ACCEL] = create_dataset(p->group, "accel", vtype, 3);
    p->ds[DS_STATUS] = create_dataset(p->group, "status", H5T_STD_U8LE, 1);
    if (pod->has_gyro)
        p->ds[DS_GYRO] = create_dataset(p->group, "gyro", vtype, 3);
    if (p->ds[DS_TIME] < 0 || p->ds[DS_ACCEL] < 0 || p->ds[DS_STATUS] < 0 ||
        (pod->has_gyro && p->ds[DS_GYRO] < 0) ||
        tendo_h5_put_str(p->ds[DS_TIME], "unit", "us since 1970-01-01T00:00:00Z") ||
        write_dataset_attrs(p->ds[DS_ACCEL], "m/s^2", p->meta.accel_conversion) ||
        (pod->has_gyro && write_dataset_attrs(p->ds[DS_GYRO], "rad/s", p->meta.gyro_conversion)) ||
        tendo_h5_put_str(p->ds[DS_STATUS], "bits",
                         "1=accel clipped, 2=gyro clipped, 4=gap before this sample"))
        return tendo_h5_fail(err, TENDO_EIO, "%s: cannot create the datasets of %s",
                             w->tmp_path, path);
    *pod_index = w->npods - 1;
    return TENDO_OK;
}

/* Bytes of one row of dataset d. */
static size_t row_bytes(const pod_writer *p, int d)
{
    return d == DS_TIME ? 8 : d == DS_STATUS ? 1 : 3 * p->elem;
}

/* The bytes chunk_walk() reads back for one stored chunk, added to the
 * dataset's running CRC-32 (crc32_combine: the chunk's own bytes were
 * CRC'd by the worker). */
static void add_stored(pod_writer *p, int d, int64_t row0, const tendo_chunk_job *job)
{
    hsize_t offset[2] = {(hsize_t)row0, 0}, size = job->out_len;
    unsigned mask = 0;
    uint32_t c = crc_update(p->stored_crc[d], offset, sizeof offset);
    c = crc_update(c, &mask, sizeof mask);
    c = crc_update(c, &size, sizeof size);
    p->stored_crc[d] = (uint32_t)crc32_combine(c, job->out_crc, (z_off_t)size);
    p->stored_len[d] += sizeof offset + sizeof mask + sizeof size + size;
}

/* Stores the oldest queued chunk: waits for its worker, extends the
 * dataset to cover it and writes its compressed bytes as they are, with
 * filter mask 0 (shuffle and deflate both applied). */
static int store_oldest(tendo_writer *w, tendo_error *err)
{
    chunk_slot *s = w->queue_head;
    w->queue_head = s->next;
    if (!w->queue_head)
        w->queue_tail = NULL;
    w->queued--;
    s->next = NULL;
    pod_writer *p = &w->pods[s->pod];
    int d = s->ds;
    int jrc = w->pool ? tendo_chunk_pool_wait(w->pool, &s->job) : s->job.rc;
    int rc = TENDO_OK;
    if (jrc == -1)
        rc = tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
    else if (jrc != 0)
        rc = tendo_error_set(err, TENDO_EINTERNAL,
                             "%s: samples %" PRId64 "-%" PRId64 " of /sensors/%s/%s did not "
                             "survive deflate and inflate (%s): memory fault?",
                             w->tmp_path, s->row0, s->row0 + (int64_t)s->rows, p->meta.serial,
                             DS_NAME[d], jrc == -2 ? "zlib failed" : "they differ");
    if (rc == TENDO_OK) {
        hsize_t dims[2] = {(hsize_t)s->row0 + s->rows, 3}, offset[2] = {(hsize_t)s->row0, 0};
        errno = 0;
        if (H5Dset_extent(p->ds[d], dims) < 0 ||
            H5Dwrite_chunk(p->ds[d], H5P_DEFAULT, 0, offset, s->job.out_len, s->job.out) < 0) {
            /* the system's reason when there is one (ENOSPC, EFBIG, EIO):
             * HDF5's own description of a failed write is a page long */
            int e = errno;
            if (e)
                rc = tendo_error_set(err, TENDO_EIO,
                                     "%s: writing samples %" PRId64 "-%" PRId64 " of pod %s "
                                     "failed: %s (disk full or I/O error?)",
                                     w->tmp_path, s->row0, s->row0 + (int64_t)s->rows,
                                     p->meta.serial, strerror(e));
            else
                rc = tendo_h5_fail(err, TENDO_EIO,
                                   "%s: writing samples %" PRId64 "-%" PRId64 " of pod %s failed "
                                   "(disk full or I/O error?)",
                                   w->tmp_path, s->row0, s->row0 + (int64_t)s->rows,
                                   p->meta.serial);
        }
    }
    if (rc == TENDO_OK) {
        if (s->row0 == 0)
            p->first_crc[d] = s->job.valid_crc;
        p->crc[d] = (uint32_t)crc32_combine(p->crc[d], s->job.valid_crc,
                                            (z_off_t)(s->rows * row_bytes(p, d)));
        add_stored(p, d, s->row0, &s->job);
    } else {
        w->failed = 1;
    }
    s->next = w->free_slots;
    w->free_slots = s;
    return rc;
}

/* Stores every queued chunk. Called before any other change to the file,
 * so the sequence of HDF5 calls (and the file's bytes) depends on what was
 * appended, never on how many workers there are or how fast they ran. */
static int drain(tendo_writer *w, tendo_error *err)
{
    int rc = TENDO_OK;
    while (w->queue_head && rc == TENDO_OK)
        rc = store_oldest(w, err);
    return rc;
}

/* A slot with room for a whole chunk of pod p's dataset d. */
static chunk_slot *take_slot(tendo_writer *w, const pod_writer *p, int d)
{
    chunk_slot *s = w->free_slots;
    if (s)
        w->free_slots = s->next;
    else if (!(s = calloc(1, sizeof *s)))
        return NULL;
    s->next = NULL;
    size_t bytes = TENDO_CHUNK_ROWS * row_bytes(p, d), out = tendo_chunk_out_bound(bytes);
    unsigned char *in = s->in_cap >= bytes ? s->in : realloc(s->in, bytes);
    if (in) {
        s->in = in;
        s->in_cap = bytes > s->in_cap ? bytes : s->in_cap;
    }
    unsigned char *o = s->out_cap >= out ? s->out : realloc(s->out, out);
    if (o) {
        s->out = o;
        s->out_cap = out > s->out_cap ? out : s->out_cap;
    }
    if (!in || !o) {
        s->next = w->free_slots;
        w->free_slots = s;
        return NULL;
    }
    return s;
}

/* Hands pod p's buffered rows (a full chunk, or the last, partial one) to
 * the workers. Chunks are stored as they finish, oldest first; at most
 * workers + 2 wait, which bounds memory. */
static int flush_pod(tendo_writer *w, pod_writer *p, tendo_error *err)
{
    if (p->buffered == 0)
        return TENDO_OK;
    if (w->failed)
        return tendo_error_set(err, TENDO_EIO, "%s: an earlier write failed", w->tmp_path);
    if (!w->pool)
        w->pool = tendo_chunk_pool_start(w->workers);
    for (int d = 0; d < DS_COUNT; d++) {
        chunk_slot *s = p->fill[d];
        if (!s)
            continue;
        p->fill[d] = NULL;
        size_t rb = row_bytes(p, d), bytes = TENDO_CHUNK_ROWS * rb;
        /* the padding of a partial chunk holds the fill value (0), as HDF5
         * itself stores an edge chunk */
        memset(s->in + p->buffered * rb, 0, bytes - p->buffered * rb);
        s->pod = (size_t)(p - w->pods);
        s->ds = d;
        s->row0 = p->written;
        s->rows = p->buffered;
        /* byte planes of runs: Z_RLE; noisy planes of samples: stored;
         * the rest (the low planes of times too): level 1 (chunk_pool.h,
         * the measurements in SESSION.md) */
        s->job = (tendo_chunk_job){.in = s->in,
                                   .in_bytes = bytes,
                                   .valid_bytes = p->buffered * rb,
                                   .elem = d == DS_TIME ? 8 : d == DS_STATUS ? 1 : p->elem,
                                   .level = TENDO_DEFLATE_LEVEL,
                                   .store_noisy = d == DS_ACCEL || d == DS_GYRO,
                                   .out = s->out,
                                   .out_cap = s->out_cap};
        if (w->pool) {
            tendo_chunk_pool_submit(w->pool, &s->job);
        } else {
            /* no thread could be started: encode here */
            unsigned char *scratch = NULL;
            size_t cap = 0;
            tendo_chunk_encode(&s->job, &scratch, &cap);
            free(scratch);
        }
        if (w->queue_tail)
            w->queue_tail->next = s;
        else
            w->queue_head = s;
        w->queue_tail = s;
        w->queued++;
    }
    p->written += (int64_t)p->buffered;
    p->buffered = 0;
    int rc = TENDO_OK;
    while (rc == TENDO_OK && w->queued > (size_t)w->workers + 2)
        rc = store_oldest(w, err);
    return rc;
}

/* Checks one block before it is accepted: times strictly increasing and,
 * for float storage, finite values. */
static int check_block(const tendo_writer *w, const pod_writer *p, const tendo_block *blk,
                       tendo_error *err)
{
    if (!blk->time_us || !blk->accel || (p->meta.has_gyro && !blk->gyro))
        return tendo_error_set(err, TENDO_EINTERNAL, "pod %s: block lacks time, accel or gyro",
                               p->meta.serial);
    int64_t prev = p->last_time;
    for (size_t i = 0; i < blk->n; i++) {
        if (blk->time_us[i] <= prev)
            return tendo_error_set(err, TENDO_EDATA,
                                   "pod %s: sample %" PRId64 " has time %" PRId64
                                   " us, not after the previous sample's %" PRId64 " us",
                                   p->meta.serial, p->written + (int64_t)p->buffered + (int64_t)i,
                                   blk->time_us[i], prev);
        prev = blk->time_us[i];
    }
    if (p->meta.storage == TENDO_STORE_FLOAT32) {
        const float *a = blk->accel, *g = blk->gyro;
        for (size_t i = 0; i < 3 * blk->n; i++)
            if (!isfinite(a[i]) || (g && !isfinite(g[i])))
                return tendo_error_set(err, TENDO_EDATA,
                                       "pod %s: sample %" PRId64 " holds NaN or infinity",
                                       p->meta.serial,
                                       p->written + (int64_t)p->buffered + (int64_t)(i / 3));
    }
    (void)w;
    return TENDO_OK;
}

int tendo_writer_append(tendo_writer *w, size_t pod_index, const tendo_block *blk,
                        tendo_error *err)
{
    if (pod_index >= w->npods)
        return tendo_error_set(err, TENDO_EINTERNAL, "no pod %zu", pod_index);
    if (w->updating)
        return tendo_error_set(err, TENDO_EINTERNAL, "an update cannot append samples");
    pod_writer *p = &w->pods[pod_index];
    int rc = check_block(w, p, blk, err);
    if (rc != TENDO_OK)
        return rc;
    if (w->failed)
        return tendo_error_set(err, TENDO_EIO, "%s: an earlier write failed", w->tmp_path);
    size_t done = 0, row3 = 3 * p->elem;
    while (done < blk->n) {
        for (int d = 0; d < DS_COUNT; d++)
            if (!p->fill[d] && (d != DS_GYRO || p->meta.has_gyro) &&
                !(p->fill[d] = take_slot(w, p, d)))
                return tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
        size_t take = TENDO_CHUNK_ROWS - p->buffered;
        if (take > blk->n - done)
            take = blk->n - done;
        const unsigned char *a = (const unsigned char *)blk->accel + done * row3;
        memcpy(p->fill[DS_TIME]->in + p->buffered * 8, blk->time_us + done, take * 8);
        memcpy(p->fill[DS_ACCEL]->in + p->buffered * row3, a, take * row3);
        if (p->meta.has_gyro)
            memcpy(p->fill[DS_GYRO]->in + p->buffered * row3,
                   (const unsigned char *)blk->gyro + done * row3, take * row3);
        if (blk->status)
            memcpy(p->fill[DS_STATUS]->in + p->buffered, blk->status + done, take);
        else
            memset(p->fill[DS_STATUS]->in + p->buffered, 0, take);
        p->buffered += take;
        done += take;
        if (p->buffered == TENDO_CHUNK_ROWS && (rc = flush_pod(w, p, err)) != TENDO_OK)
            return rc;
    }
    if (blk->n)
        p->last_time = blk->time_us[blk->n - 1];
    return TENDO_OK;
}

/* Creates every missing group along path (like mkdir -p) and opens the last. */
static hid_t open_or_create_group(hid_t file, const char *path)
{
    char buf[512];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf || buf[0] != '/')
        return -1;
    hid_t gcpl = tendo_h5_gcpl();
    for (char *slash = strchr(buf + 1, '/');; slash = strchr(slash + 1, '/')) {
        if (slash)
            *slash = '\0';
        if (H5Lexists(file, buf, H5P_DEFAULT) <= 0) {
            hid_t g = H5Gcreate2(file, buf, H5P_DEFAULT, gcpl, H5P_DEFAULT);
            if (g < 0) {
                H5Pclose(gcpl);
                return -1;
            }
            H5Gclose(g);
        }
        if (!slash)
            break;
        *slash = '/';
    }
    H5Pclose(gcpl);
    return H5Gopen2(file, buf, H5P_DEFAULT);
}

int tendo_writer_put_table(tendo_writer *w, const char *path, const tendo_column *cols,
                           size_t ncols, const void *rows, size_t row_size, size_t nrows,
                           tendo_error *err)
{
    const char *slash = strrchr(path, '/');
    if (!slash || slash == path + strlen(path) - 1)
        return tendo_error_set(err, TENDO_EINTERNAL, "bad table path '%s'", path);
    char parent[512];
    snprintf(parent, sizeof parent, "%.*s", (int)(slash - path), path);
    int drc = drain(w, err);
    if (drc != TENDO_OK)
        return drc;
    hid_t group = slash == path ? H5Gopen2(w->file, "/", H5P_DEFAULT)
                                : open_or_create_group(w->file, parent);
    if (group < 0)
        return tendo_h5_fail(err, TENDO_EIO, "%s: cannot create group %s", w->tmp_path, parent);

    /* Copy into a zeroed staging buffer so string fields carry no bytes
     * beyond their NUL: the same rows must give the same file bytes. */
    unsigned char *stage = nrows ? calloc(nrows, row_size) : NULL;
    if (nrows && !stage) {
        H5Gclose(group);
        return tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
    }
    for (size_t r = 0; r < nrows; r++)
        for (size_t c = 0; c < ncols; c++) {
            const unsigned char *src = (const unsigned char *)rows + r * row_size + cols[c].offset;
            unsigned char *dst = stage + r * row_size + cols[c].offset;
            size_t size = cols[c].type == TENDO_COL_STR16 ? strnlen((const char *)src, 16)
                          : cols[c].type == TENDO_COL_U8                     ? 1
                          : cols[c].type == TENDO_COL_F32 || cols[c].type == TENDO_COL_I32 ? 4
                                                                                          : 8;
            memcpy(dst, src, size);
        }
    hid_t ftype = tendo_h5_compound(cols, ncols, row_size, 1);
    hid_t mtype = tendo_h5_compound(cols, ncols, row_size, 0);
    hsize_t dims[1] = {nrows}, maxdims[1] = {H5S_UNLIMITED}, chunk[1] = {4096};
    hid_t space = H5Screate_simple(1, dims, maxdims);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_chunk(dcpl, 1, chunk);
    H5Pset_deflate(dcpl, TENDO_DEFLATE_LEVEL);
    H5Pset_obj_track_times(dcpl, 0);
    const char *name = slash + 1;
    if (H5Lexists(group, name, H5P_DEFAULT) > 0)
        H5Ldelete(group, name, H5P_DEFAULT);
    hid_t ds = H5Dcreate2(group, name, ftype, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    int rc = TENDO_OK;
    if (ds < 0 || (nrows && H5Dwrite(ds, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, stage) < 0))
        rc = tendo_h5_fail(err, TENDO_EIO, "%s: cannot write table %s", w->tmp_path, path);
    if (ds >= 0)
        H5Dclose(ds);
    H5Pclose(dcpl);
    H5Sclose(space);
    H5Tclose(ftype);
    H5Tclose(mtype);
    H5Gclose(group);
    free(stage);
    return rc;
}

static int put_attr_common(tendo_writer *w, const char *group, const char *name,
                           const char *svalue, double dvalue, tendo_error *err)
{
    int drc = drain(w, err);
    if (drc != TENDO_OK)
        return drc;
    hid_t g = !strcmp(group, "/") ? H5Gopen2(w->file, "/", H5P_DEFAULT)
                                  : open_or_create_group(w->file, group);
    if (g < 0)
        return tendo_h5_fail(err, TENDO_EIO, "%s: cannot create group %s", w->tmp_path, group);
    int bad = svalue ? tendo_h5_put_str(g, name, svalue) : tendo_h5_put_f64(g, name, dvalue);
    H5Gclose(g);
    if (bad)
        return tendo_h5_fail(err, TENDO_EIO, "%s: cannot write attribute %s of %s",
                             w->tmp_path, name, group);
    return TENDO_OK;
}

int tendo_writer_put_attr_str(tendo_writer *w, const char *group, const char *name,
                              const char *value, tendo_error *err)
{
    return put_attr_common(w, group, name, value ? value : "", 0.0, err);
}

int tendo_writer_put_attr_f64(tendo_writer *w, const char *group, const char *name,
                              double value, tendo_error *err)
{
    return put_attr_common(w, group, name, NULL, value, err);
}

/* Records, for an update of a file without a session id (which commit
 * then derives from the content), every sample's CRC-32 as a new file's
 * writer would have: decodes the whole recording, so only in that case. */
static int crc_samples(tendo_writer *w, tendo_reader *r, tendo_error *err)
{
    enum { WINDOW = TENDO_CHUNK_ROWS };
    int64_t *time = malloc(WINDOW * sizeof *time);
    unsigned char *accel = malloc(WINDOW * 3 * sizeof(float));
    unsigned char *gyro = malloc(WINDOW * 3 * sizeof(float));
    uint8_t *status = malloc(WINDOW);
    int rc = time && accel && gyro && status
                 ? TENDO_OK
                 : tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
    for (size_t i = 0; rc == TENDO_OK && i < w->npods; i++) {
        pod_writer *p = &w->pods[i];
        for (int64_t first = 0; rc == TENDO_OK && first < p->written; first += WINDOW) {
            tendo_block blk = {(size_t)(p->written - first < WINDOW ? p->written - first : WINDOW),
                               time, accel, p->meta.has_gyro ? gyro : NULL, status};
            rc = tendo_reader_read_raw(r, i, first, &blk, err);
            if (rc != TENDO_OK)
                break;
            p->crc[DS_TIME] = crc_update(p->crc[DS_TIME], time, blk.n * 8);
            p->crc[DS_ACCEL] = crc_update(p->crc[DS_ACCEL], accel, blk.n * 3 * p->elem);
            if (p->meta.has_gyro)
                p->crc[DS_GYRO] = crc_update(p->crc[DS_GYRO], gyro, blk.n * 3 * p->elem);
            p->crc[DS_STATUS] = crc_update(p->crc[DS_STATUS], status, blk.n);
        }
    }
    free(time);
    free(accel);
    free(gyro);
    free(status);
    return rc;
}

/* Largest stored (compressed) chunk read whole: a chunk the reader accepts
 * is at most 64 MiB decompressed, and deflate adds at most ~0.1% to data it
 * cannot compress. */
#define MAX_STORED_CHUNK ((hsize_t)80 * 1024 * 1024)

/* The stored chunks of ds (rows along time, chunk_rows per chunk), in
 * order of position: each chunk's offset, filter mask, stored size and
 * stored (compressed) bytes, read with H5Dread_chunk, added to the CRC-32
 * crc (*len counts the bytes added, *bytes the stored bytes). Returns 0,
 * -1 on an HDF5 error, -2 out of memory, -3 for a chunk larger than
 * MAX_STORED_CHUNK. */
static int chunk_walk(hid_t ds, hsize_t rows, hsize_t chunk_rows, uint32_t *crc, uint64_t *len,
                      uint64_t *bytes, void **buf, size_t *cap)
{
    for (hsize_t row = 0; row < rows; row += chunk_rows) {
        hsize_t offset[2] = {row, 0}, size = 0;
        haddr_t addr = HADDR_UNDEF;
        unsigned mask = 0;
        if (H5Dget_chunk_info_by_coord(ds, offset, &mask, &addr, &size) < 0)
            return -1;
        if (addr == HADDR_UNDEF)
            size = 0; /* never written: reads as the fill value */
        *crc = crc_update(*crc, offset, sizeof offset);
        *crc = crc_update(*crc, &mask, sizeof mask);
        *crc = crc_update(*crc, &size, sizeof size);
        *len += sizeof offset + sizeof mask + sizeof size + size;
        if (size == 0)
            continue;
        if (size > MAX_STORED_CHUNK)
            return -3;
        if (size > *cap) {
            void *grown = realloc(*buf, (size_t)size);
            if (!grown)
                return -2;
            *buf = grown;
            *cap = (size_t)size;
        }
        uint32_t mask2 = 0;
        if (H5Dread_chunk(ds, H5P_DEFAULT, offset, &mask2, *buf) < 0 || mask2 != mask)
            return -1;
        *crc = crc_update(*crc, *buf, (size_t)size);
        *bytes += size;
    }
    return 0;
}

/* The fingerprint of one chunked dataset as stored: a CRC-32 over its
 * element type, shape, chunk shape and filter pipeline, then, chunk by
 * chunk in order of position, the chunk's offset, filter mask, stored size
 * and stored (compressed) bytes, read with H5Dread_chunk — no
 * decompression. Two datasets with the same fingerprint hold the same
 * bytes under the same decoding, so they decode to the same samples: how
 * an update proves that its copy of the recording (H5Ocopy moves chunks as
 * they are) is intact, at the cost of reading the compressed bytes once
 * instead of decompressing every sample. *buf (of *cap bytes) is a reusable
 * read buffer. Returns 0, -1 on an HDF5 error, -2 out of memory, -3 for a
 * chunk larger than MAX_STORED_CHUNK. */
static int chunk_print(hid_t ds, uint32_t *crc_out, uint64_t *bytes_out, void **buf,
                       size_t *cap)
{
    hid_t type = H5Dget_type(ds), space = H5Dget_space(ds), dcpl = H5Dget_create_plist(ds);
    int rc = type < 0 || space < 0 || dcpl < 0 ? -1 : 0;
    uint32_t crc = 0;
    uint64_t bytes = 0;
    hsize_t dims[2] = {0, 0}, chunk[2] = {0, 0};
    int rank = rc == 0 ? H5Sget_simple_extent_ndims(space) : -1;
    if (rank < 1 || rank > 2 || H5Sget_simple_extent_dims(space, dims, NULL) < 0 ||
        H5Pget_layout(dcpl) != H5D_CHUNKED || H5Pget_chunk(dcpl, rank, chunk) != rank ||
        chunk[0] == 0)
        rc = -1;
    if (rc == 0) {
        int head[4] = {rank, (int)H5Tget_class(type), (int)H5Tget_order(type),
                       (int)H5Tget_sign(type)};
        size_t tsize = H5Tget_size(type);
        crc = crc_update(crc, head, sizeof head);
        crc = crc_update(crc, &tsize, sizeof tsize);
        crc = crc_update(crc, dims, sizeof dims);
        crc = crc_update(crc, chunk, sizeof chunk);
        int nf = H5Pget_nfilters(dcpl);
        crc = crc_update(crc, &nf, sizeof nf);
        for (int f = 0; rc == 0 && f < nf; f++) {
            unsigned flags = 0, cd[8] = {0};
            size_t ncd = sizeof cd / sizeof *cd;
            H5Z_filter_t id = H5Pget_filter2(dcpl, (unsigned)f, &flags, &ncd, cd, 0, NULL, NULL);
            if (id < 0)
                rc = -1;
            crc = crc_update(crc, &id, sizeof id);
            crc = crc_update(crc, &flags, sizeof flags);
            crc = crc_update(crc, cd, sizeof cd);
        }
    }
    uint64_t len = 0;
    if (rc == 0)
        rc = chunk_walk(ds, dims[0], chunk[0], &crc, &len, &bytes, buf, cap);
    if (dcpl >= 0)
        H5Pclose(dcpl);
    if (space >= 0)
        H5Sclose(space);
    if (type >= 0)
        H5Tclose(type);
    *crc_out = crc;
    *bytes_out = bytes;
    return rc;
}

/* Fingerprints every raw dataset of every pod of the open file f into
 * print/bytes (indexed [pod][dataset]). */
static int print_pods(const tendo_writer *w, hid_t f, const char *path,
                      uint32_t print[][DS_COUNT], uint64_t bytes[][DS_COUNT], tendo_error *err)
{
    void *buf = NULL;
    size_t cap = 0;
    int rc = TENDO_OK;
    for (size_t i = 0; rc == TENDO_OK && i < w->npods; i++) {
        const pod_writer *p = &w->pods[i];
        for (int d = 0; rc == TENDO_OK && d < DS_COUNT; d++) {
            print[i][d] = 0;
            bytes[i][d] = 0;
            if (d == DS_GYRO && !p->meta.has_gyro)
                continue;
            char name[128];
            snprintf(name, sizeof name, "/sensors/%s/%s", p->meta.serial, DS_NAME[d]);
            hid_t ds = H5Dopen2(f, name, H5P_DEFAULT);
            int r = ds < 0 ? -1 : chunk_print(ds, &print[i][d], &bytes[i][d], &buf, &cap);
            if (ds >= 0)
                H5Dclose(ds);
            if (r == -2)
                rc = tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
            else if (r == -3)
                rc = tendo_error_set(err, TENDO_EDATA,
                                     "%s: %s has a stored chunk larger than %llu MiB",
                                     path, name,
                                     (unsigned long long)(MAX_STORED_CHUNK >> 20));
            else if (r < 0)
                rc = tendo_h5_fail(err, TENDO_EIO, "%s: cannot read the stored chunks of %s",
                                   path, name);
        }
    }
    free(buf);
    return rc;
}

/* Records, for an update, what the original holds: metadata, sample counts
 * and the fingerprint of every raw dataset's stored chunks, so commit can
 * prove the copy holds the same bytes. */
static int take_stock(tendo_writer *w, tendo_reader *r, const char *path, tendo_error *err)
{
    w->npods = tendo_reader_pod_count(r);
    for (size_t i = 0; i < w->npods; i++) {
        pod_writer *p = &w->pods[i];
        p->meta = *tendo_reader_pod(r, i);
        p->elem = p->meta.storage == TENDO_STORE_INT16 ? sizeof(int16_t) : sizeof(float);
        p->written = tendo_reader_sample_count(r, i);
    }
    if (w->derive_id) {
        int rc = crc_samples(w, r, err);
        if (rc != TENDO_OK)
            return rc;
    }
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0)
        return tendo_h5_fail(err, TENDO_EIO, "%s: cannot open it again", path);
    uint32_t print[TENDO_MAX_PODS][DS_COUNT];
    uint64_t bytes[TENDO_MAX_PODS][DS_COUNT];
    int rc = print_pods(w, f, path, print, bytes, err);
    H5Fclose(f);
    for (size_t i = 0; rc == TENDO_OK && i < w->npods; i++) {
        memcpy(w->pods[i].print, print[i], sizeof print[i]);
        memcpy(w->pods[i].print_bytes, bytes[i], sizeof bytes[i]);
    }
    return rc;
}

/* Copies every root member except /analysis into the temporary file.
 * H5Ocopy moves compressed chunks as they are, without recompressing. */
static herr_t copy_member(hid_t src_root, const char *name, const tendo_link_info *info,
                          void *data)
{
    (void)info;
    tendo_writer *w = data;
    if (!strcmp(name, "analysis"))
        return 0;
    return H5Ocopy(src_root, name, w->file, name, H5P_DEFAULT, H5P_DEFAULT) < 0 ? -1 : 0;
}

/* The update copies the whole recording; HDF5 1.10 can crash inside
 * H5Ocopy when a write fails half-way (disk full), so the room for a copy of
 * path's size is checked first: free space, and the file size limit
 * (RLIMIT_FSIZE, `ulimit -f`). A disk that fills during the copy can still
 * hit HDF5's bug (SECURITY.md); the original stays untouched either way. */
static int check_room(const char *path, tendo_error *err)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return TENDO_OK; /* the reader reports a missing file */
    double need = (double)st.st_size * 1.05 + 1e6; /* plus the new /analysis */
    struct rlimit lim;
    if (getrlimit(RLIMIT_FSIZE, &lim) == 0 && lim.rlim_cur != RLIM_INFINITY &&
        (double)lim.rlim_cur < need)
        return tendo_error_set(err, TENDO_EIO,
                               "%s: updating it needs a %.0f MB copy, above this process's "
                               "file size limit of %.1f MB (ulimit -f); the file is unchanged",
                               path, need / 1e6, (double)lim.rlim_cur / 1e6);
    char dir_buf[PATH_MAX];
    snprintf(dir_buf, sizeof dir_buf, "%s", path);
    struct statvfs vfs;
    if (statvfs(dirname(dir_buf), &vfs) == 0 && (double)vfs.f_bavail * vfs.f_frsize < need)
        return tendo_error_set(err, TENDO_EIO,
                               "%s: updating it needs %.0f MB free beside it, the disk has "
                               "%.0f MB; free some space and run again (the file is unchanged)",
                               path, need / 1e6, (double)vfs.f_bavail * vfs.f_frsize / 1e6);
    return TENDO_OK;
}

int tendo_writer_open_update(tendo_writer **out, const char *path, tendo_error *err)
{
    *out = NULL;
    tendo_reader *r = NULL;
    int rc = check_room(path, err);
    if (rc != TENDO_OK)
        return rc;
    rc = tendo_reader_open(&r, path, err);
    if (rc != TENDO_OK)
        return rc;
    tendo_session_meta meta = *tendo_reader_meta(r);
    tendo_writer *w = NULL;
    rc = writer_create(&w, path, &meta, 1, 0, err);
    if (rc == TENDO_OK) {
        w->updating = 1;
        /* The raw recording keeps the version of the software that wrote it. */
        w->meta.software_version[0] = '\0';
        snprintf(w->meta.software_version, sizeof w->meta.software_version, "%s",
                 meta.software_version);
        rc = write_root_attrs(w, err);
    }
    if (rc == TENDO_OK)
        rc = take_stock(w, r, path, err);
    tendo_reader_close(r);
    if (rc == TENDO_OK) {
        hid_t src = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
        hsize_t idx = 0;
        if (src < 0 || TENDO_ITERATE_LINKS(src, H5_INDEX_NAME, H5_ITER_INC, &idx, copy_member, w) < 0)
            rc = tendo_h5_fail(err, TENDO_EIO, "%s: cannot copy the recording into %s", path,
                               w->tmp_path);
        if (src >= 0)
            H5Fclose(src);
    }
    if (rc != TENDO_OK) {
        if (w)
            writer_free(w, 1);
        return rc;
    }
    *out = w;
    return TENDO_OK;
}

/* An update's copy: the structure checks of a reader, the same pods with
 * the same metadata and sample counts, and every raw dataset's stored
 * chunks byte for byte those of the original (their fingerprints). */
static int verify_copy(tendo_writer *w, tendo_error *err)
{
    tendo_reader *r = NULL;
    int rc = tendo_reader_open(&r, w->tmp_path, err);
    if (rc != TENDO_OK)
        return rc;
    if (tendo_reader_pod_count(r) != w->npods)
        rc = tendo_error_set(err, TENDO_EIO, "%s: holds %zu pods after copying %zu", w->tmp_path,
                             tendo_reader_pod_count(r), w->npods);
    for (size_t i = 0; rc == TENDO_OK && i < w->npods; i++) {
        const pod_writer *p = &w->pods[i];
        const tendo_pod_meta *m = tendo_reader_pod(r, i);
        if (strcmp(m->serial, p->meta.serial) || m->side != p->meta.side ||
            m->placement != p->meta.placement || m->sample_rate_hz != p->meta.sample_rate_hz ||
            m->has_gyro != p->meta.has_gyro || m->storage != p->meta.storage ||
            m->accel_conversion != p->meta.accel_conversion ||
            (m->has_gyro && m->gyro_conversion != p->meta.gyro_conversion))
            rc = tendo_error_set(err, TENDO_EIO,
                                 "%s: pod %s reads back with other attributes than the "
                                 "original's: storage fault?",
                                 w->tmp_path, p->meta.serial);
        else if (tendo_reader_sample_count(r, i) != p->written)
            rc = tendo_error_set(err, TENDO_EIO,
                                 "%s: pod %s holds %" PRId64 " samples after copying %" PRId64,
                                 w->tmp_path, p->meta.serial, tendo_reader_sample_count(r, i),
                                 p->written);
    }
    tendo_reader_close(r);
    if (rc != TENDO_OK)
        return rc;
    hid_t f = H5Fopen(w->tmp_path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0)
        return tendo_h5_fail(err, TENDO_EIO, "%s: cannot reopen it", w->tmp_path);
    uint32_t print[TENDO_MAX_PODS][DS_COUNT];
    uint64_t bytes[TENDO_MAX_PODS][DS_COUNT];
    rc = print_pods(w, f, w->tmp_path, print, bytes, err);
    H5Fclose(f);
    for (size_t i = 0; rc == TENDO_OK && i < w->npods; i++)
        for (int d = 0; rc == TENDO_OK && d < DS_COUNT; d++)
            if (print[i][d] != w->pods[i].print[d] || bytes[i][d] != w->pods[i].print_bytes[d])
                rc = tendo_error_set(err, TENDO_EIO,
                                     "%s: the copy of /sensors/%s/%s differs from the original "
                                     "(stored chunks: CRC-32 %08x over %" PRIu64
                                     " bytes, original %08x over %" PRIu64
                                     " bytes): storage fault?",
                                     w->tmp_path, w->pods[i].meta.serial, DS_NAME[d], print[i][d],
                                     bytes[i][d], w->pods[i].print[d], w->pods[i].print_bytes[d]);
    return rc;
}

/* Checks the temporary file against what was appended, without inflating
 * it all again: the reader's structure checks and sample counts; every
 * dataset's stored chunks, read back raw, against the CRC-32 of the chunks
 * as compressed (each of which its worker inflated and compared with the
 * samples before it was stored); and the first chunk of every dataset
 * decoded by HDF5 itself against the samples' CRC-32, which proves that
 * HDF5 reads our chunks with the pipeline the datasets declare. */
static int verify_file(tendo_writer *w, tendo_error *err)
{
    tendo_reader *r = NULL;
    int rc = tendo_reader_open(&r, w->tmp_path, err);
    if (rc != TENDO_OK)
        return rc;
    enum { WINDOW = TENDO_CHUNK_ROWS };
    int64_t *time = malloc(WINDOW * sizeof *time);
    unsigned char *accel = malloc(WINDOW * 3 * sizeof(float));
    unsigned char *gyro = malloc(WINDOW * 3 * sizeof(float));
    uint8_t *status = malloc(WINDOW);
    if (!time || !accel || !gyro || !status)
        rc = tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
    for (size_t i = 0; rc == TENDO_OK && i < w->npods; i++) {
        const pod_writer *p = &w->pods[i];
        int64_t total = tendo_reader_sample_count(r, i);
        if (total != p->written) {
            rc = tendo_error_set(err, TENDO_EIO,
                                 "%s: pod %s holds %" PRId64 " samples after writing %" PRId64,
                                 w->tmp_path, p->meta.serial, total, p->written);
            break;
        }
        if (total == 0)
            continue;
        tendo_block blk = {(size_t)(total < WINDOW ? total : WINDOW), time, accel,
                           p->meta.has_gyro ? gyro : NULL, status};
        rc = tendo_reader_read_raw(r, i, 0, &blk, err);
        if (rc != TENDO_OK)
            break;
        uint32_t crc[DS_COUNT] = {crc_update(0, time, blk.n * 8),
                                  crc_update(0, accel, blk.n * 3 * p->elem),
                                  p->meta.has_gyro ? crc_update(0, gyro, blk.n * 3 * p->elem) : 0,
                                  crc_update(0, status, blk.n)};
        for (int d = 0; rc == TENDO_OK && d < DS_COUNT; d++)
            if ((d != DS_GYRO || p->meta.has_gyro) && crc[d] != p->first_crc[d])
                rc = tendo_error_set(err, TENDO_EIO,
                                     "%s: /sensors/%s/%s reads back different from what was "
                                     "written (first chunk: CRC-32 %08x, expected %08x): "
                                     "storage fault?",
                                     w->tmp_path, p->meta.serial, DS_NAME[d], crc[d],
                                     p->first_crc[d]);
    }
    free(time);
    free(accel);
    free(gyro);
    free(status);
    tendo_reader_close(r);
    if (rc != TENDO_OK)
        return rc;

    hid_t f = H5Fopen(w->tmp_path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0)
        return tendo_h5_fail(err, TENDO_EIO, "%s: cannot reopen it", w->tmp_path);
    void *buf = NULL;
    size_t cap = 0;
    for (size_t i = 0; rc == TENDO_OK && i < w->npods; i++) {
        const pod_writer *p = &w->pods[i];
        for (int d = 0; rc == TENDO_OK && d < DS_COUNT; d++) {
            if (d == DS_GYRO && !p->meta.has_gyro)
                continue;
            char name[128];
            snprintf(name, sizeof name, "/sensors/%s/%s", p->meta.serial, DS_NAME[d]);
            hid_t ds = H5Dopen2(f, name, H5P_DEFAULT);
            uint32_t crc = 0;
            uint64_t len = 0, bytes = 0;
            int wr = ds < 0 ? -1
                            : chunk_walk(ds, (hsize_t)p->written, TENDO_CHUNK_ROWS, &crc, &len,
                                         &bytes, &buf, &cap);
            if (ds >= 0)
                H5Dclose(ds);
            if (wr == -2)
                rc = tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
            else if (wr < 0)
                rc = tendo_h5_fail(err, TENDO_EIO, "%s: cannot read the stored chunks of %s",
                                   w->tmp_path, name);
            else if (crc != p->stored_crc[d] || len != p->stored_len[d])
                rc = tendo_error_set(err, TENDO_EIO,
                                     "%s: the stored chunks of %s differ from the chunks "
                                     "written (CRC-32 %08x over %" PRIu64 " bytes, expected "
                                     "%08x over %" PRIu64 " bytes): storage fault?",
                                     w->tmp_path, name, crc, len, p->stored_crc[d],
                                     p->stored_len[d]);
        }
    }
    free(buf);
    H5Fclose(f);
    return rc;
}

static int fsync_path(const char *path, int directory)
{
    int fd = open(path, directory ? O_RDONLY | O_DIRECTORY : O_RDONLY);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

static int move_into_place(tendo_writer *w, tendo_error *err)
{
    int rc;
    if (w->overwrite)
        rc = rename(w->tmp_path, w->final_path);
    else
        rc = renameat2(AT_FDCWD, w->tmp_path, AT_FDCWD, w->final_path, RENAME_NOREPLACE);
    if (rc != 0)
        return tendo_error_set(err, errno == EEXIST ? TENDO_ECANTCREAT : TENDO_EIO,
                               "%s: cannot move the verified file into place: %s", w->final_path,
                               strerror(errno));
    char dir_buf[PATH_MAX];
    snprintf(dir_buf, sizeof dir_buf, "%s", w->final_path);
    if (fsync_path(dirname(dir_buf), 1) != 0)
        return tendo_error_set(err, TENDO_EIO, "%s: cannot sync its folder: %s", w->final_path,
                               strerror(errno));
    return TENDO_OK;
}

int tendo_writer_commit(tendo_writer *w, tendo_error *err)
{
    int rc = TENDO_OK;
    for (size_t i = 0; rc == TENDO_OK && i < w->npods; i++)
        rc = flush_pod(w, &w->pods[i], err);
    if (rc == TENDO_OK)
        rc = drain(w, err);
    tendo_chunk_pool_stop(w->pool);
    w->pool = NULL;
    if (rc == TENDO_OK && w->npods == 0)
        rc = tendo_error_set(err, TENDO_EDATA, "%s: a session needs at least one pod",
                             w->final_path);
    if (rc == TENDO_OK && w->derive_id) {
        derive_session_id(w);
        if (tendo_h5_put_str(w->file, "session_id", w->meta.session_id) < 0)
            rc = tendo_h5_fail(err, TENDO_EIO, "%s: cannot write session_id", w->tmp_path);
    }
    for (size_t i = 0; i < w->npods; i++)
        close_pod(&w->pods[i]);
    if (w->file > 0) {
        if (rc == TENDO_OK && H5Fflush(w->file, H5F_SCOPE_GLOBAL) < 0)
            rc = tendo_h5_fail(err, TENDO_EIO, "%s: flushing failed (disk full?)", w->tmp_path);
        if (H5Fclose(w->file) < 0 && rc == TENDO_OK)
            rc = tendo_h5_fail(err, TENDO_EIO, "%s: closing failed (disk full?)", w->tmp_path);
        w->file = 0;
    }
    if (rc == TENDO_OK)
        rc = w->updating ? verify_copy(w, err) : verify_file(w, err);
    if (rc == TENDO_OK && fsync_path(w->tmp_path, 0) != 0)
        rc = tendo_error_set(err, TENDO_EIO, "%s: fsync failed: %s", w->tmp_path,
                             strerror(errno));
    if (rc == TENDO_OK)
        rc = move_into_place(w, err);
    writer_free(w, rc != TENDO_OK);
    return rc;
}

void tendo_writer_abort(tendo_writer *w)
{
    if (w)
        writer_free(w, 1);
}
