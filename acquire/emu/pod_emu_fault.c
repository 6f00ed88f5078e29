/*
 * pod_emu_fault.c — parsing `--fault` specs (syntax: pod_emu_fault.h and
 * acquire/PODSIM.md). What each fault does is in pod_emu.c, where the pod
 * acts; this file only turns text into tendo_podsim_fault values.
 */
#include "pod_emu_fault.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pod_emu_internal.h"

struct tendo_pod_fault_set {
    tendo_podsim_fault *f;
    size_t n;
};

static const struct kind_name {
    const char *name;
    tendo_pod_fault_kind kind;
    int stream; /* takes @WHERE in the stream */
} kinds[] = {
    {"unplug", TENDO_FAULT_UNPLUG, 1},   {"reset", TENDO_FAULT_RESET, 1},
    {"crc", TENDO_FAULT_CRC, 1},         {"drop", TENDO_FAULT_DROP, 1},
    {"dup", TENDO_FAULT_DUP, 1},         {"reorder", TENDO_FAULT_REORDER, 1},
    {"stall", TENDO_FAULT_STALL, 1},     {"length", TENDO_FAULT_LENGTH, 1},
    {"mute", TENDO_FAULT_MUTE, 1},       {"short-reply", TENDO_FAULT_SHORT_REPLY, 0},
    {"list-lie", TENDO_FAULT_LIST_LIE, 0}, {"descriptors", TENDO_FAULT_DESCRIPTORS, 0},
    {"serial", TENDO_FAULT_SERIAL, 0},   {"evil-serial", TENDO_FAULT_SERIAL, 0},
};

static const char *const list_forms[] = {"size", "samples", "crc", "total", "order", NULL};
static const char *const desc_forms[] = {"truncated", "class", "packet", "length", NULL};
static const char *const evil_forms[] = {"path", "control", "utf16", "long", "empty", "odd", NULL};

static const char help_text[] =
    "Faults: --fault KIND[@WHERE][,key=value...]   (repeatable; see acquire/PODSIM.md)\n"
    "\n"
    "WHERE, for faults in the bulk stream of a READ (default 0.5):\n"
    "  N          byte offset N of the session's content (the frame carrying it)\n"
    "  F          a fraction 0..1 with a decimal point (0.5 = half the bytes)\n"
    "  frame:K    the K-th frame sent since the READ (0 = the first)\n"
    "  random     a fraction drawn from --seed\n"
    "\n"
    "Stream faults:\n"
    "  unplug@W[,replug=T]  the pod drops off the bus inside the frame at W, after\n"
    "                       exactly the bytes up to W; transfers fail with 'no device';\n"
    "                       with replug=T (2s, 500ms) it comes back as a new device\n"
    "  reset@W              the pod reboots there: off the bus, back after 200 ms\n"
    "                       (replug=T to change), its clock restarts in a new epoch\n"
    "  crc@W                that frame's CRC-32 is wrong\n"
    "  drop@W               that frame is not sent (the host sees a sequence gap)\n"
    "  dup@W                that frame is sent twice\n"
    "  reorder@W            that frame and the next are sent swapped\n"
    "  stall@W[,for=T]      the stream stops before that frame: bulk reads time out;\n"
    "                       with for=T it goes on after T, else at the next READ\n"
    "  length@W[,len=N]     that frame states a payload of N bytes (default 70000,\n"
    "                       beyond the 65536 limit)\n"
    "  mute[@W]             the pod stops answering anything (control requests and\n"
    "                       bulk reads time out); without @W from the start\n"
    "\n"
    "Other faults:\n"
    "  short-reply[,request=INFO|CLOCK_GET|LIST|GET_ERROR]\n"
    "                       that reply (default: every one) comes one byte short\n"
    "  list-lie[,field=size|samples|crc|total|order]\n"
    "                       LIST lies: size or samples off (counts disagree), a wrong\n"
    "                       crc32, a total that changes between pages, ids out of order\n"
    "  descriptors[,form=truncated|class|packet|length]\n"
    "                       malformed descriptors: configuration cut short, a non-pod\n"
    "                       interface class, a bulk packet size of 1023, a wrong\n"
    "                       wTotalLength\n"
    "  serial=TEXT          the serial string descriptor is TEXT; \\xNN and \\uNNNN give\n"
    "                       any code unit (\\u0001, \\uD800), \\\\ a backslash\n"
    "  evil-serial[=path|control|utf16|long|empty|odd]\n"
    "                       ready-made hostile serials: ../../x, control characters,\n"
    "                       a lone UTF-16 surrogate, 126 characters, empty, odd bLength\n"
    "\n"
    "Keys for every fault: pod=SERIAL (default every pod), session=ID (default any),\n"
    "times=N (how often it fires, default 1; 0 = every time).\n"
    "Examples: unplug@0.5  unplug@1000000,replug=2s  crc@frame:3,pod=L01\n"
    "          stall@0.25,for=3s  list-lie,field=crc  evil-serial=path\n";

const char *tendo_pod_fault_help(void)
{
    return help_text;
}

static int bad(tendo_error *err, const char *spec, const char *why)
{
    return tendo_error_set(err, TENDO_EUSAGE,
                           "--fault '%s': %s (see tendo-podsim --fault help)", spec, why);
}

/* "2s", "500ms", "1.5s" → ms; -1 when malformed. */
static int parse_ms(const char *v)
{
    char *end = NULL;
    errno = 0;
    double x = strtod(v, &end);
    if (end == v || errno || !isfinite(x) || x < 0)
        return -1;
    double ms = !strcmp(end, "ms") ? x : (!strcmp(end, "s") || !*end) ? x * 1000 : -1;
    return ms < 0 || ms > 3.6e6 ? -1 : (int)llround(ms);
}

static int one_of(const char *v, const char *const *list)
{
    for (size_t i = 0; list[i]; i++)
        if (!strcmp(v, list[i]))
            return 1;
    return 0;
}

/* TEXT with \xNN, \uNNNN and \\ escapes → UTF-16 code units. */
static int parse_text(const char *v, tendo_podsim_fault *f)
{
    f->text_len = 0;
    while (*v) {
        unsigned cu;
        if (f->text_len >= TENDO_POD_STRING_MAX + 1)
            return 0;
        if (v[0] == '\\' && v[1] == '\\') {
            cu = '\\';
            v += 2;
        } else if (v[0] == '\\' && (v[1] == 'x' || v[1] == 'u')) {
            int digits = v[1] == 'x' ? 2 : 4;
            char hex[5] = {0};
            for (int i = 0; i < digits; i++) {
                if (!strchr("0123456789abcdefABCDEF", v[2 + i]) || !v[2 + i])
                    return 0;
                hex[i] = v[2 + i];
            }
            cu = (unsigned)strtoul(hex, NULL, 16);
            v += 2 + digits;
        } else {
            cu = (uint8_t)*v++;
        }
        f->text[f->text_len++] = (uint16_t)cu;
    }
    return 1;
}

static void preset_serial(tendo_podsim_fault *f, const char *form)
{
    static const char *const texts[] = {"../../x", "L0\\x01\\x1b[31mred", "\\uD800x", NULL, "",
                                        "L01"};
    size_t i = 0;
    while (evil_forms[i] && strcmp(evil_forms[i], form))
        i++;
    snprintf(f->form, sizeof f->form, "%s", form);
    if (!strcmp(form, "long")) { /* the most a descriptor holds: 126 code units */
        f->text_len = TENDO_POD_STRING_MAX;
        for (size_t k = 0; k < f->text_len; k++)
            f->text[k] = (uint16_t)('A' + k % 26);
    } else {
        parse_text(texts[i], f);
    }
}

int tendo_pod_fault_parse(const char *spec, uint64_t seed, tendo_podsim_fault *f, tendo_error *err)
{
    memset(f, 0, sizeof *f);
    snprintf(f->spec, sizeof f->spec, "%s", spec);
    f->times = 1;
    f->replug_ms = -1;
    f->for_ms = -1;
    f->length = 70000; /* beyond TENDO_POD_MAX_PAYLOAD */
    /* A per-fault draw: the seed and the spec's text. */
    uint64_t h = seed * 0x9E3779B97F4A7C15ull + 1;
    for (const char *c = spec; *c; c++)
        h = (h ^ (uint8_t)*c) * 0x100000001B3ull; /* FNV-1a step (Fowler, Noll, Vo) */
    f->rnd = h ? h : 1;

    char *copy = strdup(spec);
    if (!copy)
        return tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
    int rc = TENDO_OK, times_set = 0;
    char *save = NULL;
    char *head = strtok_r(copy, ",", &save);
    if (!head) {
        free(copy);
        return bad(err, spec, "empty");
    }
    /* KIND[=VALUE][@WHERE] */
    char *at = strchr(head, '@');
    if (at)
        *at++ = '\0';
    char *kval = strchr(head, '=');
    if (kval)
        *kval++ = '\0';
    const struct kind_name *k = NULL;
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (!strcmp(head, kinds[i].name))
            k = &kinds[i];
    if (!k) {
        rc = bad(err, spec, "unknown kind");
        goto done;
    }
    f->kind = k->kind;
    if (f->kind == TENDO_FAULT_SERIAL) {
        if (!strcmp(head, "serial")) {
            if (!kval || !parse_text(kval, f)) {
                rc = bad(err, spec, "serial=TEXT needs a text of at most 127 code units");
                goto done;
            }
            snprintf(f->form, sizeof f->form, "text");
        } else {
            const char *form = kval ? kval : "path";
            if (!one_of(form, evil_forms)) {
                rc = bad(err, spec, "evil-serial takes path, control, utf16, long, empty or odd");
                goto done;
            }
            preset_serial(f, form);
        }
    } else if (kval) {
        rc = bad(err, spec, "only serial= takes a value after the kind");
        goto done;
    }
    if (at && !k->stream) {
        rc = bad(err, spec, "this kind takes no @WHERE");
        goto done;
    }
    if (at) {
        char *end = NULL;
        if (!strncmp(at, "frame:", 6)) {
            f->where = TENDO_WHERE_FRAME;
            errno = 0;
            f->frame = strtoull(at + 6, &end, 10);
            if (end == at + 6 || *end || errno)
                rc = bad(err, spec, "frame:K needs a whole number K");
        } else if (!strcmp(at, "random")) {
            f->where = TENDO_WHERE_FRACTION;
            f->fraction = (double)(f->rnd >> 11) / 9007199254740992.0; /* [0, 1) */
        } else if (strchr(at, '.')) {
            f->where = TENDO_WHERE_FRACTION;
            f->fraction = strtod(at, &end);
            if (end == at || *end || !(f->fraction >= 0 && f->fraction <= 1))
                rc = bad(err, spec, "a fraction must be from 0 to 1");
        } else {
            f->where = TENDO_WHERE_BYTE;
            errno = 0;
            f->byte = strtoull(at, &end, 10);
            if (end == at || *end || errno || at[0] == '-')
                rc = bad(err, spec, "WHERE is a byte offset, a fraction such as 0.5, frame:K "
                                    "or random");
        }
        if (rc)
            goto done;
    } else if (k->stream && f->kind != TENDO_FAULT_MUTE) {
        f->where = TENDO_WHERE_FRACTION;
        f->fraction = 0.5;
    }
    for (char *kv = strtok_r(NULL, ",", &save); kv && !rc; kv = strtok_r(NULL, ",", &save)) {
        char *v = strchr(kv, '=');
        if (!v) {
            rc = bad(err, spec, "options are key=value");
            break;
        }
        *v++ = '\0';
        char *end = NULL;
        if (!strcmp(kv, "pod")) {
            tendo_error serr;
            tendo_error_clear(&serr);
            if (tendo_pod_serial_check(v, &serr))
                rc = bad(err, spec, "pod= names a pod serial");
            else
                snprintf(f->pod, sizeof f->pod, "%s", v);
        } else if (!strcmp(kv, "session")) {
            unsigned long id = strtoul(v, &end, 10);
            if (end == v || *end || id == 0 || id > UINT32_MAX)
                rc = bad(err, spec, "session= names a session id (1 or more)");
            f->session = (uint32_t)id;
        } else if (!strcmp(kv, "times")) {
            long t = strtol(v, &end, 10);
            if (end == v || *end || t < 0 || t > 1000000)
                rc = bad(err, spec, "times= is a count (0 = every time)");
            f->times = (int)t;
            times_set = 1;
        } else if (!strcmp(kv, "replug") &&
                   (f->kind == TENDO_FAULT_UNPLUG || f->kind == TENDO_FAULT_RESET)) {
            if ((f->replug_ms = parse_ms(v)) < 0)
                rc = bad(err, spec, "replug= is a delay such as 2s or 500ms");
        } else if (!strcmp(kv, "for") && f->kind == TENDO_FAULT_STALL) {
            if ((f->for_ms = parse_ms(v)) < 0)
                rc = bad(err, spec, "for= is a duration such as 3s or 500ms");
        } else if (!strcmp(kv, "len") && f->kind == TENDO_FAULT_LENGTH) {
            unsigned long n = strtoul(v, &end, 10);
            if (end == v || *end || n > UINT32_MAX)
                rc = bad(err, spec, "len= is a byte count");
            f->length = (uint32_t)n;
        } else if (!strcmp(kv, "request") && f->kind == TENDO_FAULT_SHORT_REPLY) {
            static const uint8_t reqs[] = {TENDO_POD_REQ_INFO, TENDO_POD_REQ_CLOCK_GET,
                                           TENDO_POD_REQ_LIST, TENDO_POD_REQ_GET_ERROR};
            for (size_t i = 0; i < sizeof reqs; i++)
                if (!strcmp(v, tendo_pod_request_name(reqs[i])))
                    f->request = reqs[i];
            if (!f->request)
                rc = bad(err, spec, "request= is INFO, CLOCK_GET, LIST or GET_ERROR");
        } else if (!strcmp(kv, "field") && f->kind == TENDO_FAULT_LIST_LIE) {
            if (!one_of(v, list_forms))
                rc = bad(err, spec, "field= is size, samples, crc, total or order");
            snprintf(f->form, sizeof f->form, "%s", v);
        } else if (!strcmp(kv, "form") && f->kind == TENDO_FAULT_DESCRIPTORS) {
            if (!one_of(v, desc_forms))
                rc = bad(err, spec, "form= is truncated, class, packet or length");
            snprintf(f->form, sizeof f->form, "%s", v);
        } else {
            rc = bad(err, spec, "an option this kind does not take");
        }
    }
    /* A pod that lies, or has a bad descriptor or serial, does so every time. */
    if (!rc && !k->stream && !times_set)
        f->times = 0;
    if (!rc && f->kind == TENDO_FAULT_RESET && f->replug_ms < 0)
        f->replug_ms = 200; /* a pod boots in about that (model choice) */
    if (!rc && !f->form[0] && f->kind == TENDO_FAULT_LIST_LIE)
        snprintf(f->form, sizeof f->form, "size");
    if (!rc && !f->form[0] && f->kind == TENDO_FAULT_DESCRIPTORS)
        snprintf(f->form, sizeof f->form, "truncated");
done:
    free(copy);
    return rc;
}

int tendo_pod_fault_parse_all(const char *const *specs, size_t n, uint64_t seed,
                              tendo_pod_fault_set **out, tendo_error *err)
{
    tendo_pod_fault_set *set = calloc(1, sizeof *set);
    if (set && n)
        set->f = calloc(n, sizeof *set->f);
    if (!set || (n && !set->f)) {
        free(set);
        return tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        int rc = tendo_pod_fault_parse(specs[i], seed, &set->f[i], err);
        if (rc) {
            tendo_pod_fault_set_free(set);
            return rc;
        }
    }
    set->n = n;
    *out = set;
    return TENDO_OK;
}

void tendo_pod_fault_set_free(tendo_pod_fault_set *set)
{
    if (set)
        free(set->f);
    free(set);
}

int tendo_pod_fault_attach(const tendo_pod_fault_set *set, tendo_pod_emu *pod, size_t index,
                           tendo_error *err)
{
    if (!set)
        return TENDO_OK;
    for (size_t i = 0; i < set->n; i++) {
        const tendo_podsim_fault *f = &set->f[i];
        if (f->pod[0] && strcmp(f->pod, pod->cfg.serial))
            continue;
        tendo_podsim_fault *grown = realloc(pod->faults, (pod->nfaults + 1) * sizeof *grown);
        if (!grown)
            return tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
        pod->faults = grown;
        pod->faults[pod->nfaults] = *f;
        /* Each pod draws its own bits from the shared spec. */
        pod->faults[pod->nfaults].rnd ^= (uint64_t)(index + 1) * 0xD6E8FEB86659FD93ull;
        pod->nfaults++;
        if (f->kind == TENDO_FAULT_MUTE && f->where == TENDO_WHERE_NONE)
            pod->mute = 1; /* never answers, from the start */
    }
    return TENDO_OK;
}
