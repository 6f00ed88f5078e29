/*
 * tendo_check.h — the one assertion macro of tendo's C tests.
 *
 *   CHECK(cond);                       reports the expression on failure
 *   CHECK(cond, "got %d", value);      adds a message (a string literal)
 *
 * A failed CHECK prints "FAIL file:line: expr: message" and counts in
 * `failures`; main() ends with `return tendo_check_report("name");`.
 */
#ifndef TENDO_CHECK_H
#define TENDO_CHECK_H

#include <stdarg.h>
#include <stdio.h>

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

#endif
