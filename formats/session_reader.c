/*
 * The session reader: opens a file, checks its structure once, then reads
 * any window of samples the caller asks for. Every number taken from the
 * file (dimensions, chunk sizes, rates, conversions) is checked before it
 * sizes anything, so a hostile file gives TENDO_EDATA, not a crash.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "chunk_pool.h"
#include "session_internal.h"
#include "tendo_array.h"

enum { DS_TIME, DS_ACCEL, DS_GYRO, DS_STATUS, DS_COUNT };

/* Largest decompressed chunk accepted: guards against a file whose chunk
 * shape would make HDF5 allocate gigabytes per read ("zip bomb"). */
#define MAX_CHUNK_BYTES ((size_t)64 * 1024 * 1024)

static const char *const ds_names[DS_COUNT] = {"time", "accel", "gyro", "status"};

/* How the reader decodes one dataset's chunks (read_rows). HDF5's own
 * deflate filter inflates a chunk for as long as its stream goes on, and
 * HDF5 1.10 will not let a program replace it (H5Zregister refuses ids
 * below 256: "unable to modify predefined filters"). So the reader reads
 * the stored chunks (H5Dread_chunk) and decodes them itself, into a buffer
 * of exactly the chunk's bytes (tendo_chunk_decode): a decompression bomb
 * fails there, at no cost beyond the decode HDF5 would have done. Datasets
 * this cannot decode (other filter orders, fletcher32, type conversion,
 * chunks split across columns) are read by HDF5 after every chunk has been
 * streamed through zlib once to bound its inflated size (check_chunks). */
enum { VIEW_UNSET, VIEW_OWN, VIEW_HDF5 };
typedef struct chunk_view {
    int mode;
    hsize_t rows;               /* rows per chunk */
    size_t row_bytes, elem;     /* bytes per row, per element (the shuffle's unit) */
    int deflate_at, shuffle_at; /* places in the filter pipeline, -1 if absent */
    double stored_max;          /* largest stored chunk the shape explains */
    unsigned char *chunk;       /* the decoded chunk (rows × row_bytes) */
    int64_t first;              /* its first row, -1 for none */
} chunk_view;

typedef struct pod_reader {
    tendo_pod_meta meta;
    hid_t group;
    hid_t ds[DS_COUNT];
    chunk_view view[DS_COUNT];
    int64_t n;
} pod_reader;

struct tendo_reader {
    char path[PATH_MAX];
    hid_t file;
    tendo_session_meta meta;
    pod_reader pods[TENDO_MAX_PODS];
    size_t npods;
    int16_t *scratch; /* int16 staging for SI conversion */
    size_t scratch_rows;
    unsigned char *stored, *shuffled; /* one stored chunk, one inflated shuffled chunk */
    size_t stored_cap, shuffled_cap;
};

static void close_pods(tendo_reader *r)
{
    for (size_t i = 0; i < r->npods; i++) {
        for (int d = 0; d < DS_COUNT; d++) {
            if (r->pods[i].ds[d] > 0)
                H5Dclose(r->pods[i].ds[d]);
            free(r->pods[i].view[d].chunk);
        }
        if (r->pods[i].group > 0)
            H5Gclose(r->pods[i].group);
    }
    r->npods = 0;
}

void tendo_reader_close(tendo_reader *r)
{
    if (!r)
        return;
    close_pods(r);
    if (r->file > 0)
        H5Fclose(r->file);
    free(r->scratch);
    free(r->stored);
    free(r->shuffled);
    free(r);
}

static int open_file(tendo_reader *r, tendo_error *err)
{
    struct stat st;
    if (stat(r->path, &st) != 0)
        return tendo_error_set(err, TENDO_ENOINPUT, "%s: %s", r->path, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return tendo_error_set(err, TENDO_ENOINPUT, "%s: not a regular file", r->path);
    htri_t is_h5 = H5Fis_hdf5(r->path);
    H5Eclear2(H5E_DEFAULT);
    if (is_h5 <= 0)
        return tendo_error_set(err, TENDO_EDATA,
                               "%s: not an HDF5 file (no HDF5 signature); tendo reads session "
                               "files written by tendo sync, import or simulate",
                               r->path);
    r->file = H5Fopen(r->path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (r->file < 0)
        return tendo_h5_fail(err, TENDO_EDATA,
                             "%s: the HDF5 file is damaged or truncated and cannot be opened",
                             r->path);
    return TENDO_OK;
}

static int read_root(tendo_reader *r, tendo_error *err)
{
    char format[64] = "";
    double version = 0;
    if (tendo_h5_get_str(r->file, "tendo_format", format, sizeof format) != 1 ||
        strcmp(format, TENDO_FORMAT_NAME) != 0)
        return tendo_error_set(err, TENDO_EDATA,
                               "%s: not a tendo session (root attribute tendo_format is not "
                               "\"%s\"); other layouts can be converted with 'tendo import'",
                               r->path, TENDO_FORMAT_NAME);
    if (tendo_h5_get_f64(r->file, "tendo_format_version", &version) != 1 || version < 1 ||
        version != floor(version))
        return tendo_error_set(err, TENDO_EDATA,
                               "%s: root attribute tendo_format_version is missing or not a "
                               "whole number",
                               r->path);
    if (version > TENDO_FORMAT_VERSION)
        return tendo_error_set(err, TENDO_EDATA,
                               "%s: written in session format version %.0f; this tendo reads "
                               "up to version %d: upgrade tendo",
                               r->path, version, TENDO_FORMAT_VERSION);
    tendo_session_meta *m = &r->meta;
    char start[64] = "";
    if (tendo_h5_get_str(r->file, "start_time_utc", start, sizeof start) != 1 ||
        tendo_time_parse_iso(start, &m->start_time_us, NULL) != TENDO_OK)
        return tendo_error_set(err, TENDO_EDATA,
                               "%s: root attribute start_time_utc is missing or not ISO 8601 "
                               "('%s')",
                               r->path, start);
    tendo_h5_get_str(r->file, "session_id", m->session_id, sizeof m->session_id);
    tendo_h5_get_str(r->file, "athlete_id", m->athlete_id, sizeof m->athlete_id);
    tendo_h5_get_str(r->file, "source", m->source, sizeof m->source);
    tendo_h5_get_str(r->file, "software_version", m->software_version,
                     sizeof m->software_version);
    return TENDO_OK;
}

typedef struct name_list {
    char names[TENDO_MAX_PODS + 1][64];
    size_t count;
    int bad_link;
    int too_long;
} name_list;

static herr_t collect_name(hid_t g, const char *name, const tendo_link_info *info, void *data)
{
    (void)g;
    name_list *list = data;
    if (info->type != H5L_TYPE_HARD)
        list->bad_link = 1;
    if (strlen(name) >= sizeof list->names[0])
        list->too_long = 1;
    if (list->count <= TENDO_MAX_PODS)
        snprintf(list->names[list->count], sizeof list->names[0], "%s", name);
    list->count++;
    return list->count > TENDO_MAX_PODS ? 1 : 0;
}

/* Checks how a dataset is stored, before any sample is read: its bytes
 * must be in this file (no external raw files, no virtual dataset mapping
 * other files: either would let a crafted session read, and `tendo export`
 * write out, any local file or block on a FIFO), and its filters must be
 * tendo knows: deflate, shuffle, fletcher32, each at most once. HDF5 1.10
 * inflates a chunk for as long as its stream goes on (and will not let its
 * deflate filter be replaced): deflate once expands at most ~1032x the
 * stored bytes, deflate twice ~10^6x (a 500-byte chunk claiming 256 MiB),
 * so a second deflate is refused. SECURITY.md lists what remains. */
static int check_storage(tendo_reader *r, const pod_reader *p, const char *name, hid_t dcpl,
                         tendo_error *err)
{
    H5D_layout_t layout = H5Pget_layout(dcpl);
    if (layout != H5D_CHUNKED && layout != H5D_CONTIGUOUS && layout != H5D_COMPACT)
        return tendo_error_set(err, TENDO_EDATA,
                               "%s: /sensors/%s/%s is a virtual dataset (its samples live in "
                               "other files); tendo reads samples stored in the file itself",
                               r->path, p->meta.serial, name);
    if (H5Pget_external_count(dcpl) != 0)
        return tendo_error_set(err, TENDO_EDATA,
                               "%s: /sensors/%s/%s keeps its samples in an external file; "
                               "tendo reads samples stored in the file itself",
                               r->path, p->meta.serial, name);
    int nfilters = H5Pget_nfilters(dcpl);
    unsigned seen = 0;
    for (int i = 0; i < nfilters; i++) {
        unsigned flags = 0, cd[8];
        size_t ncd = sizeof cd / sizeof cd[0];
        char fname[64] = "";
        H5Z_filter_t id =
            H5Pget_filter2(dcpl, (unsigned)i, &flags, &ncd, cd, sizeof fname, fname, NULL);
        unsigned bit = id == H5Z_FILTER_DEFLATE     ? 1u
                       : id == H5Z_FILTER_SHUFFLE   ? 2u
                       : id == H5Z_FILTER_FLETCHER32 ? 4u
                                                     : 0u;
        if (bit == 0 || (seen & bit))
            return tendo_error_set(err, TENDO_EDATA,
                                   "%s: /sensors/%s/%s is compressed with HDF5 filter %d%s%s%s; "
                                   "tendo reads deflate, shuffle and fletcher32, each once",
                                   r->path, p->meta.serial, name, (int)id, fname[0] ? " (" : "",
                                   fname, fname[0] ? ")" : "");
        seen |= bit;
    }
    if (nfilters < 0)
        return tendo_h5_fail(err, TENDO_EDATA, "%s: /sensors/%s/%s: unreadable filter list",
                             r->path, p->meta.serial, name);
    return TENDO_OK;
}

/* Opens a dataset and checks rank, column count and element class. */
static int open_dataset(tendo_reader *r, pod_reader *p, int which, const char *name, int cols,
                        tendo_error *err)
{
    if (H5Lexists(p->group, name, H5P_DEFAULT) <= 0)
        return 0;
    hid_t dapl = H5Pcreate(H5P_DATASET_ACCESS);
    H5Pset_chunk_cache(dapl, 521, TENDO_CHUNK_CACHE_BYTES, 1.0);
    hid_t ds = H5Dopen2(p->group, name, dapl);
    H5Pclose(dapl);
    if (ds < 0)
        return tendo_h5_fail(err, TENDO_EDATA, "%s: /sensors/%s/%s is not a readable dataset",
                             r->path, p->meta.serial, name);
    p->ds[which] = ds;
    hid_t space = H5Dget_space(ds);
    int rank = H5Sget_simple_extent_ndims(space);
    hsize_t dims[2] = {0, 0};
    if (rank >= 1 && rank <= 2)
        H5Sget_simple_extent_dims(space, dims, NULL);
    H5Sclose(space);
    int want_rank = cols > 1 ? 2 : 1;
    if (rank != want_rank || (cols > 1 && dims[1] != (hsize_t)cols))
        return tendo_error_set(err, TENDO_EDATA,
                               "%s: /sensors/%s/%s has the wrong shape (rank %d); expected %s",
                               r->path, p->meta.serial, name, rank,
                               cols > 1 ? "[N,3]" : "[N]");
    if (dims[0] > (hsize_t)TENDO_MAX_SAMPLES)
        return tendo_error_set(err, TENDO_EDATA, "%s: /sensors/%s/%s claims %llu samples, "
                               "beyond the %" PRId64 " tendo accepts",
                               r->path, p->meta.serial, name, (unsigned long long)dims[0],
                               TENDO_MAX_SAMPLES);
    hid_t dcpl = H5Dget_create_plist(ds);
    int rc = check_storage(r, p, name, dcpl, err);
    if (rc != TENDO_OK) {
        H5Pclose(dcpl);
        return rc;
    }
    if (H5Pget_layout(dcpl) == H5D_CHUNKED) {
        hsize_t chunk[2] = {1, 1};
        H5Pget_chunk(dcpl, 2, chunk);
        hid_t type = H5Dget_type(ds);
        size_t bytes = H5Tget_size(type);
        H5Tclose(type);
        double total = (double)chunk[0] * (rank == 2 ? (double)chunk[1] : 1.0) * (double)bytes;
        if (total > (double)MAX_CHUNK_BYTES) {
            H5Pclose(dcpl);
            return tendo_error_set(err, TENDO_EDATA,
                                   "%s: /sensors/%s/%s uses %.0f-byte chunks, above the %zu "
                                   "tendo accepts",
                                   r->path, p->meta.serial, name, total, MAX_CHUNK_BYTES);
        }
    }
    H5Pclose(dcpl);
    if (which == DS_TIME)
        p->n = (int64_t)dims[0];
    else if ((int64_t)dims[0] != p->n)
        return tendo_error_set(err, TENDO_EDATA,
                               "%s: /sensors/%s: time has %" PRId64 " samples but %s has %llu",
                               r->path, p->meta.serial, p->n, name, (unsigned long long)dims[0]);
    return 1;
}

/* Checks a dataset's element type: integer of `int_size` bytes with the
 * given signedness, or (when allow_float) a 4- or 8-byte float. */
static int check_type(tendo_reader *r, const pod_reader *p, hid_t ds, const char *name,
                      size_t int_size, H5T_sign_t sign, int allow_float, int *is_float,
                      tendo_error *err)
{
    hid_t type = H5Dget_type(ds);
    H5T_class_t cls = H5Tget_class(type);
    size_t size = H5Tget_size(type);
    H5T_sign_t s = cls == H5T_INTEGER ? H5Tget_sign(type) : H5T_SGN_ERROR;
    H5Tclose(type);
    *is_float = cls == H5T_FLOAT;
    if (cls == H5T_INTEGER && size == int_size && s == sign)
        return TENDO_OK;
    if (allow_float && cls == H5T_FLOAT && (size == 4 || size == 8))
        return TENDO_OK;
    return tendo_error_set(err, TENDO_EDATA,
                           "%s: /sensors/%s/%s has an unexpected element type (class %d, %zu "
                           "bytes); expected %s",
                           r->path, p->meta.serial, name, (int)cls, size,
                           allow_float ? "int16 or float32" : int_size == 8 ? "int64" : "uint8");
}

static int read_conversion(tendo_reader *r, const pod_reader *p, hid_t ds, const char *name,
                           int is_float, double *conversion, tendo_error *err)
{
    int got = tendo_h5_get_f64(ds, "conversion", conversion);
    if (got == 0 && is_float) {
        *conversion = 1.0;
        return TENDO_OK;
    }
    if (got != 1 || !isfinite(*conversion) || *conversion <= 0)
        return tendo_error_set(err, TENDO_EDATA,
                               "%s: /sensors/%s/%s needs a positive 'conversion' attribute "
                               "(SI units per stored count)",
                               r->path, p->meta.serial, name);
    return TENDO_OK;
}

static int read_pod_attrs(tendo_reader *r, pod_reader *p, tendo_error *err)
{
    tendo_pod_meta *m = &p->meta;
    char side[16] = "", placement[16] = "foot";
    if (tendo_h5_get_str(p->group, "side", side, sizeof side) != 1 ||
        (strcmp(side, "left") && strcmp(side, "right")))
        return tendo_error_set(err, TENDO_EDATA,
                               "%s: /sensors/%s: attribute side must be \"left\" or \"right\"",
                               r->path, m->serial);
    m->side = !strcmp(side, "right") ? TENDO_SIDE_RIGHT : TENDO_SIDE_LEFT;
    if (tendo_h5_get_str(p->group, "placement", placement, sizeof placement) < 0 ||
        (strcmp(placement, "foot") && strcmp(placement, "shank")))
        return tendo_error_set(err, TENDO_EDATA,
                               "%s: /sensors/%s: attribute placement must be \"foot\" or "
                               "\"shank\"",
                               r->path, m->serial);
    m->placement = !strcmp(placement, "shank") ? TENDO_PLACEMENT_SHANK : TENDO_PLACEMENT_FOOT;
    if (tendo_h5_get_f64(p->group, "sample_rate_hz", &m->sample_rate_hz) != 1 ||
        !(m->sample_rate_hz > 0 && m->sample_rate_hz <= 100000))
        return tendo_error_set(err, TENDO_EDATA,
                               "%s: /sensors/%s: attribute sample_rate_hz must be a number in "
                               "(0, 100000]",
                               r->path, m->serial);
    tendo_h5_get_str(p->group, "model", m->model, sizeof m->model);
    tendo_h5_get_str(p->group, "firmware", m->firmware, sizeof m->firmware);
    if (tendo_h5_get_f64(p->group, "accel_range_g", &m->accel_range_g) != 1 ||
        !isfinite(m->accel_range_g) || m->accel_range_g < 0)
        m->accel_range_g = 0;
    if (tendo_h5_get_f64(p->group, "gyro_range_dps", &m->gyro_range_dps) != 1 ||
        !isfinite(m->gyro_range_dps) || m->gyro_range_dps < 0)
        m->gyro_range_dps = 0;
    return TENDO_OK;
}

/* 1 if the object at name (relative to loc) is a group. */
static int is_group(hid_t loc, const char *name)
{
    hid_t obj = H5Oopen(loc, name, H5P_DEFAULT);
    if (obj < 0)
        return 0;
    int yes = H5Iget_type(obj) == H5I_GROUP;
    H5Oclose(obj);
    return yes;
}

static int open_pod(tendo_reader *r, hid_t sensors, pod_reader *p, const char *serial,
                    tendo_error *err)
{
    snprintf(p->meta.serial, sizeof p->meta.serial, "%s", serial);
    if (!tendo_serial_is_valid(serial))
        return tendo_error_set(err, TENDO_EDATA,
                               "%s: /sensors has a member named '%s', which is not a valid "
                               "pod serial",
                               r->path, serial);
    if (!is_group(sensors, serial) || (p->group = H5Gopen2(sensors, serial, H5P_DEFAULT)) < 0)
        return tendo_h5_fail(err, TENDO_EDATA, "%s: /sensors/%s is not a group", r->path,
                             serial);
    int rc = read_pod_attrs(r, p, err);
    if (rc != TENDO_OK)
        return rc;
    int is_float = 0;
    if ((rc = open_dataset(r, p, DS_TIME, "time", 1, err)) <= 0)
        return rc < 0 ? rc
                      : tendo_error_set(err, TENDO_EDATA, "%s: /sensors/%s has no time dataset",
                                        r->path, serial);
    if ((rc = check_type(r, p, p->ds[DS_TIME], "time", 8, H5T_SGN_2, 0, &is_float, err)))
        return rc;
    if ((rc = open_dataset(r, p, DS_ACCEL, "accel", 3, err)) <= 0)
        return rc < 0 ? rc
                      : tendo_error_set(err, TENDO_EDATA, "%s: /sensors/%s has no accel dataset",
                                        r->path, serial);
    if ((rc = check_type(r, p, p->ds[DS_ACCEL], "accel", 2, H5T_SGN_2, 1, &is_float, err)) ||
        (rc = read_conversion(r, p, p->ds[DS_ACCEL], "accel", is_float,
                              &p->meta.accel_conversion, err)))
        return rc;
    p->meta.storage = is_float ? TENDO_STORE_FLOAT32 : TENDO_STORE_INT16;
    if ((rc = open_dataset(r, p, DS_GYRO, "gyro", 3, err)) < 0)
        return rc;
    p->meta.has_gyro = rc == 1;
    if (p->meta.has_gyro) {
        int gyro_float = 0;
        if ((rc = check_type(r, p, p->ds[DS_GYRO], "gyro", 2, H5T_SGN_2, 1, &gyro_float, err)) ||
            (rc = read_conversion(r, p, p->ds[DS_GYRO], "gyro", gyro_float,
                                  &p->meta.gyro_conversion, err)))
            return rc;
        if (gyro_float != is_float)
            return tendo_error_set(err, TENDO_EDATA,
                                   "%s: /sensors/%s: accel and gyro must share one storage type",
                                   r->path, serial);
    }
    if ((rc = open_dataset(r, p, DS_STATUS, "status", 1, err)) < 0)
        return rc;
    if (rc == 1 &&
        (rc = check_type(r, p, p->ds[DS_STATUS], "status", 1, H5T_SGN_NONE, 0, &is_float, err)))
        return rc;
    return TENDO_OK;
}

static int open_pods(tendo_reader *r, tendo_error *err)
{
    if (H5Lexists(r->file, "sensors", H5P_DEFAULT) <= 0 || !is_group(r->file, "sensors"))
        return tendo_h5_fail(err, TENDO_EDATA, "%s: no /sensors group: not a session file",
                             r->path);
    hid_t sensors = H5Gopen2(r->file, "sensors", H5P_DEFAULT);
    name_list list = {0};
    hsize_t idx = 0;
    herr_t it = TENDO_ITERATE_LINKS(sensors, H5_INDEX_NAME, H5_ITER_INC, &idx, collect_name, &list);
    int rc = TENDO_OK;
    if (it < 0)
        rc = tendo_h5_fail(err, TENDO_EDATA, "%s: cannot list /sensors", r->path);
    else if (list.count == 0)
        rc = tendo_error_set(err, TENDO_EDATA, "%s: /sensors holds no pod", r->path);
    else if (list.count > TENDO_MAX_PODS)
        rc = tendo_error_set(err, TENDO_EDATA, "%s: /sensors holds more than %d pods", r->path,
                             TENDO_MAX_PODS);
    else if (list.bad_link || list.too_long)
        rc = tendo_error_set(err, TENDO_EDATA,
                             "%s: /sensors holds soft/external links or over-long names; "
                             "tendo accepts only plain pod groups",
                             r->path);
    for (size_t i = 0; rc == TENDO_OK && i < list.count; i++) {
        r->npods = i + 1;
        rc = open_pod(r, sensors, &r->pods[i], list.names[i], err);
    }
    H5Gclose(sensors);
    return rc;
}

/* HDF5's signature; a superblock sits at byte 0, 512, 1024, 2048, ... */
static int image_has_signature(const unsigned char *image, size_t size)
{
    static const unsigned char sig[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
    for (size_t at = 0; at + sizeof sig <= size; at = at ? 2 * at : 512)
        if (!memcmp(image + at, sig, sizeof sig))
            return 1;
    return 0;
}

/* Opens a file image with the core (in-memory) driver. HDF5 refuses an image
 * whose name exists on disk and treats two open files of one name as the
 * same file, so the internal name is unique and can never exist ("/dev/null"
 * is not a directory); r->path keeps the caller's name for messages. */
static int open_image(tendo_reader *r, const void *image, size_t size, tendo_error *err)
{
    static unsigned serial;
    if (!image || !image_has_signature(image, size))
        return tendo_error_set(err, TENDO_EDATA,
                               "%s: not an HDF5 file (no HDF5 signature); tendo reads session "
                               "files written by tendo sync, import or simulate",
                               r->path);
    char name[64];
    snprintf(name, sizeof name, "/dev/null/tendo-image-%u", ++serial);
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl < 0 || H5Pset_fapl_core(fapl, 64 * 1024, 0) < 0 ||
        H5Pset_file_image(fapl, (void *)(uintptr_t)image, size) < 0) {
        if (fapl >= 0)
            H5Pclose(fapl);
        return tendo_h5_fail(err, TENDO_EINTERNAL, "%s: cannot set up an in-memory file",
                             r->path);
    }
    r->file = H5Fopen(name, H5F_ACC_RDONLY, fapl);
    H5Pclose(fapl);
    if (r->file < 0)
        return tendo_h5_fail(err, TENDO_EDATA,
                             "%s: the HDF5 file is damaged or truncated and cannot be opened",
                             r->path);
    return TENDO_OK;
}

/* The checks after the file is open, shared by both entry points. */
static int finish_open(tendo_reader **out, tendo_reader *r, int rc, tendo_error *err)
{
    if (rc == TENDO_OK)
        rc = read_root(r, err);
    if (rc == TENDO_OK)
        rc = open_pods(r, err);
    if (rc != TENDO_OK) {
        tendo_reader_close(r);
        return rc;
    }
    *out = r;
    return TENDO_OK;
}

static tendo_reader *reader_new(const char *name)
{
    tendo_h5_quiet();
    tendo_reader *r = calloc(1, sizeof *r);
    if (r)
        snprintf(r->path, sizeof r->path, "%s", name ? name : "(memory)");
    return r;
}

int tendo_reader_open(tendo_reader **out, const char *path, tendo_error *err)
{
    *out = NULL;
    tendo_reader *r = reader_new(path);
    if (!r)
        return tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
    return finish_open(out, r, open_file(r, err), err);
}

int tendo_reader_open_image(tendo_reader **out, const void *image, size_t size,
                            const char *name, tendo_error *err)
{
    *out = NULL;
    tendo_reader *r = reader_new(name);
    if (!r)
        return tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
    return finish_open(out, r, open_image(r, image, size, err), err);
}

const tendo_session_meta *tendo_reader_meta(const tendo_reader *r)
{
    return &r->meta;
}

size_t tendo_reader_pod_count(const tendo_reader *r)
{
    return r->npods;
}

const tendo_pod_meta *tendo_reader_pod(const tendo_reader *r, size_t pod_index)
{
    return pod_index < r->npods ? &r->pods[pod_index].meta : NULL;
}

int64_t tendo_reader_sample_count(const tendo_reader *r, size_t pod_index)
{
    return pod_index < r->npods ? r->pods[pod_index].n : 0;
}

int tendo_reader_exists(const tendo_reader *r, const char *path)
{
    /* H5Lexists needs every intermediate group to exist: walk the path. */
    char buf[512];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf || buf[0] != '/')
        return 0;
    for (char *slash = strchr(buf + 1, '/');; slash = strchr(slash + 1, '/')) {
        if (slash)
            *slash = '\0';
        if (H5Lexists(r->file, buf, H5P_DEFAULT) <= 0) {
            H5Eclear2(H5E_DEFAULT);
            return 0;
        }
        if (!slash)
            return 1;
        *slash = '/';
    }
}

/* ------------------------------------------------ decompression bound */

/* Chunk positions a dataset may have: more would make the walk below (and
 * HDF5's own reads) crawl; 2^20 chunks of tendo's 131072 rows exceed
 * TENDO_MAX_SAMPLES, and a writer using 1000-row chunks still fits 12
 * days at 1000 Hz. */
#define MAX_CHUNK_POSITIONS ((hsize_t)1 << 20)

/* Bytes a stream of `stored` bytes inflates to, counted in a small window
 * and stopped once above `limit` (returns limit + 1 then); -1 if the stream
 * is not valid zlib. HDF5's deflate filter inflates the whole stream, so
 * this is what it would allocate. */
static double inflated_size(const unsigned char *stored, size_t len, double limit)
{
    unsigned char window[64 * 1024];
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit(&z) != Z_OK)
        return -1;
    z.next_in = (unsigned char *)stored;
    z.avail_in = (uInt)len;
    double out = 0;
    int zr = Z_OK;
    /* each round has a fresh window, so anything but Z_OK or Z_STREAM_END
     * (Z_BUF_ERROR: input ran out first) is a stream HDF5 refuses too */
    while (zr == Z_OK && out <= limit) {
        z.next_out = window;
        z.avail_out = sizeof window;
        zr = inflate(&z, Z_NO_FLUSH);
        out += (double)(sizeof window - z.avail_out);
    }
    inflateEnd(&z);
    if (out > limit)
        return limit + 1;
    return zr == Z_STREAM_END ? out : -1;
}

/* Walks the chunk index of one chunked dataset: every stored chunk lies
 * inside the file and its stored size fits its shape (deflate adds < 0.1%,
 * fletcher32 4 bytes). With `inflate`, also streams every deflated chunk
 * through zlib: it must inflate to no more than its shape's bytes. HDF5
 * itself inflates the whole stream whatever the shape says (a 100 KB chunk
 * can make it allocate 100 MiB); the reader decodes the chunks itself
 * (chunk_view), so this costly pass is needed only before HDF5 decodes a
 * dataset the reader cannot (view_init). */
static int check_chunks(tendo_reader *r, const pod_reader *p, int which, const char *name,
                        int inflate, void **buf, size_t *cap, tendo_error *err)
{
    hid_t ds = p->ds[which];
    if (ds <= 0)
        return TENDO_OK;
    hid_t dcpl = H5Dget_create_plist(ds), type = H5Dget_type(ds);
    int rc = TENDO_OK, deflate_at = -1, nf = H5Pget_nfilters(dcpl);
    hsize_t chunk[2] = {1, 1}, nchunks = 0;
    size_t tsize = H5Tget_size(type);
    H5Tclose(type);
    int chunked = H5Pget_layout(dcpl) == H5D_CHUNKED && H5Pget_chunk(dcpl, 2, chunk) >= 1;
    for (int i = 0; i < nf; i++) {
        unsigned flags = 0, cd[8];
        size_t ncd = sizeof cd / sizeof cd[0];
        if (H5Pget_filter2(dcpl, (unsigned)i, &flags, &ncd, cd, 0, NULL, NULL) ==
            H5Z_FILTER_DEFLATE)
            deflate_at = i;
    }
    H5Pclose(dcpl);
    if (!chunked || chunk[0] == 0)
        return TENDO_OK;
    int cols = which == DS_ACCEL || which == DS_GYRO ? 3 : 1;
    double shape = (double)chunk[0] * (cols == 3 ? (double)chunk[1] : 1.0) * (double)tsize;
    /* the largest stored chunk that shape can explain */
    double stored_max = shape + shape / 64 + 1024;
    hsize_t positions = ((hsize_t)p->n + chunk[0] - 1) / chunk[0];
    hsize_t file_size = 0;
    if (H5Fget_filesize(r->file, &file_size) < 0)
        return tendo_h5_fail(err, TENDO_EDATA, "%s: the file's size is unknown", r->path);
    hid_t space = H5Dget_space(ds); /* 1.10 does not take H5S_ALL here */
    herr_t counted = space >= 0 ? H5Dget_num_chunks(ds, space, &nchunks) : -1;
    if (space >= 0)
        H5Sclose(space);
    if (counted < 0)
        return tendo_h5_fail(err, TENDO_EDATA, "%s: /sensors/%s/%s: unreadable chunk index",
                             r->path, p->meta.serial, name);
    if (nchunks > 0 && positions > MAX_CHUNK_POSITIONS)
        return tendo_error_set(err, TENDO_EDATA,
                               "%s: /sensors/%s/%s is split into %llu chunks of %llu samples; "
                               "tendo reads at most %llu chunks per dataset",
                               r->path, p->meta.serial, name, (unsigned long long)positions,
                               (unsigned long long)chunk[0],
                               (unsigned long long)MAX_CHUNK_POSITIONS);
    hsize_t found = 0;
    for (hsize_t k = 0; rc == TENDO_OK && k < positions && found < nchunks; k++) {
        hsize_t offset[2] = {k * chunk[0], 0};
        unsigned mask = 0;
        haddr_t addr = HADDR_UNDEF;
        hsize_t size = 0;
        if (H5Dget_chunk_info_by_coord(ds, offset, &mask, &addr, &size) < 0) {
            rc = tendo_h5_fail(err, TENDO_EDATA,
                               "%s: /sensors/%s/%s: the chunk at sample %llu cannot be found",
                               r->path, p->meta.serial, name, (unsigned long long)offset[0]);
            break;
        }
        if (addr == HADDR_UNDEF)
            continue; /* never written: HDF5 gives the fill value */
        found++;
        if (addr > file_size || size > file_size - addr) {
            rc = tendo_error_set(err, TENDO_EDATA,
                                 "%s: /sensors/%s/%s: the chunk at sample %llu lies beyond the "
                                 "end of the file (%llu bytes at %llu of %llu): damaged or "
                                 "truncated",
                                 r->path, p->meta.serial, name, (unsigned long long)offset[0],
                                 (unsigned long long)size, (unsigned long long)addr,
                                 (unsigned long long)file_size);
            break;
        }
        if ((double)size > stored_max) {
            rc = tendo_error_set(err, TENDO_EDATA,
                                 "%s: /sensors/%s/%s: the chunk at sample %llu stores %llu "
                                 "bytes for %.0f bytes of samples",
                                 r->path, p->meta.serial, name, (unsigned long long)offset[0],
                                 (unsigned long long)size, shape);
            break;
        }
        if (!inflate || deflate_at < 0 || (mask & (1u << deflate_at)))
            continue; /* not deflated: its size is all it can be */
        if (*cap < size) {
            void *grown = realloc(*buf, (size_t)size);
            if (!grown)
                return tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
            *buf = grown;
            *cap = (size_t)size;
        }
        uint32_t filters = 0;
        if (H5Dread_chunk(ds, H5P_DEFAULT, offset, &filters, *buf) < 0) {
            rc = tendo_h5_fail(err, TENDO_EDATA,
                               "%s: /sensors/%s/%s: the chunk at sample %llu cannot be read",
                               r->path, p->meta.serial, name, (unsigned long long)offset[0]);
            break;
        }
        /* + 8: a fletcher32 checksum may sit inside the deflated stream */
        double inflated = inflated_size(*buf, (size_t)size, shape + 8);
        if (inflated < 0)
            rc = tendo_error_set(err, TENDO_EDATA,
                                 "%s: /sensors/%s/%s: the chunk at sample %llu is not a valid "
                                 "deflate stream",
                                 r->path, p->meta.serial, name, (unsigned long long)offset[0]);
        else if (inflated > shape + 8)
            rc = tendo_error_set(err, TENDO_EDATA,
                                 "%s: /sensors/%s/%s: the chunk at sample %llu (%llu bytes "
                                 "stored) inflates beyond its %.0f bytes of samples: a "
                                 "decompression bomb",
                                 r->path, p->meta.serial, name, (unsigned long long)offset[0],
                                 (unsigned long long)size, shape);
    }
    H5Eclear2(H5E_DEFAULT);
    return rc;
}

int tendo_reader_check_chunks(tendo_reader *r, tendo_error *err)
{
    int rc = TENDO_OK;
    for (size_t i = 0; rc == TENDO_OK && i < r->npods; i++)
        for (int d = 0; rc == TENDO_OK && d < DS_COUNT; d++)
            rc = check_chunks(r, &r->pods[i], d, ds_names[d], 0, NULL, NULL, err);
    return rc;
}

static int grow(unsigned char **buf, size_t *cap, size_t need, tendo_error *err)
{
    if (*cap >= need)
        return TENDO_OK;
    unsigned char *grown = realloc(*buf, need);
    if (!grown)
        return tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
    *buf = grown;
    *cap = need;
    return TENDO_OK;
}

/* Decides how a dataset is decoded (chunk_view), at its first read. */
static int view_init(tendo_reader *r, pod_reader *p, int which, hid_t mtype, tendo_error *err)
{
    chunk_view *v = &p->view[which];
    hid_t ds = p->ds[which], dcpl = H5Dget_create_plist(ds), ftype = H5Dget_type(ds);
    int cols = which == DS_ACCEL || which == DS_GYRO ? 3 : 1;
    hsize_t chunk[2] = {0, 0};
    unsigned opts = 0;
    int own = dcpl >= 0 && ftype >= 0 && H5Pget_layout(dcpl) == H5D_CHUNKED &&
              H5Tequal(ftype, mtype) > 0 && H5Pget_chunk(dcpl, 2, chunk) == (cols > 1 ? 2 : 1) &&
              chunk[0] > 0 && (cols == 1 || chunk[1] == (hsize_t)cols) &&
              H5Pget_chunk_opts(dcpl, &opts) >= 0 &&
              !(opts & H5D_CHUNK_DONT_FILTER_PARTIAL_CHUNKS);
    v->deflate_at = v->shuffle_at = -1;
    int nf = dcpl >= 0 ? H5Pget_nfilters(dcpl) : -1;
    for (int i = 0; i < nf; i++) {
        unsigned flags = 0, cd[8];
        size_t ncd = sizeof cd / sizeof cd[0];
        H5Z_filter_t id = H5Pget_filter2(dcpl, (unsigned)i, &flags, &ncd, cd, 0, NULL, NULL);
        if (id == H5Z_FILTER_DEFLATE)
            v->deflate_at = i;
        else if (id == H5Z_FILTER_SHUFFLE)
            v->shuffle_at = i;
        else
            own = 0; /* fletcher32: HDF5 checks it */
    }
    if (nf < 0 || (v->deflate_at >= 0 && v->shuffle_at > v->deflate_at))
        own = 0; /* shuffle after deflate: not the order tendo decodes */
    v->elem = ftype >= 0 ? H5Tget_size(ftype) : 0;
    v->rows = chunk[0];
    v->row_bytes = v->elem * (size_t)cols;
    v->first = -1;
    if (ftype >= 0)
        H5Tclose(ftype);
    if (dcpl >= 0)
        H5Pclose(dcpl);
    H5Eclear2(H5E_DEFAULT);
    /* open_dataset capped the chunk at MAX_CHUNK_BYTES */
    size_t shape = (size_t)v->rows * v->row_bytes;
    v->stored_max = (double)shape + (double)shape / 64 + 1024;
    if (own && v->elem > 0 && shape > 0 && shape <= MAX_CHUNK_BYTES) {
        v->mode = VIEW_OWN; /* its chunk buffer comes at the first load (view_load) */
        return TENDO_OK;
    }
    void *buf = NULL;
    size_t cap = 0;
    int rc = check_chunks(r, p, which, ds_names[which], 1, &buf, &cap, err);
    free(buf);
    if (rc == TENDO_OK)
        v->mode = VIEW_HDF5;
    return rc;
}

/* Reads chunk k of a VIEW_OWN dataset as stored (the HDF5 half of a
 * chunk's decoding) into *buf at `at` (grown as needed): *size bytes and
 * the chunk's filter mask. A chunk never written has nothing stored: its
 * rows (HDF5's fill value, *size = rows × row_bytes) are read instead and
 * *rows_only is set. */
static int chunk_fetch(tendo_reader *r, pod_reader *p, int which, hsize_t k, hid_t mtype,
                       unsigned char **buf, size_t *cap, size_t at, size_t *size,
                       uint32_t *filters, int *rows_only, tendo_error *err)
{
    chunk_view *v = &p->view[which];
    hid_t ds = p->ds[which];
    const char *name = ds_names[which];
    size_t shape = (size_t)v->rows * v->row_bytes;
    hsize_t offset[2] = {k * v->rows, 0}, stored = 0;
    unsigned mask = 0;
    haddr_t addr = HADDR_UNDEF;
    *rows_only = 0;
    if (H5Dget_chunk_info_by_coord(ds, offset, &mask, &addr, &stored) < 0)
        return tendo_h5_fail(err, TENDO_EDATA, "%s: chunk %llu of /sensors/%s/%s cannot be found",
                             r->path, (unsigned long long)k, p->meta.serial, name);
    if (addr == HADDR_UNDEF) {
        /* never written: HDF5 gives the fill value, nothing to inflate */
        int64_t left = p->n - (int64_t)offset[0];
        size_t rows = left < (int64_t)v->rows ? (size_t)left : (size_t)v->rows;
        int rc = grow(buf, cap, at + rows * v->row_bytes, err);
        if (rc != TENDO_OK)
            return rc;
        hid_t fspace, mspace;
        tendo_h5_select_rows(ds, (int64_t)offset[0], rows, v->row_bytes / v->elem, &fspace,
                             &mspace);
        herr_t ok = H5Dread(ds, mtype, mspace, fspace, H5P_DEFAULT, *buf + at);
        H5Sclose(mspace);
        H5Sclose(fspace);
        if (ok < 0)
            return tendo_h5_fail(err, TENDO_EDATA,
                                 "%s: chunk %llu of /sensors/%s/%s cannot be read (damaged "
                                 "file?)",
                                 r->path, (unsigned long long)k, p->meta.serial, name);
        *size = rows * v->row_bytes;
        *rows_only = 1;
        return TENDO_OK;
    }
    if ((double)stored > v->stored_max || stored == 0)
        return tendo_error_set(err, TENDO_EDATA,
                               "%s: chunk %llu of /sensors/%s/%s stores %llu bytes for %zu "
                               "bytes of samples: damaged or hostile",
                               r->path, (unsigned long long)k, p->meta.serial, name,
                               (unsigned long long)stored, shape);
    int rc = grow(buf, cap, at + (size_t)stored, err);
    if (rc != TENDO_OK)
        return rc;
    if (H5Dread_chunk(ds, H5P_DEFAULT, offset, filters, *buf + at) < 0)
        return tendo_h5_fail(err, TENDO_EDATA,
                             "%s: chunk %llu of /sensors/%s/%s cannot be read (damaged file?)",
                             r->path, (unsigned long long)k, p->meta.serial, name);
    *size = (size_t)stored;
    return TENDO_OK;
}

/* Decodes chunk k's stored bytes into v->chunk (the half of a chunk's
 * decoding that needs no HDF5: any thread). shuf, shuf_cap: scratch. */
static int chunk_decode(const char *path, const char *serial, int which, chunk_view *v,
                        hsize_t k, const unsigned char *stored, size_t size, uint32_t filters,
                        unsigned char **shuf, size_t *shuf_cap, tendo_error *err)
{
    size_t shape = (size_t)v->rows * v->row_bytes;
    const char *name = ds_names[which];
    v->first = -1;
    int deflated = v->deflate_at >= 0 && !(filters & (1u << v->deflate_at));
    int shuffled = v->shuffle_at >= 0 && !(filters & (1u << v->shuffle_at)) && v->elem > 1;
    int rc = TENDO_OK;
    if (deflated && shuffled && (rc = grow(shuf, shuf_cap, shape, err)))
        return rc;
    rc = tendo_chunk_decode(stored, size, deflated, shuffled, v->elem, v->chunk, shape, *shuf);
    if (rc == TENDO_CHUNK_BEYOND)
        return tendo_error_set(err, TENDO_EDATA,
                               "%s: chunk %llu of /sensors/%s/%s (%llu bytes stored) inflates "
                               "beyond its %zu bytes of samples: damaged or hostile (a "
                               "decompression bomb)",
                               path, (unsigned long long)k, serial, name,
                               (unsigned long long)size, shape);
    if (rc != TENDO_CHUNK_OK)
        return tendo_error_set(err, TENDO_EDATA,
                               "%s: chunk %llu of /sensors/%s/%s does not decode to its %zu "
                               "bytes of samples: the file is damaged",
                               path, (unsigned long long)k, serial, name, shape);
    v->first = (int64_t)(k * v->rows);
    return TENDO_OK;
}

/* Loads chunk k of a VIEW_OWN dataset into its view. */
static int view_load(tendo_reader *r, pod_reader *p, int which, hsize_t k, hid_t mtype,
                     tendo_error *err)
{
    chunk_view *v = &p->view[which];
    size_t size = 0;
    uint32_t filters = 0;
    int rows_only = 0;
    v->first = -1;
    if (!v->chunk && !(v->chunk = malloc((size_t)v->rows * v->row_bytes)))
        return tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
    int rc = chunk_fetch(r, p, which, k, mtype, &r->stored, &r->stored_cap, 0, &size, &filters,
                         &rows_only, err);
    if (rc != TENDO_OK)
        return rc;
    if (rows_only) {
        memcpy(v->chunk, r->stored, size);
        v->first = (int64_t)(k * v->rows);
        return TENDO_OK;
    }
    return chunk_decode(r->path, p->meta.serial, which, v, k, r->stored, size, filters,
                        &r->shuffled, &r->shuffled_cap, err);
}

/* Reads rows [first, first + n) of a pod dataset as mtype (always the same
 * type for a dataset: its own for time and status, the pod's storage type
 * for accel and gyro). */
static int read_rows(tendo_reader *r, pod_reader *p, int which, int64_t first, size_t n,
                     hid_t mtype, void *buf, tendo_error *err)
{
    chunk_view *v = &p->view[which];
    int rc = v->mode == VIEW_UNSET ? view_init(r, p, which, mtype, err) : TENDO_OK;
    if (rc != TENDO_OK)
        return rc;
    int cols = which == DS_ACCEL || which == DS_GYRO ? 3 : 1;
    if (v->mode == VIEW_HDF5) {
        hid_t ds = p->ds[which], fspace, mspace;
        tendo_h5_select_rows(ds, first, n, cols, &fspace, &mspace);
        herr_t ok = H5Dread(ds, mtype, mspace, fspace, H5P_DEFAULT, buf);
        H5Sclose(mspace);
        H5Sclose(fspace);
        if (ok < 0)
            return tendo_h5_fail(err, TENDO_EDATA,
                                 "%s: /sensors/%s/%s: samples %" PRId64
                                 "+%zu cannot be read (damaged file?)",
                                 r->path, p->meta.serial, ds_names[which], first, n);
        return TENDO_OK;
    }
    unsigned char *out = buf;
    while (n > 0) {
        hsize_t k = (hsize_t)first / v->rows;
        if (v->first != (int64_t)(k * v->rows) && (rc = view_load(r, p, which, k, mtype, err)))
            return rc;
        size_t at = (size_t)(first - v->first);
        size_t take = (size_t)v->rows - at < n ? (size_t)v->rows - at : n;
        memcpy(out, v->chunk + at * v->row_bytes, take * v->row_bytes);
        out += take * v->row_bytes;
        first += (int64_t)take;
        n -= take;
    }
    return TENDO_OK;
}

static int check_window(tendo_reader *r, size_t pod_index, int64_t first, size_t n,
                        tendo_error *err)
{
    if (pod_index >= r->npods)
        return tendo_error_set(err, TENDO_EINTERNAL, "%s: no pod %zu", r->path, pod_index);
    if (first < 0 || (int64_t)n > r->pods[pod_index].n - first)
        return tendo_error_set(err, TENDO_EINTERNAL,
                               "%s: samples %" PRId64 "+%zu are beyond pod %s's %" PRId64,
                               r->path, first, n, r->pods[pod_index].meta.serial,
                               r->pods[pod_index].n);
    return TENDO_OK;
}

/* Reads time and status (zeros when the file has no status dataset). */
static int read_time_status(tendo_reader *r, pod_reader *p, int64_t first, tendo_block *blk,
                            tendo_error *err)
{
    int rc = TENDO_OK;
    if (blk->time_us &&
        (rc = read_rows(r, p, DS_TIME, first, blk->n, H5T_NATIVE_INT64, blk->time_us, err)))
        return rc;
    if (blk->status) {
        if (p->ds[DS_STATUS] <= 0)
            memset(blk->status, 0, blk->n);
        else
            rc = read_rows(r, p, DS_STATUS, first, blk->n, H5T_NATIVE_UINT8, blk->status, err);
    }
    return rc;
}

static int read_vectors(tendo_reader *r, pod_reader *p, int which, int64_t first, size_t n,
                        hid_t mtype, void *buf, tendo_error *err)
{
    return read_rows(r, p, which, first, n, mtype, buf, err);
}

int tendo_reader_read_raw(tendo_reader *r, size_t pod_index, int64_t first, tendo_block *blk,
                          tendo_error *err)
{
    int rc = check_window(r, pod_index, first, blk->n, err);
    if (rc != TENDO_OK || blk->n == 0)
        return rc;
    pod_reader *p = &r->pods[pod_index];
    hid_t vtype = p->meta.storage == TENDO_STORE_INT16 ? H5T_NATIVE_INT16 : H5T_NATIVE_FLOAT;
    if ((rc = read_time_status(r, p, first, blk, err)))
        return rc;
    if (blk->accel && (rc = read_vectors(r, p, DS_ACCEL, first, blk->n, vtype, blk->accel, err)))
        return rc;
    if (blk->gyro && p->meta.has_gyro &&
        (rc = read_vectors(r, p, DS_GYRO, first, blk->n, vtype, blk->gyro, err)))
        return rc;
    return TENDO_OK;
}

/* int16 counts or float values to float SI: the one conversion of the
 * whole and the split reads (in may be out for float storage). */
static void to_si(const void *in, int storage, double conversion, size_t count, float *out)
{
    if (storage == TENDO_STORE_FLOAT32) {
        const float *x = in;
        if (conversion != 1.0)
            for (size_t i = 0; i < count; i++)
                out[i] = (float)(x[i] * conversion);
        else if ((const void *)out != in)
            memcpy(out, x, count * sizeof *out);
        return;
    }
    const int16_t *x = in;
    for (size_t i = 0; i < count; i++)
        out[i] = (float)(x[i] * conversion);
}

/* Reads one vector dataset as float SI: int16 counts go through scratch,
 * float values are converted in place. */
static int read_si_vectors(tendo_reader *r, pod_reader *p, int which, int64_t first, size_t n,
                           double conversion, float *out, tendo_error *err)
{
    int is_float = p->meta.storage == TENDO_STORE_FLOAT32;
    if (!is_float && r->scratch_rows < n) {
        int16_t *grown = realloc(r->scratch, n * 3 * sizeof *grown);
        if (!grown)
            return tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
        r->scratch = grown;
        r->scratch_rows = n;
    }
    void *in = is_float ? (void *)out : (void *)r->scratch;
    int rc = read_vectors(r, p, which, first, n, is_float ? H5T_NATIVE_FLOAT : H5T_NATIVE_INT16,
                          in, err);
    if (rc != TENDO_OK)
        return rc;
    to_si(in, p->meta.storage, conversion, 3 * n, out);
    return TENDO_OK;
}

int tendo_reader_read_si(tendo_reader *r, size_t pod_index, int64_t first, tendo_block *blk,
                         tendo_error *err)
{
    int rc = check_window(r, pod_index, first, blk->n, err);
    if (rc != TENDO_OK || blk->n == 0)
        return rc;
    pod_reader *p = &r->pods[pod_index];
    if ((rc = read_time_status(r, p, first, blk, err)))
        return rc;
    if (blk->accel && (rc = read_si_vectors(r, p, DS_ACCEL, first, blk->n,
                                            p->meta.accel_conversion, blk->accel, err)))
        return rc;
    if (blk->gyro && p->meta.has_gyro &&
        (rc = read_si_vectors(r, p, DS_GYRO, first, blk->n, p->meta.gyro_conversion, blk->gyro,
                              err)))
        return rc;
    return TENDO_OK;
}

int tendo_reader_get_table(tendo_reader *r, const char *path, const tendo_column *cols,
                           size_t ncols, size_t row_size, void **rows_out, size_t *nrows_out,
                           tendo_error *err)
{
    *rows_out = NULL;
    *nrows_out = 0;
    if (!tendo_reader_exists(r, path))
        return tendo_error_set(err, TENDO_EDATA, "%s: no table %s", r->path, path);
    hid_t ds = H5Dopen2(r->file, path, H5P_DEFAULT);
    if (ds < 0)
        return tendo_h5_fail(err, TENDO_EDATA, "%s: %s is not a dataset", r->path, path);
    int rc = TENDO_OK;
    hid_t ftype = H5Dget_type(ds), space = H5Dget_space(ds);
    hsize_t dims[1] = {0};
    if (H5Tget_class(ftype) != H5T_COMPOUND || H5Sget_simple_extent_ndims(space) != 1)
        rc = tendo_error_set(err, TENDO_EDATA, "%s: %s is not a one-dimensional table",
                             r->path, path);
    else
        H5Sget_simple_extent_dims(space, dims, NULL);
    for (size_t c = 0; rc == TENDO_OK && c < ncols; c++)
        if (H5Tget_member_index(ftype, cols[c].name) < 0)
            rc = tendo_error_set(err, TENDO_EDATA, "%s: table %s has no column '%s'", r->path,
                                 path, cols[c].name);
    if (rc == TENDO_OK && dims[0] > TENDO_MAX_TABLE_ROWS)
        rc = tendo_error_set(err, TENDO_EDATA, "%s: table %s has %llu rows, too many", r->path,
                             path, (unsigned long long)dims[0]);
    void *rows = NULL;
    if (rc == TENDO_OK && dims[0] > 0) {
        rows = calloc(dims[0], row_size);
        hid_t mtype = tendo_h5_compound(cols, ncols, row_size, 0);
        if (!rows)
            rc = tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
        else if (H5Dread(ds, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, rows) < 0)
            rc = tendo_h5_fail(err, TENDO_EDATA, "%s: table %s cannot be read", r->path, path);
        H5Tclose(mtype);
    }
    H5Sclose(space);
    H5Tclose(ftype);
    H5Dclose(ds);
    H5Eclear2(H5E_DEFAULT);
    if (rc != TENDO_OK) {
        free(rows);
        return rc;
    }
    *rows_out = rows;
    *nrows_out = (size_t)dims[0];
    return TENDO_OK;
}

/* ------------------------------------------------------------ split reads */

/* One piece of a fetch: a stored chunk of a VIEW_OWN dataset, or rows
 * ready as they are (a chunk never written; a VIEW_HDF5 dataset's window). */
typedef struct fetch_part {
    int which;
    hsize_t k; /* chunk index (VIEW_OWN) */
    size_t off, size;
    uint32_t filters;
    int rows_only;
} fetch_part;

struct tendo_fetch {
    int64_t first;
    size_t n;
    fetch_part *part;
    size_t nparts, partcap;
    unsigned char *bytes;
    size_t len, cap;
};

struct tendo_pod_cursor {
    char path[PATH_MAX];
    tendo_pod_meta meta;
    size_t pod;
    int want[DS_COUNT];
    hid_t mtype[DS_COUNT];
    /* decoder side (tendo_cursor_read_si's thread): the view parameters
     * and a decoded chunk per dataset of its own */
    chunk_view view[DS_COUNT];
    unsigned char *shuffled;
    size_t shuffled_cap;
    /* reader side (tendo_reader_fetch's thread): the last chunk fetched */
    int64_t sent[DS_COUNT];
};

int tendo_fetch_new(tendo_fetch **out, tendo_error *err)
{
    if (!(*out = calloc(1, sizeof **out)))
        return tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
    return TENDO_OK;
}

void tendo_fetch_free(tendo_fetch *f)
{
    if (!f)
        return;
    free(f->part);
    free(f->bytes);
    free(f);
}

void tendo_cursor_free(tendo_pod_cursor *c)
{
    if (!c)
        return;
    for (int d = 0; d < DS_COUNT; d++)
        free(c->view[d].chunk);
    free(c->shuffled);
    free(c);
}

int tendo_reader_cursor(tendo_reader *r, size_t pod_index, int want_gyro, tendo_pod_cursor **out,
                        tendo_error *err)
{
    *out = NULL;
    int rc = check_window(r, pod_index, 0, 0, err);
    if (rc != TENDO_OK)
        return rc;
    pod_reader *p = &r->pods[pod_index];
    tendo_pod_cursor *c = calloc(1, sizeof *c);
    if (!c)
        return tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
    snprintf(c->path, sizeof c->path, "%s", r->path);
    c->meta = p->meta;
    c->pod = pod_index;
    hid_t vtype = p->meta.storage == TENDO_STORE_INT16 ? H5T_NATIVE_INT16 : H5T_NATIVE_FLOAT;
    c->mtype[DS_TIME] = H5T_NATIVE_INT64;
    c->mtype[DS_STATUS] = H5T_NATIVE_UINT8;
    c->mtype[DS_ACCEL] = c->mtype[DS_GYRO] = vtype;
    c->want[DS_TIME] = c->want[DS_ACCEL] = 1;
    c->want[DS_STATUS] = p->ds[DS_STATUS] > 0;
    c->want[DS_GYRO] = want_gyro && p->meta.has_gyro;
    /* the dataset's decoding is decided as a read would decide it, in the
     * same order (view_init runs HDF5, and may check every chunk) */
    static const int order[] = {DS_TIME, DS_STATUS, DS_ACCEL, DS_GYRO};
    for (int i = 0; rc == TENDO_OK && i < DS_COUNT; i++) {
        int d = order[i];
        c->sent[d] = -1;
        if (!c->want[d])
            continue;
        chunk_view *v = &p->view[d];
        if (v->mode == VIEW_UNSET)
            rc = view_init(r, p, d, c->mtype[d], err);
        c->view[d] = *v;
        c->view[d].chunk = NULL;
        c->view[d].first = -1;
        if (rc == TENDO_OK && v->mode == VIEW_OWN &&
            !(c->view[d].chunk = malloc((size_t)v->rows * v->row_bytes)))
            rc = tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
    }
    if (rc != TENDO_OK) {
        tendo_cursor_free(c);
        return rc;
    }
    *out = c;
    return TENDO_OK;
}

static fetch_part *fetch_add(tendo_fetch *f, tendo_error *err)
{
    fetch_part *grown = tendo_array_reserve(f->part, &f->partcap, f->nparts, sizeof *grown, 8);
    if (!grown) {
        tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
        return NULL;
    }
    f->part = grown;
    fetch_part *fp = &f->part[f->nparts++];
    memset(fp, 0, sizeof *fp);
    fp->off = f->len;
    return fp;
}

int tendo_reader_fetch(tendo_reader *r, tendo_pod_cursor *c, int64_t first, size_t n,
                       tendo_fetch *f, tendo_error *err)
{
    f->first = first;
    f->n = n;
    f->nparts = f->len = 0;
    int rc = check_window(r, c->pod, first, n, err);
    if (rc != TENDO_OK || n == 0)
        return rc;
    pod_reader *p = &r->pods[c->pod];
    static const int order[] = {DS_TIME, DS_STATUS, DS_ACCEL, DS_GYRO};
    for (int i = 0; rc == TENDO_OK && i < DS_COUNT; i++) {
        int d = order[i];
        const chunk_view *v = &c->view[d];
        if (!c->want[d])
            continue;
        fetch_part *fp = fetch_add(f, err);
        if (!fp)
            return TENDO_EINTERNAL;
        if (v->mode == VIEW_HDF5) { /* HDF5 decodes it, here */
            fp->which = d;
            fp->rows_only = 1;
            fp->size = n * v->row_bytes;
            if ((rc = grow(&f->bytes, &f->cap, f->len + fp->size, err)) == TENDO_OK)
                rc = read_rows(r, p, d, first, n, c->mtype[d], f->bytes + f->len, err);
            f->len += fp->size;
            continue;
        }
        f->nparts--; /* VIEW_OWN: one part per chunk not fetched before */
        hsize_t k0 = (hsize_t)first / v->rows, k1 = (hsize_t)(first + (int64_t)n - 1) / v->rows;
        for (hsize_t k = k0; rc == TENDO_OK && k <= k1; k++) {
            if ((int64_t)k <= c->sent[d])
                continue;
            if (!(fp = fetch_add(f, err)))
                return TENDO_EINTERNAL;
            fp->which = d;
            fp->k = k;
            rc = chunk_fetch(r, p, d, k, c->mtype[d], &f->bytes, &f->cap, f->len, &fp->size,
                             &fp->filters, &fp->rows_only, err);
            f->len += fp->size;
            c->sent[d] = (int64_t)k;
        }
    }
    return rc;
}


/* Copies rows [first, first + n) of dataset d out of the fetch, decoding
 * its chunks as they come; vectors are converted to SI on the way. */
static int cursor_rows(tendo_pod_cursor *c, const tendo_fetch *f, int d, void *dst,
                       tendo_error *err)
{
    chunk_view *v = &c->view[d];
    int vec = d == DS_ACCEL || d == DS_GYRO;
    double conv = d == DS_ACCEL ? c->meta.accel_conversion : c->meta.gyro_conversion;
    size_t out_row = vec ? 3 * sizeof(float) : v->row_bytes;
    unsigned char *out = dst;
    if (v->mode == VIEW_HDF5) {
        for (size_t i = 0; i < f->nparts; i++)
            if (f->part[i].which == d) {
                if (vec)
                    to_si(f->bytes + f->part[i].off, c->meta.storage, conv, 3 * f->n,
                          (float *)out);
                else
                    memcpy(out, f->bytes + f->part[i].off, f->part[i].size);
                return TENDO_OK;
            }
        return tendo_error_set(err, TENDO_EINTERNAL, "%s: /sensors/%s/%s: window not fetched",
                               c->path, c->meta.serial, ds_names[d]);
    }
    int64_t first = f->first;
    size_t n = f->n;
    while (n > 0) {
        hsize_t k = (hsize_t)first / v->rows;
        if (v->first != (int64_t)(k * v->rows)) {
            const fetch_part *fp = NULL;
            for (size_t i = 0; !fp && i < f->nparts; i++)
                if (f->part[i].which == d && f->part[i].k == k)
                    fp = &f->part[i];
            if (!fp)
                return tendo_error_set(err, TENDO_EINTERNAL,
                                       "%s: chunk %llu of /sensors/%s/%s was not fetched "
                                       "(windows out of order?)",
                                       c->path, (unsigned long long)k, c->meta.serial,
                                       ds_names[d]);
            if (fp->rows_only) {
                memcpy(v->chunk, f->bytes + fp->off, fp->size);
                v->first = (int64_t)(k * v->rows);
            } else {
                int rc = chunk_decode(c->path, c->meta.serial, d, v, k, f->bytes + fp->off,
                                      fp->size, fp->filters, &c->shuffled, &c->shuffled_cap, err);
                if (rc != TENDO_OK)
                    return rc;
            }
        }
        size_t at = (size_t)(first - v->first);
        size_t take = (size_t)v->rows - at < n ? (size_t)v->rows - at : n;
        if (vec)
            to_si(v->chunk + at * v->row_bytes, c->meta.storage, conv, 3 * take, (float *)out);
        else
            memcpy(out, v->chunk + at * v->row_bytes, take * v->row_bytes);
        out += take * out_row;
        first += (int64_t)take;
        n -= take;
    }
    return TENDO_OK;
}

int tendo_cursor_read_si(tendo_pod_cursor *c, const tendo_fetch *f, tendo_block *blk,
                         tendo_error *err)
{
    if (blk->n != f->n)
        return tendo_error_set(err, TENDO_EINTERNAL, "%s: block of %zu samples for a fetch of %zu",
                               c->path, blk->n, f->n);
    /* every fetched dataset is decoded: the next window may start in a
     * chunk this one fetched */
    if (!blk->time_us || !blk->accel || !blk->status || (c->want[DS_GYRO] && !blk->gyro))
        return tendo_error_set(err, TENDO_EINTERNAL, "%s: cursor block without a buffer",
                               c->path);
    if (f->n == 0)
        return TENDO_OK;
    int rc = cursor_rows(c, f, DS_TIME, blk->time_us, err);
    if (rc == TENDO_OK && !c->want[DS_STATUS])
        memset(blk->status, 0, blk->n);
    else if (rc == TENDO_OK)
        rc = cursor_rows(c, f, DS_STATUS, blk->status, err);
    if (rc == TENDO_OK)
        rc = cursor_rows(c, f, DS_ACCEL, blk->accel, err);
    if (rc == TENDO_OK && c->want[DS_GYRO])
        rc = cursor_rows(c, f, DS_GYRO, blk->gyro, err);
    return rc;
}
