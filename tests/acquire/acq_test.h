/*
 * acq_test.h — the small harness of the acquire/ tests: CHECK macros that
 * count failures, a hex reader for golden byte strings, and a dispatcher
 * that runs one named case per ctest test.
 */
#ifndef ACQ_TEST_H
#define ACQ_TEST_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tendo_error.h"

static int acq_failures;

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);                        \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
            acq_failures++;                                                                        \
        }                                                                                          \
    } while (0)

/* A call that must succeed; on failure prints the tendo_error message. */
#define CHECK_OK(call, err)                                                                        \
    do {                                                                                           \
        tendo_error_clear(err);                                                                    \
        int rc_ = (call);                                                                          \
        CHECK(rc_ == TENDO_OK, "rc %d: %s", rc_, (err)->msg);                                      \
    } while (0)

/* A call that must fail with code and a message containing `text`. */
#define CHECK_FAILS(call, err, code, text)                                                         \
    do {                                                                                           \
        tendo_error_clear(err);                                                                    \
        int rc_ = (call);                                                                          \
        CHECK(rc_ == (code), "rc %d, expected %d (msg: %s)", rc_, (code), (err)->msg);             \
        CHECK(strstr((err)->msg, (text)) != NULL, "message \"%s\" lacks \"%s\"", (err)->msg,       \
              (text));                                                                             \
    } while (0)

/* Parses whitespace-separated hex bytes ("01 A0 ..."); returns the count. */
static inline size_t hex_bytes(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = 0;
    while (*hex) {
        if (*hex == ' ' || *hex == '\n') {
            hex++;
            continue;
        }
        unsigned v;
        if (n >= cap || sscanf(hex, "%2x", &v) != 1) {
            fprintf(stderr, "bad golden hex near \"%.8s\"\n", hex);
            exit(2);
        }
        out[n++] = (uint8_t)v;
        hex += 2;
    }
    return n;
}

/* Compares bytes and names the first difference. */
#define CHECK_BYTES(got, want, n)                                                                  \
    do {                                                                                           \
        for (size_t i_ = 0; i_ < (size_t)(n); i_++)                                                \
            if ((got)[i_] != (want)[i_]) {                                                         \
                CHECK(0, "byte %zu is 0x%02X, expected 0x%02X", i_, (got)[i_], (want)[i_]);        \
                break;                                                                             \
            }                                                                                      \
    } while (0)

typedef struct acq_case {
    const char *name;
    void (*fn)(void);
} acq_case;

/* Runs the case named argv[1] (or all); exit 1 on any failure. */
static inline int acq_main(int argc, char **argv, const acq_case *cases, size_t n)
{
    int ran = 0;
    for (size_t i = 0; i < n; i++) {
        if (argc > 1 && strcmp(argv[1], cases[i].name) != 0)
            continue;
        cases[i].fn();
        ran++;
    }
    if (!ran) {
        fprintf(stderr, "no test case named %s\n", argc > 1 ? argv[1] : "?");
        return 2;
    }
    if (acq_failures)
        fprintf(stderr, "%d failure(s)\n", acq_failures);
    return acq_failures ? 1 : 0;
}

#endif
