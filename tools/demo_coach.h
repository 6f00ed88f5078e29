/*
 * demo_coach.h — the coach's part of `tendo demo`: a demo athlete in the
 * demo's own catalog (DIR/home), five weeks of short simulated runs plus the
 * demo's run registered with `tendo add`, a few diary days, a heel-raise
 * test recorded with `tendo capacity`, and `tendo report` writing
 * DIR/report.html. Self-contained: needs nothing but the tendo binary.
 */
#ifndef TENDO_DEMO_COACH_H
#define TENDO_DEMO_COACH_H

#include <stddef.h>

typedef int (*demo_command_fn)(int argc, char **argv);
/* Prints step `number` with its title and command line, then runs it. */
typedef int (*demo_step_fn)(int number, const char *title, demo_command_fn fn, char **argv);

/* Makes the demo's own home DIR/home (its catalog, synced sessions and sync
 * spool from an earlier demo are removed) and adds the demo athlete, as step
 * *step_no (then incremented). home receives DIR/home. Returns 0 or the
 * failing exit code. */
int tendo_demo_athlete(const char *dir, char *home, size_t home_cap, int *step_no,
                       demo_step_fn step);

/* Runs the steps numbered from first_step on, in the home made by
 * tendo_demo_athlete; run_h5 is the demo's session (dated 2026-11-21),
 * registered by tendo sync without a summary or not registered at all.
 * Returns 0 or the failing exit code. */
int tendo_demo_coach(const char *dir, const char *home, const char *run_h5, int first_step,
                     demo_step_fn step);

#endif
