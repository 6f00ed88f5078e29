/*
 * pod_emu_fault.h — faults an emulated pod commits on purpose, parsed from
 * `--fault KIND[@WHERE][,key=value...]` (the full syntax and every kind:
 * acquire/PODSIM.md, or tendo_pod_fault_help()). Deterministic: where a
 * fault needs a choice (a random position, which bit to flip) it draws it
 * from the seed.
 */
#ifndef TENDO_POD_EMU_FAULT_H
#define TENDO_POD_EMU_FAULT_H

#include <stddef.h>
#include <stdint.h>

#include "pod_emu.h"
#include "tendo_error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum tendo_pod_fault_kind {
    TENDO_FAULT_UNPLUG,      /* the pod drops off the bus at WHERE (replug=T: back after T) */
    TENDO_FAULT_RESET,       /* the pod reboots at WHERE: re-enumerates, new clock epoch */
    TENDO_FAULT_CRC,         /* the frame at WHERE has a wrong CRC-32 */
    TENDO_FAULT_DROP,        /* the frame at WHERE is not sent */
    TENDO_FAULT_DUP,         /* the frame at WHERE is sent twice */
    TENDO_FAULT_REORDER,     /* the frame at WHERE and the next are swapped */
    TENDO_FAULT_STALL,       /* the stream stops at WHERE (for=T: resumes after T) */
    TENDO_FAULT_LENGTH,      /* the frame at WHERE states a wrong payload length */
    TENDO_FAULT_SHORT_REPLY, /* a control reply (request=NAME) one byte short */
    TENDO_FAULT_LIST_LIE,    /* LIST entries lie (field=size|samples|crc|total|order) */
    TENDO_FAULT_DESCRIPTORS, /* malformed USB descriptors (form=...) */
    TENDO_FAULT_MUTE,        /* from WHERE on the pod answers nothing */
    TENDO_FAULT_SERIAL       /* a hostile serial string descriptor */
} tendo_pod_fault_kind;

typedef enum tendo_pod_fault_where {
    TENDO_WHERE_NONE = 0, /* not a stream fault, or from the start */
    TENDO_WHERE_BYTE,     /* byte offset N of the session's content */
    TENDO_WHERE_FRACTION, /* a fraction 0..1 of the session's bytes */
    TENDO_WHERE_FRAME     /* the K-th frame (from 0) sent since the READ */
} tendo_pod_fault_where;

typedef struct tendo_podsim_fault {
    tendo_pod_fault_kind kind;
    tendo_pod_fault_where where;
    uint64_t byte;  /* TENDO_WHERE_BYTE */
    double fraction; /* TENDO_WHERE_FRACTION */
    uint64_t frame;  /* TENDO_WHERE_FRAME */
    char pod[TENDO_POD_SERIAL_MAX + 1]; /* pod=SERIAL; empty: every pod */
    uint32_t session;                   /* session=ID; 0: any */
    int times;                          /* times=N; 0: every time; default 1 */
    int fired;
    int replug_ms;    /* unplug: -1 stays unplugged */
    int for_ms;       /* stall: -1 until the next READ */
    uint8_t request;  /* short reply: which request (0 = every) */
    uint32_t length;  /* length: the stated wire_len */
    char form[16];    /* list lie field, descriptor form */
    uint16_t text[TENDO_POD_STRING_MAX + 2]; /* serial: UTF-16 code units */
    size_t text_len;
    uint64_t rnd; /* from the seed */
    char spec[160]; /* the text it came from: names it in --state files */
} tendo_podsim_fault;

typedef struct tendo_pod_fault_set tendo_pod_fault_set;

/* Parses n specs; TENDO_EUSAGE with a message naming the bad part. */
int tendo_pod_fault_parse_all(const char *const *specs, size_t n, uint64_t seed,
                              tendo_pod_fault_set **out, tendo_error *err);
void tendo_pod_fault_set_free(tendo_pod_fault_set *set);
/* Gives pod (number index) its faults: those naming its serial or no pod. */
int tendo_pod_fault_attach(const tendo_pod_fault_set *set, tendo_pod_emu *pod, size_t index,
                           tendo_error *err);
/* The text of `--fault help`. */
const char *tendo_pod_fault_help(void);

/* One spec; TENDO_EUSAGE when malformed. */
int tendo_pod_fault_parse(const char *spec, uint64_t seed, tendo_podsim_fault *out, tendo_error *err);

#ifdef __cplusplus
}
#endif
#endif
