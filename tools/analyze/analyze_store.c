/*
 * analyze_store.c — writes a result into its file's /analysis group (the
 * layout is in formats/SESSION.md): per-pod step tables, the bouts, the
 * summary's numbers and the algorithm version with every parameter.
 *
 * Results are written with tendo_writer_open_update: a verified copy of the
 * session with the new /analysis is renamed over the original, so a crash
 * at any point leaves the raw recording as it was.
 */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze_internal.h"
#include "tendo_version.h"

/* One row of /analysis/<serial>/steps. */
typedef struct step_row {
    char side[16];
    double ic_s, to_s, gct_ms, flight_ms, stride_s, cadence_spm, speed_mps, stride_len_m, dz_m;
    double strike_angle_deg;
    char footstrike[16];
    double impact_g, achilles_force_bw;
    char kind[16];
    int32_t bout;
} step_row;

#define COL(name, type)                                                                            \
    {                                                                                              \
#name, type, offsetof(step_row, name)                                                      \
    }
static const tendo_column STEP_COLS[] = {
    COL(side, TENDO_COL_STR16),
    COL(ic_s, TENDO_COL_F64),
    COL(to_s, TENDO_COL_F64),
    COL(gct_ms, TENDO_COL_F64),
    COL(flight_ms, TENDO_COL_F64),
    COL(stride_s, TENDO_COL_F64),
    COL(cadence_spm, TENDO_COL_F64),
    COL(speed_mps, TENDO_COL_F64),
    COL(stride_len_m, TENDO_COL_F64),
    COL(dz_m, TENDO_COL_F64),
    COL(strike_angle_deg, TENDO_COL_F64),
    COL(footstrike, TENDO_COL_STR16),
    COL(impact_g, TENDO_COL_F64),
    COL(achilles_force_bw, TENDO_COL_F64),
    COL(kind, TENDO_COL_STR16),
    COL(bout, TENDO_COL_I32),
};
#undef COL

typedef struct bout_row {
    double start_s, end_s;
    char kind[16];
    int32_t steps;
    double distance_m;
} bout_row;

#define COL(name, type)                                                                            \
    {                                                                                              \
#name, type, offsetof(bout_row, name)                                                      \
    }
static const tendo_column BOUT_COLS[] = {
    COL(start_s, TENDO_COL_F64), COL(end_s, TENDO_COL_F64),      COL(kind, TENDO_COL_STR16),
    COL(steps, TENDO_COL_I32),   COL(distance_m, TENDO_COL_F64),
};
#undef COL

static void str16(char dst[16], const char *src)
{
    memset(dst, 0, 16);
    strncpy(dst, src, 15);
}

static step_row to_row(const tendo_an_step *s)
{
    step_row r;
    memset(&r, 0, sizeof r);
    str16(r.side, s->side ? "right" : "left");
    r.ic_s = s->ic_s;
    r.to_s = s->to_s;
    r.gct_ms = s->gct_ms;
    r.flight_ms = s->flight_ms;
    r.stride_s = s->stride_s;
    r.cadence_spm = s->cadence_spm;
    r.speed_mps = s->speed_mps;
    r.stride_len_m = s->stride_len_m;
    r.dz_m = s->dz_m;
    r.strike_angle_deg = s->strike_angle_deg;
    str16(r.footstrike, tendo_an_strike_name(s->footstrike));
    r.impact_g = s->impact_g;
    r.achilles_force_bw = s->achilles_force_bw;
    str16(r.kind, tendo_an_kind_name(s->kind));
    r.bout = s->bout;
    return r;
}

static char *parameters_json(const tendo_analyze_options *o)
{
    cJSON *p = cJSON_CreateObject();
    if (o->placement < 0)
        cJSON_AddStringToObject(p, "placement", "as recorded");
    else
        cJSON_AddStringToObject(p, "placement", o->placement ? "shank" : "foot");
    if (o->mass_kg > 0)
        cJSON_AddNumberToObject(p, "mass_kg", o->mass_kg);
    else
        cJSON_AddNullToObject(p, "mass_kg");
    cJSON_AddNumberToObject(p, "damage_k", o->damage_k);
    cJSON_AddStringToObject(p, "methods", "analysis/MODELS.md");
    char *s = cJSON_PrintUnformatted(p);
    cJSON_Delete(p);
    return s;
}

int tendo_analyze_store(const tendo_analyze_result *fr, tendo_error *err)
{
    const tendo_analyze_options *o = &fr->opt;
    tendo_writer *w;
    int rc = tendo_writer_open_update(&w, fr->path, err);
    if (rc != TENDO_OK)
        return rc;
    const tendo_an_step *steps;
    size_t nsteps = tendo_an_session_steps(fr->ses, &steps);
    step_row *rows = malloc((nsteps ? nsteps : 1) * sizeof *rows);
    if (!rows)
        rc = tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
    for (size_t p = 0; rc == TENDO_OK && p < fr->npods; p++) {
        if (!fr->pr[p].analyzed)
            continue;
        size_t k = 0;
        for (size_t i = 0; i < nsteps; i++)
            if (steps[i].pod == (int)p)
                rows[k++] = to_row(&steps[i]);
        char path[128];
        snprintf(path, sizeof path, "/analysis/%s/steps", fr->pods[p].serial);
        rc = tendo_writer_put_table(w, path, STEP_COLS, sizeof STEP_COLS / sizeof *STEP_COLS, rows,
                                    sizeof *rows, k, err);
    }
    free(rows);
    const tendo_an_bout *bouts;
    size_t nb = tendo_an_session_bouts(fr->ses, &bouts);
    bout_row *br = malloc((nb ? nb : 1) * sizeof *br);
    if (rc == TENDO_OK && !br)
        rc = tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
    for (size_t i = 0; rc == TENDO_OK && i < nb; i++) {
        memset(&br[i], 0, sizeof br[i]);
        br[i].start_s = bouts[i].start_s;
        br[i].end_s = bouts[i].end_s;
        str16(br[i].kind, tendo_an_kind_name(bouts[i].kind));
        br[i].steps = (int32_t)bouts[i].steps;
        br[i].distance_m = bouts[i].distance_m;
    }
    if (rc == TENDO_OK)
        rc = tendo_writer_put_table(w, "/analysis/bouts", BOUT_COLS,
                                    sizeof BOUT_COLS / sizeof *BOUT_COLS, br, sizeof *br, nb, err);
    free(br);
    char *params = rc == TENDO_OK ? parameters_json(o) : NULL;
    if (rc == TENDO_OK)
        rc = tendo_writer_put_attr_str(w, "/analysis", "algorithm_version", TENDO_AN_VERSION, err);
    if (rc == TENDO_OK)
        rc = tendo_writer_put_attr_str(w, "/analysis", "parameters", params ? params : "{}", err);
    if (rc == TENDO_OK)
        rc = tendo_writer_put_attr_str(w, "/analysis", "analyzed_at", fr->analyzed_at, err);
    if (rc == TENDO_OK)
        rc = tendo_writer_put_attr_str(w, "/analysis", "software_version", TENDO_VERSION, err);
    free(params);
    analyze_field f[ANALYZE_MAX_FIELDS];
    size_t nf = analyze_summary_fields(fr, f);
    for (size_t i = 0; rc == TENDO_OK && i < nf; i++)
        rc = tendo_writer_put_attr_f64(w, "/analysis/summary", f[i].name, f[i].value, err);
    analyze_quality q = analyze_quality_of(fr);
    if (rc == TENDO_OK)
        rc = tendo_writer_put_attr_f64(w, "/analysis/summary", "orientation_confidence",
                                       q.confidence, err);
    if (rc == TENDO_OK)
        rc = tendo_writer_put_attr_f64(w, "/analysis/summary", "clipped_fraction", q.clipped, err);
    if (rc == TENDO_OK)
        rc = tendo_writer_put_attr_f64(w, "/analysis/summary", "gaps", (double)q.gaps, err);
    if (rc != TENDO_OK) {
        tendo_writer_abort(w);
        return rc;
    }
    return tendo_writer_commit(w, err);
}
