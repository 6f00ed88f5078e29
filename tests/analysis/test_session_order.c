/*
 * test_session_order.c — the session's stride lists (analysis/session.c,
 * common/tendo_spill.h): strides added pod by pod in contact order (the
 * streamed, merged path) and the same strides added in a scrambled order
 * (the sort-in-memory path), with every record through the temporary file
 * or none (tendo_spill_records), give the same bytes of steps, bouts and
 * summaries as the library's default in-memory records; the spill list
 * reads back exactly what was pushed.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tendo_analysis.h"
#include "tendo_check.h"
#include "tendo_spill.h"

static unsigned long long rng = 0x2545F4914F6CDD1DULL;
static double uni(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return ((double)(rng >> 11) + 0.5) / 9007199254740992.0;
}

#define NPOD 2
#define NST  300

/* Two feet running (alternate contacts, 0.72 s strides) then walking, with
 * sensitivities and end velocities that make a bias estimate. */
static void make_strides(tendo_an_stride st[NPOD][NST])
{
    for (int p = 0; p < NPOD; p++)
        for (int i = 0; i < NST; i++) {
            tendo_an_stride *s = &st[p][i];
            memset(s, 0, sizeof *s);
            int run = i < NST * 2 / 3;
            double period = run ? 0.72 : 1.1, t = 5 + i * period + p * period / 2;
            s->t_zv0 = t - period + 0.1;
            s->t_to = t - period * 0.7;
            s->t_swing = t - period * 0.4;
            s->t_ic = t + 0.001 * uni();
            s->t_zv1 = t + 0.1;
            s->t_to_next = t + (run ? 0.22 : 0.65) + 0.01 * uni();
            s->contact_s = s->t_to_next - s->t_ic;
            s->swing_s = s->t_ic - s->t_to;
            s->length_m = (run ? 2.3 : 1.4) + 0.05 * uni();
            s->dz_m = 0.02 * (uni() - 0.5);
            s->speed_mps = s->length_m / (s->t_zv1 - s->t_zv0);
            s->running = run;
            s->strike_angle_deg = 20 * uni() - 5;
            s->impact_g = 5 + 3 * uni();
            tendo_an_drift *d = &s->drift;
            float *m[] = {d->ma, d->mg, d->qa, d->qg, d->r0};
            for (size_t k = 0; k < sizeof m / sizeof *m; k++)
                for (int c = 0; c < 9; c++)
                    m[k][c] = (float)(0.2 * (uni() - 0.5) + (c % 4 == 0 ? 0.5 : 0));
            for (int c = 0; c < 3; c++) {
                d->v_end[c] = (float)(0.05 * (uni() - 0.5));
                d->pos[c] = (float)(c < 2 ? s->length_m / 1.5 : s->dz_m);
            }
            d->g = 9.81f;
            d->valid = 1;
        }
}

typedef struct outcome {
    size_t nsteps, nbouts;
    tendo_an_step *steps;
    tendo_an_bout *bouts;
    tendo_an_summary sum;
} outcome;

/* order 0: pod 0's strides then pod 1's, each in time; 1: scrambled. */
static int run(tendo_an_stride st[NPOD][NST], int order, const tendo_records_ops *records,
               outcome *o)
{
    tendo_an_session *s;
    tendo_error err = {0};
    tendo_an_session_options so = {.records = records};
    CHECK(tendo_an_session_new(&s, &so, &err) == TENDO_OK);
    int idx[NPOD * NST];
    for (int k = 0; k < NPOD * NST; k++)
        idx[k] = k;
    for (int k = NPOD * NST - 1; order && k > 0; k--) {
        int j = (int)(uni() * (k + 1)), t = idx[k];
        idx[k] = idx[j];
        idx[j] = t;
    }
    int rc = TENDO_OK;
    for (int k = 0; rc == TENDO_OK && k < NPOD * NST; k++)
        rc = tendo_an_session_add(s, idx[k] / NST, idx[k] / NST, &st[idx[k] / NST][idx[k] % NST],
                                  &err);
    if (rc == TENDO_OK)
        rc = tendo_an_session_finish(s, 600, &err);
    CHECK(rc == TENDO_OK, "%s", err.msg);
    const tendo_an_step *steps;
    const tendo_an_bout *bouts;
    o->nsteps = tendo_an_session_steps(s, &steps);
    o->nbouts = tendo_an_session_bouts(s, &bouts);
    o->steps = malloc((o->nsteps + 1) * sizeof *o->steps);
    o->bouts = malloc((o->nbouts + 1) * sizeof *o->bouts);
    memcpy(o->steps, steps, o->nsteps * sizeof *steps);
    memcpy(o->bouts, bouts, o->nbouts * sizeof *bouts);
    o->sum = *tendo_an_session_summary(s);
    tendo_an_session_free(s);
    return rc;
}

static int same(const outcome *a, const outcome *b)
{
    return a->nsteps == b->nsteps && a->nbouts == b->nbouts &&
           !memcmp(a->steps, b->steps, a->nsteps * sizeof *a->steps) &&
           !memcmp(a->bouts, b->bouts, a->nbouts * sizeof *a->bouts) &&
           !memcmp(&a->sum, &b->sum, sizeof a->sum);
}

static void check_spill_list(void)
{
    tendo_error err = {0};
    setenv("TENDO_SPILL_BYTES", "100", 1); /* 33 records of 3 bytes a block, one block kept */
    tendo_spill *l;
    CHECK(tendo_spill_new(&l, 3, &err) == TENDO_OK);
    int ok = 1;
    for (int i = 0; l && i < 1000; i++) {
        unsigned char r[3] = {(unsigned char)i, (unsigned char)(i >> 8), 7};
        ok &= tendo_spill_push(l, r, &err) == TENDO_OK;
    }
    CHECK(ok && l && tendo_spill_count(l) == 1000);
    /* forward, backward and scattered reads */
    for (int pass = 0; l && pass < 3; pass++)
        for (int k = 0; k < 1000; k++) {
            int i = pass == 0 ? k : pass == 1 ? 999 - k : (k * 379) % 1000;
            unsigned char r[3];
            ok &= tendo_spill_get(l, (size_t)i, r, &err) == TENDO_OK && r[0] == (unsigned char)i &&
                  r[1] == (unsigned char)(i >> 8) && r[2] == 7;
        }
    CHECK(ok, "records read back differ");
    unsigned char r[3];
    tendo_error e2 = {0};
    CHECK(l && tendo_spill_get(l, 1000, r, &e2) == TENDO_EINTERNAL);
    tendo_spill_free(l);
    setenv("TENDO_SPILL_BYTES", "12x", 1);
    tendo_error e3 = {0};
    CHECK(tendo_spill_new(&l, 3, &e3) == TENDO_EUSAGE && strstr(e3.msg, "TENDO_SPILL_BYTES"));
    unsetenv("TENDO_SPILL_BYTES");
}

int main(void)
{
    static tendo_an_stride st[NPOD][NST];
    make_strides(st);
    check_spill_list();
    outcome ref, o;
    unsetenv("TENDO_SPILL_BYTES");
    run(st, 0, &tendo_records_memory, &ref); /* the library's default store */
    CHECK(ref.nsteps == NPOD * NST && ref.nbouts >= 2, "%zu steps, %zu bouts", ref.nsteps,
          ref.nbouts);
    CHECK(ref.sum.distance_m > 0 && isfinite(ref.sum.cadence_spm));
    const char *limits[] = {"1", "5000", NULL};
    for (int order = 0; order < 2; order++)
        for (int l = 0; l < 3; l++) {
            if (limits[l])
                setenv("TENDO_SPILL_BYTES", limits[l], 1);
            else
                unsetenv("TENDO_SPILL_BYTES");
            run(st, order, &tendo_spill_records, &o);
            CHECK(same(&ref, &o), "order %d, TENDO_SPILL_BYTES %s: results differ", order,
                  limits[l] ? limits[l] : "unset");
            free(o.steps);
            free(o.bouts);
        }
    free(ref.steps);
    free(ref.bouts);
    return tendo_check_report("test_session_order");
}
