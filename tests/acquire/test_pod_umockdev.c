/*
 * The emulated pod as unmodified libusb sees it: a umockdev testbed holds
 * the pod's record (pod_emu_device.c), and libusb must enumerate exactly
 * one 1209:0001 device at high speed with the vendor interface and the two
 * 512-byte bulk endpoints of PROTOCOL.md. Runs under umockdev-wrapper
 * (the preload must be in place when the process starts).
 */
#include <libusb.h>
#include <umockdev.h>

#include "acq_test.h"
#include "pod_emu_device.h"

static void test_enumerate(void)
{
    tendo_error err;
    UMockdevTestbed *bed = umockdev_testbed_new();
    char rec[4096];
    CHECK_OK(tendo_pod_emu_record(1, 7, "L0001A", rec, sizeof rec, &err), &err);
    GError *gerr = NULL;
    CHECK(umockdev_testbed_add_from_string(bed, rec, &gerr), "umockdev rejects the record: %s",
          gerr ? gerr->message : "?");
    if (gerr)
        g_error_free(gerr);

    libusb_context *ctx = NULL;
    CHECK(libusb_init(&ctx) == 0, "libusb_init");
    libusb_device **list = NULL;
    ssize_t n = ctx ? libusb_get_device_list(ctx, &list) : 0;
    int pods = 0;
    for (ssize_t i = 0; i < n; i++) {
        struct libusb_device_descriptor d;
        if (libusb_get_device_descriptor(list[i], &d) || d.idVendor != TENDO_POD_VID ||
            d.idProduct != TENDO_POD_PID)
            continue;
        pods++;
        CHECK(libusb_get_bus_number(list[i]) == 1 && libusb_get_device_address(list[i]) == 7,
              "bus/address");
        CHECK(libusb_get_device_speed(list[i]) == LIBUSB_SPEED_HIGH, "speed %d",
              libusb_get_device_speed(list[i]));
        CHECK(d.iSerialNumber == 3 && d.bNumConfigurations == 1, "device descriptor");
        struct libusb_config_descriptor *cfg = NULL;
        CHECK(libusb_get_active_config_descriptor(list[i], &cfg) == 0 && cfg, "configuration");
        if (!cfg)
            continue;
        const struct libusb_interface_descriptor *a = &cfg->interface[0].altsetting[0];
        CHECK(cfg->bNumInterfaces == 1 && a->bInterfaceClass == TENDO_POD_IF_CLASS &&
                  a->bInterfaceSubClass == TENDO_POD_IF_SUBCLASS &&
                  a->bInterfaceProtocol == TENDO_POD_IF_PROTOCOL && a->bNumEndpoints == 2,
              "interface %02x/%02x/%02x", a->bInterfaceClass, a->bInterfaceSubClass,
              a->bInterfaceProtocol);
        for (int k = 0; k < a->bNumEndpoints && k < 2; k++) {
            const struct libusb_endpoint_descriptor *e = &a->endpoint[k];
            CHECK(e->bEndpointAddress == (k ? TENDO_POD_EP_OUT : TENDO_POD_EP_IN) &&
                      (e->bmAttributes & 3) == LIBUSB_TRANSFER_TYPE_BULK &&
                      e->wMaxPacketSize == 512,
                  "endpoint %d: %02x", k, e->bEndpointAddress);
        }
        libusb_free_config_descriptor(cfg);
    }
    CHECK(pods == 1, "libusb sees %d pods among %zd devices (run under umockdev-wrapper?)", pods,
          n);
    if (list)
        libusb_free_device_list(list, 1);
    if (ctx)
        libusb_exit(ctx);
    /* Unref removes the testbed's /tmp/umockdev.* directory. */
    g_object_unref(bed);
}

int main(int argc, char **argv)
{
    static const acq_case cases[] = {{"enumerate", test_enumerate}};
    return acq_main(argc, argv, cases, sizeof cases / sizeof cases[0]);
}
