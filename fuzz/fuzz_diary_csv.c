/*
 * Fuzz target: the symptom diary's CSV import (tools/catalog/diary_csv.h),
 * as `tendo diary import` reads it before writing anything to the catalog.
 * The input is the CSV file itself; its size's low bit says whether a
 * default athlete is given (the athlete column then optional). Every entry
 * accepted must pass the catalog's own check, as the importer promises.
 */
#include <stdlib.h>
#include <string.h>

#include "diary_csv.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_file f;
    if (fuzz_file_open(&f, data, size) < 0)
        return 0;
    tendo_diary_entry *e = NULL;
    size_t n = 0;
    tendo_error err;
    tendo_error_clear(&err);
    if (diary_csv_read(f.path, size & 1 ? "A01" : NULL, &e, &n, &err) == TENDO_OK) {
        for (size_t i = 0; i < n; i++) {
            tendo_error_clear(&err);
            if (!memchr(e[i].note, 0, sizeof e[i].note) ||
                tendo_catalog_diary_check(&e[i], &err) != TENDO_OK)
                __builtin_trap(); /* an entry the catalog would refuse got through */
        }
    }
    free(e);
    fuzz_file_close(&f);
    return 0;
}
