/*
 * bench_sync — end-to-end `tendo sync` time against a bare libusb bulk read
 * of the same bytes through the same emulator (issue 3: sync within 1.3× of
 * the bare link), and the sync's peak memory. Not a test: it prints figures.
 * Run it as the command of tendo-podsim, with plain frames (no --compress:
 * the bare read does not inflate):
 *
 *   tendo simulate --out run2h.h5 --minutes 120 --rate 1000 --start <a day ago>
 *   tendo-podsim --pod L01:left:run2h.h5 --pod R01:right:run2h.h5 -- \
 *       build/bench/bench_sync --tendo build/tools/tendo \
 *                              --link build/bench/bench_podsim_link [--rounds 2] [--json]
 *
 * Each round runs, against the same pods, bench_podsim_link (the first
 * session of each pod, one pod after the other, transfers of the size the
 * driver uses) and then `tendo sync --keep --json` into a fresh home (so
 * every round downloads everything). Wall time is measured here around each
 * child; the child's peak RSS and CPU come from wait4(); the emulator's CPU
 * from /proc of tendo-podsim (our parent). The figures of the round with
 * the best link time are printed with the medians of every round (times,
 * ratio, CPU seconds), since the shared machine's load swings wall times by
 * 2× (PODSIM.md) and CPU seconds much less.
 *
 * The link speed is the emulator's: under `tendo-podsim --link-rate 40` both
 * the bare read and the sync run on a 40 MB/s wire per pod (a real pod's
 * USB 2.0 link), and the ratio says whether the sync keeps up with it.
 * tendo-podsim names its rate in $TENDO_PODSIM_LINK_RATE, printed here.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pod_usb.h"
#include "tendo_clock.h"

#define MAX_ROUNDS 16

typedef struct child_run {
    double wall_s;
    double cpu_s;
    double peak_rss_mib;
    double emu_cpu_s;
    int status;
    char *out; /* stdout, malloc'ed */
} child_run;

/* CPU seconds (user + system) of a process so far; -1 if unknown. */
static double proc_cpu_s(pid_t pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *p = strrchr(buf, ')');
    unsigned long ut = 0, st = 0;
    /* after the command: state ppid pgrp session tty tpgid flags minflt
     * cminflt majflt cmajflt utime stime */
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
        return -1;
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* Runs argv, capturing stdout; fills r. */
static int run_child(char *const argv[], child_run *r)
{
    memset(r, 0, sizeof *r);
    int fd[2];
    if (pipe(fd) != 0)
        return -1;
    double emu0 = proc_cpu_s(getppid());
    double t0 = tendo_monotonic_s();
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        dup2(fd[1], STDOUT_FILENO);
        close(fd[0]);
        close(fd[1]);
        execv(argv[0], argv);
        _exit(127);
    }
    close(fd[1]);
    size_t cap = 1 << 16, len = 0;
    r->out = malloc(cap);
    ssize_t n;
    while (r->out && (n = read(fd[0], r->out + len, cap - len - 1)) > 0) {
        len += (size_t)n;
        if (len + 1 == cap) {
            char *grown = realloc(r->out, cap *= 2);
            if (!grown)
                break;
            r->out = grown;
        }
    }
    close(fd[0]);
    if (r->out)
        r->out[len] = '\0';
    struct rusage ru;
    if (wait4(pid, &r->status, 0, &ru) < 0)
        return -1;
    r->wall_s = tendo_monotonic_s() - t0;
    r->cpu_s = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
               ru.ru_stime.tv_usec / 1e6;
    r->peak_rss_mib = ru.ru_maxrss / 1024.0; /* Linux: KiB */
    double emu1 = proc_cpu_s(getppid());
    r->emu_cpu_s = emu0 >= 0 && emu1 >= 0 ? emu1 - emu0 : -1;
    return 0;
}

/* The last line of out that parses as a JSON object. */
static cJSON *last_json(const char *out)
{
    cJSON *found = NULL;
    const char *line = out;
    while (line && *line) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        if (len && line[0] == '{') {
            cJSON *j = cJSON_ParseWithLength(line, len);
            if (j) {
                cJSON_Delete(found);
                found = j;
            }
        }
        line = end ? end + 1 : NULL;
    }
    return found;
}

static double num(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

static int by_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median_of(const double *v, int n)
{
    double sorted[MAX_ROUNDS];
    memcpy(sorted, v, sizeof(double) * (size_t)n);
    qsort(sorted, (size_t)n, sizeof *sorted, by_double);
    return n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

static void usage(void)
{
    fprintf(stderr, "usage: tendo-podsim --pod ... -- bench_sync --tendo PATH --link PATH "
                    "[--rounds N] [--json]\n");
}

int main(int argc, char **argv)
{
    const char *tendo = NULL, *link = NULL;
    int rounds = 2, json = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--tendo") && i + 1 < argc)
            tendo = argv[++i];
        else if (!strcmp(argv[i], "--link") && i + 1 < argc)
            link = argv[++i];
        else if (!strcmp(argv[i], "--rounds") && i + 1 < argc)
            rounds = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--json"))
            json = 1;
        else {
            usage();
            return 64;
        }
    }
    if (!tendo || !link || rounds < 1 || rounds > MAX_ROUNDS) {
        usage();
        return 64;
    }
    char size[32];
    snprintf(size, sizeof size, "%u", TENDO_USB_XFER_BYTES);
    char inflight[16];
    snprintf(inflight, sizeof inflight, "%d", TENDO_USB_XFERS);

    double link_s[MAX_ROUNDS], sync_s[MAX_ROUNDS], ratio[MAX_ROUNDS];
    double link_cpu_all[MAX_ROUNDS], sync_cpu_all[MAX_ROUNDS], sync_emu_all[MAX_ROUNDS];
    double best_link = 1e30;
    int best = 0;
    struct {
        double link_mb, link_cpu, link_emu_cpu, sync_cpu, sync_emu_cpu, sync_rss, download_s,
            commit_s, synced_mb;
        int files;
    } fig[MAX_ROUNDS];
    memset(fig, 0, sizeof fig);
    for (int k = 0; k < rounds; k++) {
        child_run lr, sr;
        char *largv[] = {(char *)link, "--size", size, "--inflight", inflight, "--json", NULL};
        if (run_child(largv, &lr) != 0 || !WIFEXITED(lr.status) || WEXITSTATUS(lr.status)) {
            fprintf(stderr, "bench_sync: %s failed (run me under tendo-podsim, plain frames)\n",
                    link);
            return 69;
        }
        cJSON *lj = last_json(lr.out);
        link_s[k] = num(lj, "seconds");
        fig[k].link_mb = num(lj, "bytes") / 1e6;
        fig[k].link_cpu = lr.cpu_s;
        fig[k].link_emu_cpu = lr.emu_cpu_s;
        cJSON_Delete(lj);
        free(lr.out);

        char home[] = "/tmp/bench_sync.XXXXXX";
        if (!mkdtemp(home)) {
            fprintf(stderr, "bench_sync: mkdtemp: %s\n", strerror(errno));
            return 73;
        }
        char *sargv[] = {(char *)tendo, "sync", "--home", home, "--keep",
                         "--wait",      "0",    "--json", NULL};
        if (run_child(sargv, &sr) != 0 || !WIFEXITED(sr.status) || WEXITSTATUS(sr.status)) {
            fprintf(stderr, "bench_sync: tendo sync failed:\n%s\n", sr.out ? sr.out : "");
            return 70;
        }
        cJSON *sj = last_json(sr.out);
        const cJSON *files = cJSON_GetObjectItemCaseSensitive(sj, "files");
        const cJSON *pods = cJSON_GetObjectItemCaseSensitive(sj, "pods");
        const cJSON *f;
        cJSON_ArrayForEach(f, files)
        {
            fig[k].download_s += num(f, "download_s");
            fig[k].commit_s += num(f, "commit_s");
            fig[k].files++;
        }
        cJSON_ArrayForEach(f, pods) fig[k].synced_mb += num(f, "bytes") / 1e6;
        cJSON_Delete(sj);
        free(sr.out);
        sync_s[k] = sr.wall_s;
        link_cpu_all[k] = fig[k].link_cpu + fig[k].link_emu_cpu;
        sync_cpu_all[k] = sr.cpu_s;
        sync_emu_all[k] = sr.emu_cpu_s;
        fig[k].sync_cpu = sr.cpu_s;
        fig[k].sync_emu_cpu = sr.emu_cpu_s;
        fig[k].sync_rss = sr.peak_rss_mib;
        char rm[64];
        snprintf(rm, sizeof rm, "rm -rf '%s'", home);
        if (system(rm) != 0)
            fprintf(stderr, "bench_sync: could not remove %s\n", home);
        ratio[k] = link_s[k] > 0 ? sync_s[k] / link_s[k] : 0;
        if (link_s[k] < best_link) {
            best_link = link_s[k];
            best = k;
        }
        if (!json)
            fprintf(stderr, "round %d: bare link %.2f s, sync %.2f s (%.2fx)\n", k + 1, link_s[k],
                    sync_s[k], ratio[k]);
    }
    double median = median_of(ratio, rounds);
    double med_link = median_of(link_s, rounds), med_sync = median_of(sync_s, rounds);
    double med_link_cpu = median_of(link_cpu_all, rounds);
    double med_sync_cpu = median_of(sync_cpu_all, rounds);
    double med_sync_emu = median_of(sync_emu_all, rounds);
    const char *rate = getenv("TENDO_PODSIM_LINK_RATE");
    if (!rate || !*rate || strspn(rate, "0123456789.e+-unlimited") != strlen(rate))
        rate = "unknown";
    const int b = best;
    if (json) {
        printf("{\"rounds\":%d,\"transfer\":%s,\"inflight\":%s,\"link_mb\":%.1f,\"link_s\":%.3f,"
               "\"link_mb_per_s\":%.1f,\"link_cpu_s\":%.2f,\"link_emulator_cpu_s\":%.2f,"
               "\"sync_s\":%.3f,\"sync_mb_per_s\":%.1f,\"download_s\":%.3f,\"commit_s\":%.3f,"
               "\"sync_cpu_s\":%.2f,\"sync_emulator_cpu_s\":%.2f,\"sync_peak_rss_mib\":%.1f,"
               "\"files\":%d,\"ratio\":%.2f,\"median_ratio\":%.2f,\"link_rate\":\"%s\","
               "\"median_link_s\":%.3f,\"median_sync_s\":%.3f,\"median_link_cpu_s\":%.2f,"
               "\"median_sync_cpu_s\":%.2f,\"median_sync_emulator_cpu_s\":%.2f}\n",
               rounds, size, inflight, fig[b].link_mb, link_s[b], fig[b].link_mb / link_s[b],
               fig[b].link_cpu, fig[b].link_emu_cpu, sync_s[b], fig[b].synced_mb / sync_s[b],
               fig[b].download_s, fig[b].commit_s, fig[b].sync_cpu, fig[b].sync_emu_cpu,
               fig[b].sync_rss, fig[b].files, ratio[b], median, rate, med_link, med_sync,
               med_link_cpu, med_sync_cpu, med_sync_emu);
    } else {
        printf("emulated link: %s MB/s per pod (tendo-podsim --link-rate)\n", rate);
        printf("bare link (bench_podsim_link, %s-byte transfers, %s in flight): %.1f MB in "
               "%.2f s = %.1f MB/s; CPU %.2f s + %.2f s in tendo-podsim\n",
               size, inflight, fig[b].link_mb, link_s[b], fig[b].link_mb / link_s[b],
               fig[b].link_cpu, fig[b].link_emu_cpu);
        printf("tendo sync: %.1f MB of content into %d file(s) in %.2f s = %.1f MB/s "
               "(downloads %.2f s, commit %.2f s); CPU %.2f s + %.2f s in tendo-podsim; "
               "peak RSS %.1f MiB\n",
               fig[b].synced_mb, fig[b].files, sync_s[b], fig[b].synced_mb / sync_s[b],
               fig[b].download_s, fig[b].commit_s, fig[b].sync_cpu, fig[b].sync_emu_cpu,
               fig[b].sync_rss);
        printf("ratio sync / bare link: %.2fx (median of %d rounds %.2fx)\n", ratio[b], rounds,
               median);
        printf("medians of %d rounds: bare link %.2f s (CPU %.2f s with tendo-podsim), "
               "sync %.2f s (CPU %.2f s + %.2f s in tendo-podsim)\n",
               rounds, med_link, med_link_cpu, med_sync, med_sync_cpu, med_sync_emu);
    }
    return 0;
}
