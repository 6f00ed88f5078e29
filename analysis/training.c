/*
 * training.c — the calendar series, the run-by-run longest-run comparison
 * and the six flag rules (tendo_training.h; docs/training-load.md).
 *
 * Everything is computed over the whole span of the data, so rolling sums
 * and EWMAs see the history before the window asked for; the result is
 * that window.
 */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tendo_array.h"
#include "tendo_training.h"

/* ------------------------------------------------------------ dates */

/* Days from 1970-01-01 of a proleptic Gregorian date (Hinnant's
 * days_from_civil algorithm). */
static int days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int era = (y >= 0 ? y : y - 399) / 400;
    int yoe = y - era * 400;
    int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int tendo_tr_date_parse(const char *text, int *day, tendo_error *err)
{
    int y, m, d, n = 0;
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (!text || strlen(text) != 10 || sscanf(text, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 ||
        n != 10 || text[4] != '-' || text[7] != '-' || text[5] == '+' || text[8] == '+' ||
        text[5] == ' ' || text[8] == ' ' || y < 1900 || y > 2999 || m < 1 || m > 12 || d < 1 ||
        d > mdays[m - 1] + (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)))
        return tendo_error_set(err, TENDO_EUSAGE,
                               "'%s' is not a date: use YYYY-MM-DD (e.g. 2026-03-14)",
                               text ? text : "");
    *day = days_from_civil(y, m, d);
    return TENDO_OK;
}

void tendo_tr_date_format(int day, char out[11])
{
    /* Hinnant's civil_from_days */
    int z = day + 719468;
    int era = (z >= 0 ? z : z - 146096) / 146097;
    int doe = z - era * 146097;
    int yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int y = yoe + era * 400;
    int doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int mp = (5 * doy + 2) / 153;
    int d = doy - (153 * mp + 2) / 5 + 1;
    int m = mp + (mp < 10 ? 3 : -9);
    y += m <= 2;
    unsigned yy = (unsigned)y % 10000u, mm = (unsigned)m % 100u, dd = (unsigned)d % 100u;
    snprintf(out, 11, "%04u-%02u-%02u", yy, mm, dd);
}

const char *tendo_tr_severity_name(tendo_tr_severity s)
{
    switch (s) {
    case TENDO_TR_LOW: return "low";
    case TENDO_TR_MODERATE: return "moderate";
    default: return "high";
    }
}

/* ------------------------------------------------------------ per session */

void tendo_tr_step_stats_of(const tendo_an_step *steps, size_t n, tendo_tr_step_stats *out)
{
    memset(out, 0, sizeof *out);
    int sides[2] = {0, 0};
    double load[2] = {0, 0};
    for (size_t i = 0; i < n; i++) {
        sides[steps[i].side ? 1 : 0] = 1;
        if (isfinite(steps[i].achilles_force_bw))
            load[steps[i].side ? 1 : 0] += steps[i].achilles_force_bw;
    }
    int ns = sides[0] + sides[1];
    for (size_t i = 0; i < n; i++) {
        const tendo_an_step *s = &steps[i];
        if (s->kind != TENDO_AN_RUN || !isfinite(s->stride_len_m) || !isfinite(s->speed_mps) ||
            s->speed_mps < 0)
            continue;
        int b = (int)(s->speed_mps / TENDO_TR_SPEED_BIN_MPS);
        if (b >= TENDO_TR_SPEED_BINS)
            b = TENDO_TR_SPEED_BINS - 1;
        out->speed_hist_m[b] += s->stride_len_m / ns;
    }
    out->load_left_pct = ns == 2 && load[0] + load[1] > 0 ? 100 * load[0] / (load[0] + load[1])
                                                          : NAN;
}

double tendo_tr_high_speed_m(const double hist[TENDO_TR_SPEED_BINS], double threshold_mps)
{
    double sum = 0;
    for (int b = 0; b < TENDO_TR_SPEED_BINS; b++) {
        double lo = b * TENDO_TR_SPEED_BIN_MPS, hi = lo + TENDO_TR_SPEED_BIN_MPS;
        double part = threshold_mps <= lo   ? 1
                      : threshold_mps >= hi ? 0
                                            : (hi - threshold_mps) / TENDO_TR_SPEED_BIN_MPS;
        sum += hist[b] * part;
    }
    return sum;
}

/* ------------------------------------------------------------ flag ids */

void tendo_tr_flag_id(const char *athlete_id, const char *rule, int day, const char *session,
                      char out[TENDO_TR_FLAG_ID_LEN])
{
    /* FNV-1a 64 over "athlete|rule|date|session": stable across
     * recomputation and builds, so a coach's review finds its flag again. */
    char date[11], key[256];
    tendo_tr_date_format(day, date);
    snprintf(key, sizeof key, "%s|%s|%s|%s", athlete_id ? athlete_id : "", rule, date,
             session ? session : "");
    uint64_t h = 1469598103934665603ull;
    for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
        h ^= *p;
        h *= 1099511628211ull;
    }
    snprintf(out, TENDO_TR_FLAG_ID_LEN, "f%012llx", (unsigned long long)(h >> 16));
}

/* ------------------------------------------------------------ helpers */

typedef struct flag_list {
    tendo_tr_flag *f;
    size_t len, cap;
    const char *athlete;
} flag_list;

static int add_flag(flag_list *fl, const char *rule, int day, const char *session,
                    tendo_tr_severity sev, double value, double threshold, const char *fmt, ...)
    __attribute__((format(printf, 8, 9)));
static int add_flag(flag_list *fl, const char *rule, int day, const char *session,
                    tendo_tr_severity sev, double value, double threshold, const char *fmt, ...)
{
    tendo_tr_flag *f = tendo_array_reserve(fl->f, &fl->cap, fl->len, sizeof *f, 16);
    if (!f)
        return -1;
    fl->f = f;
    f = &fl->f[fl->len++];
    memset(f, 0, sizeof *f);
    snprintf(f->rule, sizeof f->rule, "%s", rule);
    f->day = day;
    snprintf(f->session, sizeof f->session, "%s", session ? session : "");
    f->severity = sev;
    f->value = value;
    f->threshold = threshold;
    tendo_tr_flag_id(fl->athlete, rule, day, f->session, f->id);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->message, sizeof f->message, fmt, ap);
    va_end(ap);
    return 0;
}

static double nz(double v)
{
    return isfinite(v) ? v : 0;
}

/* Sum of x over days [a, b] of the span (clipped), from prefix sums
 * pre[i] = x[0] + ... + x[i-1]. */
static double window_sum(const double *pre, int n, int a, int b)
{
    if (a < 0)
        a = 0;
    if (b > n - 1)
        b = n - 1;
    return b < a ? 0 : pre[b + 1] - pre[a];
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, size_t n)
{
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static int check_config(const tendo_tr_config *c, tendo_error *err)
{
    size_t n;
    const tendo_tr_param *p = tendo_tr_params(&n);
    for (size_t i = 0; i < n; i++) {
        double v = tendo_tr_config_get(c, p[i].name);
        if (!(v >= p[i].lo && v <= p[i].hi))
            return tendo_error_set(err, TENDO_EUSAGE, "training config: %s = %g is outside %g-%g",
                                   p[i].name, v, p[i].lo, p[i].hi);
    }
    if (!(c->longest_ratio <= c->longest_band2_ratio &&
          c->longest_band2_ratio <= c->longest_band3_ratio))
        return tendo_error_set(err, TENDO_EUSAGE,
                               "training config: longest_ratio <= longest_band2_ratio <= "
                               "longest_band3_ratio is needed");
    if (c->acute_days >= c->chronic_days)
        return tendo_error_set(err, TENDO_EUSAGE,
                               "training config: acute_days must be shorter than chronic_days");
    return TENDO_OK;
}

/* ------------------------------------------------------------ the rules */

/* The state a day-level rule carries from one day to the next: a flag is
 * raised when its condition starts to hold, or holds with a higher severity
 * than the flag already raised in the same stretch of days, not on every day
 * of the stretch. */
typedef struct episode {
    int active;
    tendo_tr_severity severity;
} episode;

static int episode_fires(episode *e, int holds, tendo_tr_severity sev)
{
    int fire = holds && (!e->active || sev > e->severity);
    if (!holds)
        e->active = 0;
    else if (fire)
        e->active = 1, e->severity = sev;
    return fire;
}

typedef struct ctx {
    const tendo_tr_config *cfg;
    const tendo_tr_session *s;
    size_t ns;
    int d0, n;       /* the span: day d0 + i, i < n */
    tendo_tr_day *all;
    double *pre_dist, *pre_damage, *pre_load, *pre_hs, *pre_hills, *pre_run_s, *pre_run_m;
    flag_list fl;
} ctx;

static void date_of(int day, char out[11])
{
    tendo_tr_date_format(day, out);
}

/* Rule 1: each run against the longest run of the previous window. */
static int rule_longest_run(ctx *x, tendo_tr_run *runs, size_t *nruns)
{
    const tendo_tr_config *c = x->cfg;
    *nruns = 0;
    for (size_t i = 0; i < x->ns; i++) {
        const tendo_tr_session *s = &x->s[i];
        double dist = nz(s->distance_m);
        if (dist <= 0 || s->day < x->d0 || s->day >= x->d0 + x->n)
            continue;
        double longest = 0;
        for (size_t j = 0; j < x->ns; j++) {
            int dd = s->day - x->s[j].day;
            if (dd >= 1 && dd <= c->longest_window_days)
                longest = fmax(longest, nz(x->s[j].distance_m));
        }
        tendo_tr_run *r = &runs[(*nruns)++];
        r->day = s->day;
        snprintf(r->id, sizeof r->id, "%s", s->id);
        r->distance_m = dist;
        r->longest_before_m = longest;
        r->ratio = longest > 0 ? dist / longest : NAN;
        const tendo_tr_day *dy = &x->all[s->day - x->d0];
        if (!dy->history_ok || !(r->ratio > c->longest_ratio))
            continue;
        tendo_tr_severity sev = TENDO_TR_MODERATE;
        const char *band = "10-30%", *hr = "1.64";
        if (r->ratio > c->longest_band3_ratio)
            sev = TENDO_TR_HIGH, band = "over 100%", hr = "2.28";
        else if (r->ratio > c->longest_band2_ratio)
            band = "30-100%", hr = "1.52";
        char date[11];
        date_of(s->day, date);
        if (add_flag(&x->fl, "longest_run_30d", s->day, s->id, sev, r->ratio, c->longest_ratio,
                     "The %.1f km run on %s was %.0f%% longer than the longest run of the "
                     "previous %d days (%.1f km). Runs %s longer than that went with more "
                     "overuse injuries (hazard ratio %s, Frandsen 2025): keep the next runs "
                     "shorter.",
                     dist / 1000, date, 100 * (r->ratio - 1), c->longest_window_days,
                     longest / 1000, band, hr) != 0)
            return -1;
    }
    return 0;
}

/* Rule 2: 7-day distance or damage against the 7 days before. */
static int rule_weekly(ctx *x, int i, episode *e)
{
    const tendo_tr_config *c = x->cfg;
    const tendo_tr_day *d = &x->all[i];
    double dist = d->distance_7d, prev = window_sum(x->pre_dist, x->n, i - 13, i - 7);
    double dmg = d->damage_7d, dprev = window_sum(x->pre_damage, x->n, i - 13, i - 7);
    int base = prev >= c->weekly_min_prev_m;
    double rd = base ? dist / prev : NAN, rg = base && dprev > 0 ? dmg / dprev : NAN;
    int holds = d->history_ok && (rd > c->weekly_ratio || rg > c->weekly_ratio);
    if (!episode_fires(e, holds, TENDO_TR_MODERATE))
        return 0;
    char date[11], what[200];
    date_of(d->day, date);
    double v = fmax(rd > c->weekly_ratio ? rd : 0, rg > c->weekly_ratio ? rg : 0);
    if (rd > c->weekly_ratio)
        snprintf(what, sizeof what,
                 "distance was %.1f km, %+.0f%% on the 7 days before (%.1f km)%s", dist / 1000,
                 100 * (rd - 1), prev / 1000, rg > c->weekly_ratio ? ", and Achilles damage " : "");
    else
        snprintf(what, sizeof what, "distance changed %+.0f%% (%.1f km) but Achilles damage ",
                 100 * (rd - 1), dist / 1000);
    char rise[48] = "";
    if (rg > c->weekly_ratio)
        snprintf(rise, sizeof rise, "rose %.0f%%", 100 * (rg - 1));
    return add_flag(&x->fl, "weekly_progression", d->day, NULL, TENDO_TR_MODERATE, v,
                    c->weekly_ratio,
                    "In the 7 days to %s %s%s. Weekly increases over %.0f%% went with more "
                    "running injuries (Nielsen 2014): hold next week at this level or lower.",
                    date, what, rise, 100 * (c->weekly_ratio - 1));
}

/* Rule 4: two or more of volume, speed, hills up in the same 7 days. */
static int rule_stacked(ctx *x, int i, episode *e)
{
    const tendo_tr_config *c = x->cfg;
    const tendo_tr_day *d = &x->all[i];
    double vol = d->distance_7d, vol0 = window_sum(x->pre_dist, x->n, i - 13, i - 7);
    double hs = window_sum(x->pre_hs, x->n, i - 6, i), hs0 = window_sum(x->pre_hs, x->n, i - 13, i - 7);
    double hl = window_sum(x->pre_hills, x->n, i - 6, i);
    double hl0 = window_sum(x->pre_hills, x->n, i - 13, i - 7);
    double rs = window_sum(x->pre_run_s, x->n, i - 6, i), rs0 = window_sum(x->pre_run_s, x->n, i - 13, i - 7);
    double rm = window_sum(x->pre_run_m, x->n, i - 6, i), rm0 = window_sum(x->pre_run_m, x->n, i - 13, i - 7);
    double pace = rs > 0 ? rm / rs : NAN, pace0 = rs0 > 0 ? rm0 / rs0 : NAN; /* m/s */
    double r = c->stack_ratio;
    int up_vol = vol >= c->stack_min_volume_m && vol > r * vol0;
    int up_hs = hs >= c->stack_min_high_speed_m && hs > r * hs0;
    int up_pace = pace > r * pace0; /* NAN compares false */
    int up_hill = hl >= c->stack_min_hills_m && hl > r * hl0;
    int up_speed = up_hs || up_pace;
    int count = up_vol + up_speed + up_hill;
    tendo_tr_severity sev = count >= 3 ? TENDO_TR_HIGH : TENDO_TR_MODERATE;
    if (!episode_fires(e, d->history_ok && count >= 2, sev))
        return 0;
    char date[11], vol_t[64] = "", spd_t[96] = "", hill_t[80] = "";
    date_of(d->day, date);
    if (up_vol)
        snprintf(vol_t, sizeof vol_t, "volume %.1f km against %.1f km; ", vol / 1000, vol0 / 1000);
    if (up_hs)
        snprintf(spd_t, sizeof spd_t, "high-speed running %.1f km against %.1f km; ", hs / 1000,
                 hs0 / 1000);
    else if (up_pace)
        snprintf(spd_t, sizeof spd_t, "mean running speed %.2f m/s against %.2f m/s; ", pace,
                 pace0);
    if (up_hill)
        snprintf(hill_t, sizeof hill_t, "hills %.0f m up and down against %.0f m; ", hl, hl0);
    char what[240];
    snprintf(what, sizeof what, "%s%s%s", vol_t, spd_t, hill_t);
    what[strlen(what) - 2] = '\0'; /* the last "; " */
    return add_flag(&x->fl, "stacked_increases", d->day, NULL, sev, (double)count, 2,
                    "In the 7 days to %s %d of volume, speed and hills rose by more than %.0f%% "
                    "against the week before: %s. Change one thing at a time (DESIGN.md, "
                    "return-to-run advice).",
                    date, count, 100 * (r - 1), what);
}

/* Rule 3: EWMA acute:chronic damage ratio; never high, moderate only when
 * another load flag was raised in the acute window. */
static int rule_acwr(ctx *x, int i, episode *e)
{
    const tendo_tr_config *c = x->cfg;
    const tendo_tr_day *d = &x->all[i];
    int holds = d->history_ok && d->acwr_ewma > c->acwr_ratio;
    tendo_tr_severity sev = TENDO_TR_LOW;
    for (size_t k = 0; holds && k < x->fl.len; k++) {
        const tendo_tr_flag *f = &x->fl.f[k];
        if (strcmp(f->rule, "acwr") && strcmp(f->rule, "symptoms") && strcmp(f->rule, "asymmetry") &&
            f->day <= d->day && f->day > d->day - c->acute_days)
            sev = TENDO_TR_MODERATE;
    }
    if (!episode_fires(e, holds, sev))
        return 0;
    char date[11];
    date_of(d->day, date);
    return add_flag(&x->fl, "acwr", d->day, NULL, sev, d->acwr_ewma, c->acwr_ratio,
                    "On %s the acute:chronic ratio of Achilles damage was %.2f (EWMA %d/%d days; "
                    "rolling %.2f), above %.1f. The ratio is disputed as a predictor (Impellizzeri "
                    "2020; Frandsen 2025), so read it beside the other flags.",
                    date, d->acwr_ewma, c->acute_days, c->chronic_days, d->acwr_rolling,
                    c->acwr_ratio);
}

/* Rule 6: a session's left share of contact time or of Achilles load
 * against the median of the athlete's sessions in the baseline window. */
static int rule_asymmetry(ctx *x)
{
    const tendo_tr_config *c = x->cfg;
    double *v = malloc((x->ns ? x->ns : 1) * sizeof *v);
    if (!v)
        return -1;
    for (size_t i = 0; i < x->ns; i++) {
        const tendo_tr_session *s = &x->s[i];
        static const char *const names[] = {"contact-time balance", "Achilles load share"};
        double best = 0, bval = NAN, bbase = NAN;
        int which = -1;
        for (int m = 0; m < 2; m++) {
            double cur = m ? s->load_left_pct : s->gct_balance_left_pct;
            if (!isfinite(cur))
                continue;
            size_t k = 0;
            for (size_t j = 0; j < x->ns; j++) {
                int dd = s->day - x->s[j].day;
                double pv = m ? x->s[j].load_left_pct : x->s[j].gct_balance_left_pct;
                if (dd >= 1 && dd <= c->asym_baseline_days && isfinite(pv))
                    v[k++] = pv;
            }
            if ((int)k < c->asym_min_sessions)
                continue;
            double base = median(v, k), shift = fabs(cur - base);
            if (shift > c->asym_shift_pct && shift > best)
                best = shift, bval = cur, bbase = base, which = m;
        }
        if (which < 0)
            continue;
        char date[11];
        date_of(s->day, date);
        tendo_tr_severity sev = best > 2 * c->asym_shift_pct ? TENDO_TR_MODERATE : TENDO_TR_LOW;
        if (add_flag(&x->fl, "asymmetry", s->day, s->id, sev, best, c->asym_shift_pct,
                     "On %s the left foot's %s was %.1f%% against %.1f%% usually (median of the "
                     "previous %d days): a shift of %.1f points. A new limp or a sore side often "
                     "shows so: ask about it.",
                     date, names[which], bval, bbase, c->asym_baseline_days, best) != 0) {
            free(v);
            return -1;
        }
    }
    free(v);
    return 0;
}

/* Rule 5: pain during loading, pain not settled at 24 h, morning
 * stiffness above the previous 7 days. One flag per diary day; a stretch of
 * rising stiffness alone is flagged once, on its first day. */
static int rule_symptoms(ctx *x, const tendo_tr_diary *diary, size_t nd)
{
    const tendo_tr_config *c = x->cfg;
    int stiff_prev = 0, prev_day = INT32_MIN;
    for (size_t i = 0; i < nd; i++) {
        const tendo_tr_diary *e = &diary[i];
        double sum = 0;
        int k = 0;
        for (size_t j = 0; j < i; j++)
            if (diary[j].stiffness >= 0 && e->day - diary[j].day >= 1 && e->day - diary[j].day <= 7)
                sum += diary[j].stiffness, k++;
        double base = k ? sum / k : NAN;
        int pain = e->pain >= 0 && e->pain > c->pain_max;
        int p24 = e->pain_24h >= 0 && e->pain_24h > c->pain_24h_max;
        int stiff = e->stiffness >= 0 && k > 0 && e->stiffness >= base + c->stiffness_rise;
        int stiff_new = stiff && !(stiff_prev && prev_day == e->day - 1);
        stiff_prev = stiff;
        prev_day = e->day;
        if (!pain && !p24 && !stiff_new)
            continue;
        char date[11], what[240] = "";
        date_of(e->day, date);
        size_t n = 0;
        if (pain)
            n += (size_t)snprintf(what + n, sizeof what - n, "pain during running %d/10 (above %g)",
                                  e->pain, c->pain_max);
        if (p24 && n < sizeof what)
            n += (size_t)snprintf(what + n, sizeof what - n,
                                  "%spain %d/10 the next day (not settled within 24 h)",
                                  n ? "; " : "", e->pain_24h);
        if (stiff && n < sizeof what)
            snprintf(what + n, sizeof what - n,
                     "%smorning stiffness %d/10 against %.1f over the previous 7 days",
                     n ? "; " : "", e->stiffness, base);
        tendo_tr_severity sev = pain ? TENDO_TR_HIGH : TENDO_TR_MODERATE;
        double value = pain ? e->pain : p24 ? e->pain_24h : e->stiffness;
        double thr = pain ? c->pain_max : p24 ? c->pain_24h_max : base + c->stiffness_rise;
        if (add_flag(&x->fl, "symptoms", e->day, NULL, sev, value, thr,
                     "Diary on %s: %s. Hold or reduce the load until it settles (pain-monitoring "
                     "model, Silbernagel 2007).",
                     date, what) != 0)
            return -1;
    }
    return 0;
}

/* ------------------------------------------------------------ series */

static void weighted(double *acc_v, double *acc_w, double v, double w)
{
    if (isfinite(v) && w > 0)
        *acc_v += v * w, *acc_w += w;
}

static int cmp_flag(const void *a, const void *b)
{
    const tendo_tr_flag *x = a, *y = b;
    if (x->day != y->day)
        return (x->day > y->day) - (x->day < y->day);
    return strcmp(x->rule, y->rule);
}

int tendo_tr_compute(const tendo_tr_config *cfg, const char *athlete_id,
                     const tendo_tr_session *sessions, size_t nsessions,
                     const tendo_tr_diary *diary, size_t ndiary, int first_day, int last_day,
                     tendo_tr_result **out, tendo_error *err)
{
    *out = NULL;
    int rc = check_config(cfg, err);
    if (rc != TENDO_OK)
        return rc;
    for (size_t i = 1; i < nsessions; i++)
        if (sessions[i].day < sessions[i - 1].day)
            return tendo_error_set(err, TENDO_EUSAGE,
                                   "sessions out of date order at row %zu (session %s)", i + 1,
                                   sessions[i].id);
    for (size_t i = 0; i < ndiary; i++) {
        if (i && diary[i].day <= diary[i - 1].day) {
            char a[11];
            tendo_tr_date_format(diary[i].day, a);
            return tendo_error_set(err, TENDO_EUSAGE,
                                   "diary dates out of order or repeated at row %zu (%s)", i + 1,
                                   a);
        }
        if (diary[i].pain > 10 || diary[i].pain_24h > 10 || diary[i].stiffness > 10)
            return tendo_error_set(err, TENDO_EUSAGE, "diary row %zu: a score is above 10", i + 1);
    }
    int auto_span = first_day > last_day;
    int lo = INT32_MAX, hi = INT32_MIN;
    if (nsessions)
        lo = sessions[0].day, hi = sessions[nsessions - 1].day;
    if (ndiary) {
        lo = diary[0].day < lo ? diary[0].day : lo;
        hi = diary[ndiary - 1].day > hi ? diary[ndiary - 1].day : hi;
    }
    if (auto_span && lo > hi) { /* no data at all: an empty result that says so */
        tendo_tr_result *e = calloc(1, sizeof *e);
        if (!e)
            return tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
        e->first_day = 1;
        e->first_session_day = -1;
        snprintf(e->history_note, sizeof e->history_note,
                 "too little history: no sessions yet; the load rules need %d days of them",
                 cfg->min_history_days);
        *out = e;
        return TENDO_OK;
    }
    if (auto_span) {
        first_day = lo;
        last_day = hi;
    }
    int d0 = lo < first_day ? lo : first_day, d1 = last_day;
    if ((long)d1 - d0 > 365L * 200)
        return tendo_error_set(err, TENDO_EUSAGE, "the dates span more than 200 years");
    int n = d1 - d0 + 1;

    tendo_tr_result *r = calloc(1, sizeof *r);
    ctx x = {.cfg = cfg, .s = sessions, .ns = nsessions, .d0 = d0, .n = n};
    x.fl.athlete = athlete_id;
    x.all = calloc((size_t)n, sizeof *x.all);
    double **pres[] = {&x.pre_dist, &x.pre_damage, &x.pre_load, &x.pre_hs,
                       &x.pre_hills, &x.pre_run_s, &x.pre_run_m};
    int oom = !r || !x.all;
    for (size_t k = 0; k < sizeof pres / sizeof *pres; k++)
        if (!(*pres[k] = calloc((size_t)n + 1, sizeof(double))))
            oom = 1;
    double *wcad = calloc((size_t)n * 8, sizeof(double));
    tendo_tr_run *runs = malloc((nsessions ? nsessions : 1) * sizeof *runs);
    if (oom || !wcad || !runs) {
        rc = tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
        goto done;
    }

    /* daily sums */
    int first_session = nsessions ? sessions[0].day : INT32_MIN;
    for (int i = 0; i < n; i++) {
        tendo_tr_day *d = &x.all[i];
        d->day = d0 + i;
        d->pain = d->pain_24h = d->stiffness = -1;
        d->history_days = nsessions && d->day >= first_session ? d->day - first_session : -1;
        d->history_ok = d->history_days >= cfg->min_history_days;
    }
    double *hill = calloc((size_t)n, sizeof(double)), *run_s = calloc((size_t)n, sizeof(double));
    double *run_m = calloc((size_t)n, sizeof(double));
    if (!hill || !run_s || !run_m) {
        free(hill), free(run_s), free(run_m);
        rc = tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
        goto done;
    }
    for (size_t k = 0; k < nsessions; k++) {
        const tendo_tr_session *s = &sessions[k];
        if (s->day < d0 || s->day > d1)
            continue;
        int i = s->day - d0;
        tendo_tr_day *d = &x.all[i];
        d->sessions++;
        d->duration_s += nz(s->duration_s);
        d->distance_m += nz(s->distance_m);
        d->high_speed_m += nz(s->high_speed_m);
        d->ascent_m += nz(s->ascent_m);
        d->descent_m += nz(s->descent_m);
        d->load += nz(s->achilles_load);
        d->damage += nz(s->achilles_damage);
        hill[i] += nz(s->ascent_m) + nz(s->descent_m);
        run_s[i] += nz(s->run_s);
        run_m[i] += nz(s->run_distance_m);
        double w = nz(s->run_s) > 0 ? s->run_s : nz(s->duration_s);
        double *acc = &wcad[8 * i];
        weighted(&acc[0], &acc[1], s->cadence_spm, w);
        weighted(&acc[2], &acc[3], s->gct_ms, w);
        weighted(&acc[4], &acc[5], s->gct_balance_left_pct, w);
        weighted(&acc[6], &acc[7], s->load_left_pct, w);
    }
    for (size_t k = 0; k < ndiary; k++) {
        if (diary[k].day < d0 || diary[k].day > d1)
            continue;
        tendo_tr_day *d = &x.all[diary[k].day - d0];
        d->pain = diary[k].pain < 0 ? -1 : diary[k].pain;
        d->pain_24h = diary[k].pain_24h < 0 ? -1 : diary[k].pain_24h;
        d->stiffness = diary[k].stiffness < 0 ? -1 : diary[k].stiffness;
    }
    for (int i = 0; i < n; i++) {
        const tendo_tr_day *d = &x.all[i];
        x.pre_dist[i + 1] = x.pre_dist[i] + d->distance_m;
        x.pre_damage[i + 1] = x.pre_damage[i] + d->damage;
        x.pre_load[i + 1] = x.pre_load[i] + d->load;
        x.pre_hs[i + 1] = x.pre_hs[i] + d->high_speed_m;
        x.pre_hills[i + 1] = x.pre_hills[i] + hill[i];
        x.pre_run_s[i + 1] = x.pre_run_s[i] + run_s[i];
        x.pre_run_m[i + 1] = x.pre_run_m[i] + run_m[i];
    }
    free(hill), free(run_s), free(run_m);

    /* rolling sums, ratios and EWMAs (started at zero on the first day of
     * the span: the history rule keeps flags away from the warm-up) */
    int a = cfg->acute_days, ch = cfg->chronic_days;
    double la = 2.0 / (a + 1), lc = 2.0 / (ch + 1);
    double ea = 0, ec = 0, la_load = 0, lc_load = 0;
    size_t si = 0;
    for (int i = 0; i < n; i++) {
        tendo_tr_day *d = &x.all[i];
        d->distance_7d = window_sum(x.pre_dist, n, i - 6, i);
        d->distance_28d = window_sum(x.pre_dist, n, i - 27, i);
        d->damage_7d = window_sum(x.pre_damage, n, i - 6, i);
        d->damage_28d = window_sum(x.pre_damage, n, i - 27, i);
        d->load_7d = window_sum(x.pre_load, n, i - 6, i);
        d->load_28d = window_sum(x.pre_load, n, i - 27, i);
        double acute = window_sum(x.pre_damage, n, i - a + 1, i) / a;
        double chronic = window_sum(x.pre_damage, n, i - ch + 1, i) / ch;
        d->acwr_rolling = chronic > 0 ? acute / chronic : NAN;
        ea = la * d->damage + (1 - la) * ea;
        ec = lc * d->damage + (1 - lc) * ec;
        la_load = la * d->load + (1 - la) * la_load;
        lc_load = lc * d->load + (1 - lc) * lc_load;
        d->damage_acute_ewma = ea;
        d->damage_chronic_ewma = ec;
        d->acwr_ewma = ec > 0 ? ea / ec : NAN;
        d->load_acute_ewma = la_load;
        d->load_chronic_ewma = lc_load;
        double p7 = window_sum(x.pre_dist, n, i - 13, i - 7);
        double g7 = window_sum(x.pre_damage, n, i - 13, i - 7);
        d->distance_wow_pct = p7 > 0 ? 100 * (d->distance_7d / p7 - 1) : NAN;
        d->damage_wow_pct = g7 > 0 ? 100 * (d->damage_7d / g7 - 1) : NAN;
        /* longest single run in the window before this day */
        while (si < nsessions && sessions[si].day < d->day - cfg->longest_window_days)
            si++;
        d->longest_30d_m = 0;
        for (size_t k = si; k < nsessions && sessions[k].day < d->day; k++)
            d->longest_30d_m = fmax(d->longest_30d_m, nz(sessions[k].distance_m));
        const double *acc = &wcad[8 * i];
        d->cadence_spm = acc[1] > 0 ? acc[0] / acc[1] : NAN;
        d->gct_ms = acc[3] > 0 ? acc[2] / acc[3] : NAN;
        d->gct_balance_left_pct = acc[5] > 0 ? acc[4] / acc[5] : NAN;
        d->load_left_pct = acc[7] > 0 ? acc[6] / acc[7] : NAN;
    }

    /* flags: session rules, then day rules in day order (acwr looks back at
     * the load flags of its acute window) */
    size_t nruns = 0;
    if (rule_longest_run(&x, runs, &nruns) != 0 || rule_symptoms(&x, diary, ndiary) != 0 ||
        rule_asymmetry(&x) != 0) {
        rc = tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
        goto done;
    }
    episode ew = {0}, es = {0}, ea_ep = {0};
    for (int i = 0; i < n; i++)
        if (rule_weekly(&x, i, &ew) != 0 || rule_stacked(&x, i, &es) != 0 ||
            rule_acwr(&x, i, &ea_ep) != 0) {
            rc = tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
            goto done;
        }

    /* the window asked for */
    int w0 = first_day - d0, nw = last_day - first_day + 1;
    r->first_day = first_day;
    r->last_day = last_day;
    r->ndays = nw > 0 ? (size_t)nw : 0;
    r->days = malloc((r->ndays ? r->ndays : 1) * sizeof *r->days);
    r->runs = malloc((nruns ? nruns : 1) * sizeof *r->runs);
    r->flags = malloc((x.fl.len ? x.fl.len : 1) * sizeof *r->flags);
    if (!r->days || !r->runs || !r->flags) {
        rc = tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
        goto done;
    }
    if (r->ndays)
        memcpy(r->days, x.all + w0, r->ndays * sizeof *r->days);
    for (size_t k = 0; k < nruns; k++)
        if (runs[k].day >= first_day && runs[k].day <= last_day)
            r->runs[r->nruns++] = runs[k];
    if (x.fl.len) /* qsort's base must not be NULL, even for 0 elements (UBSan) */
        qsort(x.fl.f, x.fl.len, sizeof *x.fl.f, cmp_flag);
    for (size_t k = 0; k < x.fl.len; k++)
        if (x.fl.f[k].day >= first_day && x.fl.f[k].day <= last_day)
            r->flags[r->nflags++] = x.fl.f[k];
    r->first_session_day = nsessions ? first_session : -1;
    r->history_days = nsessions && last_day >= first_session ? last_day - first_session : 0;
    r->enough_history = nsessions && r->history_days >= cfg->min_history_days;
    if (!r->enough_history) {
        char f[11];
        if (nsessions) {
            tendo_tr_date_format(first_session + cfg->min_history_days, f);
            snprintf(r->history_note, sizeof r->history_note,
                     "too little history: %d day%s since the first session, the load rules need "
                     "%d; only symptom flags until %s",
                     r->history_days, r->history_days == 1 ? "" : "s", cfg->min_history_days, f);
        } else {
            snprintf(r->history_note, sizeof r->history_note,
                     "too little history: no sessions yet; the load rules need %d days of them",
                     cfg->min_history_days);
        }
    }

done:
    for (size_t k = 0; k < sizeof pres / sizeof *pres; k++)
        free(*pres[k]);
    free(x.all);
    free(wcad);
    free(runs);
    free(x.fl.f);
    if (rc != TENDO_OK) {
        tendo_tr_result_free(r);
        return rc;
    }
    *out = r;
    return TENDO_OK;
}

void tendo_tr_result_free(tendo_tr_result *r)
{
    if (!r)
        return;
    free(r->days);
    free(r->runs);
    free(r->flags);
    free(r);
}
