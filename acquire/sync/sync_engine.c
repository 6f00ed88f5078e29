/*
 * sync_engine.c — tendo_sync_run(): the order of a sync and the rules that
 * keep it from losing or doubling a recording (tendo_sync.h, SYNC.md).
 */
#include "tendo_sync.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "pod_protocol.h"
#include "pod_usb.h"
#include "sync_download.h"
#include "sync_plan.h"
#include "tendo_array.h"
#include "tendo_catalog.h"
#include "tendo_catalog_sync.h"
#include "tendo_session.h"
#include "tendo_clock.h"

/* Without an anchor the pod's rate is taken as nominal; crystals are within
 * ±100 ppm (PROTOCOL.md: "tens of ppm"), which bounds the error reported. */
#define UNANCHORED_DRIFT_BOUND 100e-6
#define G0                     9.80665 /* standard gravity, m/s² (CGPM 1901) */

typedef struct pod_state {
    tendo_usb_pod *usb;
    tendo_sync_pod *out;
    tendo_pod_info info;
    tendo_pod_clock clock;
    tendo_pod_clock_point point;  /* the read before any download */
    tendo_pod_clock_point anchor; /* the pod's anchor as a clock point */
    int anchor_ok;                /* anchor set in this epoch, before the read */
    tendo_pod_session *list;
    size_t nlist;
    char athlete[64];
    uint64_t total, done_before; /* progress over this pod's downloads */
    int incomplete;              /* a recording stays unsynced: keep the pod's old anchor */
    int dead;                    /* stopped answering or unplugged: not asked again in this sync */
} pod_state;

typedef struct rec {
    size_t pod;
    const tendo_pod_session *s;
    tendo_pod_clock_map map;
} rec;

typedef struct engine {
    const tendo_sync_options *opt;
    char home[PATH_MAX];
    tendo_catalog *cat;
    tendo_usb *usb;
    pod_state *pods;
    size_t npods;
    rec *recs;
    size_t nrecs, recs_cap;
    tendo_sync_report *report;
} engine;

/* ----------------------------------------------------------- helpers */

/* Records a pod's first problem; later ones only count. */
static void pod_problem(pod_state *p, const tendo_error *e)
{
    if (p->out->code == TENDO_OK) {
        p->out->code = e->code ? e->code : TENDO_EINTERNAL;
        snprintf(p->out->message, sizeof p->out->message, "%s", e->msg);
    }
}

static int make_dir(const char *path, tendo_error *err)
{
    if (mkdir(path, 0755) == 0 || errno == EEXIST) {
        struct stat st;
        if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
            return TENDO_OK;
    }
    return tendo_error_set(err, TENDO_ECANTCREAT, "cannot create the folder %s: %s", path,
                           errno == EEXIST ? "a file is in the way" : strerror(errno));
}

/* mkdir -p: the default home (~/.local/share/tendo) may lack its parents. */
static int make_dirs(const char *path, tendo_error *err)
{
    char buf[PATH_MAX];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
        return tendo_error_set(err, TENDO_EUSAGE, "path too long: %.200s...", path);
    for (char *q = buf + 1; *q; q++)
        if (*q == '/') {
            *q = '\0';
            if (mkdir(buf, 0755) != 0 && errno != EEXIST)
                return tendo_error_set(err, TENDO_ECANTCREAT, "cannot create the folder %s: %s",
                                       buf, strerror(errno));
            *q = '/';
        }
    return make_dir(buf, err);
}

static int join(char *out, size_t cap, tendo_error *err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int join(char *out, size_t cap, tendo_error *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(out, cap, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= cap)
        return tendo_error_set(err, TENDO_EUSAGE, "path too long: %.200s...", out);
    return TENDO_OK;
}

static int64_t utc_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Spool of one recording. The "pod-" prefix keeps even a serial like ".."
 * (which the serial rule allows) from naming a folder outside the spool. */
static int spool_path(const engine *e, const char *serial, uint32_t session, char *out, size_t cap,
                      int create, tendo_error *err)
{
    char dir[PATH_MAX];
    int rc = join(dir, sizeof dir, err, "%s/spool/pod-%s", e->home, serial);
    if (rc == TENDO_OK && create)
        rc = make_dir(dir, err);
    if (rc == TENDO_OK)
        rc = join(out, cap, err, "%s/session-%u.bin", dir, session);
    return rc;
}

/* ------------------------------------------------------------- clock */

/* HOME/spool/pod-SERIAL/clock-EPOCH.txt keeps two clock points of a clock
 * epoch (the anchor and this sync's read), so recordings of that epoch can
 * still be mapped after the pod restarted in a new one (PROTOCOL.md 5: "an
 * earlier anchor of that epoch kept by the host"). */
static int clock_file_path(const engine *e, const char *serial, uint32_t epoch, char *out,
                           size_t cap)
{
    return join(out, cap, NULL, "%s/spool/pod-%s/clock-%u.txt", e->home, serial, epoch);
}

static void clock_file_save(const engine *e, const pod_state *p, const tendo_pod_clock_point *a)
{
    char dir[PATH_MAX], path[PATH_MAX], tmp[PATH_MAX + 8];
    if (join(dir, sizeof dir, NULL, "%s/spool/pod-%s", e->home, p->out->serial) ||
        make_dir(dir, NULL) ||
        clock_file_path(e, p->out->serial, p->clock.epoch, path, sizeof path) ||
        join(tmp, sizeof tmp, NULL, "%s.tmp", path))
        return;
    FILE *f = fopen(tmp, "w");
    if (!f)
        return;
    fprintf(f, "tendo-clock 1\nepoch %u\ntick_hz %u\nanchor %llu %lld %lld\nread %llu %lld %lld\n",
            p->clock.epoch, p->info.tick_hz, (unsigned long long)a->ticks, (long long)a->utc_us,
            (long long)a->unc_us, (unsigned long long)p->point.ticks, (long long)p->point.utc_us,
            (long long)p->point.unc_us);
    int ok = fflush(f) == 0 && fsync(fileno(f)) == 0;
    ok = (fclose(f) == 0) && ok;
    if (!ok || rename(tmp, path) != 0)
        unlink(tmp);
}

/* The two points kept for epoch; 0 when there is no usable file. */
static int clock_file_load(const engine *e, const pod_state *p, uint32_t epoch,
                           tendo_pod_clock_point *a, tendo_pod_clock_point *b)
{
    char path[PATH_MAX];
    if (clock_file_path(e, p->out->serial, epoch, path, sizeof path))
        return 0;
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    unsigned version = 0, ep = 0, hz = 0;
    unsigned long long at = 0, bt = 0;
    long long au = 0, aunc = 0, bu = 0, bunc = 0;
    int n =
        fscanf(f, "tendo-clock %u epoch %u tick_hz %u anchor %llu %lld %lld read %llu %lld %lld",
               &version, &ep, &hz, &at, &au, &aunc, &bt, &bu, &bunc);
    fclose(f);
    if (n != 9 || version != 1 || ep != epoch || hz != p->info.tick_hz || aunc < 0 || bunc < 0)
        return 0;
    *a = (tendo_pod_clock_point){.ticks = at, .utc_us = au, .unc_us = aunc};
    *b = (tendo_pod_clock_point){.ticks = bt, .utc_us = bu, .unc_us = bunc};
    return 1;
}

/* Pod ticks → UTC for one recording (PROTOCOL.md 5): through the pod's
 * anchor from the previous sync and this sync's read when the anchor
 * precedes the recording; for a recording of an earlier clock epoch,
 * through the points kept for that epoch; otherwise nominal rate through
 * the read. */
static int make_map(const engine *e, const pod_state *p, const tendo_pod_session *s,
                    tendo_pod_clock_map *map, int *anchored, tendo_error *err)
{
    *anchored = 0;
    if (s->clock_epoch != p->clock.epoch) {
        tendo_pod_clock_point a, b;
        if (clock_file_load(e, p, s->clock_epoch, &a, &b) && a.ticks <= s->start_ticks &&
            tendo_pod_clock_fit(&a, &b, p->info.tick_hz, map, NULL) == TENDO_OK) {
            *anchored = 1;
            return TENDO_OK;
        }
        return tendo_error_set(err, TENDO_EDATA,
                               "recording %u of pod %s was made before the pod's clock restarted "
                               "(clock epoch %u, now %u) and tendo kept no clock reading of "
                               "that epoch: its times cannot be mapped to UTC, so it stays on "
                               "the pod",
                               s->id, p->out->serial, s->clock_epoch, p->clock.epoch);
    }
    if (p->anchor_ok && p->clock.anchor_ticks <= s->start_ticks) {
        int rc = tendo_pod_clock_fit(&p->anchor, &p->point, p->info.tick_hz, map, err);
        if (rc) {
            tendo_error_prefix(err, "pod %s, recording %u: ", p->out->serial, s->id);
            return rc;
        }
        *anchored = 1;
        return TENDO_OK;
    }
    map->ref_ticks = p->point.ticks;
    map->ref_utc_us = p->point.utc_us;
    map->us_per_tick = 1e6 / p->info.tick_hz;
    map->drift_ppm = 0;
    map->ref_unc_us = (double)p->point.unc_us;
    map->slope_unc = UNANCHORED_DRIFT_BOUND * map->us_per_tick;
    return TENDO_OK;
}

/* Ticks of a recording's last sample, nominally (blocks may add gaps). */
static uint64_t nominal_end_ticks(const tendo_pod_session *s, uint32_t tick_hz)
{
    double span = (double)s->samples * tick_hz * 1000.0 / s->rate_mhz;
    return s->start_ticks + (uint64_t)span;
}

static int64_t map_one(const tendo_pod_clock_map *m, uint64_t ticks)
{
    int64_t utc = 0;
    if (tendo_pod_clock_to_utc(m, &ticks, 1, &utc, NULL) != TENDO_OK)
        return 0;
    return utc;
}

/* A recording stamped after this sync's clock read (a run "in the
 * future") was not made by a clock that counts forward: the pod's counter
 * went back without a new epoch, or its block times are damaged. Its map
 * would extrapolate past the read and its times would be guesses, so it is
 * refused and stays on the pod (SYNC.md "A recording after the clock
 * read"). One second of slack covers the nominal end, which ignores the
 * pod's drift against its IMU over the last block. */
static int after_clock_read(const pod_state *p, const tendo_pod_session *s,
                            const tendo_pod_clock_map *map, tendo_error *err)
{
    double ahead_s;
    if (s->clock_epoch == p->clock.epoch) {
        uint64_t end = nominal_end_ticks(s, p->info.tick_hz);
        uint64_t limit = p->point.ticks + p->info.tick_hz;
        if (s->start_ticks <= p->point.ticks && end <= limit)
            return TENDO_OK;
        uint64_t worst = s->start_ticks > p->point.ticks ? s->start_ticks : end;
        ahead_s = (double)(worst - p->point.ticks) / p->info.tick_hz;
    } else {
        int64_t end = map_one(map, nominal_end_ticks(s, p->info.tick_hz));
        if (end <= p->point.utc_us + 1000000)
            return TENDO_OK;
        ahead_s = (double)(end - p->point.utc_us) / 1e6;
    }
    return tendo_error_set(err, TENDO_EDATA,
                           "recording %u of pod %s is stamped %.0f s after the pod's own clock "
                           "now: a clock that counts forward cannot have made it (the pod's "
                           "clock went back, or the recording's times are damaged), so its "
                           "UTC cannot be known. It was not synced and stays on the pod; the "
                           "pod's other recordings were. tendo never erases it; have the pod's "
                           "clock and firmware checked",
                           s->id, p->out->serial, ahead_s);
}

/* --------------------------------------------------------- erase, anchor */

static void erase_recording(engine *e, pod_state *p, uint32_t id, uint64_t bytes, uint32_t crc)
{
    if (p->dead)
        return; /* stays committed: erased at the next sync */
    tendo_pod_erase_req req = {.session_id = id, .size_bytes = bytes, .crc32 = crc};
    tendo_pod_error_reply refusal;
    tendo_error err;
    tendo_error_clear(&err);
    int rc = tendo_usb_pod_erase(p->usb, &req, &refusal, &err);
    if (rc == TENDO_OK)
        p->out->erased++;
    else if (refusal.code == TENDO_POD_ST_NO_SESSION)
        rc = TENDO_OK; /* already gone: erased before a crash */
    if (rc == TENDO_OK) {
        tendo_error_clear(&err);
        rc = tendo_catalog_ledger_mark_erased(e->cat, p->out->serial, id, crc, &err);
    }
    if (rc) {
        tendo_error_prefix(&err, "recording %u is safe in the catalog but was not erased: ", id);
        pod_problem(p, &err);
    }
}

/* Anchors the pod's clock for its next run and remembers the anchor. */
static void anchor_pod(engine *e, pod_state *p)
{
    tendo_error err;
    tendo_error_clear(&err);
    /* The pod latches its counter when the request arrives, about half a
     * round trip after the host reads its clock. */
    int rc = tendo_usb_pod_clock_set(p->usb, utc_now_us() + p->point.unc_us, &err);
    tendo_pod_clock c = {0};
    tendo_pod_clock_point pt = {0};
    if (rc == TENDO_OK)
        rc = tendo_usb_pod_clock_get(p->usb, &c, &pt, &err);
    if (rc == TENDO_OK && (c.flags & TENDO_POD_CLOCK_ANCHORED))
        rc = tendo_catalog_pod_set_clock(e->cat, p->out->serial, c.anchor_ticks, c.anchor_utc_us,
                                         p->info.tick_hz, &err);
    if (rc) {
        tendo_error_prefix(&err, "anchoring the pod's clock for its next run: ");
        pod_problem(p, &err);
    }
}

/* ------------------------------------------------------------ prepare */

/* Removes what the pod's spool folder no longer needs: spools of recordings
 * that are synced or gone, clock files of epochs no recording has. */
static void spool_cleanup(const engine *e, size_t idx)
{
    const pod_state *p = &e->pods[idx];
    char dir[PATH_MAX];
    if (join(dir, sizeof dir, NULL, "%s/spool/pod-%s", e->home, p->out->serial))
        return;
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        unsigned v = 0;
        int end = 0, keep = 1;
        if (sscanf(de->d_name, "session-%u.bin%n", &v, &end) == 1 && !de->d_name[end]) {
            keep = 0;
            for (size_t i = 0; i < e->nrecs && !keep; i++)
                keep = e->recs[i].pod == idx && e->recs[i].s->id == v;
        } else if (sscanf(de->d_name, "clock-%u.txt%n", &v, &end) == 1 && !de->d_name[end]) {
            keep = v == p->clock.epoch;
            for (size_t i = 0; i < p->nlist && !keep; i++)
                keep = p->list[i].clock_epoch == v;
        }
        char path[PATH_MAX];
        if (!keep && join(path, sizeof path, NULL, "%s/%s", dir, de->d_name) == TENDO_OK)
            unlink(path);
    }
    closedir(d);
}

/* Sessions synced before the pod had an athlete become its athlete's
 * (SYNC.md): without one, `tendo add --pending` has no body mass for them. */
static int claim_sessions(engine *e, pod_state *p, tendo_error *err)
{
    tendo_catalog_synced *got = NULL;
    size_t n = 0;
    int rc = tendo_catalog_sync_claim(e->cat, p->out->serial, p->athlete, &got, &n, err);
    tendo_sync_report *r = e->report;
    tendo_sync_claim *more = n ? realloc(r->claimed, (r->nclaimed + n) * sizeof *r->claimed) : NULL;
    if (more)
        r->claimed = more;
    for (size_t i = 0; more && i < n; i++) {
        tendo_sync_claim *c = &r->claimed[r->nclaimed++];
        snprintf(c->session_id, sizeof c->session_id, "%s", got[i].session_id);
        snprintf(c->path, sizeof c->path, "%s", got[i].path);
        snprintf(c->athlete_id, sizeof c->athlete_id, "%s", got[i].athlete_id);
        snprintf(c->start_utc, sizeof c->start_utc, "%s", got[i].start_utc);
    }
    p->out->claimed += (unsigned)n;
    free(got);
    if (rc)
        tendo_error_prefix(err, "giving pod %s's earlier sessions to %s: ", p->out->serial,
                           p->athlete);
    return rc;
}

static const char *side_name(uint8_t side)
{
    return side == 0 ? "left" : side == 1 ? "right" : "";
}

/* INFO, clock, LIST and the ledger for one pod; queues its new recordings. */
static int prepare_pod(engine *e, size_t idx)
{
    pod_state *p = &e->pods[idx];
    tendo_sync_pod *o = p->out;
    tendo_error err;
    tendo_error_clear(&err);
    int rc = tendo_usb_pod_info(p->usb, &p->info, &err);
    if (rc == TENDO_OK) {
        snprintf(o->firmware, sizeof o->firmware, "%s", p->info.firmware);
        o->battery_pct = p->info.battery_pct <= 100 ? p->info.battery_pct : -1;
        snprintf(o->side, sizeof o->side, "%s", side_name(p->info.side));
        if (!o->side[0])
            rc = tendo_error_set(&err, TENDO_EDATA,
                                 "pod %s has no side (left/right) assigned, so its recordings "
                                 "cannot be placed; it was not synced",
                                 o->serial);
    }
    if (rc == TENDO_OK)
        rc = tendo_catalog_pod_seen(e->cat, o->serial, o->side, p->info.model, p->info.firmware,
                                    &err);
    if (rc == TENDO_OK && e->opt->athlete_id)
        rc = tendo_catalog_pod_set_athlete(e->cat, o->serial, e->opt->athlete_id, &err);
    tendo_catalog_pod known;
    if (rc == TENDO_OK && (rc = tendo_catalog_pod_get(e->cat, o->serial, &known, &err)) == 1) {
        snprintf(p->athlete, sizeof p->athlete, "%s", known.athlete_id);
        rc = TENDO_OK;
    }
    if (rc == TENDO_OK && p->athlete[0])
        rc = claim_sessions(e, p, &err);
    if (rc == TENDO_OK)
        rc = tendo_usb_pod_clock_get(p->usb, &p->clock, &p->point, &err);
    o->clock_unc_us = p->point.unc_us;
    if (rc == TENDO_OK && (p->clock.flags & TENDO_POD_CLOCK_ANCHORED) &&
        p->clock.anchor_ticks < p->point.ticks) {
        /* The anchor's uncertainty is one control round trip (PROTOCOL.md 5). */
        p->anchor = (tendo_pod_clock_point){.ticks = p->clock.anchor_ticks,
                                            .utc_us = p->clock.anchor_utc_us,
                                            .unc_us = 2 * p->point.unc_us + 1};
        p->anchor_ok = 1;
        clock_file_save(e, p, &p->anchor);
    }
    if (rc == TENDO_OK) {
        p->list = malloc(TENDO_POD_MAX_SESSIONS * sizeof *p->list);
        rc = p->list ? tendo_usb_pod_list(p->usb, p->list, &p->nlist, &err)
                     : tendo_error_set(&err, TENDO_EINTERNAL, "out of memory");
    }
    if (rc) {
        pod_problem(p, &err);
        return rc;
    }
    o->listed = (unsigned)p->nlist;

    /* Recordings the ledger holds as committed that the pod no longer
     * lists were erased just before a crash (PROTOCOL.md 2.5). */
    tendo_ledger_entry *kept = NULL;
    size_t nkept = 0;
    if (tendo_catalog_ledger_unerased(e->cat, o->serial, &kept, &nkept, &err) == TENDO_OK) {
        for (size_t k = 0; k < nkept; k++) {
            int listed = 0;
            for (size_t i = 0; i < p->nlist && !listed; i++)
                listed = p->list[i].id == kept[k].pod_session && p->list[i].crc32 == kept[k].crc32;
            if (!listed)
                tendo_catalog_ledger_mark_erased(e->cat, o->serial, kept[k].pod_session,
                                                 kept[k].crc32, &err);
        }
        free(kept);
    }

    for (size_t i = 0; i < p->nlist; i++) {
        const tendo_pod_session *s = &p->list[i];
        if (s->flags & TENDO_POD_SESSION_RECORDING) {
            p->incomplete = 1; /* synced next time, once finished */
            continue;
        }
        tendo_ledger_entry le;
        tendo_error_clear(&err);
        int state = tendo_catalog_ledger_lookup(e->cat, o->serial, s->id, s->crc32, &le, &err);
        if (state < 0) {
            pod_problem(p, &err);
            p->incomplete = 1;
            continue;
        }
        if (state != TENDO_LEDGER_NONE && le.bytes == s->size_bytes) {
            o->already++;
            if (!e->opt->keep)
                erase_recording(e, p, s->id, le.bytes, le.crc32);
            continue;
        }
        rec r = {.pod = idx, .s = s};
        int anchored = 0;
        if (make_map(e, p, s, &r.map, &anchored, &err) != TENDO_OK ||
            after_clock_read(p, s, &r.map, &err) != TENDO_OK) {
            pod_problem(p, &err);
            o->failed++;
            p->incomplete = 1;
            continue;
        }
        if (anchored)
            o->anchored = 1;
        o->drift_ppm = r.map.drift_ppm;
        rec *more = tendo_array_reserve(e->recs, &e->recs_cap, e->nrecs, sizeof *e->recs, 16);
        if (!more) {
            tendo_error_set(&err, TENDO_EINTERNAL, "out of memory");
            pod_problem(p, &err);
            return TENDO_EINTERNAL;
        }
        e->recs = more;
        e->recs[e->nrecs++] = r;
        p->total += s->size_bytes;
    }
    if (o->code == TENDO_OK)
        spool_cleanup(e, idx);
    return TENDO_OK;
}

/* -------------------------------------------------------------- files */

/* The session id of a file of synced recordings: derived from what
 * identifies them forever (pod serial, pod session id, CRC-32; PROTOCOL.md
 * 2.3), so syncing the same recordings again can never register a second
 * session. Four CRC-32s of the identity with different salts fill 128 bits. */
/* What identifies one recording forever (PROTOCOL.md 2.3). */
typedef struct member {
    char serial[64];
    uint32_t id, crc;
} member;

static void derive_id(const member *mem, size_t n, char out[40])
{
    uint8_t bytes[16];
    for (unsigned k = 0; k < 4; k++) {
        char salt[24];
        snprintf(salt, sizeof salt, "tendo.sync.%u", k);
        uLong c = crc32(0L, (const Bytef *)salt, (uInt)strlen(salt));
        for (size_t i = 0; i < n; i++) {
            char part[128];
            int len =
                snprintf(part, sizeof part, "|%s|%u|%08x", mem[i].serial, mem[i].id, mem[i].crc);
            c = crc32(c, (const Bytef *)part, (uInt)len);
        }
        for (unsigned b = 0; b < 4; b++)
            bytes[4 * k + b] = (uint8_t)(c >> (8 * b));
    }
    tendo_session_id_format(bytes, out);
}

static void pod_meta_of(const pod_state *p, const tendo_pod_session *s, tendo_pod_meta *m)
{
    tendo_pod_meta_default(m);
    snprintf(m->serial, sizeof m->serial, "%s", p->out->serial);
    m->side = p->info.side == 1 ? TENDO_SIDE_RIGHT : TENDO_SIDE_LEFT;
    m->placement = p->info.placement == 1 ? TENDO_PLACEMENT_SHANK : TENDO_PLACEMENT_FOOT;
    m->sample_rate_hz = s->rate_mhz / 1000.0;
    snprintf(m->model, sizeof m->model, "%s", p->info.model);
    snprintf(m->firmware, sizeof m->firmware, "%s", p->info.firmware);
    m->accel_range_g = s->accel_range_g;
    m->gyro_range_dps = s->gyro_range_dps;
    m->has_gyro = 1;
    m->storage = TENDO_STORE_INT16;
    /* PROTOCOL.md 4: full scale is 2^15 counts. */
    m->accel_conversion = s->accel_range_g * G0 / 32768.0;
    m->gyro_conversion = s->gyro_range_dps * (3.14159265358979323846 / 180.0) / 32768.0;
}

typedef struct progress_ctx {
    engine *e;
    pod_state *p;
} progress_ctx;

static void on_progress(void *ctx, uint64_t done)
{
    progress_ctx *c = ctx;
    if (!c->e->opt->progress)
        return;
    tendo_sync_progress pr = {
        .serial = c->p->out->serial, .done = c->p->done_before + done, .total = c->p->total};
    c->e->opt->progress(c->e->opt->progress_ctx, &pr);
}

/* Downloads one recording into the open writer and checks the pod's clock
 * ran steadily meanwhile. */
static int download_one(engine *e, rec *r, tendo_writer *w, size_t pod_index, uint64_t *samples,
                        int64_t *first_us, int64_t *last_us, tendo_error *err)
{
    pod_state *p = &e->pods[r->pod];
    char spool[PATH_MAX];
    int rc = spool_path(e, p->out->serial, r->s->id, spool, sizeof spool, 1, err);
    if (rc)
        return rc;
    progress_ctx pc = {e, p};
    sync_download d = {.pod = p->usb,
                       .usb = e->usb,
                       .session = r->s,
                       .tick_hz = p->info.tick_hz,
                       .map = &r->map,
                       .allow_zlib = !e->opt->plain,
                       .spool_path = spool,
                       .writer = w,
                       .pod_index = pod_index,
                       .progress = on_progress,
                       .progress_ctx = &pc,
                       .replug_wait_ms = e->opt->replug_wait_s * 1000};
    rc = sync_download_run(&d, err);
    p->done_before += r->s->size_bytes;
    p->out->bytes += d.bytes - d.resumed_bytes;
    p->out->resumed += d.resumed_bytes;
    if (d.attempts > 1)
        p->out->link_retries += d.attempts - 1;
    if (rc) {
        tendo_error_prefix(err, "recording %u of pod %s: ", r->s->id, p->out->serial);
        return rc;
    }
    /* The bracket: a second clock read must agree with the map. */
    tendo_pod_clock c = {0};
    tendo_pod_clock_point pt = {0};
    rc = tendo_usb_pod_clock_get(p->usb, &c, &pt, err);
    /* A pod that restarted (a reset, a flat battery) counts from 0 in a new
     * epoch: the map made before still holds for this recording's ticks,
     * there is just no second point of its epoch to check it against. */
    if (rc == TENDO_OK && c.epoch == r->s->clock_epoch &&
        (rc = tendo_pod_clock_check(&r->map, &pt, err)) != TENDO_OK)
        tendo_error_prefix(err, "pod %s, recording %u (kept on the pod): ", p->out->serial,
                           r->s->id);
    *samples = d.samples;
    *first_us = d.first_us;
    *last_us = d.last_us;
    return rc;
}

/* Registers the file and its new recordings in one transaction; for a
 * merge, in the same transaction, retires the one-pod session it replaces
 * (its ledger row, flags, reviews and capacity tests move to the new one). */
static int register_file(engine *e, rec *const *m, size_t n, const tendo_sync_file *f,
                         const char *athlete, const tendo_catalog_synced *old, tendo_error *err)
{
    tendo_catalog_session cs;
    memset(&cs, 0, sizeof cs);
    snprintf(cs.id, sizeof cs.id, "%s", f->session_id);
    snprintf(cs.path, sizeof cs.path, "%s", f->path);
    snprintf(cs.athlete_id, sizeof cs.athlete_id, "%s", athlete);
    tendo_time_format_iso(f->start_us, cs.start_utc, sizeof cs.start_utc);
    cs.duration_s = f->duration_s;
    snprintf(cs.source, sizeof cs.source, "sync");
    int rc = tendo_catalog_begin(e->cat, err);
    if (rc)
        return rc;
    rc = tendo_catalog_session_add(e->cat, &cs, err);
    if (rc == TENDO_OK && old)
        rc = tendo_catalog_session_retire(e->cat, old->session_id, f->session_id, err);
    for (size_t i = 0; rc == TENDO_OK && i < n; i++) {
        tendo_ledger_entry le;
        memset(&le, 0, sizeof le);
        snprintf(le.pod_serial, sizeof le.pod_serial, "%s", e->pods[m[i]->pod].out->serial);
        le.pod_session = m[i]->s->id;
        le.crc32 = m[i]->s->crc32; /* = the host's CRC: the download checked they agree */
        le.bytes = m[i]->s->size_bytes;
        snprintf(le.session_id, sizeof le.session_id, "%s", f->session_id);
        rc = tendo_catalog_ledger_record(e->cat, &le, err);
    }
    if (rc == TENDO_OK)
        rc = tendo_catalog_commit(e->cat, err);
    if (rc)
        tendo_catalog_rollback(e->cat);
    return rc;
}

/* ------------------------------------------------------------ merging */

/* A late second pod (SYNC.md): the registered one-pod session of the same
 * athlete whose pod is the other side and whose UTC span overlaps r's most.
 * 1 and *old filled when there is one (its file present), else 0. */
static int find_lone_partner(engine *e, const rec *r, int64_t start_us, int64_t end_us,
                             tendo_catalog_synced *old)
{
    const pod_state *p = &e->pods[r->pod];
    tendo_catalog_synced *c = NULL;
    size_t n = 0;
    tendo_error err;
    tendo_error_clear(&err);
    if (tendo_catalog_sync_lone(e->cat, p->info.side == 1 ? "left" : "right", p->athlete, &c, &n,
                                &err) != TENDO_OK)
        return 0; /* no merge: the recording still gets a file of its own */
    int64_t best = 0;
    size_t pick = n;
    for (size_t i = 0; i < n; i++) {
        int64_t t0 = 0;
        if (!strcmp(c[i].rec.pod_serial, p->out->serial) ||
            tendo_time_parse_iso(c[i].start_utc, &t0, NULL) != TENDO_OK ||
            access(c[i].path, R_OK) != 0)
            continue;
        int64_t t1 = t0 + (int64_t)(c[i].duration_s * 1e6);
        int64_t lo = t0 > start_us ? t0 : start_us, hi = t1 < end_us ? t1 : end_us;
        if (hi > lo && hi - lo > best) {
            best = hi - lo;
            pick = i;
        }
    }
    if (pick < n)
        *old = c[pick];
    free(c);
    return pick < n;
}

/* HOME/spool/retire-ID.txt names the file of a one-pod session that a
 * merge retires. Written before the catalog transaction, removed after
 * the file: a sync killed between the two finds it and finishes the job
 * (retire_finish), so the old file never outlives its session. */
static int retire_marker(const engine *e, const char *id, char *out, size_t cap)
{
    return join(out, cap, NULL, "%s/spool/retire-%s.txt", e->home, id);
}

static int retire_marker_write(const engine *e, const tendo_catalog_synced *old, char *path,
                               size_t cap, tendo_error *err)
{
    char tmp[PATH_MAX + 8];
    if (retire_marker(e, old->session_id, path, cap) || join(tmp, sizeof tmp, err, "%s.tmp", path))
        return tendo_error_set(err, TENDO_EUSAGE, "path too long: %.200s", e->home);
    FILE *f = fopen(tmp, "w");
    int ok = f && fprintf(f, "tendo-retire 1\n%s\n%s\n", old->session_id, old->path) > 0;
    ok = f && fflush(f) == 0 && fsync(fileno(f)) == 0 && ok;
    ok = f && fclose(f) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        int saved = errno;
        unlink(tmp);
        return tendo_error_set(err, TENDO_EIO, "cannot write %s: %s", path, strerror(saved));
    }
    return TENDO_OK;
}

/* Removes the file a committed merge retired; the marker last. */
static void retire_done(const char *file, const char *marker)
{
    unlink(file);
    unlink(marker);
}

/* After a crash: markers whose session the catalog no longer holds had
 * their transaction committed, so their old file goes; the others had not
 * (the merge is redone from the pod), so only the marker goes. */
static void retire_finish(engine *e)
{
    char dir[PATH_MAX], sessions[PATH_MAX];
    if (join(dir, sizeof dir, NULL, "%s/spool", e->home) ||
        join(sessions, sizeof sessions, NULL, "%s/sessions/", e->home))
        return;
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        char marker[PATH_MAX], id[64] = "", file[PATH_MAX] = "";
        unsigned version = 0;
        if (strncmp(de->d_name, "retire-", 7) != 0 ||
            join(marker, sizeof marker, NULL, "%s/%s", dir, de->d_name))
            continue;
        size_t len = strlen(de->d_name);
        if (len > 4 && !strcmp(de->d_name + len - 4, ".tmp")) {
            unlink(marker); /* never renamed: its transaction never began */
            continue;
        }
        FILE *f = fopen(marker, "r");
        if (!f)
            continue;
        char head[32] = "";
        int got = fgets(head, sizeof head, f) && sscanf(head, "tendo-retire %u", &version) == 1 &&
                  fgets(id, sizeof id, f) && fgets(file, sizeof file, f);
        fclose(f);
        id[strcspn(id, "\n")] = '\0';
        file[strcspn(file, "\n")] = '\0';
        int gone = got && version == 1 && id[0] && file[0] &&
                   tendo_catalog_session_exists(e->cat, id, file, NULL) == 0;
        /* Only a file of tendo's own sessions folder is ever removed. */
        if (gone && !strncmp(file, sessions, strlen(sessions)) && !strstr(file, "/../"))
            unlink(file);
        unlink(marker);
    }
    closedir(d);
}

/* Copies the samples of the old session's pod into the new file: raw
 * counts, times and status as stored (bit for bit), verified with the rest
 * at commit. */
static int copy_pod(tendo_reader *rd, tendo_writer *w, size_t index, uint64_t *samples,
                    int64_t *first, int64_t *last, tendo_error *err)
{
    enum { WINDOW = TENDO_SESSION_CHUNK_ROWS };
    const tendo_pod_meta *pm = tendo_reader_pod(rd, 0);
    size_t elem = pm->storage == TENDO_STORE_INT16 ? sizeof(int16_t) : sizeof(float);
    int64_t total = tendo_reader_sample_count(rd, 0);
    int64_t *time = malloc(WINDOW * sizeof *time);
    void *accel = malloc(WINDOW * 3 * elem), *gyro = malloc(WINDOW * 3 * elem);
    uint8_t *status = malloc(WINDOW);
    int rc = time && accel && gyro && status
                 ? TENDO_OK
                 : tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
    for (int64_t at = 0; rc == TENDO_OK && at < total; at += WINDOW) {
        tendo_block blk = {(size_t)(total - at < WINDOW ? total - at : WINDOW), time, accel,
                           pm->has_gyro ? gyro : NULL, status};
        rc = tendo_reader_read_raw(rd, 0, at, &blk, err);
        if (rc == TENDO_OK)
            rc = tendo_writer_append(w, index, &blk, err);
        if (rc == TENDO_OK && at == 0)
            *first = time[0];
        if (rc == TENDO_OK)
            *last = time[blk.n - 1];
    }
    *samples = total > 0 ? (uint64_t)total : 0;
    free(time);
    free(accel);
    free(gyro);
    free(status);
    return rc;
}

/* Opens the old session's file and checks it is what the catalog says:
 * its session id, one pod, the ledger's serial. */
static int open_old(const tendo_catalog_synced *old, tendo_reader **rd, tendo_error *err)
{
    int rc = tendo_reader_open(rd, old->path, err);
    if (rc)
        return rc;
    const tendo_session_meta *meta = tendo_reader_meta(*rd);
    if (strcmp(meta->session_id, old->session_id) || tendo_reader_pod_count(*rd) != 1 ||
        strcmp(tendo_reader_pod(*rd, 0)->serial, old->rec.pod_serial) ||
        tendo_reader_sample_count(*rd, 0) < 1) {
        tendo_reader_close(*rd);
        *rd = NULL;
        return tendo_error_set(err, TENDO_EDATA,
                               "%s is not the one-pod session %s of pod %s the catalog "
                               "registered",
                               old->path, old->session_id, old->rec.pod_serial);
    }
    return TENDO_OK;
}

static int file_path(const engine *e, const member *mem, size_t n, int64_t start_us, char *out,
                     size_t cap, tendo_error *err)
{
    time_t t = (time_t)(start_us / 1000000);
    struct tm tm;
    gmtime_r(&t, &tm);
    char dir[PATH_MAX];
    int rc = join(dir, sizeof dir, err, "%s/sessions/%04d-%02d-%02d", e->home, tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday);
    if (rc == TENDO_OK)
        rc = make_dir(dir, err);
    char name[256];
    int len = snprintf(name, sizeof name, "%02d%02d%02d", tm.tm_hour, tm.tm_min, tm.tm_sec);
    for (size_t i = 0; i < n && len > 0 && (size_t)len < sizeof name; i++)
        len += snprintf(name + len, sizeof name - (size_t)len, "_%s-%u", mem[i].serial, mem[i].id);
    if (rc == TENDO_OK)
        rc = join(out, cap, err, "%s/%s.h5", dir, name);
    return rc;
}

/* One session file from one or two new recordings (left first), or, when
 * old is given, from one new recording and the pod of the registered
 * one-pod session old (the other foot), which the file then replaces. */
static void write_group(engine *e, rec **m, size_t n, const tendo_catalog_synced *old)
{
    tendo_error err;
    tendo_error_clear(&err);
    tendo_reader *rd = NULL;
    int rc = old ? open_old(old, &rd, &err) : TENDO_OK;
    if (rc) {
        /* Not the file the catalog knows: no merge, nothing lost. */
        tendo_error_clear(&err);
        old = NULL;
        rc = TENDO_OK;
    }
    /* Slots in file order, left first: a new recording or the old pod. */
    rec *slot[2] = {NULL, NULL};
    member mem[2];
    size_t nslots = n + (old != NULL);
    size_t old_slot = (size_t)-1;
    int64_t start = INT64_MAX;
    for (size_t i = 0; i < n; i++)
        slot[i] = m[i];
    if (old) {
        old_slot = e->pods[m[0]->pod].info.side == 1 ? 0 : 1;
        slot[old_slot] = NULL;
        slot[1 - old_slot] = m[0];
        snprintf(mem[old_slot].serial, sizeof mem[old_slot].serial, "%s", old->rec.pod_serial);
        mem[old_slot].id = old->rec.pod_session;
        mem[old_slot].crc = old->rec.crc32;
        tendo_block one = {1, &start, NULL, NULL, NULL};
        tendo_reader_read_raw(rd, 0, 0, &one, NULL); /* the old pod's first sample */
    }
    for (size_t i = 0; i < nslots; i++) {
        if (!slot[i])
            continue;
        snprintf(mem[i].serial, sizeof mem[i].serial, "%s", e->pods[slot[i]->pod].out->serial);
        mem[i].id = slot[i]->s->id;
        mem[i].crc = slot[i]->s->crc32;
        int64_t s0 = map_one(&slot[i]->map, slot[i]->s->start_ticks);
        start = s0 < start ? s0 : start;
    }
    tendo_sync_file f;
    memset(&f, 0, sizeof f);
    f.npods = nslots;
    f.start_us = start;
    /* A merged file gets the id a sync of both pods together would give. */
    derive_id(mem, nslots, f.session_id);
    if (old) {
        snprintf(f.replaced_id, sizeof f.replaced_id, "%s", old->session_id);
        snprintf(f.replaced_path, sizeof f.replaced_path, "%s", old->path);
    }
    rc = file_path(e, mem, nslots, start, f.path, sizeof f.path, &err);
    const char *athlete = e->pods[m[0]->pod].athlete;
    snprintf(f.athlete_id, sizeof f.athlete_id, "%s", athlete);
    tendo_writer *w = NULL;
    if (rc == TENDO_OK) {
        int known = tendo_catalog_session_exists(e->cat, f.session_id, f.path, &err);
        if (known == 1)
            rc = tendo_error_set(&err, TENDO_EDATA,
                                 "session %s (%s) is registered but the sync ledger does not "
                                 "hold its recordings: the catalog was changed by hand? "
                                 "(tendo checks it with PRAGMA integrity_check)",
                                 f.session_id, f.path);
        else if (known < 0)
            rc = known;
    }
    if (rc == TENDO_OK) {
        tendo_session_meta meta;
        memset(&meta, 0, sizeof meta);
        snprintf(meta.session_id, sizeof meta.session_id, "%s", f.session_id);
        snprintf(meta.athlete_id, sizeof meta.athlete_id, "%s", athlete);
        snprintf(meta.source, sizeof meta.source, "sync");
        meta.start_time_us = start;
        /* A file already under this name is not registered (checked above):
         * a sync died between the rename and the catalog. Replace it. */
        int orphan = access(f.path, F_OK) == 0;
        rc = tendo_writer_open(&w, f.path, &meta, orphan, &err);
    }
    size_t index[2] = {0, 0};
    for (size_t i = 0; rc == TENDO_OK && i < nslots; i++) {
        tendo_pod_meta pm;
        if (slot[i])
            pod_meta_of(&e->pods[slot[i]->pod], slot[i]->s, &pm);
        else
            pm = *tendo_reader_pod(rd, 0);
        rc = tendo_writer_add_pod(w, &pm, &index[i], &err);
    }
    int64_t first = INT64_MAX, last = INT64_MIN;
    size_t failed_member = (size_t)-1;
    double t0 = tendo_monotonic_s();
    for (size_t i = 0; rc == TENDO_OK && i < nslots; i++) {
        int64_t a = 0, b = 0;
        if (!slot[i]) {
            rc = copy_pod(rd, w, index[i], &f.samples[i], &a, &b, &err);
            if (rc)
                tendo_error_prefix(&err, "copying %s into the two-pod session: ", old->path);
        } else {
            pod_state *p = &e->pods[slot[i]->pod];
            if (p->dead) {
                rc = tendo_error_set(&err, TENDO_EUNAVAIL,
                                     "recording %u of pod %s was not downloaded: the pod "
                                     "stopped answering earlier in this sync; plug it in again "
                                     "and rerun",
                                     slot[i]->s->id, p->out->serial);
                failed_member = i;
                break;
            }
            rc = download_one(e, slot[i], w, index[i], &f.samples[i], &a, &b, &err);
            if (rc) {
                failed_member = i;
                /* A pod that timed out or vanished would only time out again. */
                if (rc == TENDO_EUNAVAIL)
                    p->dead = 1;
            } else {
                uint64_t end = nominal_end_ticks(slot[i]->s, p->info.tick_hz);
                double e0 = tendo_pod_clock_error_us(&slot[i]->map, slot[i]->s->start_ticks);
                double e1 = tendo_pod_clock_error_us(&slot[i]->map, end);
                double worst = e0 > e1 ? e0 : e1;
                f.time_error_us = worst > f.time_error_us ? worst : f.time_error_us;
            }
        }
        if (rc == TENDO_OK) {
            first = a < first ? a : first;
            last = b > last ? b : last;
        }
    }
    if (rd)
        tendo_reader_close(rd);
    double t1 = tendo_monotonic_s();
    f.download_s = t1 - t0;
    if (rc == TENDO_OK) {
        rc = tendo_writer_commit(w, &err);
        w = NULL;
        f.commit_s = tendo_monotonic_s() - t1;
        if (rc)
            tendo_error_prefix(&err, "the pods keep their data: ");
    }
    char marker[PATH_MAX] = "";
    if (rc == TENDO_OK && old)
        rc = retire_marker_write(e, old, marker, sizeof marker, &err);
    if (rc == TENDO_OK) {
        f.duration_s = (double)(last - first) / 1e6;
        rc = register_file(e, m, n, &f, athlete, old, &err);
        if (rc)
            tendo_error_prefix(&err,
                               "%s could not be registered, the pods keep their data: ", f.path);
    }
    if (rc && f.path[0] && w == NULL && access(f.path, F_OK) == 0 &&
        tendo_catalog_session_exists(e->cat, f.session_id, f.path, NULL) == 0)
        unlink(f.path); /* not registered: it must not look synced */
    if (rc && marker[0])
        unlink(marker);
    if (rc == TENDO_OK && old)
        retire_done(old->path, marker);
    if (w)
        tendo_writer_abort(w);
    if (rc) {
        for (size_t i = 0; i < n; i++) {
            pod_state *p = &e->pods[m[i]->pod];
            p->out->failed++;
            p->incomplete = 1;
            if (i == failed_member || failed_member == (size_t)-1 || n == 1) {
                pod_problem(p, &err);
            } else {
                tendo_error partner;
                tendo_error_clear(&partner);
                tendo_error_set(&partner, err.code, "recording %u waits for its other foot: %s",
                                m[i]->s->id, err.msg);
                pod_problem(p, &partner);
            }
        }
        return;
    }
    for (size_t i = 0; i < nslots; i++) {
        if (!slot[i]) {
            snprintf(f.serial[i], sizeof f.serial[i], "%s", old->rec.pod_serial);
            snprintf(f.side[i], sizeof f.side[i], "%s", i == 0 ? "left" : "right");
            f.pod_session[i] = old->rec.pod_session;
            continue;
        }
        pod_state *p = &e->pods[slot[i]->pod];
        char spool[PATH_MAX];
        if (spool_path(e, p->out->serial, slot[i]->s->id, spool, sizeof spool, 0, NULL) == TENDO_OK)
            unlink(spool);
        snprintf(f.serial[i], sizeof f.serial[i], "%s", p->out->serial);
        snprintf(f.side[i], sizeof f.side[i], "%s", p->out->side);
        f.pod_session[i] = slot[i]->s->id;
        p->out->synced++;
    }
    tendo_sync_report *r = e->report;
    tendo_sync_file *more = realloc(r->files, (r->nfiles + 1) * sizeof *r->files);
    if (more) {
        r->files = more;
        r->files[r->nfiles++] = f;
    }
    if (!e->opt->keep)
        for (size_t i = 0; i < n; i++)
            erase_recording(e, &e->pods[m[i]->pod], m[i]->s->id, m[i]->s->size_bytes,
                            m[i]->s->crc32);
}

/* ---------------------------------------------------------------- run */

static int open_pods(engine *e, tendo_usb_found **found, size_t *nfound, tendo_error *err)
{
    int rc = tendo_usb_open(&e->usb, err);
    if (rc == TENDO_OK)
        rc = tendo_usb_find(e->usb, found, nfound, err);
    if (rc)
        return rc;
    if (*nfound == 0)
        return tendo_usb_no_pod(e->usb, "sync", err);
    e->report->pods = calloc(*nfound, sizeof *e->report->pods);
    e->pods = calloc(*nfound, sizeof *e->pods);
    if (!e->report->pods || !e->pods)
        return tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
    e->npods = e->report->npods = *nfound;
    for (size_t i = 0; i < *nfound; i++) {
        tendo_usb_found *f = &(*found)[i];
        pod_state *p = &e->pods[i];
        p->out = &e->report->pods[i];
        p->out->battery_pct = -1;
        snprintf(p->out->where, sizeof p->out->where, "bus %u device %u", f->bus, f->address);
        if (!f->pod) {
            p->out->code = f->code;
            snprintf(p->out->message, sizeof p->out->message, "%s", f->problem);
            continue;
        }
        p->usb = f->pod;
        snprintf(p->out->serial, sizeof p->out->serial, "%s", tendo_usb_pod_serial(f->pod));
    }
    /* Two pods with one serial would share a spool and ledger rows. */
    for (size_t i = 0; i < e->npods; i++)
        for (size_t j = i + 1; j < e->npods; j++)
            if (e->pods[i].usb && e->pods[j].usb &&
                !strcmp(e->pods[i].out->serial, e->pods[j].out->serial)) {
                tendo_error dup;
                tendo_error_clear(&dup);
                tendo_error_set(&dup, TENDO_EDATA,
                                "two attached pods both call themselves %s (%s and %s): neither "
                                "was synced; unplug one and run tendo sync again",
                                e->pods[i].out->serial, e->pods[i].out->where,
                                e->pods[j].out->where);
                pod_problem(&e->pods[i], &dup);
                pod_problem(&e->pods[j], &dup);
            }
    return TENDO_OK;
}

int tendo_sync_run(const tendo_sync_options *opt, tendo_sync_report *report, tendo_error *err)
{
    memset(report, 0, sizeof *report);
    engine e;
    memset(&e, 0, sizeof e);
    e.opt = opt;
    e.report = report;
    tendo_usb_found *found = NULL;
    size_t nfound = 0;
    char sub[PATH_MAX];
    /* Pods first: without one, nothing is created. */
    int rc = open_pods(&e, &found, &nfound, err);
    if (rc == TENDO_OK)
        rc = join(e.home, sizeof e.home, err, "%s", opt->home);
    if (rc == TENDO_OK)
        rc = make_dirs(e.home, err);
    if (rc == TENDO_OK && (rc = join(sub, sizeof sub, err, "%s/sessions", e.home)) == TENDO_OK)
        rc = make_dir(sub, err);
    if (rc == TENDO_OK && (rc = join(sub, sizeof sub, err, "%s/spool", e.home)) == TENDO_OK)
        rc = make_dir(sub, err);
    if (rc == TENDO_OK)
        rc = tendo_catalog_open(e.home, &e.cat, err);
    if (rc == TENDO_OK && opt->athlete_id) {
        tendo_athlete a;
        rc = tendo_catalog_athlete_get(e.cat, opt->athlete_id, &a, err);
    }
    if (rc == TENDO_OK)
        retire_finish(&e);

    for (size_t i = 0; rc == TENDO_OK && i < e.npods; i++)
        if (e.pods[i].usb && e.pods[i].out->code == TENDO_OK)
            prepare_pod(&e, i);

    sync_item *items = rc == TENDO_OK ? calloc(e.nrecs + 1, sizeof *items) : NULL;
    if (rc == TENDO_OK && !items)
        rc = tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
    if (rc == TENDO_OK) {
        for (size_t i = 0; i < e.nrecs; i++) {
            const pod_state *p = &e.pods[e.recs[i].pod];
            items[i].pod = e.recs[i].pod;
            items[i].right = p->info.side == 1;
            items[i].athlete = p->athlete;
            items[i].start_us = map_one(&e.recs[i].map, e.recs[i].s->start_ticks);
            items[i].end_us =
                map_one(&e.recs[i].map, nominal_end_ticks(e.recs[i].s, p->info.tick_hz));
        }
        size_t groups = sync_plan_pairs(items, e.nrecs);
        for (size_t g = 0; g < groups; g++) {
            rec *m[2] = {NULL, NULL};
            size_t n = 0;
            for (size_t i = 0; i < e.nrecs && n < 2; i++)
                if (items[i].group == g)
                    m[n++] = &e.recs[i];
            if (n == 2 && items[m[0] - e.recs].right) {
                rec *t = m[0];
                m[0] = m[1];
                m[1] = t;
            }
            tendo_catalog_synced old;
            const sync_item *it = n == 1 ? &items[m[0] - e.recs] : NULL;
            if (it && find_lone_partner(&e, m[0], it->start_us, it->end_us, &old))
                write_group(&e, m, 1, &old);
            else if (n)
                write_group(&e, m, n, NULL);
        }
        for (size_t i = 0; i < e.npods; i++)
            if (e.pods[i].usb && e.pods[i].out->code == TENDO_OK && !e.pods[i].incomplete)
                anchor_pod(&e, &e.pods[i]);
        for (size_t i = 0; i < e.npods && rc == TENDO_OK; i++)
            if (e.pods[i].out->code != TENDO_OK)
                rc = tendo_error_set(err, e.pods[i].out->code, "%s", e.pods[i].out->message);
    }
    free(items);
    for (size_t i = 0; i < e.npods; i++)
        free(e.pods[i].list);
    free(e.pods);
    free(e.recs);
    tendo_usb_found_free(found, nfound);
    tendo_usb_close(e.usb);
    tendo_catalog_close(e.cat);
    return rc;
}

void tendo_sync_report_free(tendo_sync_report *report)
{
    free(report->pods);
    free(report->files);
    free(report->claimed);
    memset(report, 0, sizeof *report);
}
