/*
 * svg_chart.c — the report's chart primitives (see svg_chart.h).
 */
#include "svg_chart.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tendo_training.h"

void svg_begin(svg_chart *c, html_buf *b, const char *label, double w, double h, double x0,
               double x1, double y0, double y1, svg_xfmt xfmt)
{
    memset(c, 0, sizeof *c);
    c->b = b;
    c->w = w;
    c->h = h;
    c->ml = 52;
    c->mr = 150; /* room for band and line labels */
    c->mt = 22;
    c->mb = 26;
    c->x0 = x0;
    c->x1 = x1 > x0 ? x1 : x0 + 1;
    c->y0 = y0;
    c->y1 = y1 > y0 ? y1 : y0 + 1;
    c->xfmt = xfmt;
    hb_printf(b, "<svg class=\"chart\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" aria-label=\"", w, h);
    hb_text(b, label);
    hb_raw(b, "\">");
}

void svg_end(svg_chart *c)
{
    /* the frame last, over what was drawn, so margins may change after begin */
    hb_printf(c->b,
              "<rect class=\"plot\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>"
              "</svg>\n",
              c->ml, c->mt, c->w - c->ml - c->mr, c->h - c->mt - c->mb);
}

double svg_px(const svg_chart *c, double x)
{
    return c->ml + (x - c->x0) / (c->x1 - c->x0) * (c->w - c->ml - c->mr);
}

double svg_py(const svg_chart *c, double y)
{
    double t = (y - c->y0) / (c->y1 - c->y0);
    t = fmax(0.0, fmin(1.0, t)); /* values beyond the range sit on its edge */
    return c->h - c->mb - t * (c->h - c->mt - c->mb);
}

/* 1, 2, 2.5 or 5 × 10^k: the smallest at least x. */
static double nice(double x)
{
    if (!(x > 0))
        return 1;
    double e = pow(10, floor(log10(x))), f = x / e;
    return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10) * e;
}

double svg_nice_top(double max, double min_top)
{
    double m = isfinite(max) ? fmax(max, min_top) : min_top;
    double step = nice(m / 4);
    return ceil(m / step - 1e-9) * step;
}

/* A tick value with as many decimals as the step needs (2.5 → 1). */
static void tick_label(double v, double step, char *out, size_t cap)
{
    int dec = 0;
    while (dec < 6 && fabs(step * pow(10, dec) - round(step * pow(10, dec))) > 1e-6)
        dec++;
    if (fabs(v) < 1e-9 * step)
        v = 0; /* no "-0" */
    snprintf(out, cap, "%.*f", dec, v);
}

void svg_grid_y(svg_chart *c, const char *unit)
{
    double step = nice((c->y1 - c->y0) / 4);
    double first = ceil(c->y0 / step - 1e-9) * step;
    hb_raw(c->b, "<g class=\"grid\">");
    for (double v = first; v <= c->y1 + 1e-9 * step; v += step) {
        double y = svg_py(c, v);
        char lab[32];
        tick_label(v, step, lab, sizeof lab);
        hb_printf(c->b,
                  "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>"
                  "<text class=\"ytick\" x=\"%.1f\" y=\"%.1f\">%s</text>",
                  c->ml, c->w - c->mr, y, y, c->ml - 6, y + 4, lab);
    }
    hb_raw(c->b, "</g>");
    if (unit && unit[0]) {
        hb_printf(c->b, "<text class=\"unit\" x=\"2\" y=\"%.1f\">", c->mt - 8);
        hb_text(c->b, unit);
        hb_raw(c->b, "</text>");
    }
}

void svg_axis_days(svg_chart *c, int every)
{
    int d0 = (int)ceil(c->x0), d1 = (int)floor(c->x1);
    double yb = c->h - c->mb;
    hb_raw(c->b, "<g class=\"xaxis\">");
    int k = 0;
    for (int d = d0; d <= d1; d++) {
        if (((d % 7) + 7) % 7 != 4) /* day 0 (1970-01-01) was a Thursday: Mondays are 4 mod 7 */
            continue;
        double x = svg_px(c, d);
        hb_printf(c->b, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>", x, x, yb,
                  yb + 4);
        if (k++ % (every > 0 ? every : 1) == 0) {
            char date[11];
            tendo_tr_date_format(d, date);
            hb_printf(c->b, "<text x=\"%.1f\" y=\"%.1f\">%s</text>", x, yb + 16, date + 5);
        }
    }
    hb_raw(c->b, "</g>");
}

void svg_band(svg_chart *c, double ylo, double yhi, const char *color, double opacity,
              const char *label)
{
    double lo = fmax(ylo, c->y0), hi = fmin(yhi, c->y1);
    if (!(hi > lo))
        return;
    double ytop = svg_py(c, hi), ybot = svg_py(c, lo);
    hb_printf(c->b,
              "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\" "
              "fill-opacity=\"%.2f\"><title>",
              c->ml, ytop, c->w - c->ml - c->mr, ybot - ytop, color, opacity);
    hb_text(c->b, label);
    hb_printf(c->b, "</title></rect><text class=\"note\" x=\"%.1f\" y=\"%.1f\">", c->w - c->mr + 4,
              0.5 * (ytop + ybot) + 4);
    hb_text(c->b, label);
    hb_raw(c->b, "</text>");
}

static const char *dash_attr(int dashed)
{
    return dashed == 1   ? " stroke-dasharray=\"6 4\""
           : dashed == 2 ? " stroke-dasharray=\"2 3\""
                         : "";
}

void svg_hline(svg_chart *c, double y, const char *color, int dashed, const char *label)
{
    if (!(y >= c->y0 && y <= c->y1))
        return;
    double py = svg_py(c, y);
    hb_printf(c->b,
              "<line class=\"ref\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"%s>"
              "<title>",
              c->ml, c->w - c->mr, py, py, color, dash_attr(dashed));
    hb_text(c->b, label);
    hb_printf(c->b, "</title></line><text class=\"note\" x=\"%.1f\" y=\"%.1f\">", c->w - c->mr + 4,
              py + 4);
    hb_text(c->b, label);
    hb_raw(c->b, "</text>");
}

/* "<x>: <label> <value> <unit>" */
static void value_title(const svg_chart *c, const svg_series *s, double x, double y)
{
    char xs[32] = "";
    if (c->xfmt)
        c->xfmt(x, xs, sizeof xs);
    else
        snprintf(xs, sizeof xs, "%g", x);
    hb_raw(c->b, "<title>");
    hb_textf(c->b, "%s: %s %.*f%s%s", xs, s->label, s->decimals, y, s->unit[0] ? " " : "", s->unit);
    hb_raw(c->b, "</title>");
}

void svg_bars(svg_chart *c, const double *x, const double *y, size_t n, double width,
              const svg_series *s)
{
    double pw = fabs(svg_px(c, width) - svg_px(c, 0)) * 0.8, base = svg_py(c, fmax(0, c->y0));
    hb_printf(c->b, "<g class=\"bars\" fill=\"%s\">", s->color);
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(y[i]) || y[i] == 0)
            continue;
        double px = svg_px(c, x[i]), py = svg_py(c, y[i]);
        hb_printf(c->b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\">", px - pw / 2,
                  fmin(py, base), fmax(pw, 1.0), fmax(fabs(base - py), 0.5));
        value_title(c, s, x[i], y[i]);
        hb_raw(c->b, "</rect>");
    }
    hb_raw(c->b, "</g>");
}

void svg_line(svg_chart *c, const double *x, const double *y, size_t n, const svg_series *s,
              int points)
{
    /* the line: one path, new sub-path after each gap */
    hb_printf(c->b, "<path class=\"line\" stroke=\"%s\"%s d=\"", s->color, dash_attr(s->dashed));
    int pen = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(y[i])) {
            pen = 0;
            continue;
        }
        hb_printf(c->b, "%s%.1f %.1f", pen ? " L" : " M", svg_px(c, x[i]), svg_py(c, y[i]));
        pen = 1;
    }
    hb_raw(c->b, "\"/>");
    /* the values: a dot each, visible or only a hover target */
    hb_printf(c->b, "<g class=\"%s\" fill=\"%s\">", points ? "dots" : "hover", s->color);
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(y[i]))
            continue;
        hb_printf(c->b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%s\">", svg_px(c, x[i]),
                  svg_py(c, y[i]), points ? "3" : "4");
        value_title(c, s, x[i], y[i]);
        hb_raw(c->b, "</circle>");
    }
    hb_raw(c->b, "</g>");
}

void svg_marker(svg_chart *c, double x, const char *color, const char *letter, const char *title,
                const char *href)
{
    if (!(x >= c->x0 && x <= c->x1))
        return;
    double px = svg_px(c, x);
    if (href) {
        hb_raw(c->b, "<a href=\"#");
        hb_text(c->b, href);
        hb_raw(c->b, "\">");
    }
    hb_printf(c->b,
              "<g class=\"marker\"><line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" "
              "stroke=\"%s\"/><circle cx=\"%.1f\" cy=\"%.1f\" r=\"7\" fill=\"%s\"/>"
              "<text x=\"%.1f\" y=\"%.1f\">",
              px, px, c->mt, c->h - c->mb, color, px, c->mt - 8, color, px, c->mt - 4.5);
    hb_text(c->b, letter);
    hb_raw(c->b, "</text><title>");
    hb_text(c->b, title);
    hb_raw(c->b, "</title></g>");
    if (href)
        hb_raw(c->b, "</a>");
}

void svg_legend(html_buf *b, const svg_series *s, size_t n)
{
    hb_raw(b, "<div class=\"legend\">");
    for (size_t i = 0; i < n; i++) {
        hb_printf(b,
                  "<span><svg width=\"22\" height=\"10\" aria-hidden=\"true\"><line x1=\"1\" "
                  "x2=\"21\" y1=\"5\" y2=\"5\" stroke=\"%s\" stroke-width=\"%s\"%s/></svg>",
                  s[i].color, s[i].dashed < 0 ? "8" : "3", dash_attr(s[i].dashed));
        hb_text(b, s[i].label);
        hb_raw(b, "</span>");
    }
    hb_raw(b, "</div>");
}
