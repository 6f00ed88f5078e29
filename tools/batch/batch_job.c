/*
 * batch_job.c — one session of a batch (see batch_job.h).
 *
 * A CSV job is first imported with the code of `tendo import csv` into a
 * scratch session file private to the worker, then analysed like any
 * session; wherever the scratch name would show (the JSON's file, the steps
 * CSV's file column, error messages) the job's own name replaces it, so a
 * batch's outputs never depend on which worker did the job.
 */
#include "batch_job.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "analyze_run.h"
#include "tendo_analysis.h"
#include "tendo_import.h"
#include "tendo_session.h"
#include "tendo_version.h"

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

void batch_job_clear(batch_job *j)
{
    free(j->file);
    free(j->pair);
    free(j->start);
    free(j->athlete);
    free(j->params);
    j->file = j->pair = j->start = j->athlete = j->params = NULL;
}

static const char *placement_word(int p)
{
    return p == TENDO_ANALYZE_AS_RECORDED ? "as recorded"
           : p == TENDO_PLACEMENT_SHANK   ? "shank"
                                          : "foot";
}

int batch_job_make_params(batch_job *j, tendo_error *err)
{
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "tendo", TENDO_VERSION);
    cJSON_AddStringToObject(p, "algorithm", TENDO_AN_VERSION);
    cJSON_AddStringToObject(p, "format", j->format == BATCH_CSV ? "csv" : "h5");
    if (j->format == BATCH_CSV) {
        cJSON_AddStringToObject(p, "side", j->side ? "right" : "left");
        if (j->pair)
            cJSON_AddStringToObject(p, "pair", j->pair);
        cJSON_AddNumberToObject(p, "rate_hz", j->rate_hz);
        cJSON_AddStringToObject(p, "accel_unit", j->accel_unit == TENDO_ACCEL_G ? "g" : "m/s2");
        cJSON_AddStringToObject(p, "gyro_unit",
                                j->gyro_unit == TENDO_GYRO_RADPS ? "rad/s" : "deg/s");
        cJSON_AddStringToObject(p, "start", j->start ? j->start : TENDO_IMPORT_DEFAULT_START);
    }
    cJSON_AddStringToObject(p, "placement", placement_word(j->placement));
    if (j->athlete)
        cJSON_AddStringToObject(p, "athlete", j->athlete);
    cJSON_AddNumberToObject(p, "mass_kg", j->mass_kg);
    cJSON_AddNumberToObject(p, "damage_k", j->damage_k);
    free(j->params);
    j->params = cJSON_PrintUnformatted(p);
    cJSON_Delete(p);
    return j->params ? TENDO_OK : tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
}

/* ------------------------------------------------------------ wire form */

cJSON *batch_job_to_json(const batch_job *j)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "file", j->file);
    if (j->pair)
        cJSON_AddStringToObject(o, "pair", j->pair);
    cJSON_AddNumberToObject(o, "format", j->format);
    cJSON_AddNumberToObject(o, "side", j->side);
    cJSON_AddNumberToObject(o, "rate_hz", j->rate_hz);
    cJSON_AddNumberToObject(o, "accel_unit", j->accel_unit);
    cJSON_AddNumberToObject(o, "gyro_unit", j->gyro_unit);
    if (j->start)
        cJSON_AddStringToObject(o, "start", j->start);
    cJSON_AddNumberToObject(o, "placement", j->placement);
    if (j->athlete)
        cJSON_AddStringToObject(o, "athlete", j->athlete);
    cJSON_AddNumberToObject(o, "mass_kg", j->mass_kg);
    cJSON_AddNumberToObject(o, "damage_k", j->damage_k);
    cJSON_AddNumberToObject(o, "line", j->line);
    cJSON_AddNumberToObject(o, "bytes", (double)j->bytes);
    return o;
}

static const char *get_str(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static double get_num(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

int batch_job_from_json(const cJSON *o, batch_job *j, tendo_error *err)
{
    memset(j, 0, sizeof *j);
    if (!get_str(o, "file"))
        return tendo_error_set(err, TENDO_EINTERNAL, "a job message without a file");
    j->file = strdup(get_str(o, "file"));
    j->pair = dup_or_null(get_str(o, "pair"));
    j->format = get_num(o, "format") == BATCH_CSV ? BATCH_CSV : BATCH_H5;
    j->side = get_num(o, "side") != 0;
    j->rate_hz = get_num(o, "rate_hz");
    j->accel_unit = (int)get_num(o, "accel_unit");
    j->gyro_unit = (int)get_num(o, "gyro_unit");
    j->start = dup_or_null(get_str(o, "start"));
    j->placement = (int)get_num(o, "placement");
    j->athlete = dup_or_null(get_str(o, "athlete"));
    j->mass_kg = get_num(o, "mass_kg");
    j->damage_k = get_num(o, "damage_k");
    j->line = (int)get_num(o, "line");
    j->bytes = (int64_t)get_num(o, "bytes");
    if (!j->file)
        return tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
    return batch_job_make_params(j, err);
}

/* ------------------------------------------------------------ identity */

static void stat_one(const char *path, int64_t *size, int64_t *mtime_ns)
{
    struct stat st;
    *size = *mtime_ns = 0;
    if (path && stat(path, &st) == 0) {
        *size = (int64_t)st.st_size;
        *mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
    }
}

void batch_job_stat(const batch_job *j, batch_fingerprint *fp)
{
    memset(fp, 0, sizeof *fp);
    stat_one(j->file, &fp->size, &fp->mtime_ns);
    stat_one(j->pair, &fp->pair_size, &fp->pair_mtime_ns);
}

/* CRC-32 (zlib) of a whole file; 0 with *ok = 0 when it cannot be read. */
static uint32_t file_crc(const char *path, int *ok)
{
    enum { BUF = 1 << 20 };
    *ok = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    unsigned char *buf = malloc(BUF);
    uLong crc = crc32(0L, Z_NULL, 0);
    ssize_t n = -1;
    while (buf && (n = read(fd, buf, BUF)) > 0)
        crc = crc32(crc, buf, (uInt)n);
    *ok = buf && n == 0;
    free(buf);
    close(fd);
    return (uint32_t)crc;
}

void batch_job_content_id(const batch_job *j, batch_fingerprint *fp)
{
    fp->content_id[0] = '\0';
    if (j->format == BATCH_H5) {
        tendo_reader *r;
        if (tendo_reader_open_untrusted(&r, j->file, NULL) == TENDO_OK) {
            snprintf(fp->content_id, sizeof fp->content_id, "session:%s",
                     tendo_reader_meta(r)->session_id);
            tendo_reader_close(r);
        }
        return;
    }
    int ok1 = 0, ok2 = 1;
    uint32_t a = file_crc(j->file, &ok1), b = j->pair ? file_crc(j->pair, &ok2) : 0;
    if (ok1 && ok2)
        snprintf(fp->content_id, sizeof fp->content_id, "crc32:%08x:%08x", a, b);
}

/* Sizes and times as decimal text: a JSON number is a double, which cannot
 * hold a nanosecond time since 1970 exactly. */
static void add_i64(cJSON *o, const char *name, int64_t v)
{
    char text[32];
    snprintf(text, sizeof text, "%lld", (long long)v);
    cJSON_AddStringToObject(o, name, text);
}

static cJSON *fingerprint_json(const batch_fingerprint *fp)
{
    cJSON *o = cJSON_CreateObject();
    add_i64(o, "size", fp->size);
    add_i64(o, "mtime_ns", fp->mtime_ns);
    add_i64(o, "pair_size", fp->pair_size);
    add_i64(o, "pair_mtime_ns", fp->pair_mtime_ns);
    cJSON_AddStringToObject(o, "content_id", fp->content_id);
    return o;
}

static int same_i64(const cJSON *o, const char *name, int64_t v)
{
    const char *text = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, name));
    char want[32];
    snprintf(want, sizeof want, "%lld", (long long)v);
    return text && !strcmp(text, want);
}

int batch_job_unchanged(const batch_job *j, const cJSON *fp_json)
{
    batch_fingerprint fp;
    batch_job_stat(j, &fp);
    if (same_i64(fp_json, "size", fp.size) && same_i64(fp_json, "mtime_ns", fp.mtime_ns) &&
        same_i64(fp_json, "pair_size", fp.pair_size) &&
        same_i64(fp_json, "pair_mtime_ns", fp.pair_mtime_ns))
        return 1;
    const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(fp_json,
                                                                            "content_id"));
    if (!id || !id[0])
        return 0;
    batch_job_content_id(j, &fp);
    return !strcmp(id, fp.content_id);
}

/* ------------------------------------------------------------ running */

/* s with every occurrence of from replaced by to (malloc'ed; NULL on OOM). */
static char *replace_all(const char *s, const char *from, const char *to)
{
    size_t lf = strlen(from), lt = strlen(to), count = 0;
    for (const char *p = s; lf && (p = strstr(p, from)); p += lf)
        count++;
    char *out = malloc(strlen(s) + count * lt + 1), *o = out;
    if (!out)
        return NULL;
    for (const char *p = s;;) {
        const char *hit = lf ? strstr(p, from) : NULL;
        if (!hit) {
            strcpy(o, p);
            break;
        }
        memcpy(o, p, (size_t)(hit - p));
        o += hit - p;
        memcpy(o, to, lt);
        o += lt;
        p = hit + lf;
    }
    return out;
}

static double thread_cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Imports a CSV job into the scratch session. */
static int import_job(const batch_job *j, const char *scratch, tendo_error *err)
{
    tendo_import_csv_options o;
    tendo_import_csv_defaults(&o);
    o.out = scratch;
    o.overwrite = 1;
    o.csv[j->side] = j->file;
    o.csv[!j->side] = j->pair;
    o.athlete = j->athlete ? j->athlete : "";
    o.rate_hz = j->rate_hz;
    o.placement = j->placement == TENDO_PLACEMENT_SHANK ? TENDO_PLACEMENT_SHANK
                                                        : TENDO_PLACEMENT_FOOT;
    o.units.accel_unit = (tendo_accel_unit)j->accel_unit;
    o.units.gyro_unit = (tendo_gyro_unit)j->gyro_unit;
    if (j->start && tendo_time_parse_iso(j->start, &o.start_us, err) != TENDO_OK)
        return TENDO_EUSAGE;
    tendo_import_pod res[2];
    return tendo_import_csv(&o, res, err);
}

/* The steps CSV of r (header and rows) as text, the file column naming the
 * job rather than the scratch session. */
static char *steps_text(const tendo_analyze_result *r, const batch_job *j, const char *path)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    int bad = tendo_analyze_csv_header(f) != 0 || tendo_analyze_csv_rows(f, r) != 0;
    bad |= fclose(f) != 0;
    if (bad || !buf) {
        free(buf);
        return NULL;
    }
    if (path == j->file)
        return buf;
    /* Each row ends with ",<path>\n" (a scratch path needs no quoting); the
     * job's name is quoted as analyze quotes names. */
    char from[4200], to[8400], *t = to;
    snprintf(from, sizeof from, ",%s\n", path);
    int quote = strpbrk(j->file, ",\"\n") != NULL;
    *t++ = ',';
    if (quote)
        *t++ = '"';
    for (const char *c = j->file; *c && t < to + sizeof to - 4; c++) {
        if (*c == '"')
            *t++ = '"';
        *t++ = *c;
    }
    if (quote)
        *t++ = '"';
    *t++ = '\n';
    *t = '\0';
    char *out = replace_all(buf, from, to);
    free(buf);
    return out;
}

static char *failed(const batch_job *j, const batch_fingerprint *fp, const tendo_error *e,
                    const char *scratch)
{
    int code = e->code != TENDO_OK ? e->code : TENDO_EINTERNAL;
    char *msg = replace_all(e->msg[0] ? e->msg : tendo_code_name(code), scratch, j->file);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "status", "failed");
    cJSON_AddNumberToObject(o, "code", tendo_exit_code(code));
    cJSON_AddStringToObject(o, "class", tendo_code_name(code));
    cJSON_AddStringToObject(o, "message", msg ? msg : "out of memory");
    cJSON_AddItemToObject(o, "fp", fingerprint_json(fp));
    free(msg);
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return text;
}

char *batch_job_failure(const batch_job *j, const tendo_error *err)
{
    batch_fingerprint fp;
    batch_job_stat(j, &fp);
    return failed(j, &fp, err, "");
}

int batch_job_run(const batch_job *j, const char *scratch, int want_steps, char **out)
{
    double cpu0 = thread_cpu_s();
    tendo_error err;
    tendo_error_clear(&err);
    batch_fingerprint fp;
    batch_job_stat(j, &fp);
    if (j->format == BATCH_CSV)
        batch_job_content_id(j, &fp);
    const char *path = j->file;
    int rc = TENDO_OK;
    if (j->format == BATCH_CSV) {
        rc = import_job(j, scratch, &err);
        path = scratch;
    }
    /* the session's own facts: athlete, start, id */
    tendo_session_meta meta;
    memset(&meta, 0, sizeof meta);
    if (rc == TENDO_OK) {
        tendo_reader *r;
        /* a file from outside is checked in a sandboxed process first; a
         * CSV job's scratch file is tendo's own, written and verified */
        rc = j->format == BATCH_H5 ? tendo_reader_open_untrusted(&r, path, &err)
                                   : tendo_reader_open(&r, path, &err);
        if (rc == TENDO_OK) {
            meta = *tendo_reader_meta(r);
            tendo_reader_close(r);
            if (j->format == BATCH_H5)
                snprintf(fp.content_id, sizeof fp.content_id, "session:%s", meta.session_id);
        } /* the reader's messages name the file already */
    }
    tendo_analyze_result *res = NULL;
    if (rc == TENDO_OK) {
        tendo_analyze_options ao;
        tendo_analyze_defaults(&ao);
        ao.store = 0;   /* a batch never writes into its inputs */
        ao.threads = 1; /* files run in parallel already (and cpu_s is this thread's) */
        ao.trusted = 1; /* checked just above */
        ao.placement = j->placement;
        ao.mass_kg = j->mass_kg;
        ao.damage_k = j->damage_k;
        rc = tendo_analyze_file(path, &ao, &res, &err);
    }
    if (rc != TENDO_OK) {
        size_t len = strlen(j->file);
        if (j->format == BATCH_H5 && rc == TENDO_EDATA && len > 4 &&
            !strcasecmp(j->file + len - 4, ".csv")) {
            size_t used = strlen(err.msg);
            snprintf(err.msg + used, sizeof err.msg - used,
                     " (a sensor CSV is read through --manifest, which gives its rate and "
                     "units)");
        }
        if (j->format == BATCH_CSV)
            unlink(scratch);
        *out = failed(j, &fp, &err, scratch);
        return *out ? 0 : -1;
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "status", "ok");
    cJSON *row = tendo_analyze_json(res);
    if (row)
        cJSON_ReplaceItemInObjectCaseSensitive(row, "file", cJSON_CreateString(j->file));
    cJSON_AddItemToObject(o, "row", row);
    cJSON_AddStringToObject(o, "athlete", j->athlete ? j->athlete : meta.athlete_id);
    cJSON_AddStringToObject(o, "session_id", meta.session_id);
    char start[48];
    tendo_time_format_iso(meta.start_time_us, start, sizeof start);
    cJSON_AddStringToObject(o, "start_time_utc", start);
    cJSON_AddItemToObject(o, "fp", fingerprint_json(&fp));
    int oom = !row;
    if (want_steps) {
        char *steps = steps_text(res, j, path);
        oom |= !steps;
        cJSON_AddStringToObject(o, "steps", steps ? steps : "");
        free(steps);
    }
    tendo_analyze_free(res);
    if (j->format == BATCH_CSV)
        unlink(scratch);
    cJSON_AddNumberToObject(o, "cpu_s", thread_cpu_s() - cpu0);
    *out = oom ? NULL : cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return *out ? 0 : -1;
}
