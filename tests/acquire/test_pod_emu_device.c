/*
 * The emulated pod's identity: descriptor bytes against PROTOCOL.md's
 * golden bytes and walked as a host would, GET_DESCRIPTOR answers
 * (including short wLength and stalls), and the umockdev record.
 */
#include "acq_test.h"
#include "pod_emu_device.h"

/* PROTOCOL.md section 1, verbatim. */
static const char DESCRIPTORS_HEX[] = "12 01 00 02 00 00 00 40 09 12 01 00 00 01 01 02 03 01"
                                      "09 02 20 00 01 01 00 80 FA"
                                      "09 04 00 00 02 FF 54 01 00"
                                      "07 05 81 02 00 02 00"
                                      "07 05 02 02 00 02 00";

static tendo_pod_setup get_desc(uint8_t type, uint8_t index, uint16_t langid, uint16_t length)
{
    tendo_pod_setup s = {0x80, 6, (uint16_t)(type << 8 | index), langid, length};
    return s;
}

static void test_descriptors(void)
{
    uint8_t want[64], got[TENDO_POD_DESCRIPTORS_SIZE];
    size_t wn = hex_bytes(DESCRIPTORS_HEX, want, sizeof want);
    CHECK(wn == TENDO_POD_DESCRIPTORS_SIZE, "golden is %zu bytes", wn);
    tendo_pod_emu_descriptors(got);
    CHECK_BYTES(got, want, wn);

    /* Walk the configuration as a host does, by bLength, and find what a
     * tendo host matches on. */
    const uint8_t *c = got + TENDO_POD_DEVICE_DESC_SIZE;
    size_t total = (size_t)(c[2] | c[3] << 8), at = 0;
    CHECK(total == TENDO_POD_CONFIG_DESC_SIZE, "wTotalLength %zu", total);
    int interfaces = 0, bulk_in = 0, bulk_out = 0;
    while (at < total) {
        uint8_t len = c[at], type = c[at + 1];
        CHECK(len >= 2 && at + len <= total, "descriptor at %zu overruns", at);
        if (len < 2)
            break;
        if (type == 4)
            interfaces +=
                c[at + 5] == 0xFF && c[at + 6] == 0x54 && c[at + 7] == 0x01 && c[at + 4] == 2;
        if (type == 5 && c[at + 3] == 2 && (c[at + 4] | c[at + 5] << 8) == 512) {
            bulk_in += c[at + 2] == 0x81;
            bulk_out += c[at + 2] == 0x02;
        }
        at += len;
    }
    CHECK(at == total && interfaces == 1 && bulk_in == 1 && bulk_out == 1,
          "walked %zu of %zu: %d vendor interface, %d bulk IN, %d bulk OUT", at, total, interfaces,
          bulk_in, bulk_out);
    CHECK(got[8] == 0x09 && got[9] == 0x12 && got[10] == 0x01 && got[11] == 0x00,
          "VID:PID 1209:0001");
}

static void test_get_descriptor(void)
{
    tendo_error err;
    uint8_t all[TENDO_POD_DESCRIPTORS_SIZE], out[300];
    tendo_pod_emu_descriptors(all);
    tendo_pod_setup s = get_desc(1, 0, 0, 64);
    CHECK(tendo_pod_emu_get_descriptor(&s, "L1", out, sizeof out) == 18 &&
              memcmp(out, all, 18) == 0,
          "device descriptor");
    /* Hosts read the 9-byte configuration header first, then the whole. */
    s = get_desc(2, 0, 0, 9);
    CHECK(tendo_pod_emu_get_descriptor(&s, "L1", out, sizeof out) == 9 &&
              memcmp(out, all + 18, 9) == 0,
          "configuration header");
    s = get_desc(2, 0, 0, 255);
    CHECK(tendo_pod_emu_get_descriptor(&s, "L1", out, sizeof out) == 32 &&
              memcmp(out, all + 18, 32) == 0,
          "whole configuration");

    uint8_t langids[4] = {4, 3, 0x09, 0x04};
    s = get_desc(3, 0, 0, 255);
    CHECK(tendo_pod_emu_get_descriptor(&s, "L1", out, sizeof out) == 4 &&
              memcmp(out, langids, 4) == 0,
          "LANGID table");
    static const char *const texts[] = {"tendo", "tendo pod", "R0042.b"};
    for (uint8_t i = 1; i <= 3; i++) {
        s = get_desc(3, i, 0x0409, 255);
        size_t n = tendo_pod_emu_get_descriptor(&s, "R0042.b", out, sizeof out);
        char text[128];
        CHECK_OK(tendo_pod_string_decode(out, n, text, sizeof text, &err), &err);
        CHECK(strcmp(text, texts[i - 1]) == 0, "string %u is \"%s\"", i, text);
    }
    CHECK_OK(tendo_pod_serial_check("R0042.b", &err), &err);

    /* What a real pod stalls. */
    static const struct {
        tendo_pod_setup s;
        const char *what;
    } stalls[] = {
        {{0x80, 6, 3 << 8 | 4, 0x0409, 255}, "string 4"},
        {{0x80, 6, 3 << 8 | 1, 0x0407, 255}, "another language"},
        {{0x80, 6, 2 << 8 | 1, 0, 255}, "configuration 1"},
        {{0x80, 6, 6 << 8, 0, 255}, "device qualifier"},
        {{0xC1, 6, 1 << 8, 0, 255}, "vendor request"},
        {{0x80, 0, 1 << 8, 0, 255}, "GET_STATUS"},
    };
    for (size_t i = 0; i < sizeof stalls / sizeof stalls[0]; i++)
        CHECK(tendo_pod_emu_get_descriptor(&stalls[i].s, "L1", out, sizeof out) == 0,
              "%s is answered", stalls[i].what);
    s = get_desc(2, 0, 0, 255);
    CHECK(tendo_pod_emu_get_descriptor(&s, "L1", out, 31) == 0, "cap below the reply");
    s = get_desc(3, 3, 0x0409, 255);
    CHECK(tendo_pod_emu_get_descriptor(&s, "", out, sizeof out) == 2,
          "an empty serial is a bare header (the host rejects it)");
}

static void test_record(void)
{
    tendo_error err;
    char rec[2048];
    CHECK_OK(tendo_pod_emu_record(3, 17, "L0001A", rec, sizeof rec, &err), &err);
    static const char *const lines[] = {
        "P: /devices/tendo-podsim/usb3/3-17\n",
        "N: bus/usb/003/017\n",
        "E: SUBSYSTEM=usb\n",
        "E: DEVTYPE=usb_device\n",
        "E: DEVNAME=/dev/bus/usb/003/017\n",
        "E: BUSNUM=003\n",
        "E: DEVNUM=017\n",
        "E: PRODUCT=1209/1/100\n",
        "A: busnum=3\\n\n",
        "A: devnum=17\\n\n",
        "A: speed=480\\n\n",
        "A: bConfigurationValue=1\\n\n",
        "A: serial=L0001A\n",
        "H: descriptors=120100020000004009120100000101020301" /* device */
        "0902200001010080FA"
        "0904000002FF540100" /* configuration, interface */
        "07058102000200"
        "07050202000200\n",
    };
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
        CHECK(strstr(rec, lines[i]) != NULL, "record lacks \"%s\":\n%s", lines[i], rec);
    CHECK(strncmp(rec, "P: ", 3) == 0, "a record starts with its sysfs path");
    CHECK(rec[strlen(rec) - 1] == '\n', "a record ends with a newline");

    size_t need = strlen(rec) + 1;
    CHECK_OK(tendo_pod_emu_record(3, 17, "L0001A", rec, need, &err), &err);
    CHECK_FAILS(tendo_pod_emu_record(3, 17, "L0001A", rec, need - 1, &err), &err, TENDO_EUSAGE,
                "needs more than");
    CHECK_FAILS(tendo_pod_emu_record(0, 1, "L1", rec, sizeof rec, &err), &err, TENDO_EUSAGE,
                "bus 0");
    CHECK_FAILS(tendo_pod_emu_record(1, 128, "L1", rec, sizeof rec, &err), &err, TENDO_EUSAGE,
                "device 128");
    CHECK_FAILS(tendo_pod_emu_record(1, 2, "../x", rec, sizeof rec, &err), &err, TENDO_EUSAGE,
                "character 2 is 0x2F");
}

int main(int argc, char **argv)
{
    static const acq_case cases[] = {
        {"descriptors", test_descriptors},
        {"get_descriptor", test_get_descriptor},
        {"record", test_record},
    };
    return acq_main(argc, argv, cases, sizeof cases / sizeof cases[0]);
}
