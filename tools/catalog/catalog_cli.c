#include "catalog_cli.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>

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
