/*
 * training_config.c — the one table of training-load thresholds: default,
 * range, unit and source of each (docs/training-load.md repeats it).
 */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "tendo_training.h"

#define P_INT(field, def, lo, hi, unit, src)                                                       \
    {#field, 1, offsetof(tendo_tr_config, field), def, lo, hi, unit, src}
#define P_DBL(field, def, lo, hi, unit, src)                                                       \
    {#field, 0, offsetof(tendo_tr_config, field), def, lo, hi, unit, src}

static const tendo_tr_param PARAMS[] = {
    P_INT(min_history_days, 28, 7, 365, "days",
          "the chronic window of the acute:chronic ratio (Gabbett 2016, Br J Sports Med 50:273): "
          "load rules wait for 28 days of history"),
    P_DBL(high_speed_mps, 4.0, 2.5, 9.0, "m/s",
          "design choice: Achilles peak force reaches 9.6 BW at 4.0 m/s, 17% above easy running "
          "at 2.68 m/s (Reiter et al. 2024, Med Sci Sports Exerc)"),
    P_INT(longest_window_days, 30, 7, 120, "days",
          "Frandsen et al. 2025, Br J Sports Med: longest run of the previous 30 days"),
    P_DBL(longest_ratio, 1.10, 1.0, 5.0, "ratio",
          "Frandsen et al. 2025: a run > 10% longer than the 30-day longest, HR 1.64 (+10-30%)"),
    P_DBL(longest_band2_ratio, 1.30, 1.0, 5.0, "ratio",
          "Frandsen et al. 2025: +30-100%, HR 1.52"),
    P_DBL(longest_band3_ratio, 2.00, 1.0, 10.0, "ratio",
          "Frandsen et al. 2025: > +100%, HR 2.28 (high severity)"),
    P_DBL(weekly_ratio, 1.30, 1.0, 5.0, "ratio",
          "Nielsen et al. 2014, J Orthop Sports Phys Ther 44:739: weekly progression > 30%, HR 1.59"),
    P_DBL(weekly_min_prev_m, 1000, 0, 1e6, "m",
          "design choice: under 1 km in the previous 7 days is no baseline for a ratio"),
    P_INT(acute_days, 7, 2, 28, "days",
          "Gabbett 2016 (rolling 7/28); EWMA lambda = 2/(N+1), Williams et al. 2017, Br J Sports "
          "Med 51:209"),
    P_INT(chronic_days, 28, 7, 120, "days", "Gabbett 2016; Williams et al. 2017"),
    P_DBL(acwr_ratio, 1.5, 1.0, 5.0, "ratio",
          "Gabbett 2016: acute:chronic above 1.5 is the 'danger zone'; contested (Impellizzeri "
          "2020), no dose-response in Frandsen 2025: never the sole evidence for a high flag"),
    P_DBL(stack_ratio, 1.20, 1.0, 5.0, "ratio",
          "issue 5 and DESIGN.md: volume, speed or hills up > 20% in the same 7 days"),
    P_DBL(stack_min_volume_m, 1000, 0, 1e6, "m",
          "design choice: volume counts as up only with >= 1 km in the 7 days"),
    P_DBL(stack_min_high_speed_m, 200, 0, 1e6, "m",
          "design choice: speed counts as up only with >= 200 m of high-speed running"),
    P_DBL(stack_min_hills_m, 20, 0, 1e6, "m",
          "design choice: hills count as up only with >= 20 m of ascent + descent"),
    P_DBL(pain_max, 5, 0, 10, "0-10",
          "Silbernagel et al. 2007, Am J Sports Med 35:897 (pain-monitoring model): pain during "
          "loading up to 5/10 is acceptable"),
    P_DBL(pain_24h_max, 2, 0, 10, "0-10",
          "Silbernagel et al. 2007: pain should settle by the next morning; design choice: "
          "settled means at most 2/10 (mild)"),
    P_DBL(stiffness_rise, 2, 0.5, 10, "points",
          "Silbernagel et al. 2007: morning stiffness must not worsen week to week; 2 points is "
          "the smallest important change on a 0-10 scale (Farrar et al. 2001, Pain 94:149)"),
    P_DBL(asym_shift_pct, 2.5, 0.5, 25, "points",
          "design choice: a 2.5-point shift of the left share is a 10% change of the symmetry "
          "index (Robinson et al. 1987, J Manipulative Physiol Ther 10:172)"),
    P_INT(asym_baseline_days, 28, 7, 365, "days", "design choice: the athlete's own last 4 weeks"),
    P_INT(asym_min_sessions, 3, 1, 50, "sessions",
          "design choice: a baseline needs at least 3 sessions"),
};
#define N_PARAMS (sizeof PARAMS / sizeof PARAMS[0])

const tendo_tr_param *tendo_tr_params(size_t *n)
{
    *n = N_PARAMS;
    return PARAMS;
}

static void put(tendo_tr_config *cfg, const tendo_tr_param *p, double v)
{
    /* memcpy: the member's type comes from the table, not from the pointer */
    char *base = (char *)cfg + p->offset;
    if (p->is_int) {
        int i = (int)lround(v);
        memcpy(base, &i, sizeof i);
    } else {
        memcpy(base, &v, sizeof v);
    }
}

void tendo_tr_config_default(tendo_tr_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    for (size_t i = 0; i < N_PARAMS; i++)
        put(cfg, &PARAMS[i], PARAMS[i].def);
}

static const tendo_tr_param *find(const char *name)
{
    for (size_t i = 0; name && i < N_PARAMS; i++)
        if (!strcmp(PARAMS[i].name, name))
            return &PARAMS[i];
    return NULL;
}

int tendo_tr_config_set(tendo_tr_config *cfg, const char *name, double value, tendo_error *err)
{
    const tendo_tr_param *p = find(name);
    if (!p)
        return tendo_error_set(err, TENDO_EUSAGE,
                               "'%s' is not a training-load parameter (see docs/training-load.md "
                               "or 'tendo flags --show-config')",
                               name ? name : "");
    if (!isfinite(value) || value < p->lo || value > p->hi ||
        (p->is_int && value != floor(value)))
        return tendo_error_set(err, TENDO_EUSAGE, "%s = %g is out of range: %s from %g to %g %s",
                               name, value, p->is_int ? "a whole number" : "a number", p->lo,
                               p->hi, p->unit);
    put(cfg, p, value);
    return TENDO_OK;
}

double tendo_tr_config_get(const tendo_tr_config *cfg, const char *name)
{
    const tendo_tr_param *p = find(name);
    if (!p)
        return NAN;
    const char *base = (const char *)cfg + p->offset;
    int i;
    double d;
    if (p->is_int) {
        memcpy(&i, base, sizeof i);
        return i;
    }
    memcpy(&d, base, sizeof d);
    return d;
}
