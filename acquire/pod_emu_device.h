/*
 * pod_emu_device.h — what an emulated pod looks like on the bus: its USB
 * descriptors (PROTOCOL.md section 1), its answers to standard
 * GET_DESCRIPTOR requests, and the umockdev device record that makes a
 * process see it under /sys and /dev (DESIGN.md, "Testing the real libusb
 * path without hardware"). Pure C: the umockdev glue builds on this.
 */
#ifndef TENDO_POD_EMU_DEVICE_H
#define TENDO_POD_EMU_DEVICE_H

#include <stddef.h>
#include <stdint.h>

#include "pod_protocol.h"
#include "tendo_error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TENDO_POD_DEVICE_DESC_SIZE 18u
#define TENDO_POD_CONFIG_DESC_SIZE 32u /* configuration + interface + 2 endpoints */
#define TENDO_POD_DESCRIPTORS_SIZE (TENDO_POD_DEVICE_DESC_SIZE + TENDO_POD_CONFIG_DESC_SIZE)
#define TENDO_POD_MANUFACTURER     "tendo"
#define TENDO_POD_PRODUCT          "tendo pod"
#define TENDO_POD_USB_SPEED_MBPS   480 /* high speed */

/* The device descriptor followed by the whole configuration, as Linux
 * exposes them in sysfs ("descriptors") and libusb reads them. */
void tendo_pod_emu_descriptors(uint8_t out[TENDO_POD_DESCRIPTORS_SIZE]);

/* A pod's answer to a standard GET_DESCRIPTOR setup (device, configuration
 * or string: 0 LANGIDs, 1 manufacturer, 2 product, 3 serial), cut to
 * wLength as USB requires. Returns the length written, or 0 when a real
 * pod would stall (not GET_DESCRIPTOR, unknown type or index, other
 * language, cap too small). */
size_t tendo_pod_emu_get_descriptor(const tendo_pod_setup *s, const char *serial, uint8_t *out,
                                    size_t cap);

/* The umockdev record ("P:", "N:", "E:", "A:", "H:" lines) of a pod with
 * this serial at bus/dev, for umockdev_testbed_add_from_string().
 * TENDO_EUSAGE for a bad serial, bus (1–255), dev (1–127) or a buffer
 * that is too small. */
int tendo_pod_emu_record(unsigned bus, unsigned dev, const char *serial, char *out, size_t cap,
                         tendo_error *err);

/* The same with other descriptor bytes (1 to TENDO_POD_EMU_DESC_MAX: the
 * emulator's malformed-descriptor fault) and, with_node = 0, without the
 * "N:" line: the caller makes the /dev node itself before the device
 * appears (umockdev announces a device the moment it is added). */
#define TENDO_POD_EMU_DESC_MAX 256u
int tendo_pod_emu_record_with(unsigned bus, unsigned dev, const char *serial, const uint8_t *desc,
                              size_t desc_len, int with_node, char *out, size_t cap,
                              tendo_error *err);

#ifdef __cplusplus
}
#endif
#endif
