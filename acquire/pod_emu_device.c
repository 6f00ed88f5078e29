/*
 * pod_emu_device.c — an emulated pod's identity on the bus (PROTOCOL.md
 * section 1): descriptors, GET_DESCRIPTOR answers, the umockdev record.
 */
#include "pod_emu_device.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "pod_internal.h"

/* USB 2.0 chapter 9 constants used here. */
#define USB_DT_DEVICE        1
#define USB_DT_CONFIG        2
#define USB_DT_STRING        3
#define USB_DT_INTERFACE     4
#define USB_DT_ENDPOINT      5
#define USB_REQ_GET_DESC     6
#define USB_TYPE_STD_DEV_IN  0x80
#define USB_EP_BULK          2
#define USB_LANGID_EN_US     0x0409
#define POD_BCD_USB          0x0200 /* USB 2.0 */
#define POD_BCD_DEVICE       0x0100 /* hardware revision 1.0 */
#define POD_MAX_PACKET0      64     /* required at high speed */
#define POD_BULK_MAX_PACKET  512    /* required at high speed */
#define POD_CONFIG_VALUE     1
#define POD_ATTR_BUS_POWERED 0x80
#define POD_MAX_POWER_2MA    250 /* 500 mA: a pod charges while syncing */

enum { STR_LANGIDS = 0, STR_MANUFACTURER = 1, STR_PRODUCT = 2, STR_SERIAL = 3 };

void tendo_pod_emu_descriptors(uint8_t out[TENDO_POD_DESCRIPTORS_SIZE])
{
    uint8_t *d = out;
    d[0] = TENDO_POD_DEVICE_DESC_SIZE;
    d[1] = USB_DT_DEVICE;
    pod_put16(d + 2, POD_BCD_USB);
    d[4] = d[5] = d[6] = 0; /* class, subclass, protocol: per interface */
    d[7] = POD_MAX_PACKET0;
    pod_put16(d + 8, TENDO_POD_VID);
    pod_put16(d + 10, TENDO_POD_PID);
    pod_put16(d + 12, POD_BCD_DEVICE);
    d[14] = STR_MANUFACTURER;
    d[15] = STR_PRODUCT;
    d[16] = STR_SERIAL;
    d[17] = 1; /* configurations */

    uint8_t *c = out + TENDO_POD_DEVICE_DESC_SIZE;
    c[0] = 9;
    c[1] = USB_DT_CONFIG;
    pod_put16(c + 2, TENDO_POD_CONFIG_DESC_SIZE);
    c[4] = 1; /* interfaces */
    c[5] = POD_CONFIG_VALUE;
    c[6] = 0; /* no configuration string */
    c[7] = POD_ATTR_BUS_POWERED;
    c[8] = POD_MAX_POWER_2MA;

    uint8_t *i = c + 9;
    i[0] = 9;
    i[1] = USB_DT_INTERFACE;
    i[2] = 0; /* interface number */
    i[3] = 0; /* alternate setting */
    i[4] = 2; /* endpoints */
    i[5] = TENDO_POD_IF_CLASS;
    i[6] = TENDO_POD_IF_SUBCLASS;
    i[7] = TENDO_POD_IF_PROTOCOL;
    i[8] = 0; /* no interface string */

    static const uint8_t eps[2] = {TENDO_POD_EP_IN, TENDO_POD_EP_OUT};
    for (int k = 0; k < 2; k++) {
        uint8_t *e = i + 9 + 7 * k;
        e[0] = 7;
        e[1] = USB_DT_ENDPOINT;
        e[2] = eps[k];
        e[3] = USB_EP_BULK;
        pod_put16(e + 4, POD_BULK_MAX_PACKET);
        e[6] = 0; /* bInterval: unused for bulk IN, no NAK rate limit for OUT */
    }
}

size_t tendo_pod_emu_get_descriptor(const tendo_pod_setup *s, const char *serial, uint8_t *out,
                                    size_t cap)
{
    if (s->request_type != USB_TYPE_STD_DEV_IN || s->request != USB_REQ_GET_DESC)
        return 0;
    uint8_t type = (uint8_t)(s->value >> 8), index = (uint8_t)s->value;
    uint8_t buf[256], all[TENDO_POD_DESCRIPTORS_SIZE];
    size_t n = 0;
    if (type == USB_DT_DEVICE && index == 0) {
        tendo_pod_emu_descriptors(all);
        memcpy(buf, all, n = TENDO_POD_DEVICE_DESC_SIZE);
    } else if (type == USB_DT_CONFIG && index == 0) {
        tendo_pod_emu_descriptors(all);
        memcpy(buf, all + TENDO_POD_DEVICE_DESC_SIZE, n = TENDO_POD_CONFIG_DESC_SIZE);
    } else if (type == USB_DT_STRING && index == STR_LANGIDS) {
        buf[0] = 4;
        buf[1] = USB_DT_STRING;
        pod_put16(buf + 2, USB_LANGID_EN_US);
        n = 4;
    } else if (type == USB_DT_STRING && index <= STR_SERIAL) {
        if (s->index != USB_LANGID_EN_US)
            return 0;
        const char *text = index == STR_MANUFACTURER ? TENDO_POD_MANUFACTURER
                           : index == STR_PRODUCT    ? TENDO_POD_PRODUCT
                                                     : serial;
        n = tendo_pod_string_encode(text, buf, sizeof buf);
    }
    if (n == 0)
        return 0;
    if (n > s->length)
        n = s->length; /* a short wLength gets the start, as on real hardware */
    if (n > cap)
        return 0;
    memcpy(out, buf, n);
    return n;
}

/* Appends to out; 0 once it no longer fits (the caller reports that once). */
static int append(char *out, size_t cap, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int append(char *out, size_t cap, size_t *len, const char *fmt, ...)
{
    if (*len >= cap)
        return 0;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(out + *len, cap - *len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= cap - *len) {
        *len = cap;
        return 0;
    }
    *len += (size_t)n;
    return 1;
}

int tendo_pod_emu_record(unsigned bus, unsigned dev, const char *serial, char *out, size_t cap,
                         tendo_error *err)
{
    uint8_t desc[TENDO_POD_DESCRIPTORS_SIZE];
    tendo_pod_emu_descriptors(desc);
    return tendo_pod_emu_record_with(bus, dev, serial, desc, sizeof desc, 1, out, cap, err);
}

int tendo_pod_emu_record_with(unsigned bus, unsigned dev, const char *serial, const uint8_t *desc,
                              size_t desc_len, int with_node, char *out, size_t cap,
                              tendo_error *err)
{
    if (bus < 1 || bus > 255 || dev < 1 || dev > 127)
        return tendo_error_set(err, TENDO_EUSAGE, "USB bus %u / device %u outside 1–255 / 1–127",
                               bus, dev);
    tendo_error serr;
    tendo_error_clear(&serr);
    if (tendo_pod_serial_check(serial, &serr))
        return tendo_error_set(err, TENDO_EUSAGE, "emulated pod: %s", serr.msg);
    if (desc_len < 1 || desc_len > TENDO_POD_EMU_DESC_MAX)
        return tendo_error_set(err, TENDO_EUSAGE, "descriptors of %zu bytes, expected 1–%u",
                               desc_len, TENDO_POD_EMU_DESC_MAX);
    char hex[2 * TENDO_POD_EMU_DESC_MAX + 1];
    for (size_t i = 0; i < desc_len; i++)
        snprintf(hex + 2 * i, 3, "%02X", desc[i]);

    /* "\\n" is umockdev's escape for the newline that the kernel ends these
     * sysfs text attributes with; libusb parses busnum/devnum/speed with it. */
    size_t len = 0;
    int ok = append(out, cap, &len, "P: /devices/tendo-podsim/usb%u/%u-%u\n", bus, bus, dev) &&
             (!with_node || append(out, cap, &len, "N: bus/usb/%03u/%03u\n", bus, dev)) &&
             append(out, cap, &len, "E: SUBSYSTEM=usb\nE: DEVTYPE=usb_device\n") &&
             append(out, cap, &len, "E: DEVNAME=/dev/bus/usb/%03u/%03u\n", bus, dev) &&
             append(out, cap, &len, "E: BUSNUM=%03u\nE: DEVNUM=%03u\n", bus, dev) &&
             append(out, cap, &len, "E: PRODUCT=%x/%x/%x\n", TENDO_POD_VID, TENDO_POD_PID,
                    POD_BCD_DEVICE) &&
             append(out, cap, &len, "A: busnum=%u\\n\nA: devnum=%u\\n\n", bus, dev) &&
             append(out, cap, &len, "A: speed=%d\\n\nA: bConfigurationValue=%d\\n\n",
                    TENDO_POD_USB_SPEED_MBPS, POD_CONFIG_VALUE) &&
             append(out, cap, &len, "A: idVendor=%04x\nA: idProduct=%04x\n", TENDO_POD_VID,
                    TENDO_POD_PID) &&
             append(out, cap, &len, "A: manufacturer=%s\nA: product=%s\nA: serial=%s\n",
                    TENDO_POD_MANUFACTURER, TENDO_POD_PRODUCT, serial) &&
             append(out, cap, &len, "H: descriptors=%s\n", hex);
    if (!ok)
        return tendo_error_set(err, TENDO_EUSAGE,
                               "umockdev record of pod %s needs more than %zu bytes", serial, cap);
    return TENDO_OK;
}
