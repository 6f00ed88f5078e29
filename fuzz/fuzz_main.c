/*
 * fuzz_main.c — the standalone driver of the fuzz targets: a main() that
 * feeds files to LLVMFuzzerTestOneInput, so every target also builds
 * without libFuzzer (gcc, afl-clang-fast, valgrind, plain replay).
 *
 *   fuzz_csv_replay FILE_OR_DIR...   each file is one input (a directory:
 *                                    its files, sorted by name)
 *   fuzz_csv_replay                  one input from standard input
 *                                    (what afl-fuzz sends without @@)
 *
 * A path that does not exist is skipped with a note (a target may have no
 * regressions yet); replaying no input at all is an error (exit 2), so a
 * mistyped path cannot pass silently. A crash aborts the process, which is
 * what ctest (fuzz.replay.*) and afl-fuzz watch for.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Reads a whole stream; NULL on error. The buffer has its own allocation of
 * exactly size bytes (at least 1), so ASan catches a read one byte past it. */
static uint8_t *slurp(FILE *f, size_t *size)
{
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap)
            break;
        uint8_t *grown = realloc(buf, cap * 2);
        if (!grown) {
            free(buf);
            return NULL;
        }
        buf = grown;
        cap *= 2;
    }
    if (!buf || ferror(f)) {
        free(buf);
        return NULL;
    }
    uint8_t *exact = malloc(n ? n : 1);
    if (exact)
        memcpy(exact, buf, n);
    free(buf);
    *size = n;
    return exact;
}

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "fuzz replay: cannot open %s: %s\n", path, strerror(errno));
        return -1;
    }
    size_t size = 0;
    uint8_t *data = slurp(f, &size);
    fclose(f);
    if (!data) {
        fprintf(stderr, "fuzz replay: cannot read %s\n", path);
        return -1;
    }
    LLVMFuzzerTestOneInput(data, size);
    free(data);
    return 1;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Runs every regular file of a directory (not recursive), in name order so
 * a failure is reproducible. Returns the number run, -1 on error. */
static int run_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "fuzz replay: cannot list %s: %s\n", dir, strerror(errno));
        return -1;
    }
    char **names = NULL;
    size_t n = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.')
            continue;
        char **grown = realloc(names, (n + 1) * sizeof *names);
        if (!grown)
            break;
        names = grown;
        size_t len = strlen(dir) + strlen(e->d_name) + 2;
        if (!(names[n] = malloc(len)))
            break;
        snprintf(names[n++], len, "%s/%s", dir, e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof *names, by_name);
    int ran = 0;
    for (size_t i = 0; i < n; i++) {
        struct stat st;
        if (stat(names[i], &st) == 0 && S_ISREG(st.st_mode)) {
            if (run_file(names[i]) < 0)
                ran = -1;
            else if (ran >= 0)
                ran++;
        }
        free(names[i]);
    }
    free(names);
    return ran;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        size_t size = 0;
        uint8_t *data = slurp(stdin, &size);
        if (!data)
            return 2;
        LLVMFuzzerTestOneInput(data, size);
        free(data);
        return 0;
    }
    long total = 0;
    int failed = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            fprintf(stderr, "fuzz replay: %s does not exist, skipped\n", argv[i]);
            continue;
        }
        int ran = S_ISDIR(st.st_mode) ? run_dir(argv[i]) : run_file(argv[i]);
        if (ran < 0)
            failed = 1;
        else
            total += ran;
    }
    printf("fuzz replay: %ld inputs ran without a crash\n", total);
    if (failed || total == 0) {
        fprintf(stderr, "fuzz replay: %s\n", failed ? "some inputs could not be read"
                                                    : "no input found: check the paths");
        return 2;
    }
    return 0;
}
