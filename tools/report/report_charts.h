/*
 * report_charts.h — the charts of an athlete's report, drawn from the
 * training series with the SVG primitives: distance with the 30-day
 * longest run, Achilles load with its acute and chronic averages, the
 * acute:chronic ratio and its bands, cadence, contact time, left/right
 * balance, and the diary's pain and stiffness; flags marked on each
 * timeline. Each writes a <figure> with a caption and a legend.
 */
#ifndef TENDO_REPORT_CHARTS_H
#define TENDO_REPORT_CHARTS_H

#include "html_buf.h"
#include "report_data.h"

void rc_distance(html_buf *b, const rep_athlete *r);
void rc_load(html_buf *b, const rep_athlete *r);
void rc_ratio(html_buf *b, const rep_athlete *r);
void rc_gait(html_buf *b, const rep_athlete *r);
void rc_balance(html_buf *b, const rep_athlete *r);
void rc_diary(html_buf *b, const rep_athlete *r);
/* Work symmetry of every heel-raise test over time, with the 90% mark. */
void rc_capacity(html_buf *b, const rep_athlete *r);

/* Marker colour of a flag severity (Okabe–Ito). */
const char *rc_severity_color(tendo_tr_severity s);
/* The anchor id of flag number i (1-based) in the flags table: "flag-<i>". */
void rc_flag_anchor(size_t i, char out[32]);

/* A small inline sparkline of daily distance (for the squad table). */
void rc_sparkline(html_buf *b, const rep_athlete *r);

#endif
