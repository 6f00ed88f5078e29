/*
 * report_page.c — page layout of the athlete and squad reports.
 */
#include "report_page.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_charts.h"
#include "report_checklist.h"
#include "svg_chart.h"
#include "tendo_capacity.h"
#include "tendo_version.h"

/* System fonts only (nothing to download); printable: charts and tables
 * keep together, links lose their colour. */
static const char CSS[] =
    "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,"
    "sans-serif;color:#1a1a1a;background:#fff;max-width:1100px;margin:24px auto;padding:0 16px;"
    "line-height:1.45;font-size:15px}"
    "h1{font-size:26px;margin:0 0 4px}h2{font-size:19px;margin:28px 0 8px;border-bottom:2px "
    "solid #1a1a1a;padding-bottom:2px}h1 small{font-weight:normal;color:#555;font-size:16px}"
    ".meta{color:#444;margin:2px 0}.notes{background:#f4f4f4;padding:6px 10px;border-left:4px "
    "solid #999}"
    ".cards{display:flex;flex-wrap:wrap;gap:10px;margin:12px 0}.card{border:1px solid "
    "#bbb;border-radius:6px;padding:8px 12px;min-width:150px}.card b{display:block;font-size:"
    "22px}.card span{color:#444;font-size:13px}"
    "table{border-collapse:collapse;width:100%;margin:6px 0 10px;font-size:14px}"
    "th,td{border-bottom:1px solid #ccc;padding:5px 8px;text-align:left;vertical-align:top}"
    "th{background:#f0f0f0}td.num{text-align:right;white-space:nowrap}th.num{text-align:right}"
    "td.date{white-space:nowrap}"
    "figure{margin:14px 0 22px}figcaption{font-size:13.5px;color:#333;margin-bottom:4px}"
    "figcaption b{font-size:15px;color:#1a1a1a}"
    "svg.chart{width:100%;height:auto;display:block}svg.chart text{font-size:12px;"
    "fill:#333}svg.chart .ytick{text-anchor:end}svg.chart .xaxis text{text-anchor:middle}"
    "svg.chart .unit{font-weight:bold}svg.chart .note{font-size:11px}"
    "svg.chart .plot{fill:none;stroke:#999}svg.chart .grid line{stroke:#d9d9d9}"
    "svg.chart .xaxis line{stroke:#666}svg.chart .line{fill:none;stroke-width:2.2}"
    "svg.chart .hover circle{fill-opacity:0}svg.chart .ref{stroke-width:1.5}"
    "svg.chart .marker line{stroke-width:1.5;stroke-dasharray:3 3}svg.chart .marker circle"
    "{stroke:#1a1a1a;stroke-width:1}svg.chart .marker text{font-size:10px;font-weight:bold;"
    "text-anchor:middle;fill:#000}"
    ".pair{display:flex;gap:14px}.pair>div{flex:1;min-width:0}"
    ".legend{font-size:13px;margin:2px 0 0 52px}.legend span{margin-right:16px;"
    "white-space:nowrap}.legend svg{vertical-align:middle;margin-right:4px}"
    ".sev{display:inline-block;padding:0 6px;border-radius:3px;font-size:12.5px;"
    "font-weight:bold;border:2px solid}.sev-high{border-color:#D55E00}.sev-moderate"
    "{border-color:#E69F00}.sev-low{border-color:#56B4E9}"
    ".ok{color:#00684a;font-weight:bold}.no{color:#b34700;font-weight:bold}.unk{color:#555;"
    "font-weight:bold}.reviewed{color:#555}"
    ".verdict{font-size:16px;padding:8px 12px;border:2px solid #999;border-radius:6px;"
    "margin:8px 0}.verdict.go{border-color:#009E73}.verdict.hold{border-color:#D55E00}"
    "svg.spark{width:100px;height:24px;vertical-align:middle}table.squad .nw{white-space:nowrap}"
    "footer{margin-top:32px;font-size:12.5px;color:#444;border-top:1px solid #ccc;"
    "padding-top:8px}"
    "a{color:#0072B2}"
    "@media print{body{margin:0;max-width:none;font-size:12px}h2{break-after:avoid}"
    "figure,table,.cards,.verdict{break-inside:avoid}a{color:inherit;text-decoration:none}"
    "@page{margin:14mm}}";

static void head(html_buf *b, const char *title)
{
    hb_raw(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
              "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
              "<meta name=\"generator\" content=\"tendo " TENDO_VERSION "\">\n<title>");
    hb_text(b, title);
    hb_printf(b, "</title>\n<style>%s</style>\n</head>\n<body>\n", CSS);
}

static void foot(html_buf *b)
{
    hb_raw(b, "<footer>Made by tendo " TENDO_VERSION
              " from the catalog; one self-contained file (no script, nothing loaded from "
              "elsewhere), printable. Hover over a bar, dot or marker for its exact value. "
              "Colours: the Okabe–Ito palette (Okabe &amp; Ito 2008), readable with common colour "
              "vision deficiencies; lines also differ in dash. Rules, thresholds and sources: "
              "docs/training-load.md; heel-raise test: analysis/MODELS.md; this report: "
              "docs/report.md.</footer>\n</body>\n</html>\n");
}

static void date_of(int day, char out[11])
{
    tendo_tr_date_format(day, out);
}

static const char *state_class(rtr_state s)
{
    return s == RTR_MET ? "ok" : s == RTR_NOT_MET ? "no" : "unk";
}

static const char *state_word(rtr_state s)
{
    return s == RTR_MET ? "&#10003; met" : s == RTR_NOT_MET ? "&#10007; not met" : "? no data";
}

static void checklist(html_buf *b, const rep_athlete *r)
{
    rtr_checklist cl;
    rtr_evaluate(r, &cl);
    char day[11];
    date_of(r->last_day, day);
    hb_raw(b, "<h2 id=\"return-to-run\">Return-to-run checklist</h2>\n");
    if (cl.met == RTR_ITEMS)
        hb_printf(b,
                  "<p class=\"verdict go\">All %d met on %s: running can progress, one "
                  "variable at a time (duration, then speed, then hills).</p>\n",
                  RTR_ITEMS, day);
    else
        hb_printf(b,
                  "<p class=\"verdict hold\">%d of %d met on %s (%d not met, %d without "
                  "data): hold the running load at walk–run level on flat ground until all "
                  "are met.</p>\n",
                  cl.met, RTR_ITEMS, day, cl.not_met, cl.unknown);
    hb_raw(b, "<table class=\"checklist\"><tr><th>Question</th><th>Answer</th><th>The numbers"
              "</th><th>Met when</th></tr>\n");
    for (int i = 0; i < RTR_ITEMS; i++) {
        const rtr_item *it = &cl.item[i];
        hb_raw(b, "<tr><td>");
        hb_text(b, it->title);
        hb_printf(b, "</td><td class=\"%s\">%s</td><td>", state_class(it->state),
                  state_word(it->state));
        hb_text(b, it->detail);
        hb_raw(b, "</td><td>");
        hb_text(b, it->rule);
        hb_raw(b, "</td></tr>\n");
    }
    hb_raw(b, "</table>\n");
}

/* Sums of the last 7 days and the 7 before, over the window's days. */
static void week_sums(const rep_athlete *r, double *now, double *before)
{
    *now = *before = 0;
    if (!r->tr)
        return;
    for (size_t i = 0; i < r->tr->ndays; i++) {
        int age = r->last_day - r->tr->days[i].day;
        if (age >= 0 && age < 7)
            *now += r->tr->days[i].distance_m;
        else if (age >= 7 && age < 14)
            *before += r->tr->days[i].distance_m;
    }
}

static const tendo_tr_day *last_day(const rep_athlete *r)
{
    return r->tr && r->tr->ndays ? &r->tr->days[r->tr->ndays - 1] : NULL;
}

static void cards(html_buf *b, const rep_athlete *r)
{
    double now, before;
    week_sums(r, &now, &before);
    size_t high, mod, low, open = rep_open_flags(r, &high, &mod, &low);
    const tendo_tr_day *d = last_day(r);
    hb_raw(b, "<div class=\"cards\">");
    hb_printf(b, "<div class=\"card\"><b>%.1f km</b><span>last 7 days", now / 1000);
    if (before > 0)
        hb_printf(b, " (%+.0f%% on the 7 before)", 100 * (now - before) / before);
    hb_raw(b, "</span></div>");
    hb_printf(b,
              "<div class=\"card\"><b>%zu</b><span>open flags (%zu high, %zu moderate, %zu "
              "low)</span></div>",
              open, high, mod, low);
    if (d && d->history_ok && isfinite(d->acwr_ewma))
        hb_printf(b,
                  "<div class=\"card\"><b>%.2f</b><span>acute:chronic (EWMA), last day</span>"
                  "</div>",
                  d->acwr_ewma);
    if (d && d->longest_30d_m > 0)
        hb_printf(b, "<div class=\"card\"><b>%.1f km</b><span>longest run, 30 days</span></div>",
                  d->longest_30d_m / 1000);
    if (r->ncaps && isfinite(r->caps[r->ncaps - 1].ratio))
        hb_printf(b,
                  "<div class=\"card\"><b>%.0f%%</b><span>heel-raise symmetry (%s)</span>"
                  "</div>",
                  100 * r->caps[r->ncaps - 1].ratio, r->caps[r->ncaps - 1].date);
    hb_raw(b, "</div>\n");
}

static void flags_table(html_buf *b, const rep_athlete *r)
{
    hb_printf(b, "<h2 id=\"flags\">Flags (%zu in these %d weeks)</h2>\n", r->nflags, r->weeks);
    if (!r->nflags) {
        hb_raw(b, "<p>No flag in the window: no training spike or symptom rule fired.</p>\n");
        return;
    }
    hb_raw(b, "<table class=\"flags\"><tr><th class=\"num\">#</th><th>Date</th><th>Rule</th>"
              "<th>Severity</th><th>Why</th><th class=\"num\">Value</th><th class=\"num\">"
              "Threshold</th><th>Review</th></tr>\n");
    for (size_t i = 0; i < r->nflags; i++) {
        const tendo_catalog_flag *f = &r->flags[i];
        char anchor[32];
        rc_flag_anchor(i + 1, anchor);
        hb_printf(b, "<tr id=\"%s\"><td class=\"num\">%zu</td><td class=\"date\">", anchor, i + 1);
        hb_text(b, f->date);
        hb_raw(b, "</td><td>");
        hb_text(b, f->flag.rule);
        hb_printf(b, "</td><td><span class=\"sev sev-%s\">%s</span></td><td>",
                  tendo_tr_severity_name(f->flag.severity),
                  tendo_tr_severity_name(f->flag.severity));
        hb_text(b, f->flag.message);
        hb_printf(b, "</td><td class=\"num\">%.3g</td><td class=\"num\">%.3g</td><td>",
                  f->flag.value, f->flag.threshold);
        if (f->reviewed) {
            hb_raw(b, "<span class=\"reviewed\">reviewed ");
            hb_textf(b, "%.10s", f->reviewed_utc);
            hb_raw(b, ": ");
            hb_text(b, f->review_note);
            hb_raw(b, "</span>");
        } else {
            hb_raw(b, "<b>open</b> — <code>tendo flags ack ");
            hb_text(b, f->flag.id);
            hb_raw(b, " --note TEXT</code>");
        }
        hb_raw(b, "</td></tr>\n");
    }
    hb_raw(b, "</table>\n");
}

static void cm_or_dash(html_buf *b, double m)
{
    if (isfinite(m))
        hb_printf(b, "<td class=\"num\">%.1f cm</td>", 100 * m);
    else
        hb_raw(b, "<td class=\"num\">–</td>");
}

static void capacity_section(html_buf *b, const rep_athlete *r)
{
    hb_raw(b, "<h2 id=\"capacity\">Calf capacity: single-leg heel-raise tests</h2>\n");
    if (!r->ncaps) {
        hb_raw(b, "<p>No heel-raise test recorded. Record one with both pods on the shoes "
                  "and add it with <code>tendo capacity FILE.h5 --athlete ");
        hb_text(b, r->a.id);
        hb_raw(b, "</code>.</p>\n");
        return;
    }
    hb_raw(b, "<table class=\"capacity\"><tr><th>Date</th><th class=\"num\">Left reps</th>"
              "<th class=\"num\">Right reps</th><th class=\"num\">Left mean height</th>"
              "<th class=\"num\">Right mean height</th><th class=\"num\">Work symmetry</th>"
              "<th>Return-to-run mark (90%)</th><th>Note</th></tr>\n");
    for (size_t i = r->ncaps; i-- > 0;) {
        const tendo_catalog_capacity *t = &r->caps[i];
        hb_raw(b, "<tr><td class=\"date\">");
        hb_text(b, t->date);
        hb_printf(b, "</td><td class=\"num\">%d</td><td class=\"num\">%d</td>", t->left_reps,
                  t->right_reps);
        cm_or_dash(b, t->left_height_m);
        cm_or_dash(b, t->right_height_m);
        if (isfinite(t->ratio)) {
            int ok = 100 * t->ratio >= TENDO_AN_CAPACITY_LSI_CRITERION_PCT;
            hb_printf(b, "<td class=\"num\">%.0f%%</td><td class=\"%s\">%s</td>", 100 * t->ratio,
                      ok ? "ok" : "no", ok ? "&#10003; met" : "&#10007; not yet");
        } else {
            hb_raw(b, "<td class=\"num\">–</td><td class=\"unk\">one side only</td>");
        }
        hb_raw(b, "<td>");
        hb_text(b, t->note);
        hb_raw(b, "</td></tr>\n");
    }
    hb_raw(b, "</table>\n");
    if (r->ncaps > 1) {
        hb_raw(b, "<figure id=\"chart-capacity\"><figcaption><b>Heel-raise symmetry over time"
                  "</b> — work of the involved side over the other's, each test</figcaption>");
        rc_capacity(b, r);
        hb_raw(b, "</figure>\n");
    }
}

static void runs_table(html_buf *b, const rep_athlete *r)
{
    if (!r->tr || !r->tr->nruns)
        return;
    hb_raw(b, "<h2 id=\"runs\">Recent runs against the 30-day longest</h2>\n<table><tr><th>Date"
              "</th><th class=\"num\">Distance</th><th class=\"num\">Longest of the previous 30 "
              "days</th><th class=\"num\">Ratio</th></tr>\n");
    size_t shown = 0;
    for (size_t i = r->tr->nruns; i-- > 0 && shown < 12; shown++) {
        const tendo_tr_run *u = &r->tr->runs[i];
        char d[11];
        date_of(u->day, d);
        hb_printf(b, "<tr><td class=\"date\">%s</td><td class=\"num\">%.2f km</td>", d,
                  u->distance_m / 1000);
        if (u->longest_before_m > 0)
            hb_printf(b, "<td class=\"num\">%.2f km</td>", u->longest_before_m / 1000);
        else
            hb_raw(b, "<td class=\"num\">–</td>");
        if (isfinite(u->ratio))
            hb_printf(b, "<td class=\"num%s\">%.0f%%</td>",
                      u->ratio > r->cfg.longest_ratio ? " no" : "", 100 * u->ratio);
        else
            hb_raw(b, "<td class=\"num\">–</td>");
        hb_raw(b, "</tr>\n");
    }
    hb_raw(b, "</table>\n");
}

static void athlete_header(html_buf *b, const rep_athlete *r)
{
    hb_raw(b, "<header><h1>");
    hb_text(b, r->a.name[0] ? r->a.name : r->a.id);
    hb_raw(b, " <small>");
    hb_text(b, r->a.id);
    hb_raw(b, "</small></h1>\n<p class=\"meta\">");
    if (r->a.mass_kg > 0)
        hb_printf(b, "%.1f kg · ", r->a.mass_kg);
    hb_raw(b, "injured side: ");
    hb_text(b, r->a.injured_side[0] ? r->a.injured_side : "none recorded");
    hb_printf(b, " · %zu session(s) in the catalog", r->nsessions);
    if (r->has_data) {
        char a[11], z[11];
        date_of(r->first_day, a);
        date_of(r->last_day, z);
        hb_printf(b, " · this report: %s to %s (%d weeks)", a, z, r->weeks);
    }
    hb_raw(b, "</p>\n");
    if (r->a.notes[0]) {
        hb_raw(b, "<p class=\"notes\">");
        hb_text(b, r->a.notes);
        hb_raw(b, "</p>\n");
    }
    hb_raw(b, "</header>\n");
}

void rp_athlete(html_buf *b, const rep_athlete *r)
{
    char title[200];
    snprintf(title, sizeof title, "tendo report: %s", r->a.name[0] ? r->a.name : r->a.id);
    head(b, title);
    athlete_header(b, r);
    if (!r->has_data) {
        hb_raw(b, "<p>No sessions, diary or heel-raise tests yet. Add runs with <code>tendo add "
                  "FILE.h5 --athlete ");
        hb_text(b, r->a.id);
        hb_raw(b, "</code> and symptoms with <code>tendo diary add</code>.</p>\n");
        foot(b);
        return;
    }
    if (r->tr && !r->tr->enough_history) {
        hb_raw(b, "<p class=\"notes\"><b>Too little history:</b> ");
        hb_text(b, r->tr->history_note);
        hb_raw(b, "</p>\n");
    }
    cards(b, r);
    checklist(b, r);
    hb_raw(b, "<h2 id=\"load\">Training load</h2>\n");
    rc_distance(b, r);
    rc_load(b, r);
    rc_ratio(b, r);
    hb_raw(b, "<h2 id=\"gait\">Running form</h2>\n");
    rc_gait(b, r);
    rc_balance(b, r);
    hb_raw(b, "<h2 id=\"diary\">Symptoms</h2>\n");
    rc_diary(b, r);
    flags_table(b, r);
    capacity_section(b, r);
    runs_table(b, r);
    foot(b);
}

/* ------------------------------------------------------------ squad */

static int by_open_flags(const void *pa, const void *pb)
{
    const rep_athlete *a = pa, *b = pb;
    size_t ha, ma, hb2, mb;
    size_t oa = rep_open_flags(a, &ha, &ma, NULL), ob = rep_open_flags(b, &hb2, &mb, NULL);
    if (oa != ob)
        return oa > ob ? -1 : 1;
    if (ha != hb2)
        return ha > hb2 ? -1 : 1;
    if (ma != mb)
        return ma > mb ? -1 : 1;
    return strcmp(a->a.id, b->a.id);
}

void rp_squad(html_buf *b, rep_athlete *list, size_t n, int weeks)
{
    qsort(list, n, sizeof *list, by_open_flags);
    head(b, "tendo squad report");
    hb_printf(b,
              "<header><h1>Squad report</h1><p class=\"meta\">%zu athlete(s), ranked by open "
              "flags (then high, then moderate ones) over each athlete's last %d weeks. A "
              "flag stays open until a coach reviews it: <code>tendo flags ack FLAG_ID "
              "--note TEXT</code>.</p></header>\n",
              n, weeks);
    hb_raw(b, "<table class=\"squad\"><tr><th class=\"num\">Rank</th><th>Athlete</th><th "
              "class=\"num\">Open flags</th><th>Worst open flag</th><th class=\"num\">Last 7 "
              "days</th><th class=\"num\">Acute: chronic</th><th class=\"num\">Heel-raise "
              "symmetry</th><th>Return to run</th><th>Daily distance</th></tr>\n");
    for (size_t i = 0; i < n; i++) {
        const rep_athlete *r = &list[i];
        size_t high, mod, low, open = rep_open_flags(r, &high, &mod, &low);
        hb_printf(b, "<tr><td class=\"num\">%zu</td><td><b>", i + 1);
        hb_text(b, r->a.name[0] ? r->a.name : r->a.id);
        hb_raw(b, "</b> <small>");
        hb_text(b, r->a.id);
        hb_raw(b, "</small>");
        if (r->a.injured_side[0]) {
            hb_raw(b, "<br><small>injured: ");
            hb_text(b, r->a.injured_side);
            hb_raw(b, "</small>");
        }
        hb_printf(b,
                  "</td><td class=\"num\"><b>%zu</b><br><small>%zu high · %zu mod · %zu "
                  "low</small></td><td class=\"nw\">",
                  open, high, mod, low);
        const tendo_catalog_flag *worst = NULL;
        for (size_t k = 0; k < r->nflags; k++)
            if (!r->flags[k].reviewed &&
                (!worst || r->flags[k].flag.severity > worst->flag.severity ||
                 (r->flags[k].flag.severity == worst->flag.severity &&
                  strcmp(r->flags[k].date, worst->date) > 0)))
                worst = &r->flags[k];
        if (worst) { /* the sentence is listed below and on hover */
            hb_printf(b, "<span class=\"sev sev-%s\">%s</span> <span title=\"",
                      tendo_tr_severity_name(worst->flag.severity),
                      tendo_tr_severity_name(worst->flag.severity));
            hb_text(b, worst->flag.message);
            hb_raw(b, "\">");
            hb_text(b, worst->flag.rule);
            hb_raw(b, " on ");
            hb_text(b, worst->date);
            hb_raw(b, "</span>");
        } else {
            hb_raw(b, r->has_data ? "none" : "no data yet");
        }
        double now, before;
        week_sums(r, &now, &before);
        hb_printf(b, "</td><td class=\"num\">%.1f km</td>", now / 1000);
        const tendo_tr_day *d = last_day(r);
        if (d && d->history_ok && isfinite(d->acwr_ewma))
            hb_printf(b, "<td class=\"num\">%.2f</td>", d->acwr_ewma);
        else
            hb_raw(b, "<td class=\"num\" title=\"less than 4 weeks of history\">–</td>");
        if (r->ncaps && isfinite(r->caps[r->ncaps - 1].ratio))
            hb_printf(b, "<td class=\"num\">%.0f%%</td>", 100 * r->caps[r->ncaps - 1].ratio);
        else
            hb_raw(b, "<td class=\"num\">–</td>");
        if (r->has_data) {
            rtr_checklist cl;
            rtr_evaluate(r, &cl);
            hb_printf(b, "<td class=\"%s nw\">%d of %d met</td><td>",
                      cl.met == RTR_ITEMS ? "ok"
                      : cl.not_met        ? "no"
                                          : "unk",
                      cl.met, RTR_ITEMS);
            rc_sparkline(b, r);
        } else {
            hb_raw(b, "<td class=\"unk\">–</td><td>");
        }
        hb_raw(b, "</td></tr>\n");
    }
    hb_raw(b, "</table>\n");
    /* every open flag, athlete by athlete, in rank order */
    hb_raw(b, "<h2 id=\"open-flags\">Open flags</h2>\n");
    int any = 0;
    for (size_t i = 0; i < n; i++) {
        const rep_athlete *r = &list[i];
        if (!rep_open_flags(r, NULL, NULL, NULL))
            continue;
        any = 1;
        hb_raw(b, "<h3>");
        hb_text(b, r->a.name[0] ? r->a.name : r->a.id);
        hb_raw(b, "</h3>\n<table><tr><th>Date</th><th>Rule</th><th>Severity</th><th>Why</th>"
                  "<th>Flag id</th></tr>\n");
        for (size_t k = 0; k < r->nflags; k++) {
            const tendo_catalog_flag *f = &r->flags[k];
            if (f->reviewed)
                continue;
            hb_raw(b, "<tr><td class=\"date\">");
            hb_text(b, f->date);
            hb_raw(b, "</td><td>");
            hb_text(b, f->flag.rule);
            hb_printf(b, "</td><td><span class=\"sev sev-%s\">%s</span></td><td>",
                      tendo_tr_severity_name(f->flag.severity),
                      tendo_tr_severity_name(f->flag.severity));
            hb_text(b, f->flag.message);
            hb_raw(b, "</td><td><code>");
            hb_text(b, f->flag.id);
            hb_raw(b, "</code></td></tr>\n");
        }
        hb_raw(b, "</table>\n");
    }
    if (!any)
        hb_raw(b, "<p>None: every flag has been reviewed.</p>\n");
    foot(b);
}
