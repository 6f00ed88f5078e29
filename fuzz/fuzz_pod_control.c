/*
 * Fuzz target: the decoders of a pod's control replies and of USB string
 * descriptors (acquire/pod_protocol.h), as the host meets them. The first
 * byte picks the decoder, the rest is the reply's data stage:
 *   0 INFO   1 CLOCK_GET   2 CLOCK_SET   3 LIST (2 more bytes: wValue)
 *   4 READ   5 ERASE       6 GET_ERROR   7 string descriptor
 *   8 a setup packet + data stage checked as a pod would (the emulator)
 *   9 several LIST pages merged: [u16 page length][page]... (like a sync)
 */
#include <string.h>

#include "fuzz_util.h"
#include "pod_protocol.h"

static void list_pages(fuzz_bytes *in, tendo_error *err)
{
    static tendo_pod_session all[TENDO_POD_MAX_SESSIONS];
    static tendo_pod_list_page page;
    size_t n = 0;
    uint16_t total = 0;
    while (in->n) {
        size_t len = (size_t)fuzz_take(in, 2);
        if (len > in->n)
            len = in->n;
        if (tendo_pod_list_decode(in->p, len, (uint16_t)n, &page, err) != TENDO_OK ||
            tendo_pod_list_merge(&page, all, &n, &total, err) != TENDO_OK)
            return;
        in->p += len;
        in->n -= len;
        if (n > TENDO_POD_MAX_SESSIONS)
            __builtin_trap(); /* merge let the list outgrow all[] */
        if (n == total)
            return;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_bytes in = {data, size};
    unsigned which = (unsigned)fuzz_take(&in, 1) % 10;
    tendo_error err;
    tendo_error_clear(&err);
    switch (which) {
    case 0: {
        tendo_pod_info info;
        if (tendo_pod_info_decode(in.p, in.n, &info, &err) == TENDO_OK &&
            (memchr(info.model, 0, sizeof info.model) == NULL ||
             memchr(info.firmware, 0, sizeof info.firmware) == NULL))
            __builtin_trap(); /* decoded text must be NUL-terminated */
        break;
    }
    case 1: {
        tendo_pod_clock c;
        tendo_pod_clock_decode(in.p, in.n, &c, &err);
        break;
    }
    case 2: {
        int64_t utc;
        tendo_pod_clock_set_decode(in.p, in.n, &utc, &err);
        break;
    }
    case 3: {
        static tendo_pod_list_page page;
        uint16_t first = (uint16_t)fuzz_take(&in, 2);
        if (tendo_pod_list_decode(in.p, in.n, first, &page, &err) == TENDO_OK &&
            page.count > TENDO_POD_LIST_PAGE)
            __builtin_trap();
        break;
    }
    case 4: {
        tendo_pod_read_req req;
        tendo_pod_read_decode(in.p, in.n, &req, &err);
        break;
    }
    case 5: {
        tendo_pod_erase_req req;
        tendo_pod_erase_decode(in.p, in.n, &req, &err);
        break;
    }
    case 6: {
        tendo_pod_error_reply e;
        if (tendo_pod_error_decode(in.p, in.n, &e, &err) == TENDO_OK) {
            tendo_error_clear(&err);
            tendo_pod_refusal(&e, &err);
            (void)tendo_pod_status_name(e.code);
            (void)tendo_pod_request_name(e.request);
        }
        break;
    }
    case 7: {
        char text[TENDO_POD_STRING_MAX + 2];
        size_t cap = 1 + (size ? data[size - 1] : 0) % sizeof text; /* small buffers too */
        if (tendo_pod_string_decode(in.p, in.n, text, cap, &err) == TENDO_OK) {
            if (!memchr(text, 0, cap))
                __builtin_trap();
            tendo_error_clear(&err);
            tendo_pod_serial_check(text, &err);
        }
        break;
    }
    case 8: {
        uint8_t setup_bytes[TENDO_POD_SETUP_SIZE] = {0};
        for (size_t i = 0; i < sizeof setup_bytes; i++)
            setup_bytes[i] = (uint8_t)fuzz_take(&in, 1);
        tendo_pod_setup s;
        tendo_pod_setup_decode(setup_bytes, &s);
        (void)tendo_pod_setup_check(&s, in.n ? in.p : NULL, in.n);
        break;
    }
    case 9:
        list_pages(&in, &err);
        break;
    }
    return 0;
}
