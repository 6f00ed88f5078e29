/*
 * analyze_internal.h — the result of analysing one file, shared by
 * analyze_run.c (reading and analysing), analyze_store.c (/analysis) and
 * analyze_output.c (JSON, summary, CSV). Not for use outside tools/analyze.
 */
#ifndef TENDO_ANALYZE_INTERNAL_H
#define TENDO_ANALYZE_INTERNAL_H

#include <stdint.h>

#include "analyze_run.h"
#include "tendo_session.h"

/* What one pod gave. */
typedef struct analyze_pod_result {
    int analyzed;
    int shank; /* analysed as a shank accelerometer (no spatial figures) */
    char notes[3][200]; /* what the reader should know about this pod */
    int nnotes;
    double orientation_confidence; /* NAN if none */
    int64_t samples, clipped, gaps;
    double gap_s;
    double first_s, last_s; /* first and last sample, s since the session start */
} analyze_pod_result;

struct tendo_analyze_result {
    char *path;
    tendo_analyze_options opt;
    tendo_an_session *ses;
    size_t npods;
    tendo_pod_meta pods[TENDO_MAX_PODS];
    analyze_pod_result pr[TENDO_MAX_PODS];
    double duration_s;
    double first_sample_s; /* the session's first sample (any pod), s after start_time_utc */
    int pods_analyzed;
    int foot_pods_analyzed; /* of those, foot pods: the only source of speed and distance */
    char analyzed_at[40];
};

/* Summary numbers by name, for /analysis/summary and the JSON: the one
 * list both read, so they cannot drift apart. Writes at most
 * ANALYZE_MAX_FIELDS. */
#define ANALYZE_MAX_FIELDS 32
typedef struct analyze_field {
    const char *name;
    double value;
} analyze_field;
size_t analyze_summary_fields(const tendo_analyze_result *r, analyze_field *f);

/* Quality over the analysed pods: lowest orientation confidence, largest
 * clipped share, all gaps. */
typedef struct analyze_quality {
    double confidence, clipped;
    int64_t gaps;
    double gap_s;
} analyze_quality;
analyze_quality analyze_quality_of(const tendo_analyze_result *r);

#endif
