/*
 * tendo_error.h — the one error convention of tendo.
 *
 * Every fallible function returns an int: TENDO_OK (0) on success or a
 * negative tendo_code naming the class of failure. It also takes a
 * `tendo_error *err` (which may be NULL) that receives a human message
 * saying what was wrong, where (file, dataset, line, byte offset or sample
 * index) and, when there is one, what to do. The first failure wins: a
 * caller that adds context prefixes it with tendo_error_prefix().
 *
 * Each class maps to one sysexits-style process exit code (tendo_exit_code),
 * so the command line needs no second table.
 */
#ifndef TENDO_ERROR_H
#define TENDO_ERROR_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum tendo_code {
    TENDO_OK = 0,
    TENDO_EUSAGE = -1,     /* bad arguments or options            → exit 64 */
    TENDO_EDATA = -2,      /* input exists but is malformed        → exit 65 */
    TENDO_ENOINPUT = -3,   /* input missing or unreadable          → exit 66 */
    TENDO_EUNAVAIL = -4,   /* device or service unavailable        → exit 69 */
    TENDO_EINTERNAL = -5,  /* bug, out of memory, library failure  → exit 70 */
    TENDO_ECANTCREAT = -6, /* output cannot be created (exists…)   → exit 73 */
    TENDO_EIO = -7         /* read/write failure, disk full        → exit 74 */
} tendo_code;

#define TENDO_ERROR_MSG_MAX 1024

typedef struct tendo_error {
    int code;                       /* a tendo_code; TENDO_OK when clear */
    char msg[TENDO_ERROR_MSG_MAX];  /* one or more sentences, no trailing newline */
} tendo_error;

/* Clears err (no-op on NULL). */
void tendo_error_clear(tendo_error *err);

/* Records code and a printf-style message in err unless err already holds
 * a failure (the first, most specific failure wins). Returns code, so a
 * function can `return tendo_error_set(err, TENDO_EDATA, "...")`. */
int tendo_error_set(tendo_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prepends context ("reading left.csv: ") to the message already in err. */
void tendo_error_prefix(tendo_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The process exit code for a tendo_code (0, 64, 65, 66, 69, 70, 73, 74). */
int tendo_exit_code(int code);

/* A short name for a code ("bad data", "I/O error", ...). */
const char *tendo_code_name(int code);

#ifdef __cplusplus
}
#endif
#endif
