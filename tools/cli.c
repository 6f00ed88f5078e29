#include "cli.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int cli_fail(const char *cmd, const tendo_error *err)
{
    fprintf(stderr, "tendo %s: %s\n", cmd,
            err && err->msg[0] ? err->msg : tendo_code_name(err ? err->code : TENDO_EINTERNAL));
    return tendo_exit_code(err ? err->code : TENDO_EINTERNAL);
}

int cli_usage(const char *cmd, const char *fmt, ...)
{
    fprintf(stderr, "tendo %s: ", cmd);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'tendo %s --help'.\n", cmd);
    return CLI_EXIT_USAGE;
}

int cli_parse_double(const char *cmd, const char *option, const char *text, double lo,
                     double hi, double *out)
{
    char *end = NULL;
    errno = 0;
    double v = text ? strtod(text, &end) : NAN;
    if (!text || end == text || *end != '\0' || errno == ERANGE || !isfinite(v) || v < lo ||
        v > hi)
        return cli_usage(cmd, "%s expects a number from %g to %g, not '%s'", option, lo, hi,
                         text ? text : "");
    *out = v;
    return 0;
}

int cli_parse_int64(const char *cmd, const char *option, const char *text, int64_t lo,
                    int64_t hi, int64_t *out)
{
    char *end = NULL;
    errno = 0;
    long long v = text ? strtoll(text, &end, 10) : 0;
    if (!text || end == text || *end != '\0' || errno == ERANGE || v < lo || v > hi)
        return cli_usage(cmd, "%s expects a whole number from %" PRId64 " to %" PRId64
                              ", not '%s'",
                         option, lo, hi, text ? text : "");
    *out = (int64_t)v;
    return 0;
}

int cli_option_value(const char *cmd, int argc, char **argv, int *i, const char *name,
                     const char **value)
{
    size_t len = strlen(name);
    const char *arg = argv[*i];
    if (strncmp(arg, name, len) != 0)
        return 0;
    if (arg[len] == '=') {
        *value = arg + len + 1;
        return 1;
    }
    if (arg[len] != '\0')
        return 0;
    if (*i + 1 >= argc)
        return cli_usage(cmd, "%s needs a value", name);
    *value = argv[++*i];
    return 1;
}

int cli_scan(const char *cmd, const char *usage, int argc, char **argv, const cli_opt *opts,
             size_t nopts, const char **pos, size_t max_pos, size_t *npos)
{
    *npos = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(usage, stdout);
            return 0;
        }
        int matched = 0;
        for (size_t k = 0; k < nopts && !matched; k++) {
            if (opts[k].value) {
                int r = cli_option_value(cmd, argc, argv, &i, opts[k].name, opts[k].value);
                if (r == CLI_EXIT_USAGE)
                    return r;
                matched = r;
            } else if (!strcmp(a, opts[k].name)) {
                *opts[k].flag = 1;
                matched = 1;
            }
        }
        if (matched)
            continue;
        if (a[0] == '-' && a[1])
            return cli_usage(cmd, "unknown option '%s'", a);
        if (*npos == max_pos)
            return cli_usage(cmd, "unexpected argument '%s'", a);
        pos[(*npos)++] = a;
    }
    return CLI_GO;
}

void cli_print_json_line(cJSON *obj)
{
    char *text = cJSON_PrintUnformatted(obj);
    if (text) {
        fputs(text, stdout);
        fputc('\n', stdout);
        cJSON_free(text);
    }
    cJSON_Delete(obj);
}

int cli_stdout_is_tty(void)
{
    return isatty(STDOUT_FILENO);
}

int cli_self_and_sibling(const char *name, char *self, size_t self_cap, char *sibling,
                         size_t sibling_cap)
{
    ssize_t n = self_cap > 1 ? readlink("/proc/self/exe", self, self_cap - 1) : -1;
    if (n <= 0)
        return -1;
    self[n] = '\0';
    const char *slash = strrchr(self, '/');
    int dir_len = slash ? (int)(slash - self) : 0;
    int m = snprintf(sibling, sibling_cap, "%.*s/%s", dir_len, self, name);
    if ((size_t)n >= self_cap - 1 || m < 0 || (size_t)m >= sibling_cap) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}
