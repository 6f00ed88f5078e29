/*
 * Fuzz target: the session-file reader and validator (formats/) on whole
 * HDF5 file images held in memory (tendo_validate_image: HDF5's core
 * driver, nothing on disk), as `tendo inspect` and `tendo analyze` see a
 * file. A file that validates is also read back in SI units, one window
 * per pod. The input is the .h5 file itself.
 *
 * libhdf5 is Debian's (not instrumented): coverage guides only tendo's
 * code, and a crash inside libhdf5 shows in the stack trace as such
 * (fuzz/run.sh sorts those out as upstream findings; README.md).
 *
 * LeakSanitizer cannot tell an HDF5 object tendo forgot to close from
 * HDF5's own leaks (both allocate inside libhdf5), so the target counts
 * open HDF5 identifiers before and after: any growth is tendo's leak.
 */
#include <hdf5.h>
#include <stdlib.h>

#include "tendo_session.h"

enum { WINDOW = 4096 };

static long open_ids(void)
{
    static const H5I_type_t kinds[] = {H5I_FILE, H5I_GROUP, H5I_DATATYPE, H5I_DATASPACE,
                                       H5I_DATASET, H5I_ATTR, H5I_GENPROP_LST};
    long total = 0;
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        hsize_t n = 0;
        if (H5Inmembers(kinds[i], &n) >= 0)
            total += (long)n;
    }
    return total;
}

static void check(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static long baseline = -1;
    if (baseline < 0) { /* the library's own ids exist once it is initialised */
        check(data, size);
        baseline = open_ids();
        return 0;
    }
    check(data, size);
    if (open_ids() != baseline)
        __builtin_trap(); /* tendo left an HDF5 object open */
    return 0;
}

static void check(const uint8_t *data, size_t size)
{
    tendo_error err;
    tendo_error_clear(&err);
    tendo_report rep;
    if (tendo_validate_image(data, size, "fuzz.h5", &rep, &err) != TENDO_OK)
        return;
    tendo_reader *r = NULL;
    if (tendo_reader_open_image(&r, data, size, "fuzz.h5", &err) != TENDO_OK)
        abort(); /* validated a moment ago: the two entry points disagree */
    static int64_t time_us[WINDOW];
    static float accel[3 * WINDOW], gyro[3 * WINDOW];
    static uint8_t status[WINDOW];
    for (size_t pod = 0; pod < tendo_reader_pod_count(r); pod++) {
        int64_t n = tendo_reader_sample_count(r, pod);
        tendo_block blk = {(size_t)(n < WINDOW ? n : WINDOW), time_us, accel, gyro, status};
        if (tendo_reader_read_si(r, pod, 0, &blk, &err) != TENDO_OK)
            abort(); /* the validator read every sample of this pod */
    }
    tendo_reader_close(r);
}
