#include "catalog_cli.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int ccli_open(const char *cmd, const char *home_opt, char *home, size_t cap, tendo_catalog **c)
{
    tendo_error e = {0};
    *c = NULL;
    if (tendo_catalog_home(home_opt, home, cap, &e) != TENDO_OK ||
        tendo_catalog_open(home, c, &e) != TENDO_OK)
        return cli_fail(cmd, &e);
    return 0;
}

int ccli_config(const char *cmd, const char *home, tendo_tr_config *cfg)
{
    tendo_error e = {0};
    if (tendo_catalog_training_config(home, cfg, &e) != TENDO_OK)
        return cli_fail(cmd, &e);
    return 0;
}

void ccli_json_num(cJSON *o, const char *name, double v)
{
    if (isfinite(v))
        cJSON_AddNumberToObject(o, name, v);
    else
        cJSON_AddNullToObject(o, name);
}

void ccli_json_score(cJSON *o, const char *name, int v)
{
    if (v >= 0)
        cJSON_AddNumberToObject(o, name, v);
    else
        cJSON_AddNullToObject(o, name);
}

cJSON *ccli_flag_json(const tendo_catalog_flag *f)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "id", f->flag.id);
    cJSON_AddStringToObject(j, "rule", f->flag.rule);
    cJSON_AddStringToObject(j, "date", f->date);
    if (f->flag.session[0])
        cJSON_AddStringToObject(j, "session", f->flag.session);
    else
        cJSON_AddNullToObject(j, "session");
    cJSON_AddStringToObject(j, "severity", tendo_tr_severity_name(f->flag.severity));
    ccli_json_num(j, "value", f->flag.value);
    ccli_json_num(j, "threshold", f->flag.threshold);
    cJSON_AddStringToObject(j, "message", f->flag.message);
    cJSON_AddStringToObject(j, "athlete", f->athlete_id);
    cJSON_AddBoolToObject(j, "reviewed", f->reviewed);
    if (f->reviewed) {
        cJSON_AddStringToObject(j, "review_note", f->review_note);
        cJSON_AddStringToObject(j, "reviewed_utc", f->reviewed_utc);
    } else {
        cJSON_AddNullToObject(j, "review_note");
        cJSON_AddNullToObject(j, "reviewed_utc");
    }
    return j;
}

int ccli_parse_score(const char *cmd, const char *option, const char *text, int *out)
{
    int64_t v;
    int rc = cli_parse_int64(cmd, option, text, 0, 10, &v);
    if (rc == 0)
        *out = (int)v;
    return rc;
}

static int row_matches(const tendo_catalog_flag *f, const char *athlete,
                       const char *const *athletes, const char *const *dates,
                       const char *const *sessions, size_t n)
{
    for (size_t m = 0; m < n; m++)
        if (!strcmp(athletes[m], athlete) &&
            ((dates && dates[m] && !strcmp(dates[m], f->date)) ||
             (sessions && sessions[m] && !strcmp(sessions[m], f->flag.session))))
            return 1;
    return 0;
}

int ccli_show_new_flags(tendo_catalog *c, const char *home, const char *const *athletes,
                        const char *const *dates, const char *const *sessions, size_t n,
                        const char *rule, int json, tendo_error *err)
{
    tendo_tr_config cfg;
    int rc = tendo_catalog_training_config(home, &cfg, err);
    for (size_t i = 0; rc == TENDO_OK && i < n; i++) {
        int seen = 0;
        for (size_t k = 0; k < i; k++)
            seen |= !strcmp(athletes[k], athletes[i]);
        if (seen)
            continue;
        if ((rc = tendo_catalog_flags_refresh(c, athletes[i], &cfg, err)) != TENDO_OK)
            break;
        tendo_catalog_flag *f;
        size_t nf;
        if ((rc = tendo_catalog_flags_list(c, athletes[i], NULL, &f, &nf, err)) != TENDO_OK)
            break;
        cJSON *arr = json ? cJSON_CreateArray() : NULL;
        size_t shown = 0;
        for (size_t k = 0; k < nf; k++) {
            if (f[k].reviewed || (rule && strcmp(f[k].flag.rule, rule)) ||
                !row_matches(&f[k], athletes[i], athletes, dates, sessions, n))
                continue;
            shown++;
            if (arr)
                cJSON_AddItemToArray(arr, ccli_flag_json(&f[k]));
            else
                printf("  flag %s %s %s (%s): %s\n", f[k].flag.id, f[k].date, f[k].flag.rule,
                       tendo_tr_severity_name(f[k].flag.severity), f[k].flag.message);
        }
        if (arr) {
            cJSON *j = cJSON_CreateObject();
            cJSON_AddStringToObject(j, "athlete", athletes[i]);
            cJSON_AddItemToObject(j, "new_flags", arr);
            cli_print_json_line(j);
        } else if (!shown) {
            printf("  no new flags for %s\n", athletes[i]);
        }
        free(f);
    }
    return rc;
}

size_t ccli_pending_note(tendo_catalog *c, const char *athlete_id, char *note, size_t cap)
{
    tendo_catalog_session *p;
    size_t n = 0;
    note[0] = '\0';
    if (tendo_catalog_session_pending(c, athlete_id, &p, &n, NULL) != TENDO_OK)
        return 0;
    tendo_catalog_sessions_free(p, n);
    if (n)
        snprintf(note, cap,
                 "%zu session%s of %s %s no analysis yet and count%s only by duration: run "
                 "'tendo add --pending --athlete %s'",
                 n, n == 1 ? "" : "s", athlete_id, n == 1 ? "has" : "have", n == 1 ? "s" : "",
                 athlete_id);
    return n;
}
