/*
 * catalog_training.c — from the catalog to the training-load library:
 * the config file, sessions' summaries as training input, and the series
 * of an athlete over a window.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog_internal.h"
#include "tendo_catalog_training.h"

int tendo_catalog_training_config(const char *home, tendo_tr_config *cfg, tendo_error *err)
{
    tendo_tr_config_default(cfg);
    char path[TENDO_CATALOG_PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", home ? home : ".", TENDO_CATALOG_TRAINING_CONFIG);
    FILE *f = fopen(path, "rb");
    if (!f)
        return errno == ENOENT ? TENDO_OK
                               : tendo_error_set(err, TENDO_EIO, "cannot read %s: %s", path,
                                                 strerror(errno));
    char buf[65536];
    size_t len = fread(buf, 1, sizeof buf - 1, f);
    int too_big = !feof(f);
    fclose(f);
    if (too_big)
        return tendo_error_set(err, TENDO_EDATA, "%s: larger than 64 KiB; it holds a few numbers",
                               path);
    buf[len] = '\0';
    cJSON *j = cJSON_Parse(buf);
    if (!j || !cJSON_IsObject(j)) {
        cJSON_Delete(j);
        return tendo_error_set(err, TENDO_EDATA,
                               "%s: not a JSON object of parameter names and numbers, e.g. "
                               "{\"weekly_ratio\": 1.25}",
                               path);
    }
    int rc = TENDO_OK;
    for (cJSON *it = j->child; it && rc == TENDO_OK; it = it->next) {
        if (!cJSON_IsNumber(it)) {
            rc = tendo_error_set(err, TENDO_EDATA, "%s: \"%s\" must be a number", path,
                                 it->string);
            break;
        }
        tendo_error e2 = {0};
        if (tendo_tr_config_set(cfg, it->string, it->valuedouble, &e2) != TENDO_OK)
            rc = tendo_error_set(err, TENDO_EDATA, "%s: %s", path, e2.msg);
    }
    cJSON_Delete(j);
    return rc;
}

static double num(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

/* The training input of one catalog session. */
static void from_summary(const tendo_catalog_session *cs, const tendo_tr_config *cfg, int day,
                         tendo_tr_session *s)
{
    memset(s, 0, sizeof *s);
    s->day = day;
    snprintf(s->id, sizeof s->id, "%s", cs->id);
    s->duration_s = cs->duration_s;
    s->cadence_spm = s->gct_ms = s->gct_balance_left_pct = s->load_left_pct = NAN;
    cJSON *j = cs->summary_json ? cJSON_Parse(cs->summary_json) : NULL;
    if (!j)
        return;
    double v;
    if (isfinite(v = num(j, "duration_s")))
        s->duration_s = v;
    s->run_s = num(j, "run_s");
    s->distance_m = num(j, "distance_m");
    s->run_distance_m = num(j, "speed_mps") * s->run_s;
    s->ascent_m = num(j, "ascent_m");
    s->descent_m = num(j, "descent_m");
    s->achilles_load = num(j, "achilles_load");
    s->achilles_damage = num(j, "achilles_damage");
    s->cadence_spm = num(j, "cadence_spm");
    s->gct_ms = num(j, "gct_ms");
    s->gct_balance_left_pct = num(j, "gct_balance_left_pct");
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(j, "training");
    const cJSON *h = cJSON_GetObjectItemCaseSensitive(t, "speed_hist_m");
    if (cJSON_IsArray(h) && cJSON_GetArraySize(h) == TENDO_TR_SPEED_BINS &&
        num(t, "speed_hist_bin_mps") == TENDO_TR_SPEED_BIN_MPS) {
        double hist[TENDO_TR_SPEED_BINS];
        int b = 0;
        for (const cJSON *x = h->child; x && b < TENDO_TR_SPEED_BINS; x = x->next)
            hist[b++] = cJSON_IsNumber(x) ? x->valuedouble : 0;
        s->high_speed_m = tendo_tr_high_speed_m(hist, cfg->high_speed_mps);
    }
    s->load_left_pct = num(t, "load_left_pct");
    cJSON_Delete(j);
}

int tendo_catalog_training_sessions(tendo_catalog *c, const char *athlete_id,
                                    const tendo_tr_config *cfg, tendo_tr_session **out,
                                    size_t *n, tendo_error *err)
{
    *out = NULL;
    *n = 0;
    tendo_catalog_session *cs;
    size_t ncs;
    int rc = tendo_catalog_session_list(c, athlete_id, NULL, NULL, &cs, &ncs, err);
    if (rc != TENDO_OK)
        return rc;
    tendo_tr_session *s = malloc((ncs ? ncs : 1) * sizeof *s);
    if (!s)
        rc = tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
    for (size_t i = 0; rc == TENDO_OK && i < ncs; i++) {
        /* the UTC calendar day of the start (docs/training-load.md) */
        char date[11];
        snprintf(date, sizeof date, "%.10s", cs[i].start_utc);
        int day;
        if (tendo_tr_date_parse(date, &day, NULL) != TENDO_OK)
            rc = tendo_error_set(err, TENDO_EDATA, "session %s: start time '%s' is not ISO 8601",
                                 cs[i].id, cs[i].start_utc);
        else
            from_summary(&cs[i], cfg, day, &s[i]);
    }
    tendo_catalog_sessions_free(cs, ncs);
    if (rc != TENDO_OK) {
        free(s);
        return rc;
    }
    *out = s;
    *n = ncs;
    return TENDO_OK;
}

/* Sessions and diary of an athlete as training input. */
static int load_inputs(tendo_catalog *c, const char *athlete_id, const tendo_tr_config *cfg,
                       tendo_tr_session **s, size_t *ns, tendo_tr_diary **d, size_t *nd,
                       tendo_error *err)
{
    *s = NULL;
    *d = NULL;
    *ns = *nd = 0;
    tendo_athlete a;
    int rc = tendo_catalog_athlete_get(c, athlete_id, &a, err);
    if (rc == TENDO_OK)
        rc = tendo_catalog_training_sessions(c, athlete_id, cfg, s, ns, err);
    tendo_diary_entry *de = NULL;
    size_t nde = 0;
    if (rc == TENDO_OK)
        rc = tendo_catalog_diary_list(c, athlete_id, NULL, NULL, &de, &nde, err);
    if (rc == TENDO_OK && !(*d = malloc((nde ? nde : 1) * sizeof **d)))
        rc = tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
    for (size_t i = 0; rc == TENDO_OK && i < nde; i++) {
        tendo_tr_diary *x = &(*d)[i];
        tendo_tr_date_parse(de[i].date, &x->day, NULL);
        x->pain = de[i].pain;
        x->pain_24h = de[i].pain_24h;
        x->stiffness = de[i].stiffness;
    }
    *nd = nde;
    free(de);
    if (rc != TENDO_OK) {
        free(*s);
        free(*d);
        *s = NULL;
        *d = NULL;
        *ns = *nd = 0;
    }
    return rc;
}

int tendo_catalog_training(tendo_catalog *c, const char *athlete_id, const tendo_tr_config *cfg,
                           const char *from, const char *to, tendo_tr_result **out,
                           tendo_error *err)
{
    *out = NULL;
    int d_from = 1, d_to = 0, rc = TENDO_OK;
    if (from && (rc = tendo_tr_date_parse(from, &d_from, err)) != TENDO_OK)
        return rc;
    if (to && (rc = tendo_tr_date_parse(to, &d_to, err)) != TENDO_OK)
        return rc;
    if (from && to && d_from > d_to)
        return tendo_error_set(err, TENDO_EUSAGE, "dates out of order: %s is after %s", from, to);
    tendo_tr_session *s;
    tendo_tr_diary *d;
    size_t ns, nd;
    rc = load_inputs(c, athlete_id, cfg, &s, &ns, &d, &nd, err);
    if (rc != TENDO_OK)
        return rc;
    /* an open end is the data's first or last day */
    int any = ns || nd, lo = 0, hi = 0;
    if (any) {
        lo = ns ? s[0].day : d[0].day;
        hi = ns ? s[ns - 1].day : d[nd - 1].day;
        if (nd && d[0].day < lo)
            lo = d[0].day;
        if (nd && d[nd - 1].day > hi)
            hi = d[nd - 1].day;
    }
    if (!from)
        d_from = !any ? (to ? d_to : 1) : (to && lo > d_to ? d_to : lo);
    if (!to)
        d_to = !any ? (from ? d_from : 0) : (from && hi < d_from ? d_from : hi);
    rc = tendo_tr_compute(cfg, athlete_id, s, ns, d, nd, d_from, d_to, out, err);
    free(s);
    free(d);
    return rc;
}
