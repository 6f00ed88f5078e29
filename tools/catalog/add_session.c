/*
 * add_session.c — from an analysis result to a catalog session.
 */
#include "add_session.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tendo_session.h"
#include "tendo_training.h"

char *tendo_add_summary_json(const tendo_analyze_result *r)
{
    cJSON *j = tendo_analyze_json(r);
    if (!j)
        return NULL;
    tendo_tr_step_stats st;
    const tendo_an_step *steps;
    size_t n = tendo_analyze_pods_analyzed(r)
                   ? tendo_an_session_steps(tendo_analyze_session(r), &steps)
                   : 0;
    tendo_tr_step_stats_of(n ? steps : NULL, n, &st);
    cJSON *t = cJSON_AddObjectToObject(j, "training");
    cJSON_AddNumberToObject(t, "speed_hist_bin_mps", TENDO_TR_SPEED_BIN_MPS);
    cJSON *h = cJSON_AddArrayToObject(t, "speed_hist_m");
    for (int b = 0; b < TENDO_TR_SPEED_BINS; b++)
        cJSON_AddItemToArray(h, cJSON_CreateNumber(round(st.speed_hist_m[b] * 100) / 100));
    if (isfinite(st.load_left_pct))
        cJSON_AddNumberToObject(t, "load_left_pct", st.load_left_pct);
    else
        cJSON_AddNullToObject(t, "load_left_pct");
    char *text = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    return text;
}

int tendo_add_session_record(const tendo_analyze_result *r, const tendo_session_meta *m,
                             const char *abs_path, const char *athlete_id,
                             tendo_catalog_session *s, tendo_error *err)
{
    memset(s, 0, sizeof *s);
    snprintf(s->id, sizeof s->id, "%s", m->session_id);
    snprintf(s->path, sizeof s->path, "%s", abs_path);
    snprintf(s->athlete_id, sizeof s->athlete_id, "%s", athlete_id);
    tendo_time_format_iso(m->start_time_us, s->start_utc, sizeof s->start_utc);
    const char *src = m->source;
    snprintf(s->source, sizeof s->source, "%s",
             !strcmp(src, "sync") || !strcmp(src, "import") || !strcmp(src, "simulate") ? src
                                                                                        : "add");
    s->duration_s = tendo_analyze_summary(r)->duration_s;
    snprintf(s->analysis_version, sizeof s->analysis_version, "%s", TENDO_AN_VERSION);
    s->summary_json = tendo_add_summary_json(r);
    if (!s->summary_json)
        return tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
    return TENDO_OK;
}
