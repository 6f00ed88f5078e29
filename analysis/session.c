/*
 * session.c — from the strides of every pod to the session's steps, bouts
 * (rest / walk / run) and headline numbers.
 *
 * A stride (gait.c) ends with a contact: each becomes a step carrying that
 * contact's timing and the stride's speed, length and height change. Steps
 * of both feet are merged in time for the two-foot measures (cadence from
 * alternate contacts, flight from the other foot's toe-off). No samples are
 * kept. Each pod's strides (with their sensor-error sensitivities, ~0.5 KB
 * each) wait in a record list until finish reads them back: each pod's
 * list for its sensor errors, then all lists merged by contact time into
 * the steps. Where the lists live is the caller's choice
 * (tendo_an_session_options.records, common/tendo_records.h): in memory by
 * default, or, as the command line does, in bounded memory with older
 * records in a temporary file (tendo_spill_records), so that memory is the
 * step rows (~150 bytes per step) whatever the session's length. This
 * library itself does no file I/O.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tendo_array.h"
#include "tendo_records.h"
#include "an_internal.h"
#include "an_load.h"
#include "tendo_analysis.h"

/* A rest is a pause of more than 2 s between one step's toe-off and the
 * next contact of either foot: longer than any swing (≤ ~0.7 s even in slow
 * walking; Perry & Burnfield 2010) or a slow stride of one foot (~1.6 s). */
#define REST_GAP_S 2.0
/* Walk/run per step is smoothed by a majority over 5 consecutive steps so a
 * single ambiguous contact at the walk-run boundary does not cut a bout. */
#define KIND_SMOOTH 5
/* Footstrike classes by sole angle at contact (Altman & Davis 2012, Gait
 * Posture 35:298): rearfoot > 8.0°, midfoot -1.6° to 8.0°, forefoot < -1.6°. */
#define REAR_MIN_DEG 8.0
#define FORE_MAX_DEG -1.6
/* Ascent and descent count climbs and descents between turning points that
 * are at least 1 m apart (hysteresis, as barometric altimeters count
 * elevation gain), so that per-stride noise on the flat adds nothing. */
#define ELEV_HYST_M 1.0
/* A contact is the one a later stride of the same foot pushes off from if
 * that stride's toe-off falls within 2.5 s after it (the longest contact
 * plus a slack). */
#define LINK_S   2.5
#define DAMAGE_K 5.0

typedef struct entry {
    int pod, side;
    size_t seq; /* order of arrival: ties in contact time keep it */
    tendo_an_stride st;
} entry;

/* One pod's strides in the order they arrived, in a record list (s->rec). */
typedef struct pod_list {
    int pod;
    void *e;
    double last_ic;
    int sorted; /* contact times never went back (merged, not sorted, at finish) */
} pod_list;

/* What the step rules need of a stride beyond its step row. */
typedef struct step_aux {
    double t_to, t_zv0, t_zv1;
} step_aux;

typedef struct cad_entry {
    int pod;
    tendo_an_cadence_est est;
} cad_entry;

struct tendo_an_session {
    tendo_an_session_options opt;
    const tendo_records_ops *rec; /* where the pods' strides wait */
    pod_list *pl;
    size_t npl, cappl;
    size_t n;      /* strides added */
    int by_seq;    /* lists rebuilt in contact order: merge by seq alone */
    step_aux *aux; /* per step, during finish */
    cad_entry *cad;
    size_t ncad, capcad;
    tendo_an_step *steps;
    tendo_an_bout *bouts;
    size_t nbouts;
    tendo_an_summary sum;
};

const char *tendo_an_kind_name(tendo_an_kind k)
{
    return k == TENDO_AN_RUN ? "run" : k == TENDO_AN_WALK ? "walk" : "rest";
}

const char *tendo_an_strike_name(tendo_an_strike s)
{
    return s == TENDO_AN_REAR   ? "rear"
           : s == TENDO_AN_MID  ? "mid"
           : s == TENDO_AN_FORE ? "fore"
                                : "";
}

int tendo_an_session_new(tendo_an_session **out, const tendo_an_session_options *opt,
                         tendo_error *err)
{
    *out = calloc(1, sizeof **out);
    if (!*out)
        return tendo_error_set(err, TENDO_EINTERNAL, "session: out of memory");
    if (opt)
        (*out)->opt = *opt;
    if (!((*out)->opt.damage_k > 0))
        (*out)->opt.damage_k = DAMAGE_K;
    (*out)->rec = (*out)->opt.records ? (*out)->opt.records : &tendo_records_memory;
    return TENDO_OK;
}

void tendo_an_session_free(tendo_an_session *s)
{
    if (!s)
        return;
    for (size_t k = 0; k < s->npl; k++)
        s->rec->close(s->pl[k].e);
    free(s->pl);
    free(s->aux);
    free(s->cad);
    free(s->steps);
    free(s->bouts);
    free(s);
}

int tendo_an_session_add(tendo_an_session *s, int pod, int side, const tendo_an_stride *st,
                         tendo_error *err)
{
    size_t k = 0;
    while (k < s->npl && s->pl[k].pod != pod)
        k++;
    if (k == s->npl) {
        pod_list *pl = tendo_array_reserve(s->pl, &s->cappl, s->npl, sizeof *pl, 4);
        if (!pl)
            return tendo_error_set(err, TENDO_EINTERNAL, "session: out of memory");
        s->pl = pl;
        pl[k] = (pod_list){.pod = pod, .last_ic = -INFINITY, .sorted = 1};
        int rc = s->rec->open(&pl[k].e, sizeof(entry), err);
        if (rc != TENDO_OK)
            return rc;
        s->npl++;
    }
    pod_list *l = &s->pl[k];
    entry e = {pod, side, s->n, *st};
    int rc = s->rec->push(l->e, &e, err);
    if (rc != TENDO_OK)
        return rc;
    s->n++;
    if (!(st->t_ic >= l->last_ic)) /* went back, or NAN */
        l->sorted = 0;
    else
        l->last_ic = st->t_ic;
    return TENDO_OK;
}

int tendo_an_session_add_cadence(tendo_an_session *s, int pod, const tendo_an_cadence_est *e,
                                 tendo_error *err)
{
    cad_entry *c = tendo_array_reserve(s->cad, &s->capcad, s->ncad, sizeof *c, 256);
    if (!c)
        return tendo_error_set(err, TENDO_EINTERNAL, "session: out of memory");
    s->cad = c;
    s->cad[s->ncad++] = (cad_entry){pod, *e};
    return TENDO_OK;
}

size_t tendo_an_session_steps(const tendo_an_session *s, const tendo_an_step **rows)
{
    *rows = s->steps;
    return s->steps ? s->n : 0;
}

size_t tendo_an_session_bouts(const tendo_an_session *s, const tendo_an_bout **rows)
{
    *rows = s->bouts;
    return s->nbouts;
}

const tendo_an_summary *tendo_an_session_summary(const tendo_an_session *s)
{
    return &s->sum;
}

static int by_ic(const void *a, const void *b)
{
    double x = ((const entry *)a)->st.t_ic, y = ((const entry *)b)->st.t_ic;
    return (x > y) - (x < y);
}

static tendo_an_strike strike_class(double deg)
{
    if (!isfinite(deg))
        return TENDO_AN_STRIKE_NONE;
    return deg > REAR_MIN_DEG ? TENDO_AN_REAR : deg < FORE_MAX_DEG ? TENDO_AN_FORE : TENDO_AN_MID;
}

/* The previous step (before i) of the same pod, or SIZE_MAX. */
static size_t prev_same(const tendo_an_step *st, size_t i)
{
    for (size_t j = i; j-- > 0;)
        if (st[j].pod == st[i].pod)
            return j;
    return SIZE_MAX;
}

/* A step's own fields from its stride (the entries come in contact order). */
static void fill_step(const entry *e, tendo_an_step *p, step_aux *x)
{
    const tendo_an_stride *r = &e->st;
    p->pod = e->pod;
    p->side = e->side;
    p->ic_s = r->t_ic;
    p->to_s = r->t_to_next;
    p->gct_ms = 1000 * r->contact_s;
    p->speed_mps = r->speed_mps;
    p->stride_len_m = r->length_m;
    p->dz_m = r->dz_m;
    p->strike_angle_deg = r->strike_angle_deg;
    p->footstrike = strike_class(r->strike_angle_deg);
    p->impact_g = r->impact_g;
    p->kind = isfinite(r->t_to_next) || r->gait_known
                  ? (r->running ? TENDO_AN_RUN : TENDO_AN_WALK)
                  : TENDO_AN_REST;
    p->stride_s = p->flight_ms = p->cadence_spm = NAN;
    *x = (step_aux){r->t_to, r->t_zv0, r->t_zv1};
}

/* Per-step timing and raw kind from the steps' own fields (fill_step). */
static void build_steps(tendo_an_session *s, int two_sides)
{
    tendo_an_step *st = s->steps;
    const step_aux *aux = s->aux;
    for (size_t i = 0; i < s->n; i++) {
        tendo_an_step *p = &st[i];
        /* stride time: to the next contact of this foot, if it pushed off
         * from this one */
        for (size_t j = i + 1; j < s->n && st[j].ic_s - p->ic_s < LINK_S; j++)
            if (st[j].pod == p->pod) {
                /* (a shank's walking stride has no toe-off: NAN passes) */
                if (!(aux[j].t_to <= p->ic_s))
                    p->stride_s = st[j].ic_s - p->ic_s;
                break;
            }
    }
    /* a contact with no toe-off (the last before a rest) takes its foot's
     * previous kind */
    for (size_t i = 0; i < s->n; i++)
        if (st[i].kind == TENDO_AN_REST) {
            size_t j = prev_same(st, i);
            st[i].kind = j != SIZE_MAX && isfinite(st[j].stride_s) ? st[j].kind : TENDO_AN_WALK;
        }
    for (size_t i = 0; i < s->n; i++) {
        tendo_an_step *p = &st[i];
        size_t j = prev_same(st, i);
        /* the other foot's latest contact since this foot's previous one */
        size_t o = SIZE_MAX;
        for (size_t k = i; two_sides && k-- > 0;) {
            if (j != SIZE_MAX && st[k].ic_s <= st[j].ic_s)
                break;
            if (st[k].side != p->side) {
                o = k;
                break;
            }
        }
        double step_s = NAN;
        if (o != SIZE_MAX && j != SIZE_MAX && isfinite(st[j].stride_s))
            step_s = p->ic_s - st[o].ic_s;
        else if (j != SIZE_MAX && isfinite(st[j].stride_s))
            step_s = st[j].stride_s / 2; /* one foot: half its stride */
        else if (isfinite(p->stride_s))
            step_s = p->stride_s / 2;
        p->cadence_spm = step_s > 0 ? 60 / step_s : NAN;
        if (p->kind == TENDO_AN_RUN) {
            if (o != SIZE_MAX)
                p->flight_ms = 1000 * (p->ic_s - st[o].to_s);
            else if (!two_sides && isfinite(step_s))
                /* one foot: each step is a contact and a flight, the two
                 * feet assumed alike */
                p->flight_ms = 1000 * step_s - p->gct_ms;
        }
    }
}

/* Per-step Achilles force, after build_bouts: it smooths each step's kind
 * (a walk-run change flips the steps at the edge), and the force must follow
 * the kind the step is reported with (a run step carried the walking 4.49 BW). */
static void build_loads(tendo_an_session *s)
{
    tendo_an_step *st = s->steps;
    for (size_t i = 0; i < s->n; i++)
        st[i].achilles_force_bw =
            an_achilles_force_bw(st[i].kind, st[i].speed_mps, st[i].footstrike);
    an_achilles_cadence_adjust(st, s->n); /* needs every step's timing first */
}

/* Splits the merged steps into bouts of one kind separated by rests. */
static int build_bouts(tendo_an_session *s)
{
    tendo_an_step *st = s->steps;
    s->bouts = calloc(s->n ? s->n : 1, sizeof *s->bouts);
    tendo_an_kind *sm = malloc((s->n ? s->n : 1) * sizeof *sm);
    if (!s->bouts || !sm) {
        free(sm);
        return -1;
    }
    /* sequences without rests, and the majority kind over KIND_SMOOTH */
    size_t seq0 = 0;
    for (size_t i = 0; i <= s->n; i++) {
        int brk = i == s->n;
        if (!brk && i > 0) {
            double end = isfinite(st[i - 1].to_s) ? st[i - 1].to_s : st[i - 1].ic_s;
            brk = st[i].ic_s - end > REST_GAP_S;
        }
        if (!brk)
            continue;
        for (size_t k = seq0; k < i; k++) {
            size_t lo = k >= seq0 + KIND_SMOOTH / 2 ? k - KIND_SMOOTH / 2 : seq0;
            size_t hi = k + KIND_SMOOTH / 2 < i ? k + KIND_SMOOTH / 2 : i - 1;
            int run = 0, all = 0;
            for (size_t m = lo; m <= hi; m++, all++)
                run += st[m].kind == TENDO_AN_RUN;
            sm[k] = 2 * run > all ? TENDO_AN_RUN : 2 * run == all ? st[k].kind : TENDO_AN_WALK;
        }
        seq0 = i;
    }
    size_t nb = 0;
    for (size_t i = 0; i < s->n; i++) {
        double end_prev = i > 0 ? (isfinite(st[i - 1].to_s) ? st[i - 1].to_s : st[i - 1].ic_s) : 0;
        int rest = i == 0 || st[i].ic_s - end_prev > REST_GAP_S;
        if (rest || sm[i] != s->bouts[nb - 1].kind) {
            if (!rest)
                s->bouts[nb - 1].end_s = st[i].ic_s; /* walk-run change: no gap */
            s->bouts[nb++] = (tendo_an_bout){st[i].ic_s, st[i].ic_s, sm[i], 0, 0};
        }
        tendo_an_bout *b = &s->bouts[nb - 1];
        double end = isfinite(st[i].to_s) ? st[i].to_s : st[i].ic_s;
        if (end > b->end_s)
            b->end_s = end;
        b->steps++;
        st[i].bout = (int)(nb - 1);
        st[i].kind = sm[i];
    }
    s->nbouts = nb;
    free(sm);
    return 0;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Typical value of the finite values f(step) over steps matching (kind,
 * side); side -1 = both. The interquartile mean (the mean of the middle
 * half; Tukey's trimmed mean at 25%): as robust to stray steps as the
 * median, but at low rates, where per-step times fall on a sample grid,
 * it averages the quantisation out instead of picking one grid value (a
 * plain median was 0.7% off at 100 Hz). Uses buf (n entries). */
static double typical_of(const tendo_an_step *st, size_t n, tendo_an_kind kind, int side,
                         size_t field, double *buf)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        double v = *(const double *)((const char *)&st[i] + field);
        if (st[i].kind == kind && (side < 0 || st[i].side == side) && isfinite(v))
            buf[m++] = v;
    }
    if (m == 0)
        return NAN;
    qsort(buf, m, sizeof *buf, cmp_d);
    size_t lo = m / 4, hi = m - m / 4; /* [lo, hi): the middle half */
    double sum = 0;
    for (size_t i = lo; i < hi; i++)
        sum += buf[i];
    return sum / (double)(hi - lo);
}

/* Median spectral cadence over the estimates whose data lie wholly inside
 * a running bout (a window across a walk-run change mixes two cadences). */
static double spectral_cadence(const tendo_an_session *s)
{
    double *v = malloc((s->ncad ? s->ncad : 1) * sizeof *v);
    size_t m = 0;
    for (size_t i = 0; v && i < s->ncad; i++) {
        const tendo_an_cadence_est *e = &s->cad[i].est;
        for (size_t b = 0; b < s->nbouts; b++)
            if (s->bouts[b].kind == TENDO_AN_RUN && e->t_s - e->span_s / 2 >= s->bouts[b].start_s &&
                e->t_s + e->span_s / 2 <= s->bouts[b].end_s) {
                v[m++] = 120 * e->stride_hz;
                break;
            }
    }
    double med = NAN;
    if (m > 0) {
        qsort(v, m, sizeof *v, cmp_d);
        med = m % 2 ? v[m / 2] : 0.5 * (v[m / 2 - 1] + v[m / 2]);
    }
    free(v);
    return med;
}

/* Elevation gain and loss with hysteresis: a climb (or descent) is counted
 * in full, from turning point to turning point, once the height has moved
 * ELEV_HYST_M back from its extreme; smaller wiggles never count. */
typedef struct elev {
    double z, anchor, ext, up, down;
    int dir; /* 0 not yet moving, +1 climbing, -1 descending */
} elev;

static void elev_add(elev *e, double dz)
{
    e->z += dz;
    if (e->dir == 0) {
        if (fabs(e->z - e->anchor) >= ELEV_HYST_M) {
            e->dir = e->z > e->anchor ? 1 : -1;
            e->ext = e->z;
        }
    } else if (e->dir * (e->z - e->ext) > 0) {
        e->ext = e->z;                               /* further the same way */
    } else if (fabs(e->ext - e->z) >= ELEV_HYST_M) { /* turned: count the leg */
        if (e->dir > 0)
            e->up += e->ext - e->anchor;
        else
            e->down += e->anchor - e->ext;
        e->anchor = e->ext;
        e->ext = e->z;
        e->dir = -e->dir;
    }
}

static void elev_end(elev *e, double *up, double *down)
{
    *up = e->up + (e->dir > 0 ? e->ext - e->anchor : 0);
    *down = e->down + (e->dir < 0 ? e->anchor - e->ext : 0);
}

/* A stride integrated between zero-velocity instants (a foot pod's): the
 * source of distance, elevation and the speed-based Achilles load. A shank
 * accelerometer's contacts have no zero-velocity instants (t_zv0 NAN). */
static int is_spatial(const step_aux *x)
{
    return isfinite(x->t_zv0);
}

/* sides_present: the sides with spatial strides (is_spatial). */
static void build_summary(tendo_an_session *s, double duration_s, int sides_present[2])
{
    tendo_an_summary *u = &s->sum;
    const tendo_an_step *st = s->steps;
    memset(u, 0, sizeof *u);
    u->duration_s = duration_s;
    for (size_t b = 0; b < s->nbouts; b++) {
        double d = s->bouts[b].end_s - s->bouts[b].start_s;
        if (s->bouts[b].kind == TENDO_AN_RUN)
            u->run_s += d;
        else
            u->walk_s += d;
    }
    u->rest_s = duration_s - u->run_s - u->walk_s;
    u->steps = s->n;
    for (size_t i = 0; i < s->n; i++)
        if (st[i].side)
            u->steps_right++;
        else
            u->steps_left++;

    double *buf = malloc((s->n ? s->n : 1) * sizeof *buf);
    if (!buf) {
        u->cadence_spm = u->cadence_walk_spm = u->gct_ms = u->flight_ms = u->impact_g = NAN;
        return;
    }
    u->cadence_spm =
        typical_of(st, s->n, TENDO_AN_RUN, -1, offsetof(tendo_an_step, cadence_spm), buf);
    u->cadence_walk_spm =
        typical_of(st, s->n, TENDO_AN_WALK, -1, offsetof(tendo_an_step, cadence_spm), buf);
    u->cadence_spectral_spm = spectral_cadence(s);
    u->gct_ms = typical_of(st, s->n, TENDO_AN_RUN, -1, offsetof(tendo_an_step, gct_ms), buf);
    u->flight_ms = typical_of(st, s->n, TENDO_AN_RUN, -1, offsetof(tendo_an_step, flight_ms), buf);
    u->impact_g = typical_of(st, s->n, TENDO_AN_RUN, -1, offsetof(tendo_an_step, impact_g), buf);
    double gl = typical_of(st, s->n, TENDO_AN_RUN, 0, offsetof(tendo_an_step, gct_ms), buf);
    double gr = typical_of(st, s->n, TENDO_AN_RUN, 1, offsetof(tendo_an_step, gct_ms), buf);
    u->gct_balance_left_pct = 100 * gl / (gl + gr); /* NAN unless both feet ran */
    free(buf);

    /* Distance, running speed and elevation per side (each foot covers the
     * whole route), then averaged over the sides that stepped. */
    double dist[2] = {0, 0}, run_len = 0, run_t = 0;
    elev el[2];
    memset(el, 0, sizeof el);
    for (size_t i = 0; i < s->n; i++) {
        const step_aux *x = &s->aux[i];
        double length_m = st[i].stride_len_m, dz_m = st[i].dz_m;
        int sd = st[i].side;
        tendo_an_bout *b = &s->bouts[st[i].bout];
        if (isfinite(length_m)) {
            dist[sd] += length_m;
            b->distance_m += length_m / (sides_present[0] + sides_present[1]);
            if (st[i].kind == TENDO_AN_RUN && x->t_zv1 > x->t_zv0) {
                run_len += length_m;
                run_t += x->t_zv1 - x->t_zv0;
            }
        }
        if (isfinite(dz_m))
            elev_add(&el[sd], dz_m);
    }
    double up[2], down[2];
    for (int sd = 0; sd < 2; sd++)
        elev_end(&el[sd], &up[sd], &down[sd]);
    int ns = sides_present[0] + sides_present[1];
    u->distance_m = ns ? (dist[0] + dist[1]) / ns : 0;
    u->elevation_lr_diff_m = ns == 2 ? el[0].z - el[1].z : NAN;
    u->ascent_m = ns ? (up[0] + up[1]) / ns : 0;
    u->descent_m = ns ? (down[0] + down[1]) / ns : 0;
    u->speed_mps = run_t > 0 ? run_len / run_t : NAN;

    /* Achilles load over every step with a force estimate; with one foot
     * measured, the other foot's steps are counted as its mirror. */
    double load = 0, damage = 0, fref = an_achilles_ref_bw();
    for (size_t i = 0; i < s->n; i++)
        if (isfinite(st[i].achilles_force_bw) && is_spatial(&s->aux[i])) {
            load += st[i].achilles_force_bw;
            damage += pow(st[i].achilles_force_bw / fref, s->opt.damage_k);
        }
    double mirror = ns == 1 ? 2 : 1;
    u->achilles_load = load * mirror;
    u->achilles_damage = damage * mirror;
}

/* Sensor biases of one pod from the velocity its strides end with
 * (MODELS.md, "Sensor biases"): at least 20 strides. */
#define BIAS_MIN_STRIDES 20
/* Prior spread of the biases (a Gaussian prior makes the least squares a
 * MAP estimate, as the initial bias covariance of a ZUPT Kalman filter
 * does: Foxlin 2005; Skog et al. 2010): consumer MEMS zero-g offsets of
 * ±20 mg and zero-rate offsets of ±0.5 °/s (e.g. TDK ICM-42688-P
 * datasheet DS-000347). The foot-frame y (medio-lateral) accelerometer
 * bias and the z (vertical) gyro bias are barely observable — the foot
 * turns about y — and the prior keeps them near zero instead of letting
 * noise set them. */
#define BIAS_PRIOR_ACC  (0.020 * AN_G0)
#define BIAS_PRIOR_GYRO (0.5 * M_PI / 180)
/* Prior spread of each axis' scale error (0.8): ±0.5 %, the order of
 * consumer-MEMS initial sensitivity tolerances (model choice, the figure
 * tools/SIMULATOR.md uses; widen it for a sensor whose datasheet gives
 * more). Scale factors as error states observed through zero-velocity
 * updates: the sensor model of multi-position accelerometer calibration
 * (Skog & Händel 2006, IMEKO XVII) and of aided foot-mounted INS
 * (Wahlström & Skog 2021, IEEE Sensors J. 21:1139). */
#define SCALE_PRIOR 0.005

static void mat3_vec_f(const float *m, const double *x, double *y)
{
    for (int i = 0; i < 3; i++)
        y[i] = m[3 * i] * x[0] + m[3 * i + 1] * x[1] + m[3 * i + 2] * x[2];
}

/* Error states: accelerometer bias b, gyro bias w (foot frame), then
 * accelerometer and gyro scale errors of the three sensor axes (0.8). */
#define NX 12

/* Row-major 3×nx Jacobian of v_end on x = (b, w, s_acc, s_gyro). */
static void bias_jacobian(const tendo_an_drift *d, int nx, double *j)
{
    const float *blk[4] = {d->ma, d->mg, d->msa, d->msg};
    for (int r = 0; r < 3; r++)
        for (int c = 0; c < nx; c++)
            j[nx * r + c] = blk[c / 3][3 * r + c % 3];
}

/* Residual |v_end - J x| of one stride (nx states). */
static double bias_residual(const tendo_an_drift *d, const double *x, int nx)
{
    double j[3 * NX], r2 = 0;
    bias_jacobian(d, nx, j);
    for (int r = 0; r < 3; r++) {
        double v = d->v_end[r];
        for (int c = 0; c < nx; c++)
            v -= j[nx * r + c] * x[c];
        r2 += v * v;
    }
    return sqrt(r2);
}

static int bias_usable(const entry *e)
{
    return e->st.drift.valid && isfinite(e->st.length_m);
}

/* Least squares over the pod's strides, three times: biases alone (0.6's
 * estimate, for the residual spread and the outlier cut), then biases and
 * scale errors with the prior weighted by that spread, without strides
 * whose residual exceeds 3× the median (turns, stumbles), then once more
 * with the spread and cut of the fuller model. */
static int bias_estimate(const tendo_records_ops *rec, const pod_list *l, double *x,
                         tendo_error *err)
{
    size_t n = rec->count(l->e);
    double *res = malloc((n ? n : 1) * sizeof *res);
    if (!res)
        return tendo_error_set(err, TENDO_EINTERNAL, "session: out of memory");
    double cut = INFINITY, sd2 = 0;
    int ok = 1, rc = TENDO_OK;
    entry ent;
    const entry *e = &ent;
    memset(x, 0, NX * sizeof *x);
    for (int pass = 0; pass < 3; pass++) {
        int nx = pass == 0 ? 6 : NX;
        double a[NX * NX] = {0}, b[NX] = {0}, xp[NX];
        memcpy(xp, x, sizeof xp);
        size_t m = 0;
        for (size_t i = 0; rc == TENDO_OK && i < n; i++) {
            if ((rc = rec->get(l->e, i, &ent, err)) != TENDO_OK || !bias_usable(e))
                continue;
            const tendo_an_drift *d = &e->st.drift;
            if (pass > 0 && !(bias_residual(d, xp, NX) <= cut))
                continue;
            double j[3 * NX];
            bias_jacobian(d, nx, j);
            for (int p = 0; p < nx; p++) {
                for (int q = 0; q < nx; q++)
                    for (int r = 0; r < 3; r++)
                        a[nx * p + q] += j[nx * r + p] * j[nx * r + q];
                for (int r = 0; r < 3; r++)
                    b[p] += j[nx * r + p] * d->v_end[r];
            }
            m++;
        }
        if (rc != TENDO_OK || m < BIAS_MIN_STRIDES)
            break;
        /* the prior, weighted by the residual variance of the pass before
         * (none on the first: plain least squares) */
        for (int p = 0; pass > 0 && p < nx; p++)
            a[(nx + 1) * p] +=
                sd2 / pow(p < 3 ? BIAS_PRIOR_ACC : p < 6 ? BIAS_PRIOR_GYRO : SCALE_PRIOR, 2);
        if (an_solve_spd(a, b, nx) != 0)
            break;
        memset(x, 0, NX * sizeof *x);
        memcpy(x, b, (size_t)nx * sizeof *x);
        ok = 0;
        size_t k = 0;
        for (size_t i = 0; rc == TENDO_OK && i < n; i++)
            if ((rc = rec->get(l->e, i, &ent, err)) == TENDO_OK && bias_usable(e))
                res[k++] = bias_residual(&e->st.drift, x, NX);
        if (rc != TENDO_OK)
            break;
        cut = 3 * an_quantile(res, k, 0.5);
        double ss = 0;
        size_t kk = 0;
        for (size_t i = 0; i < k; i++)
            if (res[i] <= cut) {
                ss += res[i] * res[i];
                kk++;
            }
        sd2 = kk ? ss / (3.0 * (double)kk) : 0; /* per component */
    }
    free(res);
    return rc != TENDO_OK ? rc : ok;
}

/* One stride's displacement with the sensor errors x removed: the
 * displacement less its error terms, turned by the small rotation that the
 * corrected starting specific force (a0 - b - ts s_acc) makes to the
 * vertical. */
static void bias_correct(tendo_an_stride *st, const double *x)
{
    const tendo_an_drift *d = &st->drift;
    double ya[3], yg[3], ysa[3], ysg[3], pos[3], u[3], rb[3], be[3], bt[3];
    mat3_vec_f(d->qa, x, ya);
    mat3_vec_f(d->qg, x + 3, yg); /* the gyro bias' share (0.5; left in before) */
    mat3_vec_f(d->qsa, x + 6, ysa);
    mat3_vec_f(d->qsg, x + 9, ysg);
    for (int k = 0; k < 3; k++)
        pos[k] = d->pos[k] - ya[k] - yg[k] - ysa[k] - ysg[k];
    mat3_vec_f(d->ts, x + 6, bt); /* the start's a0 error from the scale errors */
    for (int k = 0; k < 3; k++)
        be[k] = x[k] + bt[k];
    mat3_vec_f(d->r0, be, rb);
    for (int k = 0; k < 3; k++)
        u[k] = -rb[k];
    u[2] += d->g;
    double un = an_norm(u), z[3] = {0, 0, 1}, ax[3];
    for (int k = 0; k < 3; k++)
        u[k] /= un;
    /* rotate by the angle between u and z about u × z (Rodrigues) */
    an_cross(u, z, ax);
    double sn = an_norm(ax), cs = an_dot(u, z), out[3];
    if (sn > 1e-12) {
        for (int k = 0; k < 3; k++)
            ax[k] /= sn;
        double kxp[3], kdp = an_dot(ax, pos);
        an_cross(ax, pos, kxp);
        for (int k = 0; k < 3; k++)
            out[k] = pos[k] * cs + kxp[k] * sn + ax[k] * kdp * (1 - cs);
    } else {
        memcpy(out, pos, sizeof out);
    }
    st->length_m = hypot(out[0], out[1]);
    st->dz_m = out[2];
    st->speed_mps = st->length_m / (st->t_zv1 - st->t_zv0);
}

/* Entries whose lists are not in contact order (a caller that added a
 * pod's strides out of order): every list is rebuilt in the order a stable
 * sort by contact time gives (qsort, as before the lists), each entry's
 * seq its place in it. Memory then holds every entry once, briefly. */
static int rebuild_sorted(tendo_an_session *s, tendo_error *err)
{
    entry *all = malloc((s->n ? s->n : 1) * sizeof *all);
    if (!all)
        return tendo_error_set(err, TENDO_EINTERNAL, "session: out of memory");
    int rc = TENDO_OK;
    for (size_t k = 0; rc == TENDO_OK && k < s->npl; k++)
        for (size_t i = 0; rc == TENDO_OK && i < s->rec->count(s->pl[k].e); i++) {
            entry e;
            if ((rc = s->rec->get(s->pl[k].e, i, &e, err)) == TENDO_OK)
                all[e.seq] = e; /* arrival order */
        }
    if (rc == TENDO_OK && s->n)
        qsort(all, s->n, sizeof *all, by_ic);
    for (size_t k = 0; rc == TENDO_OK && k < s->npl; k++) {
        s->rec->close(s->pl[k].e);
        s->pl[k].e = NULL;
        rc = s->rec->open(&s->pl[k].e, sizeof(entry), err);
    }
    for (size_t i = 0; rc == TENDO_OK && i < s->n; i++) {
        size_t k = 0;
        while (s->pl[k].pod != all[i].pod)
            k++;
        all[i].seq = i;
        rc = s->rec->push(s->pl[k].e, &all[i], err);
    }
    free(all);
    s->by_seq = 1;
    return rc;
}

int tendo_an_session_finish(tendo_an_session *s, double duration_s, tendo_error *err)
{
    free(s->steps);
    free(s->aux);
    free(s->bouts);
    s->steps = NULL;
    s->aux = NULL;
    s->bouts = NULL;
    s->nbouts = 0;
    int rc = TENDO_OK;
    for (size_t k = 0; k < s->npl && !s->by_seq; k++)
        if (!s->pl[k].sorted)
            rc = rebuild_sorted(s, err);
    /* each pod's sensor errors (bias_estimate), removed from its strides
     * as they are read below */
    double(*x)[NX] = calloc(s->npl ? s->npl : 1, sizeof *x);
    int *have_x = calloc(s->npl ? s->npl : 1, sizeof *have_x);
    size_t *pos = calloc(s->npl ? s->npl : 1, sizeof *pos);
    entry *head = malloc((s->npl ? s->npl : 1) * sizeof *head);
    s->steps = calloc(s->n ? s->n : 1, sizeof *s->steps);
    s->aux = malloc((s->n ? s->n : 1) * sizeof *s->aux);
    if (rc == TENDO_OK && !(x && have_x && pos && head && s->steps && s->aux))
        rc = tendo_error_set(err, TENDO_EINTERNAL, "session: out of memory");
    for (size_t k = 0; rc == TENDO_OK && k < s->npl; k++) {
        int r = bias_estimate(s->rec, &s->pl[k], x[k], err);
        have_x[k] = r == 0;
        rc = r < 0 ? r : TENDO_OK;
    }
    /* The pods' lists merged by contact time (ties in arrival order: the
     * order a stable sort of all entries gives), each entry to its step. */
    for (size_t k = 0; rc == TENDO_OK && k < s->npl; k++)
        if (s->rec->count(s->pl[k].e) > 0)
            rc = s->rec->get(s->pl[k].e, 0, &head[k], err);
    int sides[2] = {0, 0}, spatial[2] = {0, 0};
    for (size_t i = 0; rc == TENDO_OK && i < s->n; i++) {
        size_t best = s->npl;
        for (size_t k = 0; k < s->npl; k++) {
            if (pos[k] >= s->rec->count(s->pl[k].e))
                continue;
            if (best == s->npl)
                best = k;
            else if (s->by_seq ? head[k].seq < head[best].seq
                               : head[k].st.t_ic < head[best].st.t_ic ||
                                     (head[k].st.t_ic == head[best].st.t_ic &&
                                      head[k].seq < head[best].seq))
                best = k;
        }
        entry e = head[best];
        if (++pos[best] < s->rec->count(s->pl[best].e))
            rc = s->rec->get(s->pl[best].e, pos[best], &head[best], err);
        if (have_x[best] && bias_usable(&e))
            bias_correct(&e.st, x[best]);
        fill_step(&e, &s->steps[i], &s->aux[i]);
        sides[e.side ? 1 : 0] = 1;
        spatial[e.side ? 1 : 0] |= is_spatial(&s->aux[i]);
    }
    free(x);
    free(have_x);
    free(pos);
    free(head);
    if (rc != TENDO_OK)
        return rc;
    build_steps(s, sides[0] && sides[1]);
    if (build_bouts(s) != 0)
        return tendo_error_set(err, TENDO_EINTERNAL, "session: out of memory");
    build_loads(s);
    build_summary(s, duration_s, spatial);
    return TENDO_OK;
}
