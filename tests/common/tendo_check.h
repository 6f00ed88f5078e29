/*
 * tendo_check.h — the one assertion macro of tendo's C tests.
 *
 *   CHECK(cond);                       reports the expression on failure
 *   CHECK(cond, "got %d", value);      adds a message (a string literal)
 *
 * A failed CHECK prints "FAIL file:line: expr: message" and counts in
 * `failures`; main() ends with `return tendo_check_report("name");`.
 * tendo_check_slurp() reads a whole file for byte-for-byte comparisons.
 */
#ifndef TENDO_CHECK_H
#define TENDO_CHECK_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static int failures;

static void tendo_check_fail(const char *file, int line, const char *expr, const char *fmt, ...)
    __attribute__((format(printf, 4, 5), unused));
static void tendo_check_fail(const char *file, int line, const char *expr, const char *fmt, ...)
{
    failures++;
    fprintf(stderr, "FAIL %s:%d: %s", file, line, expr);
    if (fmt[1]) { /* fmt is " " followed by the caller's message, if any */
        va_list ap;
        va_start(ap, fmt);
        fputc(':', stderr);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
    }
    fputc('\n', stderr);
}

#define CHECK(cond, ...)                                                                       \
    ((cond) ? (void)0 : tendo_check_fail(__FILE__, __LINE__, #cond, " " __VA_ARGS__))

/* Prints the outcome and returns main's exit code. */
static int tendo_check_report(const char *name) __attribute__((unused));
static int tendo_check_report(const char *name)
{
    if (failures)
        fprintf(stderr, "%s: %d check(s) failed\n", name, failures);
    else
        printf("%s: all checks passed\n", name);
    return failures ? 1 : 0;
}

/* A whole file in memory (malloc'ed; *len its size), or NULL. */
static unsigned char *tendo_check_slurp(const char *path, size_t *len) __attribute__((unused));
static unsigned char *tendo_check_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *buf = n >= 0 ? malloc(n > 0 ? (size_t)n : 1) : NULL;
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *len = n > 0 ? (size_t)n : 0;
    return buf;
}

#endif
