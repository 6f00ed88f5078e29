/*
 * Fuzz target: the sensor CSV importer (formats/tendo_csv.h), as
 * `tendo import csv` drives it: open (header), then rows in batches until
 * the end or the first error. The input is the CSV file itself, so every
 * corpus file and regression is a file `tendo import csv` can be run on.
 * The size picks the units (which change only the scaling).
 */
#include "fuzz_util.h"
#include "tendo_csv.h"

enum { BATCH = 512 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_file f;
    if (fuzz_file_open(&f, data, size) < 0)
        return 0;
    tendo_csv_options opt = {(tendo_accel_unit)(size & 1), (tendo_gyro_unit)((size >> 1) & 1)};
    tendo_csv_reader *r = NULL;
    tendo_error err;
    tendo_error_clear(&err);
    if (tendo_csv_open(&r, f.path, &opt, &err) == TENDO_OK) {
        static double t[BATCH];
        static float accel[3 * BATCH], gyro[3 * BATCH];
        size_t n = 0;
        /* Alternate NULL outputs: the reader must not need them. */
        for (int round = 0;; round++) {
            int rc = tendo_csv_read(r, BATCH, round & 1 ? NULL : t, accel,
                                    round & 2 ? NULL : gyro, &n, &err);
            if (rc != TENDO_OK || n == 0)
                break;
        }
        tendo_csv_close(r);
    }
    fuzz_file_close(&f);
    return 0;
}
