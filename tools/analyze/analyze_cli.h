/*
 * analyze_cli.h — the analysis options that `tendo analyze` and
 * `tendo batch` share on the command line, parsed in one place so both
 * accept the same values within the same bounds.
 */
#ifndef TENDO_ANALYZE_CLI_H
#define TENDO_ANALYZE_CLI_H

/* Matches argv[*i] against --placement foot|shank, --mass KG (20–300) or
 * --damage-k K (1–20) and stores its value. Returns 0 when argv[*i] is
 * another option, 1 after storing (with *i past a separate value), or the
 * usage exit code (64) after a message naming cmd. */
int tendo_analyze_cli_option(const char *cmd, int argc, char **argv, int *i, int *placement,
                             double *mass_kg, double *damage_k);

#endif
