/*
 * report_data.c — gathering one athlete's report from the catalog.
 */
#include "report_data.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int day_of(const char *date, int *day)
{
    tendo_error e;
    tendo_error_clear(&e);
    return tendo_tr_date_parse(date, day, &e) == TENDO_OK ? 0 : -1;
}

/* The day of a session's UTC start ("2026-03-14T07:00:00Z"). */
static int session_day(const tendo_catalog_session *s)
{
    char date[11];
    snprintf(date, sizeof date, "%.10s", s->start_utc);
    int d;
    return day_of(date, &d) == 0 ? d : -1;
}

int rep_load(tendo_catalog *c, const tendo_tr_config *cfg, const char *id, int weeks,
             const char *end_date, rep_athlete *out, tendo_error *err)
{
    memset(out, 0, sizeof *out);
    out->cfg = *cfg;
    out->weeks = weeks;
    out->last_session_day = -1;
    int rc = tendo_catalog_athlete_get(c, id, &out->a, err);
    if (rc)
        return rc;
    tendo_catalog_session *ses = NULL;
    size_t nses = 0;
    if ((rc = tendo_catalog_session_list(c, id, NULL, NULL, &ses, &nses, err)))
        return rc;
    out->nsessions = nses;
    for (size_t i = 0; i < nses; i++) {
        int d = session_day(&ses[i]);
        if (d > out->last_session_day)
            out->last_session_day = d;
    }
    tendo_catalog_sessions_free(ses, nses);
    if ((rc = tendo_catalog_diary_list(c, id, NULL, NULL, &out->diary, &out->ndiary, err)) ||
        (rc = tendo_catalog_capacity_list(c, id, &out->caps, &out->ncaps, err)))
        return rc;

    int last = out->last_session_day, d;
    if (out->ndiary && day_of(out->diary[out->ndiary - 1].date, &d) == 0 && d > last)
        last = d;
    for (size_t i = 0; i < out->ncaps; i++)
        if (day_of(out->caps[i].date, &d) == 0 && d > last)
            last = d;
    if (end_date && (rc = tendo_tr_date_parse(end_date, &last, err)))
        return rc;
    out->has_data = last >= 0 && (out->nsessions || out->ndiary || out->ncaps);
    if (!out->has_data)
        return TENDO_OK;
    out->last_day = last;
    out->first_day = last - 7 * weeks + 1;
    char from[11], to[11];
    tendo_tr_date_format(out->first_day, from);
    tendo_tr_date_format(out->last_day, to);
    if ((rc = tendo_catalog_flags_refresh(c, id, cfg, err)) ||
        (rc = tendo_catalog_training(c, id, cfg, from, to, &out->tr, err)) ||
        (rc = tendo_catalog_flags_list(c, id, from, &out->flags, &out->nflags, err)))
        return rc;
    /* flags_list takes a lower bound only: drop those after the window */
    size_t keep = 0;
    for (size_t i = 0; i < out->nflags; i++)
        if (strcmp(out->flags[i].date, to) <= 0)
            out->flags[keep++] = out->flags[i];
    out->nflags = keep;
    return TENDO_OK;
}

void rep_free(rep_athlete *r)
{
    tendo_tr_result_free(r->tr);
    free(r->flags);
    free(r->diary);
    free(r->caps);
    memset(r, 0, sizeof *r);
}

size_t rep_open_flags(const rep_athlete *r, size_t *high, size_t *moderate, size_t *low)
{
    size_t n = 0, h = 0, m = 0, l = 0;
    for (size_t i = 0; i < r->nflags; i++) {
        if (r->flags[i].reviewed)
            continue;
        n++;
        tendo_tr_severity s = r->flags[i].flag.severity;
        h += s == TENDO_TR_HIGH;
        m += s == TENDO_TR_MODERATE;
        l += s == TENDO_TR_LOW;
    }
    if (high)
        *high = h;
    if (moderate)
        *moderate = m;
    if (low)
        *low = l;
    return n;
}
