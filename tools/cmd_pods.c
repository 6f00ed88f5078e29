/* tendo pods — list the attached pods and what they hold (acquire/SYNC.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "pod_usb.h"

static void usage(FILE *out)
{
    fprintf(out, "usage: tendo pods [--json]\n"
                 "\n"
                 "Lists the tendo pods plugged in by USB: serial, side, firmware, battery,\n"
                 "and the recordings waiting on each (count and bytes). Nothing is changed\n"
                 "on the pods; 'tendo sync' downloads the recordings.\n"
                 "\n"
                 "Options:\n"
                 "  --json    one JSON object: {\"pods\": [...], \"problems\": [...]}\n"
                 "  --help    show this help\n"
                 "\n"
                 "A pod that does not show up: check the cable (a charge-only cable carries no\n"
                 "data), that the pod is charged, and that you may use /dev/bus/usb (Linux:\n"
                 "a udev rule for 1209:0001). A pod listed under problems answered but broke\n"
                 "the protocol; it is never written to.\n"
            "\n"
            "No pods at hand? 'tendo podsim --pod L1:left:run.h5 -- tendo pods' lists an\n"
            "emulated one loaded with a session file.\n"
                 "\n"
                 "Exit codes: 0 pods listed, 64 bad options, 69 no pod attached or none\n"
                 "answers, 65 every attached pod sent malformed data.\n");
}

typedef struct pod_line {
    const char *serial, *where;
    tendo_pod_info info;
    size_t sessions;
    uint64_t bytes;
    unsigned recording;
} pod_line;

/* INFO and LIST of one pod. */
static int probe(tendo_usb_pod *p, pod_line *l, tendo_pod_session *list, tendo_error *err)
{
    int rc = tendo_usb_pod_info(p, &l->info, err);
    if (rc == TENDO_OK)
        rc = tendo_usb_pod_list(p, list, &l->sessions, err);
    for (size_t i = 0; rc == TENDO_OK && i < l->sessions; i++) {
        l->bytes += list[i].size_bytes;
        l->recording += (list[i].flags & TENDO_POD_SESSION_RECORDING) != 0;
    }
    return rc;
}

static const char *side_name(uint8_t side)
{
    return side == 0 ? "left" : side == 1 ? "right" : "unset";
}

int tendo_cmd_pods(int argc, char **argv)
{
    int json = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        }
        if (!strcmp(argv[i], "--json"))
            json = 1;
        else
            return cli_usage("pods", "unknown option '%s'", argv[i]);
    }
    tendo_error err;
    tendo_error_clear(&err);
    tendo_usb *usb = NULL;
    tendo_usb_found *found = NULL;
    size_t n = 0;
    int rc = tendo_usb_open(&usb, &err);
    if (rc == TENDO_OK)
        rc = tendo_usb_find(usb, &found, &n, &err);
    if (rc == TENDO_OK && n == 0)
        rc = tendo_usb_no_pod(usb, "pods", &err);
    if (rc) {
        tendo_usb_found_free(found, n); /* allocated even when no pod is found */
        tendo_usb_close(usb);
        return cli_fail("pods", &err);
    }
    pod_line *lines = calloc(n, sizeof *lines);
    tendo_pod_session *list = malloc(TENDO_POD_MAX_SESSIONS * sizeof *list);
    cJSON *root = json ? cJSON_CreateObject() : NULL;
    cJSON *jpods = json ? cJSON_AddArrayToObject(root, "pods") : NULL;
    cJSON *jprob = json ? cJSON_AddArrayToObject(root, "problems") : NULL;
    int good = 0, first_problem = TENDO_OK;
    if (!lines || !list) {
        fprintf(stderr, "tendo pods: out of memory\n");
        return 70;
    }
    if (!json)
        printf("%-16s %-6s %-14s %-8s %10s %12s  %s\n", "SERIAL", "SIDE", "FIRMWARE", "BATTERY",
               "RECORDINGS", "BYTES", "WHERE");
    for (size_t i = 0; i < n; i++) {
        char where[32];
        snprintf(where, sizeof where, "bus %u device %u", found[i].bus, found[i].address);
        tendo_error perr;
        tendo_error_clear(&perr);
        int prc = found[i].pod ? probe(found[i].pod, &lines[i], list, &perr) : found[i].code;
        if (!found[i].pod)
            snprintf(perr.msg, sizeof perr.msg, "%s", found[i].problem);
        if (prc) {
            if (first_problem == TENDO_OK)
                first_problem = prc;
            if (json) {
                cJSON *o = cJSON_CreateObject();
                cJSON_AddStringToObject(o, "where", where);
                cJSON_AddStringToObject(o, "problem", perr.msg);
                cJSON_AddItemToArray(jprob, o);
            } else {
                fprintf(stderr, "tendo pods: %s: %s\n", where, perr.msg);
            }
            continue;
        }
        good++;
        const pod_line *l = &lines[i];
        const char *serial = tendo_usb_pod_serial(found[i].pod);
        if (json) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "serial", serial);
            cJSON_AddStringToObject(o, "side", side_name(l->info.side));
            cJSON_AddStringToObject(o, "model", l->info.model);
            cJSON_AddStringToObject(o, "firmware", l->info.firmware);
            if (l->info.battery_pct <= 100)
                cJSON_AddNumberToObject(o, "battery_pct", l->info.battery_pct);
            else
                cJSON_AddNullToObject(o, "battery_pct");
            cJSON_AddNumberToObject(o, "sessions", (double)l->sessions);
            cJSON_AddNumberToObject(o, "recording", l->recording);
            cJSON_AddNumberToObject(o, "bytes", (double)l->bytes);
            cJSON_AddNumberToObject(o, "flash_bytes", (double)l->info.flash_bytes);
            cJSON_AddStringToObject(o, "where", where);
            cJSON_AddItemToArray(jpods, o);
        } else {
            char battery[8] = "-";
            if (l->info.battery_pct <= 100)
                snprintf(battery, sizeof battery, "%u%%", l->info.battery_pct);
            char bytes[32];
            snprintf(bytes, sizeof bytes, "%.1f MB", (double)l->bytes / 1e6);
            printf("%-16s %-6s %-14s %-8s %10zu %12s  %s%s\n", serial, side_name(l->info.side),
                   l->info.firmware, battery, l->sessions, bytes, where,
                   l->recording ? "  (recording)" : "");
        }
    }
    if (json)
        cli_print_json_line(root);
    else if (good)
        printf("\n'tendo sync' downloads these recordings into your sessions.\n");
    free(lines);
    free(list);
    tendo_usb_found_free(found, n);
    tendo_usb_close(usb);
    return good ? 0 : tendo_exit_code(first_problem);
}
