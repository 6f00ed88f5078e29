/*
 * analyze_output.c — a result as the --json object, the readable summary
 * and the --steps-csv rows; the summary numbers and quality figures that
 * the JSON and /analysis share.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze_internal.h"

size_t analyze_summary_fields(const tendo_analyze_result *fr, analyze_field *f)
{
    const tendo_analyze_options *o = &fr->opt;
    const tendo_an_summary *u = tendo_an_session_summary(fr->ses);
    int none = fr->pods_analyzed == 0; /* nothing measured: steps unknown, not zero */
    /* shank pods alone measure no distance, speed, elevation or the
     * speed-based Achilles load: unknown, not zero */
    int nospace = none || fr->foot_pods_analyzed == 0;
    size_t n = 0;
    f[n++] = (analyze_field){"duration_s", u->duration_s};
    f[n++] = (analyze_field){"run_s", none ? NAN : u->run_s};
    f[n++] = (analyze_field){"walk_s", none ? NAN : u->walk_s};
    f[n++] = (analyze_field){"rest_s", none ? NAN : u->rest_s};
    f[n++] = (analyze_field){"steps", none ? NAN : (double)u->steps};
    f[n++] = (analyze_field){"steps_left", none ? NAN : (double)u->steps_left};
    f[n++] = (analyze_field){"steps_right", none ? NAN : (double)u->steps_right};
    f[n++] = (analyze_field){"cadence_spm", u->cadence_spm};
    f[n++] = (analyze_field){"cadence_spectral_spm", u->cadence_spectral_spm};
    f[n++] = (analyze_field){"cadence_walk_spm", u->cadence_walk_spm};
    f[n++] = (analyze_field){"gct_ms", u->gct_ms};
    f[n++] = (analyze_field){"flight_ms", u->flight_ms};
    f[n++] = (analyze_field){"distance_m", nospace ? NAN : u->distance_m};
    f[n++] = (analyze_field){"speed_mps", u->speed_mps};
    f[n++] = (analyze_field){"ascent_m", nospace ? NAN : u->ascent_m};
    f[n++] = (analyze_field){"descent_m", nospace ? NAN : u->descent_m};
    f[n++] = (analyze_field){"achilles_load", nospace ? NAN : u->achilles_load};
    f[n++] = (analyze_field){
        "achilles_load_kn",
        nospace || !(o->mass_kg > 0) ? NAN : u->achilles_load * o->mass_kg * 9.80665 / 1000};
    f[n++] = (analyze_field){"achilles_damage", nospace ? NAN : u->achilles_damage};
    f[n++] = (analyze_field){"impact_g", u->impact_g};
    f[n++] = (analyze_field){"gct_balance_left_pct", u->gct_balance_left_pct};
    return n;
}

analyze_quality analyze_quality_of(const tendo_analyze_result *fr)
{
    analyze_quality q = {.confidence = NAN};
    for (size_t p = 0; p < fr->npods; p++) {
        const analyze_pod_result *r = &fr->pr[p];
        if (isfinite(r->orientation_confidence))
            q.confidence = isfinite(q.confidence) ? fmin(q.confidence, r->orientation_confidence)
                                                  : r->orientation_confidence;
        if (r->samples > 0)
            q.clipped = fmax(q.clipped, (double)r->clipped / (double)r->samples);
        q.gaps += r->gaps;
        q.gap_s += r->gap_s;
    }
    return q;
}

/* ------------------------------------------------------------ output */

static void json_number(cJSON *o, const char *name, double v)
{
    if (isfinite(v))
        cJSON_AddNumberToObject(o, name, v);
    else
        cJSON_AddNullToObject(o, name);
}

cJSON *tendo_analyze_json(const tendo_analyze_result *fr)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "file", fr->path);
    cJSON_AddNumberToObject(j, "first_sample_s", fr->first_sample_s);
    analyze_field f[ANALYZE_MAX_FIELDS];
    size_t nf = analyze_summary_fields(fr, f);
    for (size_t i = 0; i < nf; i++)
        json_number(j, f[i].name, f[i].value);
    analyze_quality qu = analyze_quality_of(fr);
    cJSON *q = cJSON_AddObjectToObject(j, "quality");
    json_number(q, "orientation_confidence", qu.confidence);
    json_number(q, "clipped_fraction", qu.clipped);
    cJSON_AddNumberToObject(q, "gaps", (double)qu.gaps);
    cJSON_AddNumberToObject(q, "gap_s", qu.gap_s);
    json_number(q, "elevation_lr_diff_m",
                fr->foot_pods_analyzed ? tendo_an_session_summary(fr->ses)->elevation_lr_diff_m
                                       : NAN);
    cJSON_AddNumberToObject(q, "pods", (double)fr->npods);
    cJSON_AddNumberToObject(q, "pods_analyzed", fr->pods_analyzed);
    cJSON *notes = cJSON_AddArrayToObject(q, "notes");
    for (size_t p = 0; p < fr->npods; p++)
        for (int k = 0; k < fr->pr[p].nnotes; k++)
            cJSON_AddItemToArray(notes, cJSON_CreateString(fr->pr[p].notes[k]));
    cJSON_AddStringToObject(j, "algorithm_version", TENDO_AN_VERSION);
    return j;
}

char *tendo_analyze_json_string(const tendo_analyze_result *r)
{
    cJSON *j = tendo_analyze_json(r);
    char *s = j ? cJSON_PrintUnformatted(j) : NULL;
    cJSON_Delete(j);
    return s;
}

/* "1:02:03" or "2:03" */
static void hms(double s, char *out, size_t size)
{
    long t = lround(s);
    if (t >= 3600)
        snprintf(out, size, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(out, size, "%ld:%02ld", t / 60, t % 60);
}

void tendo_analyze_print_summary(FILE *out, const tendo_analyze_result *fr)
{
    const tendo_analyze_options *o = &fr->opt;
    const tendo_an_summary *u = tendo_an_session_summary(fr->ses);
    char d[32], r[32], w[32], s[32];
    hms(u->duration_s, d, sizeof d);
    fprintf(out, "%s: %s session\n", fr->path, d);
    if (fr->pods_analyzed == 0) {
        fprintf(out, "  not analysed: no pod could be (see the notes below)\n");
    } else if (u->steps == 0) {
        fprintf(out, "  no steps found: the pods did not walk or run (a pod lying still?)\n");
    } else {
        hms(u->run_s, r, sizeof r);
        hms(u->walk_s, w, sizeof w);
        hms(fmax(0, u->rest_s), s, sizeof s);
        fprintf(out, "  %s running, %s walking, %s standing or still\n", r, w, s);
        int spatial = fr->foot_pods_analyzed > 0;
        if (!spatial)
            fprintf(out, "  distance, pace and climb not measured: shank accelerometers have no "
                         "gyroscope to integrate\n");
        else
            fprintf(out, "  distance %.2f km", u->distance_m / 1000);
        if (spatial && isfinite(u->speed_mps) && u->speed_mps > 0) {
            double pace = 1000 / u->speed_mps;
            fprintf(out, ", running pace %d:%02d /km (%.2f m/s)", (int)(pace / 60),
                    (int)lround(fmod(pace, 60)) % 60, u->speed_mps);
        }
        if (spatial)
            fprintf(out, ", climb +%.0f m / -%.0f m\n", u->ascent_m, u->descent_m);
        /* The feet's height estimates drift apart with accelerometer bias
         * (MODELS.md): when they disagree by more than 0.5% of the distance,
         * say so beside the climb. */
        if (spatial && fabs(u->elevation_lr_diff_m) > fmax(2, 0.005 * u->distance_m))
            fprintf(out, "  (climb uncertain: the two feet's height estimates differ by %.0f m)\n",
                    fabs(u->elevation_lr_diff_m));
        fprintf(out, "  steps %zu (%zu left, %zu right)", u->steps, u->steps_left, u->steps_right);
        if (!isfinite(u->cadence_spm) && isfinite(u->cadence_walk_spm))
            fprintf(out, ", walking cadence %.0f steps/min", u->cadence_walk_spm);
        if (isfinite(u->cadence_spm))
            fprintf(out, ", running cadence %.0f steps/min", u->cadence_spm);
        if (isfinite(u->cadence_spectral_spm))
            fprintf(out, " (spectrum: %.0f)", u->cadence_spectral_spm);
        fprintf(out, "\n");
        if (isfinite(u->gct_ms)) {
            fprintf(out, "  ground contact %.0f ms", u->gct_ms);
            if (isfinite(u->flight_ms))
                fprintf(out, ", flight %.0f ms", u->flight_ms);
            if (isfinite(u->gct_balance_left_pct))
                fprintf(out, ", contact balance %.1f%% left / %.1f%% right",
                        u->gct_balance_left_pct, 100 - u->gct_balance_left_pct);
            fprintf(out, "\n");
        }
        if (isfinite(u->impact_g))
            fprintf(out, "  impact %.1f g %s (shock, not the tendon's load)\n", u->impact_g,
                    !spatial                               ? "at the shank (peak tibial acceleration)"
                    : fr->foot_pods_analyzed < fr->pods_analyzed ? "(foot and shank pods)"
                                                           : "at the foot");
        if (!spatial) {
            fprintf(out, "  Achilles load not estimated: it scales with running speed, which "
                         "needs a foot pod\n");
        } else {
            fprintf(out, "  Achilles load %.0f body weights over the steps", u->achilles_load);
            if (o->mass_kg > 0)
                fprintf(out, " (%.0f kN)", u->achilles_load * o->mass_kg * 9.80665 / 1000);
            fprintf(out, ", damage index %.0f (k = %g)\n", u->achilles_damage, o->damage_k);
        }
    }
    analyze_quality q = analyze_quality_of(fr);
    double conf = q.confidence, clipped = q.clipped, gap_s = q.gap_s;
    int64_t gaps = q.gaps;
    fprintf(out, "  quality: orientation confidence ");
    if (isfinite(conf))
        fprintf(out, "%.2f", conf);
    else
        fprintf(out, "-");
    fprintf(out, ", clipped %.2f%%, ", 100 * clipped);
    if (gaps)
        fprintf(out, "%" PRId64 " gap%s (%.1f s missing)\n", gaps, gaps == 1 ? "" : "s", gap_s);
    else
        fprintf(out, "no gaps\n");
    for (size_t p = 0; p < fr->npods; p++)
        for (int k = 0; k < fr->pr[p].nnotes; k++)
            fprintf(out, "  note: %s\n", fr->pr[p].notes[k]);
}

static void csv_num(FILE *f, double v)
{
    if (isfinite(v))
        fprintf(f, ",%.6g", v);
    else
        fputc(',', f);
}

int tendo_analyze_csv_rows(FILE *f, const tendo_analyze_result *fr)
{
    const tendo_an_step *s;
    size_t n = tendo_an_session_steps(fr->ses, &s);
    for (size_t i = 0; i < n; i++) {
        /* seconds since the session's first sample (issue 4), where
         * /analysis and /truth count from start_time_utc */
        double t0 = fr->first_sample_s;
        fprintf(f, "%s,%.4f", s[i].side ? "right" : "left", s[i].ic_s - t0);
        csv_num(f, s[i].to_s - t0);
        csv_num(f, s[i].gct_ms);
        csv_num(f, s[i].flight_ms);
        csv_num(f, s[i].stride_s);
        csv_num(f, s[i].cadence_spm);
        csv_num(f, s[i].speed_mps);
        csv_num(f, s[i].stride_len_m);
        csv_num(f, s[i].dz_m);
        fprintf(f, ",%s", tendo_an_strike_name(s[i].footstrike));
        csv_num(f, s[i].impact_g);
        csv_num(f, s[i].achilles_force_bw);
        fprintf(f, ",%d,%s,", s[i].bout, tendo_an_kind_name(s[i].kind));
        /* the file name, quoted if it needs it */
        if (strpbrk(fr->path, ",\"\n")) {
            fputc('"', f);
            for (const char *c = fr->path; *c; c++) {
                if (*c == '"')
                    fputc('"', f);
                fputc(*c, f);
            }
            fputc('"', f);
        } else {
            fputs(fr->path, f);
        }
        fputc('\n', f);
    }
    return ferror(f) ? -1 : 0;
}

int tendo_analyze_csv_header(FILE *f)
{
    fputs("side,ic_s,to_s,gct_ms,flight_ms,stride_s,cadence_spm,speed_mps,stride_len_m,dz_m,"
          "footstrike,impact_g,achilles_force_bw,bout,kind,file\n",
          f);
    return ferror(f) ? -1 : 0;
}
