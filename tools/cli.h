/*
 * cli.h — helpers shared by the `tendo` subcommands: reporting failures with
 * the documented exit code, parsing option values with range checks, and
 * printing JSON.
 */
#ifndef TENDO_CLI_H
#define TENDO_CLI_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "tendo_error.h"

/* Exit codes beyond tendo_exit_code(): success and usage. */
#define CLI_EXIT_OK 0
#define CLI_EXIT_USAGE 64

/* Prints "tendo CMD: <message>" to stderr; returns tendo_exit_code(err->code). */
int cli_fail(const char *cmd, const tendo_error *err);

/* Prints "tendo CMD: <message>" and "Try 'tendo CMD --help'." to stderr; returns 64. */
int cli_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The path of the running tendo binary (self) and of program `name` in the
 * same folder (sibling), e.g. tendo-podsim. Returns 0, or -1 with errno set
 * when /proc/self/exe cannot be read or a path does not fit. */
int cli_self_and_sibling(const char *name, char *self, size_t self_cap, char *sibling,
                         size_t sibling_cap);

/* Parse a whole option value; on failure print a usage error naming the
 * option and the accepted range and return 64, else return 0. */
int cli_parse_double(const char *cmd, const char *option, const char *text, double lo,
                     double hi, double *out);
int cli_parse_int64(const char *cmd, const char *option, const char *text, int64_t lo,
                    int64_t hi, int64_t *out);

/* Matches argv[*i] against "--name VALUE" or "--name=VALUE". Returns 0 when
 * argv[*i] is another option, 1 with *value set (and *i advanced past a
 * separate value), or 64 after a usage message when the value is missing. */
int cli_option_value(const char *cmd, int argc, char **argv, int *i, const char *name,
                     const char **value);

/* One option of a command: "--name VALUE" / "--name=VALUE" stores VALUE in
 * *value; a flag ("--name", value NULL) sets *flag to 1. */
typedef struct cli_opt {
    const char *name;
    const char **value;
    int *flag;
} cli_opt;

/* cli_scan's "carry on" result: no help was asked for and no usage error. */
#define CLI_GO (-1)

/* The argument scan every subcommand shares. "--help"/"-h" prints usage to
 * stdout and returns 0. Options in opts[0..nopts) are stored; another
 * argument starting with '-' (except "-" alone, which often means stdin) is
 * "unknown option" (64). Other arguments go to pos[0..max_pos) in order and
 * *npos counts them; one more is "unexpected argument" (64). Returns CLI_GO
 * when the command should go on to check the values it got. */
int cli_scan(const char *cmd, const char *usage, int argc, char **argv, const cli_opt *opts,
             size_t nopts, const char **pos, size_t max_pos, size_t *npos);

/* Prints a JSON object on one line to stdout (JSON Lines) and frees it. */
void cli_print_json_line(cJSON *obj);

/* 1 when stdout is a terminal (progress bars, colours). */
int cli_stdout_is_tty(void);

#endif
