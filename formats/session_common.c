/* Shared helpers of the session format: attributes, names, time, defaults. */
#include <ctype.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "session_internal.h"

void tendo_pod_meta_default(tendo_pod_meta *pod)
{
    memset(pod, 0, sizeof *pod);
    pod->side = TENDO_SIDE_LEFT;
    pod->placement = TENDO_PLACEMENT_FOOT;
    pod->sample_rate_hz = 1000.0;
    pod->accel_range_g = 32.0;
    pod->gyro_range_dps = 4000.0;
    pod->has_gyro = 1;
    pod->storage = TENDO_STORE_INT16;
    /* Full scale maps to 2^15 counts; g = 9.80665 m/s² (CGPM 1901). */
    pod->accel_conversion = 32.0 * 9.80665 / 32768.0;
    pod->gyro_conversion = 4000.0 * (M_PI / 180.0) / 32768.0;
}

const char *tendo_side_name(tendo_side side)
{
    return side == TENDO_SIDE_RIGHT ? "right" : "left";
}

const char *tendo_placement_name(tendo_placement placement)
{
    return placement == TENDO_PLACEMENT_SHANK ? "shank" : "foot";
}

int tendo_serial_is_valid(const char *serial)
{
    size_t n = strlen(serial);
    if (n == 0 || n > 63 || !strcmp(serial, ".") || !strcmp(serial, ".."))
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)serial[i];
        if (!(isalnum(c) || c == '_' || c == '.' || c == '-'))
            return 0;
    }
    return 1;
}

void tendo_session_id_format(const uint8_t bytes[16], char out[40])
{
    uint8_t b[16];
    memcpy(b, bytes, sizeof b);
    b[6] = (uint8_t)((b[6] & 0x0f) | 0x40); /* version 4 */
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
    snprintf(out, 40, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
             b[13], b[14], b[15]);
}

/* ------------------------------------------------------------------ time */

void tendo_time_format_iso(int64_t time_us, char *out, size_t out_size)
{
    int64_t secs = time_us / 1000000;
    int64_t frac = time_us % 1000000;
    if (frac < 0) {
        frac += 1000000;
        secs -= 1;
    }
    time_t t = (time_t)secs;
    struct tm tm;
    if (!gmtime_r(&t, &tm)) {
        snprintf(out, out_size, "invalid");
        return;
    }
    snprintf(out, out_size, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)frac);
}

/* Reads exactly `digits` decimal digits. */
static int read_digits(const char **p, int digits, int *value)
{
    int v = 0;
    for (int i = 0; i < digits; i++) {
        if (!isdigit((unsigned char)(*p)[i]))
            return 0;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += digits;
    *value = v;
    return 1;
}

int tendo_time_parse_iso(const char *text, int64_t *time_us, tendo_error *err)
{
    const char *p = text;
    int year, mon, day, hour = 0, min = 0, sec = 0;
    int64_t micros = 0;
    int ok = read_digits(&p, 4, &year) && *p++ == '-' && read_digits(&p, 2, &mon) &&
             *p++ == '-' && read_digits(&p, 2, &day);
    if (ok && (*p == 'T' || *p == ' ')) {
        p++;
        ok = read_digits(&p, 2, &hour) && *p++ == ':' && read_digits(&p, 2, &min);
        if (ok && *p == ':') {
            p++;
            ok = read_digits(&p, 2, &sec);
            if (ok && *p == '.') {
                p++;
                int n = 0;
                int64_t scale = 100000;
                while (isdigit((unsigned char)*p)) {
                    if (n < 6)
                        micros += (*p - '0') * scale;
                    scale /= 10;
                    n++;
                    p++;
                }
                ok = n > 0;
            }
        }
    }
    int offset_min = 0;
    if (ok && (*p == '+' || *p == '-')) {
        int sign = *p == '-' ? -1 : 1, oh = 0, om = 0;
        p++;
        ok = read_digits(&p, 2, &oh) && (*p == ':' ? (p++, 1) : 1) && read_digits(&p, 2, &om);
        offset_min = sign * (oh * 60 + om);
    } else if (ok && *p == 'Z') {
        p++;
    }
    ok = ok && *p == '\0' && mon >= 1 && mon <= 12 && day >= 1 && day <= 31 && hour <= 23 &&
         min <= 59 && sec <= 60 && year >= 1970 && year <= 9999;
    if (!ok)
        return tendo_error_set(err, TENDO_EUSAGE,
                               "'%s' is not an ISO 8601 UTC time; write it like "
                               "2026-11-21T07:30:00Z",
                               text);
    struct tm tm = {0};
    tm.tm_year = year - 1900;
    tm.tm_mon = mon - 1;
    tm.tm_mday = day;
    tm.tm_hour = hour;
    tm.tm_min = min;
    tm.tm_sec = sec;
    time_t t = timegm(&tm);
    *time_us = ((int64_t)t - (int64_t)offset_min * 60) * 1000000 + micros;
    return TENDO_OK;
}

/* ------------------------------------------------------------------ HDF5 */

static void quiet_once(void)
{
    /* When a write fails (disk full), H5Fclose fails too and leaves the
     * file half-closed; HDF5's own atexit clean-up then crashes on it,
     * turning exit 74 into a SIGSEGV. tendo closes every file itself, so it
     * keeps HDF5 from registering that clean-up (this must be the first
     * HDF5 call; a no-op otherwise). */
    H5dont_atexit();
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    /* A hostile file can name any filter id; HDF5 would then dlopen()
     * plugins from HDF5_PLUGIN_PATH. tendo uses built-in filters only. */
    H5PLset_loading_state(0);
}

void tendo_h5_quiet(void)
{
    /* once per process, also when readers are opened from many threads */
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, quiet_once);
}

static herr_t keep_innermost(unsigned n, const H5E_error2_t *e, void *data)
{
    if (n == 0 && e->desc && e->desc[0])
        snprintf((char *)data, 256, "%s", e->desc);
    return 0;
}

int tendo_h5_fail(tendo_error *err, int code, const char *fmt, ...)
{
    char msg[TENDO_ERROR_MSG_MAX], detail[256] = "";
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, keep_innermost, detail);
    H5Eclear2(H5E_DEFAULT);
    if (detail[0])
        return tendo_error_set(err, code, "%s (HDF5: %s)", msg, detail);
    return tendo_error_set(err, code, "%s", msg);
}

void tendo_h5_select_rows(hid_t ds, int64_t first, size_t n, int cols, hid_t *fspace,
                          hid_t *mspace)
{
    hsize_t start[2] = {(hsize_t)first, 0}, count[2] = {n, (hsize_t)cols};
    *fspace = H5Dget_space(ds);
    H5Sselect_hyperslab(*fspace, H5S_SELECT_SET, start, NULL, count, NULL);
    *mspace = H5Screate_simple(cols > 1 ? 2 : 1, count, NULL);
}

hid_t tendo_h5_gcpl(void)
{
    hid_t gcpl = H5Pcreate(H5P_GROUP_CREATE);
    if (gcpl >= 0)
        H5Pset_obj_track_times(gcpl, 0);
    return gcpl;
}

static int put_attr(hid_t obj, const char *name, hid_t type, const void *value)
{
    if (H5Aexists(obj, name) > 0)
        H5Adelete(obj, name);
    hid_t space = H5Screate(H5S_SCALAR);
    hid_t attr = H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
    int rc = (attr >= 0 && H5Awrite(attr, type, value) >= 0) ? 0 : -1;
    if (attr >= 0)
        H5Aclose(attr);
    H5Sclose(space);
    return rc;
}

int tendo_h5_put_str(hid_t obj, const char *name, const char *value)
{
    hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, H5T_VARIABLE);
    H5Tset_cset(type, H5T_CSET_UTF8);
    int rc = put_attr(obj, name, type, &value);
    H5Tclose(type);
    return rc;
}

int tendo_h5_put_f64(hid_t obj, const char *name, double value)
{
    return put_attr(obj, name, H5T_IEEE_F64LE, &value);
}

int tendo_h5_put_i64(hid_t obj, const char *name, int64_t value)
{
    return put_attr(obj, name, H5T_STD_I64LE, &value);
}

/* Opens a scalar (or one-element) attribute; -1 absent, -2 unusable. */
static hid_t open_scalar_attr(hid_t obj, const char *name, hid_t *space_out)
{
    if (H5Aexists(obj, name) <= 0)
        return -1;
    hid_t attr = H5Aopen(obj, name, H5P_DEFAULT);
    if (attr < 0)
        return -2;
    hid_t space = H5Aget_space(attr);
    hssize_t npoints = space >= 0 ? H5Sget_simple_extent_npoints(space) : -1;
    if (npoints != 1) {
        if (space >= 0)
            H5Sclose(space);
        H5Aclose(attr);
        return -2;
    }
    *space_out = space;
    return attr;
}

int tendo_h5_get_str(hid_t obj, const char *name, char *out, size_t out_size)
{
    hid_t space;
    hid_t attr = open_scalar_attr(obj, name, &space);
    if (attr == -1)
        return 0;
    if (attr < 0)
        return -1;
    int rc = -1;
    hid_t ftype = H5Aget_type(attr);
    if (ftype >= 0 && H5Tget_class(ftype) == H5T_STRING) {
        if (H5Tis_variable_str(ftype) > 0) {
            char *value = NULL;
            hid_t mtype = H5Tcopy(H5T_C_S1);
            H5Tset_size(mtype, H5T_VARIABLE);
            H5Tset_cset(mtype, H5Tget_cset(ftype));
            if (H5Aread(attr, mtype, &value) >= 0 && value) {
                snprintf(out, out_size, "%s", value);
                rc = 1;
            }
            if (value)
                H5free_memory(value);
            H5Tclose(mtype);
        } else {
            size_t size = H5Tget_size(ftype);
            if (size > 0 && size < 65536) {
                char *buf = calloc(1, size + 1);
                hid_t mtype = H5Tcopy(H5T_C_S1);
                H5Tset_size(mtype, size + 1);
                H5Tset_strpad(mtype, H5T_STR_NULLTERM);
                if (buf && H5Aread(attr, mtype, buf) >= 0) {
                    snprintf(out, out_size, "%s", buf);
                    rc = 1;
                }
                H5Tclose(mtype);
                free(buf);
            }
        }
    }
    if (ftype >= 0)
        H5Tclose(ftype);
    H5Sclose(space);
    H5Aclose(attr);
    H5Eclear2(H5E_DEFAULT);
    return rc;
}

int tendo_h5_get_f64(hid_t obj, const char *name, double *out)
{
    hid_t space;
    hid_t attr = open_scalar_attr(obj, name, &space);
    if (attr == -1)
        return 0;
    if (attr < 0)
        return -1;
    int rc = -1;
    hid_t ftype = H5Aget_type(attr);
    H5T_class_t cls = ftype >= 0 ? H5Tget_class(ftype) : H5T_NO_CLASS;
    if ((cls == H5T_INTEGER || cls == H5T_FLOAT) && H5Aread(attr, H5T_NATIVE_DOUBLE, out) >= 0)
        rc = 1;
    if (ftype >= 0)
        H5Tclose(ftype);
    H5Sclose(space);
    H5Aclose(attr);
    H5Eclear2(H5E_DEFAULT);
    return rc;
}

static hid_t column_type(tendo_col_type type)
{
    switch (type) {
    case TENDO_COL_F64: return H5Tcopy(H5T_IEEE_F64LE);
    case TENDO_COL_F32: return H5Tcopy(H5T_IEEE_F32LE);
    case TENDO_COL_I64: return H5Tcopy(H5T_STD_I64LE);
    case TENDO_COL_I32: return H5Tcopy(H5T_STD_I32LE);
    case TENDO_COL_U8: return H5Tcopy(H5T_STD_U8LE);
    case TENDO_COL_STR16: {
        hid_t t = H5Tcopy(H5T_C_S1);
        H5Tset_size(t, 16);
        H5Tset_strpad(t, H5T_STR_NULLPAD);
        return t;
    }
    }
    return -1;
}

static size_t column_size(tendo_col_type type)
{
    switch (type) {
    case TENDO_COL_F64:
    case TENDO_COL_I64: return 8;
    case TENDO_COL_F32:
    case TENDO_COL_I32: return 4;
    case TENDO_COL_U8: return 1;
    case TENDO_COL_STR16: return 16;
    }
    return 0;
}

hid_t tendo_h5_compound(const tendo_column *cols, size_t ncols, size_t row_size, int packed)
{
    size_t total = 0;
    for (size_t i = 0; i < ncols; i++)
        total += column_size(cols[i].type);
    hid_t ctype = H5Tcreate(H5T_COMPOUND, packed ? total : row_size);
    size_t offset = 0;
    for (size_t i = 0; i < ncols && ctype >= 0; i++) {
        hid_t t = column_type(cols[i].type);
        H5Tinsert(ctype, cols[i].name, packed ? offset : cols[i].offset, t);
        H5Tclose(t);
        offset += column_size(cols[i].type);
    }
    return ctype;
}
