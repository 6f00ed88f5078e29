/*
 * report_charts.c — the athlete's charts (report_charts.h). Which series,
 * units, bands and markers; the drawing itself is svg_chart.c.
 */
#include "report_charts.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svg_chart.h"
#include "tendo_capacity.h"

#define W 1000 /* viewBox width of a full-width chart */
#define H 250

/* Gabbett 2016's acute:chronic "sweet spot" band, shown for orientation:
 * the ratio is contested (Impellizzeri 2020) and only the acwr rule's own
 * threshold (cfg.acwr_ratio) raises a flag. */
#define ACWR_SWEET_LO 0.8
#define ACWR_SWEET_HI 1.3

static void fmt_day(double x, char *out, size_t cap)
{
    char d[11];
    tendo_tr_date_format((int)lround(x), d);
    snprintf(out, cap, "%s", d);
}

const char *rc_severity_color(tendo_tr_severity s)
{
    return s == TENDO_TR_HIGH ? OI_VERMILLION : s == TENDO_TR_MODERATE ? OI_ORANGE : OI_SKY;
}

void rc_flag_anchor(size_t i, char out[32])
{
    snprintf(out, 32, "flag-%zu", i);
}

/* The series of one day field over the window, as doubles (NAN where the
 * day has none). get returns NAN for missing values. */
typedef double (*day_get)(const tendo_tr_day *d);

typedef struct series_buf {
    double *x, *y;
    size_t n;
    double max, min;
} series_buf;

static int fill(const rep_athlete *r, day_get get, double scale, series_buf *s)
{
    size_t n = r->tr ? r->tr->ndays : 0;
    s->x = malloc((n ? n : 1) * sizeof *s->x);
    s->y = malloc((n ? n : 1) * sizeof *s->y);
    s->n = 0;
    s->max = -INFINITY;
    s->min = INFINITY;
    if (!s->x || !s->y)
        return -1;
    for (size_t i = 0; i < n; i++) {
        const tendo_tr_day *d = &r->tr->days[i];
        double v = get(d) * scale;
        s->x[s->n] = d->day;
        s->y[s->n++] = v;
        if (isfinite(v)) {
            s->max = fmax(s->max, v);
            s->min = fmin(s->min, v);
        }
    }
    return 0;
}

static void drop(series_buf *s)
{
    free(s->x);
    free(s->y);
}

static double g_distance(const tendo_tr_day *d)
{
    return d->distance_m;
}
static double g_longest(const tendo_tr_day *d)
{
    return d->longest_30d_m > 0 ? d->longest_30d_m : NAN;
}
static double g_load(const tendo_tr_day *d)
{
    return d->load;
}
static double g_load_acute(const tendo_tr_day *d)
{
    return d->load_acute_ewma;
}
static double g_load_chronic(const tendo_tr_day *d)
{
    return d->load_chronic_ewma;
}
/* Ratios only once the load rules apply (enough history): before that the
 * chronic average is still filling and the ratio means nothing. */
static double g_acwr(const tendo_tr_day *d)
{
    return d->history_ok ? d->acwr_ewma : NAN;
}
static double g_acwr_rolling(const tendo_tr_day *d)
{
    return d->history_ok ? d->acwr_rolling : NAN;
}
static double g_cadence(const tendo_tr_day *d)
{
    return d->sessions ? d->cadence_spm : NAN;
}
static double g_gct(const tendo_tr_day *d)
{
    return d->sessions ? d->gct_ms : NAN;
}
static double g_gct_left(const tendo_tr_day *d)
{
    return d->sessions ? d->gct_balance_left_pct : NAN;
}
static double g_load_left(const tendo_tr_day *d)
{
    return d->sessions ? d->load_left_pct : NAN;
}
static double score(int v)
{
    return v >= 0 ? v : NAN;
}
static double g_pain(const tendo_tr_day *d)
{
    return score(d->pain);
}
static double g_pain24(const tendo_tr_day *d)
{
    return score(d->pain_24h);
}
static double g_stiff(const tendo_tr_day *d)
{
    return score(d->stiffness);
}

static void figure_open(html_buf *b, const char *id, const char *title)
{
    hb_printf(b, "<figure id=\"%s\"><figcaption><b>", id);
    hb_text(b, title);
    hb_raw(b, "</b>");
}

/* Caption text after the title (escaped), then the chart follows. */
static void caption(html_buf *b, const char *text)
{
    hb_raw(b, " — ");
    hb_text(b, text);
    hb_raw(b, "</figcaption>");
}

static void begin(svg_chart *c, html_buf *b, const rep_athlete *r, const char *label, double h,
                  double y0, double y1)
{
    svg_begin(c, b, label, W, h, r->first_day - 0.5, r->last_day + 0.5, y0, y1, fmt_day);
}

/* Flags of the window as markers: one per day, numbered as in the table,
 * coloured by the day's highest severity; the title lists the sentences. */
static void markers(svg_chart *c, const rep_athlete *r)
{
    for (size_t i = 0; i < r->nflags;) {
        size_t j = i;
        tendo_tr_severity sev = TENDO_TR_LOW;
        html_buf t;
        hb_init(&t);
        while (j < r->nflags && !strcmp(r->flags[j].date, r->flags[i].date)) {
            const tendo_catalog_flag *f = &r->flags[j];
            if (f->flag.severity > sev)
                sev = f->flag.severity;
            hb_printf(&t, "%s#%zu %s (%s%s): %s", j > i ? "\n" : "", j + 1, f->flag.rule,
                      tendo_tr_severity_name(f->flag.severity), f->reviewed ? ", reviewed" : "",
                      f->flag.message);
            j++;
        }
        char num[24], anchor[32];
        snprintf(num, sizeof num, "%zu", i + 1);
        rc_flag_anchor(i + 1, anchor);
        svg_marker(c, r->flags[i].flag.day, rc_severity_color(sev), num, t.s ? t.s : "", anchor);
        hb_free(&t);
        i = j;
    }
}

static const svg_series FLAG_LEGEND[] = {
    {"flag, high", "", OI_VERMILLION, 0, -1},
    {"moderate", "", OI_ORANGE, 0, -1},
    {"low", "", OI_SKY, 0, -1},
};

void rc_distance(html_buf *b, const rep_athlete *r)
{
    series_buf d, l;
    if (fill(r, g_distance, 1e-3, &d) || fill(r, g_longest, 1e-3, &l)) {
        drop(&d);
        drop(&l);
        b->oom = 1;
        return;
    }
    /* the line the longest-run rule compares with: 110 % of the 30-day longest */
    double *lim = malloc((l.n ? l.n : 1) * sizeof *lim);
    if (!lim) {
        b->oom = 1;
        drop(&d);
        drop(&l);
        return;
    }
    for (size_t i = 0; i < l.n; i++)
        lim[i] = l.y[i] * r->cfg.longest_ratio;
    char rule[64];
    snprintf(rule, sizeof rule, "%.0f%% of the 30-day longest", 100 * r->cfg.longest_ratio);
    const svg_series s[] = {
        {"distance", "km", OI_BLUE, 2, -1},
        {"longest run of the previous 30 days", "km", OI_BLACK, 2, 0},
        {rule, "km", OI_VERMILLION, 2, 1},
    };
    figure_open(b, "chart-distance", "Daily distance");
    caption(b, "each bar a day's running and walking; a run above the dashed line is more than "
               "10% longer than the longest of the 30 days before it (Frandsen 2025)");
    svg_chart c;
    begin(&c, b, r, "Daily distance in km, with the longest run of the previous 30 days", H, 0,
          svg_nice_top(fmax(d.max, l.max * r->cfg.longest_ratio), 1));
    svg_grid_y(&c, "km");
    svg_axis_days(&c, r->weeks > 16 ? 4 : r->weeks > 8 ? 2 : 1);
    svg_bars(&c, d.x, d.y, d.n, 1, &s[0]);
    svg_line(&c, l.x, l.y, l.n, &s[1], 0);
    svg_line(&c, l.x, lim, l.n, &s[2], 0);
    markers(&c, r);
    svg_end(&c);
    svg_legend(b, s, 3);
    svg_legend(b, FLAG_LEGEND, 3);
    hb_raw(b, "</figure>\n");
    free(lim);
    drop(&d);
    drop(&l);
}

void rc_load(html_buf *b, const rep_athlete *r)
{
    series_buf d, a, ch;
    if (fill(r, g_load, 1e-3, &d) || fill(r, g_load_acute, 1e-3, &a) ||
        fill(r, g_load_chronic, 1e-3, &ch)) {
        drop(&d);
        drop(&a);
        drop(&ch);
        b->oom = 1;
        return;
    }
    char acute[64], chronic[64];
    snprintf(acute, sizeof acute, "acute (%d-day EWMA)", r->cfg.acute_days);
    snprintf(chronic, sizeof chronic, "chronic (%d-day EWMA)", r->cfg.chronic_days);
    const svg_series s[] = {
        {"Achilles load", "k BW-steps", OI_SKY, 2, -1},
        {acute, "k BW-steps/day", OI_VERMILLION, 2, 0},
        {chronic, "k BW-steps/day", OI_BLUE, 2, 1},
    };
    figure_open(b, "chart-load", "Achilles tendon load");
    caption(b, "the sum over the day's steps of each step's peak tendon force in body weights "
               "(thousands); exponentially weighted acute and chronic averages, lambda = 2/(N+1) "
               "(Williams 2017)");
    svg_chart c;
    begin(&c, b, r, "Daily Achilles load with its acute and chronic averages", H, 0,
          svg_nice_top(fmax(d.max, fmax(a.max, ch.max)), 1));
    svg_grid_y(&c, "k BW-steps");
    svg_axis_days(&c, r->weeks > 16 ? 4 : r->weeks > 8 ? 2 : 1);
    svg_bars(&c, d.x, d.y, d.n, 1, &s[0]);
    svg_line(&c, a.x, a.y, a.n, &s[1], 0);
    svg_line(&c, ch.x, ch.y, ch.n, &s[2], 0);
    markers(&c, r);
    svg_end(&c);
    svg_legend(b, s, 3);
    hb_raw(b, "</figure>\n");
    drop(&d);
    drop(&a);
    drop(&ch);
}

void rc_ratio(html_buf *b, const rep_athlete *r)
{
    series_buf e, ro;
    if (fill(r, g_acwr, 1, &e) || fill(r, g_acwr_rolling, 1, &ro)) {
        drop(&e);
        drop(&ro);
        b->oom = 1;
        return;
    }
    const svg_series s[] = {
        {"acute:chronic, EWMA", "", OI_VERMILLION, 2, 0},
        {"acute:chronic, rolling 7/28 days", "", OI_BLUE, 2, 1},
    };
    char flag[64];
    snprintf(flag, sizeof flag, "above %.2g: acwr flag", r->cfg.acwr_ratio);
    figure_open(b, "chart-ratio", "Acute:chronic ratio of Achilles damage");
    char cap[300];
    snprintf(cap, sizeof cap,
             "drawn from %d days of history on; the ratio is contested (Impellizzeri 2020) and "
             "showed no dose-response in Frandsen 2025: it is shown for context and never alone "
             "raises a high flag",
             r->cfg.min_history_days);
    caption(b, cap);
    svg_chart c;
    double top = svg_nice_top(fmax(fmax(e.max, ro.max), r->cfg.acwr_ratio * 1.2), 2);
    begin(&c, b, r, "Acute to chronic ratio of Achilles damage, EWMA and rolling", H, 0, top);
    svg_band(&c, ACWR_SWEET_LO, ACWR_SWEET_HI, OI_GREEN, 0.12, "0.8-1.3 (Gabbett 2016)");
    svg_band(&c, r->cfg.acwr_ratio, top, OI_VERMILLION, 0.10, flag);
    svg_grid_y(&c, "ratio");
    svg_axis_days(&c, r->weeks > 16 ? 4 : r->weeks > 8 ? 2 : 1);
    svg_line(&c, e.x, e.y, e.n, &s[0], 0);
    svg_line(&c, ro.x, ro.y, ro.n, &s[1], 0);
    markers(&c, r);
    svg_end(&c);
    svg_legend(b, s, 2);
    hb_raw(b, "</figure>\n");
    drop(&e);
    drop(&ro);
}

/* One small chart of a daily gait value (dots on running days). */
static void small_chart(html_buf *b, const rep_athlete *r, day_get get, const char *label,
                        const char *unit, const char *color, int decimals, double pad)
{
    series_buf v;
    if (fill(r, get, 1, &v)) {
        drop(&v);
        b->oom = 1;
        return;
    }
    const svg_series s = {label, unit, color, decimals, 0};
    double lo = isfinite(v.min) ? floor((v.min - pad) / pad) * pad : 0;
    double hi = isfinite(v.max) ? ceil((v.max + pad) / pad) * pad : 1;
    svg_chart c;
    svg_begin(&c, b, label, 640, 220, r->first_day - 0.5, r->last_day + 0.5, lo, hi, fmt_day);
    c.mr = 20;
    svg_grid_y(&c, unit);
    svg_axis_days(&c, r->weeks > 8 ? 4 : 2);
    svg_line(&c, v.x, v.y, v.n, &s, 1);
    svg_end(&c);
    drop(&v);
}

void rc_gait(html_buf *b, const rep_athlete *r)
{
    figure_open(b, "chart-gait", "Cadence and ground contact time");
    caption(b, "typical values of the running steps of each day (interquartile mean); a "
               "higher step rate lowers peak tendon stress (Lyght 2016)");
    hb_raw(b, "<div class=\"pair\"><div>");
    small_chart(b, r, g_cadence, "cadence", "steps/min", OI_BLUE, 0, 5);
    hb_raw(b, "</div><div>");
    small_chart(b, r, g_gct, "contact time", "ms", OI_ORANGE, 0, 10);
    hb_raw(b, "</div></div></figure>\n");
}

void rc_balance(html_buf *b, const rep_athlete *r)
{
    series_buf g, l;
    if (fill(r, g_gct_left, 1, &g) || fill(r, g_load_left, 1, &l)) {
        drop(&g);
        drop(&l);
        b->oom = 1;
        return;
    }
    const svg_series s[] = {
        {"left share of contact time", "%", OI_BLUE, 1, 0},
        {"left share of Achilles load", "%", OI_VERMILLION, 1, 1},
    };
    double dev = 5;
    for (size_t i = 0; i < g.n; i++) {
        if (isfinite(g.y[i]))
            dev = fmax(dev, fabs(g.y[i] - 50) + 1);
        if (isfinite(l.y[i]))
            dev = fmax(dev, fabs(l.y[i] - 50) + 1);
    }
    dev = ceil(dev);
    char cap[200];
    snprintf(cap, sizeof cap,
             "50%% is even; below 50%% the left foot does less. Injured side: %s. The asymmetry "
             "flag fires on a shift of more than %.1f points from the athlete's own baseline",
             r->a.injured_side[0] ? r->a.injured_side : "none recorded", r->cfg.asym_shift_pct);
    figure_open(b, "chart-balance", "Left/right balance");
    caption(b, cap);
    svg_chart c;
    begin(&c, b, r, "Left foot's share of contact time and of Achilles load, percent", 220,
          50 - dev, 50 + dev);
    svg_grid_y(&c, "% left");
    svg_hline(&c, 50, OI_BLACK, 2, "even");
    svg_axis_days(&c, r->weeks > 16 ? 4 : r->weeks > 8 ? 2 : 1);
    svg_line(&c, g.x, g.y, g.n, &s[0], 1);
    svg_line(&c, l.x, l.y, l.n, &s[1], 1);
    svg_end(&c);
    svg_legend(b, s, 2);
    hb_raw(b, "</figure>\n");
    drop(&g);
    drop(&l);
}

void rc_diary(html_buf *b, const rep_athlete *r)
{
    series_buf p, p24, st;
    if (fill(r, g_pain, 1, &p) || fill(r, g_pain24, 1, &p24) || fill(r, g_stiff, 1, &st)) {
        drop(&p);
        drop(&p24);
        drop(&st);
        b->oom = 1;
        return;
    }
    const svg_series s[] = {
        {"pain during running", "/10", OI_VERMILLION, 0, 0},
        {"pain 24 h later", "/10", OI_ORANGE, 0, 1},
        {"morning stiffness", "/10", OI_BLUE, 0, 2},
    };
    char cap[200];
    snprintf(cap, sizeof cap,
             "the athlete's diary, 0 none to 10 worst; pain during running above %g/10 or not "
             "settled (above %g/10) the next day means hold or reduce (Silbernagel 2007)",
             r->cfg.pain_max, r->cfg.pain_24h_max);
    figure_open(b, "chart-diary", "Symptom diary");
    caption(b, cap);
    svg_chart c;
    begin(&c, b, r, "Diary pain and morning stiffness, 0 to 10", 220, 0, 10);
    svg_band(&c, r->cfg.pain_max, 10, OI_VERMILLION, 0.08, "pain flag zone");
    svg_grid_y(&c, "score /10");
    svg_axis_days(&c, r->weeks > 16 ? 4 : r->weeks > 8 ? 2 : 1);
    svg_line(&c, p.x, p.y, p.n, &s[0], 1);
    svg_line(&c, p24.x, p24.y, p24.n, &s[1], 1);
    svg_line(&c, st.x, st.y, st.n, &s[2], 1);
    markers(&c, r);
    svg_end(&c);
    svg_legend(b, s, 3);
    hb_raw(b, "</figure>\n");
    drop(&p);
    drop(&p24);
    drop(&st);
}

void rc_capacity(html_buf *b, const rep_athlete *r)
{
    size_t n = 0;
    double *x = malloc((r->ncaps ? r->ncaps : 1) * sizeof *x);
    double *y = malloc((r->ncaps ? r->ncaps : 1) * sizeof *y);
    if (!x || !y) {
        free(x);
        free(y);
        b->oom = 1;
        return;
    }
    double lo = INFINITY, hi = -INFINITY, top = 100;
    for (size_t i = 0; i < r->ncaps; i++) {
        int d;
        tendo_error e;
        tendo_error_clear(&e);
        if (tendo_tr_date_parse(r->caps[i].date, &d, &e) != TENDO_OK)
            continue;
        x[n] = d;
        y[n] = 100 * r->caps[i].ratio;
        lo = fmin(lo, d);
        hi = fmax(hi, d);
        if (isfinite(y[n]))
            top = fmax(top, y[n]);
        n++;
    }
    if (!n) {
        free(x);
        free(y);
        return;
    }
    const svg_series s = {"heel-raise work, involved / other side", "%", OI_BLUE, 0, 0};
    svg_chart c;
    svg_begin(&c, b, "Heel-raise symmetry of each test, percent", 640, 200, lo - 3, hi + 3, 0,
              svg_nice_top(top, 100), fmt_day);
    svg_band(&c, TENDO_AN_CAPACITY_LSI_CRITERION_PCT, svg_nice_top(top, 100), OI_GREEN, 0.12,
             "90% or more: ready");
    svg_grid_y(&c, "%");
    svg_axis_days(&c, hi - lo > 120 ? 4 : 1);
    svg_line(&c, x, y, n, &s, 1);
    svg_end(&c);
    free(x);
    free(y);
}

void rc_sparkline(html_buf *b, const rep_athlete *r)
{
    if (!r->tr || !r->tr->ndays)
        return;
    double max = 0;
    for (size_t i = 0; i < r->tr->ndays; i++)
        max = fmax(max, r->tr->days[i].distance_m);
    double w = 2.0 * (double)r->tr->ndays, h = 24;
    hb_printf(b,
              "<svg class=\"spark\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" "
              "aria-label=\"daily distance\">",
              w, h);
    for (size_t i = 0; i < r->tr->ndays && max > 0; i++) {
        const tendo_tr_day *d = &r->tr->days[i];
        if (!(d->distance_m > 0))
            continue;
        double bh = fmax(1, d->distance_m / max * (h - 1));
        char date[11];
        tendo_tr_date_format(d->day, date);
        hb_printf(b,
                  "<rect x=\"%.1f\" y=\"%.1f\" width=\"1.6\" height=\"%.1f\" fill=\"%s\">"
                  "<title>%s: %.2f km</title></rect>",
                  2.0 * (double)i, h - bh, bh, OI_BLUE, date, d->distance_m / 1000);
    }
    hb_raw(b, "</svg>");
}
