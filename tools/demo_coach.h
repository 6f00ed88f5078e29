/*
 * demo_coach.h — the coach's part of `tendo demo`: a demo athlete in the
 * demo's own catalog (DIR/home), five weeks of short simulated runs plus the
 * demo's run registered with `tendo add`, a few diary days, a heel-raise
 * test recorded with `tendo capacity`, and `tendo report` writing
 * DIR/report.html. Self-contained: needs nothing but the tendo binary.
 */
#ifndef TENDO_DEMO_COACH_H
#define TENDO_DEMO_COACH_H

typedef int (*demo_command_fn)(int argc, char **argv);
/* Prints step `number` with its title and command line, then runs it. */
typedef int (*demo_step_fn)(int number, const char *title, demo_command_fn fn, char **argv);

/* Runs the steps numbered from first_step on; run_h5 is the demo's
 * simulated session (dated 2026-11-21). Returns 0 or the failing exit code. */
int tendo_demo_coach(const char *dir, const char *run_h5, int first_step, demo_step_fn step);

#endif
