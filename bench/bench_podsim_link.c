/*
 * bench_podsim_link — the emulated link's own speed: a bare libusb bulk
 * read of whole pod sessions through tendo-podsim, with no decoding, no
 * CRC and no file writing. It is the baseline a sync is compared with
 * ("sync within 1.3x of the bare link read", issue 3). Run it as the
 * command of tendo-podsim:
 *
 *   tendo simulate --out run2h.h5 --minutes 120 --rate 1000
 *   tendo-podsim --pod L01:left:run2h.h5 --pod R01:right:run2h.h5 -- \
 *       build/bench/bench_podsim_link [--size BYTES] [--inflight N] [--json]
 *
 * It READs the first session of every pod (in turn, or all at once with
 * --parallel) with N asynchronous bulk transfers of BYTES each in flight,
 * counts the bytes until the stream's size (content + 36 bytes a frame) has
 * arrived, and prints MB/s, the time, and the peak RSS of itself and of
 * tendo-podsim (its parent). MB = 10^6 bytes of stream (frames as sent).
 */
#include <libusb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "pod_protocol.h"
#include "tendo_clock.h"

#define MAX_PODS     16
#define MAX_INFLIGHT 64
#define TIMEOUT_MS   5000

typedef struct link {
    libusb_device_handle *h;
    uint64_t want, got; /* stream bytes */
    int inflight;
    int failed;
    struct libusb_transfer *t[MAX_INFLIGHT];
} link_t;

/* Peak resident set (VmHWM) of a process, in MiB; -1 if unknown. */
static double peak_rss_mib(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    double kib = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmHWM: %lf kB", &kib) == 1)
            break;
    if (f)
        fclose(f);
    return kib < 0 ? -1 : kib / 1024.0;
}

/* CPU seconds (user + system) a process has used so far; -1 if unknown. */
static double cpu_s(pid_t pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    if (f)
        fclose(f);
    buf[n] = '\0';
    char *p = strrchr(buf, ')'); /* the command name may hold spaces */
    unsigned long ut = 0, st = 0;
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
        return -1;
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static void LIBUSB_CALL on_done(struct libusb_transfer *t)
{
    link_t *l = t->user_data;
    l->inflight--;
    if (t->status != LIBUSB_TRANSFER_COMPLETED) {
        fprintf(stderr, "bench_podsim_link: transfer ended with status %d\n", t->status);
        l->failed = 1;
        return;
    }
    l->got += (uint64_t)t->actual_length;
    /* Keep N transfers in flight until the last bytes are asked for. */
    if (l->got + (uint64_t)l->inflight * (uint64_t)t->length < l->want && !l->failed) {
        if (libusb_submit_transfer(t) == 0)
            l->inflight++;
        else
            l->failed = 1;
    }
}

/* Opens a pod, LISTs it and READs its first session (plain frames). */
static int start_pod(libusb_device *dev, link_t *l)
{
    if (libusb_open(dev, &l->h) || libusb_claim_interface(l->h, 0))
        return -1;
    tendo_pod_setup s;
    static uint8_t b[TENDO_POD_LIST_MAX_SIZE];
    tendo_pod_list_page page;
    tendo_error err;
    tendo_pod_setup_for(TENDO_POD_REQ_LIST, 0, &s, NULL);
    int n = libusb_control_transfer(l->h, s.request_type, s.request, s.value, s.index, b,
                                    s.length, TIMEOUT_MS);
    if (n < 0 || tendo_pod_list_decode(b, (size_t)n, 0, &page, &err) || page.count == 0) {
        fprintf(stderr, "bench_podsim_link: a pod without sessions\n");
        return -1;
    }
    const tendo_pod_session *e = &page.entry[0];
    l->want = e->size_bytes + (uint64_t)(e->blocks ? e->blocks : 1) *
                                  (TENDO_POD_FRAME_HEADER_SIZE + TENDO_POD_FRAME_CRC_SIZE);
    tendo_pod_read_req r = {.session_id = e->id, .first_seq = 1};
    tendo_pod_read_encode(&r, b);
    tendo_pod_setup_for(TENDO_POD_REQ_READ, 0, &s, NULL);
    n = libusb_control_transfer(l->h, s.request_type, s.request, 0, 0, b, s.length, TIMEOUT_MS);
    return n == TENDO_POD_READ_SIZE ? 0 : -1;
}

static void submit_all(link_t *l, int inflight, int size)
{
    for (int k = 0; k < inflight; k++) {
        l->t[k] = libusb_alloc_transfer(0);
        unsigned char *buf = malloc((size_t)size);
        libusb_fill_bulk_transfer(l->t[k], l->h, TENDO_POD_EP_IN, buf, size, on_done, l,
                                  TIMEOUT_MS);
        if ((uint64_t)k * (uint64_t)size < l->want && libusb_submit_transfer(l->t[k]) == 0)
            l->inflight++;
    }
}

static int busy(link_t *links, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (links[i].inflight)
            return 1;
    return 0;
}

int main(int argc, char **argv)
{
    int size = 65536, inflight = 4, json = 0, parallel = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--size") && i + 1 < argc)
            size = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--inflight") && i + 1 < argc)
            inflight = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--json"))
            json = 1;
        else if (!strcmp(argv[i], "--parallel"))
            parallel = 1;
        else {
            fprintf(stderr, "usage: tendo-podsim --pod ... -- bench_podsim_link [--size BYTES] "
                            "[--inflight N] [--parallel] [--json]\n");
            return 64;
        }
    }
    if (size < 512 || size > (64 << 20) || inflight < 1 || inflight > MAX_INFLIGHT) {
        fprintf(stderr, "bench_podsim_link: --size 512..64M, --inflight 1..%d\n", MAX_INFLIGHT);
        return 64;
    }
    libusb_context *ctx = NULL;
    if (libusb_init(&ctx))
        return 69;
    libusb_device **list = NULL;
    ssize_t nd = libusb_get_device_list(ctx, &list);
    static link_t links[MAX_PODS];
    size_t np = 0;
    for (ssize_t i = 0; i < nd && np < MAX_PODS; i++) {
        struct libusb_device_descriptor d;
        if (libusb_get_device_descriptor(list[i], &d) == 0 && d.idVendor == TENDO_POD_VID &&
            d.idProduct == TENDO_POD_PID)
            np++;
    }
    if (np == 0) {
        fprintf(stderr, "bench_podsim_link: no pod: run it under tendo-podsim --pod ...\n");
        return 69;
    }
    uint64_t total = 0;
    double c0 = cpu_s(getpid()), e0 = cpu_s(getppid());
    double t0 = tendo_monotonic_s();
    size_t k = 0;
    for (ssize_t i = 0; i < nd && k < np; i++) {
        struct libusb_device_descriptor d;
        if (libusb_get_device_descriptor(list[i], &d) || d.idVendor != TENDO_POD_VID ||
            d.idProduct != TENDO_POD_PID)
            continue;
        if (start_pod(list[i], &links[k])) {
            fprintf(stderr, "bench_podsim_link: cannot start pod %zu\n", k);
            return 69;
        }
        submit_all(&links[k], inflight, size);
        k++;
        if (!parallel) /* one pod at a time: its READ, then drain */
            while (busy(links, k))
                libusb_handle_events(ctx);
    }
    while (busy(links, np))
        libusb_handle_events(ctx);
    double dt = tendo_monotonic_s() - t0;
    double cpu_self = cpu_s(getpid()) - c0, cpu_emu = cpu_s(getppid()) - e0;
    int failed = 0;
    for (size_t i = 0; i < np; i++) {
        total += links[i].got;
        failed |= links[i].failed || links[i].got < links[i].want;
        for (int j = 0; j < inflight; j++) {
            free(links[i].t[j]->buffer);
            libusb_free_transfer(links[i].t[j]);
        }
        libusb_release_interface(links[i].h, 0);
        libusb_close(links[i].h);
    }
    libusb_free_device_list(list, 1);
    libusb_exit(ctx);
    double mbs = dt > 0 ? total / dt / 1e6 : 0;
    double rss_self = peak_rss_mib(getpid()), rss_emu = peak_rss_mib(getppid());
    if (json)
        printf("{\"pods\":%zu,\"bytes\":%llu,\"seconds\":%.3f,\"mb_per_s\":%.1f,\"transfer\":%d,"
               "\"inflight\":%d,\"parallel\":%d,\"cpu_s\":%.3f,\"emulator_cpu_s\":%.3f,"
               "\"peak_rss_mib\":%.1f,\"emulator_peak_rss_mib\":%.1f,\"ok\":%s}\n",
               np, (unsigned long long)total, dt, mbs, size, inflight, parallel, cpu_self, cpu_emu,
               rss_self, rss_emu, failed ? "false" : "true");
    else
        printf("bare link: %zu pod(s), %.1f MB in %.2f s = %.1f MB/s (%d-byte transfers, %d in "
               "flight%s)\n  CPU %.2f s here + %.2f s in tendo-podsim (%.0f MB per CPU second); "
               "peak RSS %.1f MiB here, %.1f MiB in tendo-podsim%s\n",
               np, total / 1e6, dt, mbs, size, inflight, parallel ? ", pods in parallel" : "",
               cpu_self, cpu_emu, total / 1e6 / (cpu_self + cpu_emu), rss_self, rss_emu,
               failed ? "; INCOMPLETE" : "");
    return failed ? 1 : 0;
}
