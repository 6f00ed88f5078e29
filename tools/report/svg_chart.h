/*
 * svg_chart.h — inline SVG chart primitives for the report: a plot area
 * with data ranges, y grid with round-number ticks, a day axis, bars,
 * lines, horizontal bands and lines, and vertical event markers. Every
 * drawn value carries a <title> with its exact number, which browsers show
 * on hover. No script, no external resource: the SVG sits in the HTML.
 *
 * Colours: the Okabe–Ito palette, distinguishable with the common colour
 * vision deficiencies (Okabe & Ito, "Color Universal Design", 2008; the
 * palette Wong recommends in Nature Methods 8:441, 2011). Meaning never
 * rests on colour alone: lines differ in dash, markers carry a letter.
 */
#ifndef TENDO_SVG_CHART_H
#define TENDO_SVG_CHART_H

#include <stddef.h>

#include "html_buf.h"

#define OI_BLACK      "#000000"
#define OI_ORANGE     "#E69F00"
#define OI_SKY        "#56B4E9"
#define OI_GREEN      "#009E73"
#define OI_YELLOW     "#F0E442"
#define OI_BLUE       "#0072B2"
#define OI_VERMILLION "#D55E00"
#define OI_PURPLE     "#CC79A7"
#define CHART_GRID    "#d9d9d9" /* neutral, not a data colour */

/* Formats an x value for titles (e.g. a day number as a date). */
typedef void (*svg_xfmt)(double x, char *out, size_t cap);

typedef struct svg_chart {
    html_buf *b;
    double x0, x1, y0, y1; /* data ranges */
    double w, h;           /* viewBox size */
    double ml, mr, mt, mb; /* margins around the plot area */
    svg_xfmt xfmt;
} svg_chart;

/* A data series: its name and unit for titles and the legend. */
typedef struct svg_series {
    const char *label;
    const char *unit;
    const char *color;
    int decimals;
    int dashed; /* lines: 0 solid, 1 dashed, 2 dotted */
} svg_series;

/* Opens <svg> (role="img", aria-label = label) with data ranges
 * [x0,x1] × [y0,y1]; y1 > y0 and x1 > x0 are enforced. */
void svg_begin(svg_chart *c, html_buf *b, const char *label, double w, double h, double x0,
               double x1, double y0, double y1, svg_xfmt xfmt);
void svg_end(svg_chart *c);
double svg_px(const svg_chart *c, double x);
double svg_py(const svg_chart *c, double y);

/* Round-number ticks from y0 to y1 with grid lines and labels; unit is
 * written once above the axis. */
void svg_grid_y(svg_chart *c, const char *unit);
/* Day axis (x = day number): a tick each Monday, labelled with the date
 * every `every` weeks. */
void svg_axis_days(svg_chart *c, int every);
/* A shaded horizontal band between ylo and yhi, with a title and a label
 * written at its right end. */
void svg_band(svg_chart *c, double ylo, double yhi, const char *color, double opacity,
              const char *label);
/* A horizontal reference line with a label at its right end. */
void svg_hline(svg_chart *c, double y, const char *color, int dashed, const char *label);
/* Bars centred on x, `width` data units wide; NAN and 0 values are skipped. */
void svg_bars(svg_chart *c, const double *x, const double *y, size_t n, double width,
              const svg_series *s);
/* A polyline broken at NAN values; with `points`, a dot (with its title)
 * on every value, else titles on invisible hover dots. */
void svg_line(svg_chart *c, const double *x, const double *y, size_t n, const svg_series *s,
              int points);
/* A vertical event marker at x: a line over the plot and a lettered
 * badge on top; title is the hover text, id (may be NULL) the target of a
 * link to the flag's row. */
void svg_marker(svg_chart *c, double x, const char *color, const char *letter, const char *title,
                const char *href);

/* An HTML legend (swatches with labels) for the series. */
void svg_legend(html_buf *b, const svg_series *s, size_t n);

/* Rounds max up to a "nice" axis end (1, 2, 2.5, 5 × 10^k); at least min_top. */
double svg_nice_top(double max, double min_top);

#endif
