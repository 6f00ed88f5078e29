/*
 * Fuzz target: the `tendo batch --manifest` CSV (tools/batch/batch_manifest.h):
 * header, per-file options, every field checked before the batch starts.
 * The input is the manifest itself (it names files; none is opened here).
 */
#include <stdlib.h>

#include "analyze_run.h"
#include "batch_manifest.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_file f;
    if (fuzz_file_open(&f, data, size) < 0)
        return 0;
    batch_job defaults = {0};
    defaults.placement = TENDO_ANALYZE_AS_RECORDED;
    defaults.damage_k = 5.0;
    batch_job *jobs = NULL;
    size_t n = 0;
    tendo_error err;
    tendo_error_clear(&err);
    if (batch_manifest_read(f.path, &defaults, &jobs, &n, &err) == TENDO_OK) {
        for (size_t i = 0; i < n; i++) {
            if (!jobs[i].file || !jobs[i].params)
                __builtin_trap(); /* a job without its file or parameters */
            batch_job_clear(&jobs[i]);
        }
    }
    free(jobs);
    fuzz_file_close(&f);
    return 0;
}
