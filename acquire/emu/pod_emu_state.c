/*
 * pod_emu_state.c — what an emulated pod keeps across power cycles, in
 * DIR/<serial>.state (text, one fact a line):
 *
 *   tendo-podsim-state 1
 *   epoch E POWER_ON_US          clock epoch and when its counter started
 *   anchor TICKS UTC_US          the last CLOCK_SET of this epoch (if any)
 *   erased ID SIZE CRC32         a session erased by the host
 *   fired N SPEC                 the --fault SPEC has fired N times
 *
 * An erased line names the session's size and CRC as well as its id, so a
 * file that changed between runs is a new recording, not an erased one.
 * The serial passed tendo_pod_serial_check(), so it is safe as a file name.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pod_emu_internal.h"

#define STATE_MAGIC "tendo-podsim-state 1"

static void state_path(const tendo_pod_emu *pod, const char *dir, const char *suffix, char *out,
                       size_t cap)
{
    snprintf(out, cap, "%s/%s.state%s", dir, pod->cfg.serial, suffix);
}

int tendo_pod_emu_state_save(const tendo_pod_emu *pod, const char *dir, tendo_error *err)
{
    char path[4096], tmp[4096];
    state_path(pod, dir, "", path, sizeof path);
    state_path(pod, dir, ".tmp", tmp, sizeof tmp);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return tendo_error_set(err, TENDO_ECANTCREAT, "cannot write pod state %s: %s", tmp,
                               strerror(errno));
    fprintf(f, "%s\n", STATE_MAGIC);
    fprintf(f, "epoch %" PRIu32 " %" PRId64 "\n", pod->epoch, pod->power_on_us);
    if (pod->anchored)
        fprintf(f, "anchor %" PRIu64 " %" PRId64 "\n", pod->anchor_ticks, pod->anchor_utc_us);
    for (size_t i = 0; i < pod->ns; i++)
        if (pod->s[i].erased)
            fprintf(f, "erased %" PRIu32 " %" PRIu64 " %" PRIu32 "\n", pod->s[i].entry.id,
                    pod->s[i].entry.size_bytes, pod->s[i].entry.crc32);
    for (size_t i = 0; i < pod->nfaults; i++)
        if (pod->faults[i].fired && pod->faults[i].times)
            fprintf(f, "fired %d %s\n", pod->faults[i].fired, pod->faults[i].spec);
    int bad = fflush(f) != 0 || fsync(fileno(f)) != 0;
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return tendo_error_set(err, TENDO_EIO, "cannot write pod state %s: %s", path, strerror(e));
    }
    ((tendo_pod_emu *)pod)->dirty = 0;
    return TENDO_OK;
}

int tendo_pod_emu_state_load(tendo_pod_emu *pod, const char *dir, tendo_error *err)
{
    char path[4096];
    state_path(pod, dir, "", path, sizeof path);
    FILE *f = fopen(path, "r");
    if (!f)
        return errno == ENOENT ? TENDO_OK
                               : tendo_error_set(err, TENDO_ENOINPUT, "cannot read pod state %s: %s",
                                                 path, strerror(errno));
    char line[256];
    int rc = TENDO_OK;
    unsigned no = 0;
    while (!rc && fgets(line, sizeof line, f)) {
        no++;
        uint32_t id, crc, epoch;
        uint64_t size, ticks;
        int64_t us;
        if (no == 1) {
            if (strncmp(line, STATE_MAGIC, strlen(STATE_MAGIC)) != 0)
                rc = tendo_error_set(err, TENDO_EDATA, "%s is not a tendo-podsim pod state file",
                                     path);
        } else if (sscanf(line, "epoch %" SCNu32 " %" SCNd64, &epoch, &us) == 2) {
            /* A reset in an earlier run started a new epoch; files stay in epoch 1. */
            if (epoch > 1) {
                pod->epoch = epoch;
                pod->power_on_us = us;
                pod->anchored = 0; /* the start's anchor was of epoch 1 */
            }
        } else if (sscanf(line, "anchor %" SCNu64 " %" SCNd64, &ticks, &us) == 2) {
            pod->anchored = 1;
            pod->anchor_ticks = ticks;
            pod->anchor_utc_us = us;
        } else if (sscanf(line, "erased %" SCNu32 " %" SCNu64 " %" SCNu32, &id, &size, &crc) == 3) {
            for (size_t i = 0; i < pod->ns; i++) {
                emu_session *s = &pod->s[i];
                if (s->entry.id == id && s->entry.size_bytes == size && s->entry.crc32 == crc &&
                    !s->erased) {
                    s->erased = 1;
                    free(s->content);
                    s->content = NULL;
                }
            }
        } else if (!strncmp(line, "fired ", 6)) {
            /* A fault the user gives again does not fire again beyond times=N. */
            char *end = NULL;
            long count = strtol(line + 6, &end, 10);
            if (end && *end == ' ') {
                end[strcspn(end, "\n")] = '\0';
                for (size_t i = 0; i < pod->nfaults; i++)
                    if (!strcmp(pod->faults[i].spec, end + 1))
                        pod->faults[i].fired = (int)count;
            }
        } else {
            rc = tendo_error_set(err, TENDO_EDATA, "%s line %u: cannot parse \"%.60s\"", path, no,
                                 line);
        }
    }
    fclose(f);
    return rc;
}
