/*
 * pod_bus.h — emulated pods on an emulated USB bus: a umockdev testbed in
 * which each pod is a usbdevfs device (/sys record, /dev node) whose
 * ioctls this process answers, so unmodified libusb code in a process run
 * under the umockdev preload enumerates, opens, claims and transfers, and
 * sees hotplug. Facts this rests on: DESIGN.md "Testing the real libusb
 * path without hardware (umockdev)"; choices: acquire/PODSIM.md.
 *
 * The ioctls are answered on umockdev's worker thread; unplug and re-plug
 * run on the thread-default GMainContext of the thread that made the bus,
 * which must run a main loop (tools/podsim does).
 */
#ifndef TENDO_POD_BUS_H
#define TENDO_POD_BUS_H

#include <stdint.h>

#include "pod_emu.h"
#include "tendo_error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tendo_pod_bus tendo_pod_bus;

/* A bus on a new umockdev testbed (this sets $UMOCKDEV_DIR, which child
 * processes inherit). state_dir (may be NULL) is where pods save what they
 * keep across runs, at once after every change. */
int tendo_pod_bus_new(tendo_pod_bus **out, const char *state_dir, tendo_error *err);
/* Unplugs every pod and removes the testbed's temporary directory. The
 * pods themselves are the caller's. */
void tendo_pod_bus_free(tendo_pod_bus *bus);

/* Plugs a pod in (it stays the caller's). */
int tendo_pod_bus_plug(tendo_pod_bus *bus, tendo_pod_emu *pod, tendo_error *err);

/* Unplugs pod number i (in plug order): transfers in flight fail with "no
 * device", a "remove" uevent goes out; with replug_ms >= 0 it is plugged in
 * again that much later (a new device number, an "add" uevent). */
void tendo_pod_bus_unplug(tendo_pod_bus *bus, size_t i, int replug_ms);

/* Each pod's bulk IN delivers at most bytes_per_s (0: unlimited, the
 * default), as if every pod had its own USB port of that speed: a bulk IN
 * transfer completes when its bytes would have crossed such a wire after
 * the transfer before it. Bytes and protocol are unchanged; waiting is a
 * timer on the bus's context, not a busy loop. */
void tendo_pod_bus_set_link_rate(tendo_pod_bus *bus, double bytes_per_s);

/* Bytes sent on bulk IN by all pods so far (figures). */
uint64_t tendo_pod_bus_bytes_in(const tendo_pod_bus *bus);

#ifdef __cplusplus
}
#endif
#endif
