/*
 * pod_protocol.h — the tendo pod USB protocol, version 1, as pure C: no
 * libusb, no I/O. Layouts, limits and their reasons: acquire/PROTOCOL.md.
 *
 * What is here:
 *   - setup packets and the encode/decode of every control request and reply
 *     (INFO, CLOCK_GET/SET, LIST, READ, ERASE, GET_ERROR);
 *   - bulk frames: encode (optionally zlib) and a streaming reassembler that
 *     takes byte chunks of any size and yields verified frames;
 *   - sample blocks: encode, parse, unpack into ticks/accel/gyro/status;
 *   - the pod clock: points from clock reads, a two-point fit, ticks → UTC.
 *
 * Encoders write exactly what they are given (the emulator may need to
 * send bad bytes on purpose). Decoders trust nothing: each length, count,
 * offset, flag and string is checked before use. A failed check returns
 * TENDO_EDATA with the field and its byte offset in err
 * (common/tendo_error.h). A stream that stops inside a frame gives
 * TENDO_EUNAVAIL.
 */
#ifndef TENDO_POD_PROTOCOL_H
#define TENDO_POD_PROTOCOL_H

#include <stddef.h>
#include <stdint.h>

#include "tendo_error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------ identity */

#define TENDO_POD_VID         0x1209 /* pid.codes */
#define TENDO_POD_PID         0x0001 /* pid.codes test PID (shared: match the interface too) */
#define TENDO_POD_IF_CLASS    0xFF   /* vendor specific */
#define TENDO_POD_IF_SUBCLASS 0x54   /* 'T' */
#define TENDO_POD_IF_PROTOCOL 0x01   /* = TENDO_POD_VERSION */
#define TENDO_POD_EP_IN       0x81   /* bulk IN: frames */
#define TENDO_POD_EP_OUT      0x02   /* bulk OUT: reserved */
#define TENDO_POD_VERSION     1      /* first byte of every message */

/* ------------------------------------------------- limits (PROTOCOL.md) */

#define TENDO_POD_MAX_PAYLOAD       65536u /* frame payload, raw and wire: host buffer bound */
#define TENDO_POD_BLOCK_MAX_SAMPLES 4096u  /* so the largest block fits one frame */
/* Session size: above any pod's flash (a day at 1600 Hz is ≈ 1.8 GB). */
#define TENDO_POD_MAX_SESSION_BYTES  (1ull << 34)
#define TENDO_POD_MAX_SESSIONS       1024u       /* pod flash directory; host list ≤ 56 KiB */
#define TENDO_POD_LIST_PAGE          64u         /* entries per LIST reply */
#define TENDO_POD_RATE_MIN_MHZ       100000u     /* 100 Hz; pods record 200–1600 Hz */
#define TENDO_POD_RATE_MAX_MHZ       2000000u    /* 2000 Hz */
#define TENDO_POD_TICK_HZ_MIN        32768u      /* a watch crystal */
#define TENDO_POD_TICK_HZ_MAX        1000000000u /* keeps tick arithmetic far from overflow */
#define TENDO_POD_ACCEL_RANGE_MAX_G  1000u
#define TENDO_POD_GYRO_RANGE_MAX_DPS 20000u
#define TENDO_POD_BLOCK_MAX_JUMP     (1ull << 32) /* ticks between blocks: > 1 h at 1 MHz = corrupt */
#define TENDO_POD_DRIFT_MAX_PPM      1000.0       /* crystals are ±tens of ppm */
#define TENDO_POD_ROUNDTRIP_MAX_US   100000       /* a slower clock read is too vague to use */
#define TENDO_POD_SERIAL_MAX         63u          /* [A-Za-z0-9_.-]{1,63} */
#define TENDO_POD_TEXT_MAX           31u          /* model, firmware: char[32] with a NUL */
#define TENDO_POD_STRING_MAX         126u         /* code units in a 255-byte string descriptor */

/* ------------------------------------------------------- message sizes */

#define TENDO_POD_SETUP_SIZE       8u
#define TENDO_POD_INFO_SIZE        96u
#define TENDO_POD_CLOCK_SIZE       32u
#define TENDO_POD_CLOCK_SET_SIZE   16u
#define TENDO_POD_LIST_HEADER_SIZE 8u
#define TENDO_POD_LIST_ENTRY_SIZE  56u
#define TENDO_POD_LIST_MAX_SIZE                                                                    \
    (TENDO_POD_LIST_HEADER_SIZE + TENDO_POD_LIST_PAGE * TENDO_POD_LIST_ENTRY_SIZE)
#define TENDO_POD_READ_SIZE         24u
#define TENDO_POD_ERASE_SIZE        24u
#define TENDO_POD_ERROR_SIZE        16u
#define TENDO_POD_FRAME_MAGIC       0x46444E54u /* bytes "TNDF" */
#define TENDO_POD_FRAME_HEADER_SIZE 32u
#define TENDO_POD_FRAME_CRC_SIZE    4u
#define TENDO_POD_FRAME_MAX_SIZE                                                                   \
    (TENDO_POD_FRAME_HEADER_SIZE + TENDO_POD_MAX_PAYLOAD + TENDO_POD_FRAME_CRC_SIZE)
#define TENDO_POD_BLOCK_HEADER_SIZE 24u
#define TENDO_POD_SAMPLE_SIZE       13u /* 6 × s16 + u8 status */
#define TENDO_POD_BLOCK_MAX_SIZE                                                                   \
    (TENDO_POD_BLOCK_HEADER_SIZE + TENDO_POD_BLOCK_MAX_SAMPLES * TENDO_POD_SAMPLE_SIZE)

/* ---------------------------------------------------- control requests */

enum tendo_pod_request {
    TENDO_POD_REQ_INFO = 0x01,
    TENDO_POD_REQ_CLOCK_GET = 0x02,
    TENDO_POD_REQ_CLOCK_SET = 0x03,
    TENDO_POD_REQ_LIST = 0x04,
    TENDO_POD_REQ_READ = 0x05,
    TENDO_POD_REQ_ERASE = 0x06,
    TENDO_POD_REQ_GET_ERROR = 0x07
};

/* GET_ERROR codes: why a pod refused (stalled) a request. */
enum tendo_pod_status {
    TENDO_POD_ST_NONE = 0,
    TENDO_POD_ST_UNKNOWN_REQUEST = 1,
    TENDO_POD_ST_BAD_VERSION = 2,
    TENDO_POD_ST_BAD_LENGTH = 3,
    TENDO_POD_ST_BAD_ARGUMENT = 4,
    TENDO_POD_ST_NO_SESSION = 5,
    TENDO_POD_ST_BAD_OFFSET = 6,
    TENDO_POD_ST_CHECKSUM_MISMATCH = 7,
    TENDO_POD_ST_BUSY = 8,
    TENDO_POD_ST_FLASH_ERROR = 9
};

/* Flag bits. */
#define TENDO_POD_CLOCK_ANCHORED    0x01u /* CLOCK_GET: an anchor was set in this epoch */
#define TENDO_POD_SESSION_RECORDING 0x01u /* LIST: still being written */
#define TENDO_POD_READ_ALLOW_ZLIB   0x01u /* READ: the pod may compress */
#define TENDO_POD_FRAME_ZLIB        0x01u /* frame payload is a zlib stream */
#define TENDO_POD_FRAME_LAST        0x02u /* final frame of the session */
#define TENDO_POD_LAYOUT_IMU6_I16   1u    /* the sample layout of version 1 */

/* A USB setup packet (the 8 bytes that open a control transfer). */
typedef struct tendo_pod_setup {
    uint8_t request_type; /* 0xC1 IN, 0x41 OUT */
    uint8_t request;      /* enum tendo_pod_request */
    uint16_t value;       /* LIST: first index; otherwise 0 */
    uint16_t index;       /* interface 0 */
    uint16_t length;      /* exact size of the data stage */
} tendo_pod_setup;

/* The setup packet of a request (value = LIST's first index, else 0).
 * TENDO_EUSAGE for an unknown request. */
int tendo_pod_setup_for(uint8_t request, uint16_t value, tendo_pod_setup *out, tendo_error *err);
void tendo_pod_setup_encode(const tendo_pod_setup *s, uint8_t out[TENDO_POD_SETUP_SIZE]);
void tendo_pod_setup_decode(const uint8_t in[TENDO_POD_SETUP_SIZE], tendo_pod_setup *s);
/* Pod side: the status a pod answers to this setup and, for OUT requests,
 * its data stage (data may be NULL for IN): TENDO_POD_ST_NONE when the
 * envelope (type, request, wIndex, wValue, wLength, version) is right. */
uint16_t tendo_pod_setup_check(const tendo_pod_setup *s, const uint8_t *data, size_t len);
/* "INFO", "LIST", …; "?" for an unknown request. */
const char *tendo_pod_request_name(uint8_t request);

typedef struct tendo_pod_info {
    uint8_t side;        /* 0 left, 1 right, 0xFF not assigned */
    uint8_t placement;   /* 0 foot, 1 shank */
    uint8_t battery_pct; /* 0–100, 0xFF not reported */
    uint32_t tick_hz;
    uint32_t max_payload;
    uint16_t sessions;
    uint64_t flash_bytes;
    uint64_t flash_used;
    char model[TENDO_POD_TEXT_MAX + 1];
    char firmware[TENDO_POD_TEXT_MAX + 1];
} tendo_pod_info;

typedef struct tendo_pod_clock {
    uint8_t flags; /* TENDO_POD_CLOCK_ANCHORED */
    uint32_t epoch;
    uint64_t ticks; /* latched at SETUP */
    uint64_t anchor_ticks;
    int64_t anchor_utc_us;
} tendo_pod_clock;

typedef struct tendo_pod_session {
    uint32_t id;
    uint32_t flags; /* TENDO_POD_SESSION_RECORDING */
    uint64_t size_bytes;
    uint64_t samples;
    uint64_t start_ticks;
    uint32_t blocks;
    uint32_t crc32;
    uint32_t clock_epoch;
    uint32_t rate_mhz;
    uint16_t accel_range_g;
    uint16_t gyro_range_dps;
    uint8_t layout;
} tendo_pod_session;

typedef struct tendo_pod_list_page {
    uint16_t total;
    uint16_t first;
    uint16_t count;
    tendo_pod_session entry[TENDO_POD_LIST_PAGE];
} tendo_pod_list_page;

typedef struct tendo_pod_read_req {
    uint8_t flags; /* TENDO_POD_READ_ALLOW_ZLIB */
    uint32_t session_id;
    uint64_t offset;
    uint32_t first_seq;
} tendo_pod_read_req;

typedef struct tendo_pod_erase_req {
    uint32_t session_id;
    uint64_t size_bytes; /* as the host received it */
    uint32_t crc32;      /* as the host computed it */
} tendo_pod_erase_req;

typedef struct tendo_pod_error_reply {
    uint8_t request;
    uint16_t code; /* enum tendo_pod_status */
    uint32_t session_id;
    uint64_t value;
} tendo_pod_error_reply;

/* Encoders fill fixed-size buffers; list_encode returns its length. */
void tendo_pod_info_encode(const tendo_pod_info *in, uint8_t out[TENDO_POD_INFO_SIZE]);
void tendo_pod_clock_encode(const tendo_pod_clock *in, uint8_t out[TENDO_POD_CLOCK_SIZE]);
void tendo_pod_clock_set_encode(int64_t utc_us, uint8_t out[TENDO_POD_CLOCK_SET_SIZE]);
size_t tendo_pod_list_encode(const tendo_pod_list_page *in, uint8_t out[TENDO_POD_LIST_MAX_SIZE]);
void tendo_pod_read_encode(const tendo_pod_read_req *in, uint8_t out[TENDO_POD_READ_SIZE]);
void tendo_pod_erase_encode(const tendo_pod_erase_req *in, uint8_t out[TENDO_POD_ERASE_SIZE]);
void tendo_pod_error_encode(const tendo_pod_error_reply *in, uint8_t out[TENDO_POD_ERROR_SIZE]);

/* Decoders check everything PROTOCOL.md says; TENDO_EDATA otherwise. */
int tendo_pod_info_decode(const uint8_t *buf, size_t len, tendo_pod_info *out, tendo_error *err);
int tendo_pod_clock_decode(const uint8_t *buf, size_t len, tendo_pod_clock *out, tendo_error *err);
int tendo_pod_clock_set_decode(const uint8_t *buf, size_t len, int64_t *utc_us, tendo_error *err);
/* first = the wValue the host sent. */
int tendo_pod_list_decode(const uint8_t *buf, size_t len, uint16_t first, tendo_pod_list_page *out,
                          tendo_error *err);
/* Appends a decoded page to all[] (capacity TENDO_POD_MAX_SESSIONS), which
 * holds *n entries so far: checks the page starts at *n, its total agrees
 * with *total (set from the first page) and ids keep increasing. The host
 * asks LIST(first = *n) until *n == *total. */
int tendo_pod_list_merge(const tendo_pod_list_page *page, tendo_pod_session *all, size_t *n,
                         uint16_t *total, tendo_error *err);
int tendo_pod_read_decode(const uint8_t *buf, size_t len, tendo_pod_read_req *out,
                          tendo_error *err);
int tendo_pod_erase_decode(const uint8_t *buf, size_t len, tendo_pod_erase_req *out,
                           tendo_error *err);
int tendo_pod_error_decode(const uint8_t *buf, size_t len, tendo_pod_error_reply *out,
                           tendo_error *err);

/* "CHECKSUM_MISMATCH", …; "UNKNOWN" for codes above 9. */
const char *tendo_pod_status_name(uint16_t code);
/* The tendo_code a refusal maps to (PROTOCOL.md 2.6). */
int tendo_pod_status_code(uint16_t code);
/* Sets err from a GET_ERROR reply ("pod refused ERASE of session 7:
 * CHECKSUM_MISMATCH …") and returns its tendo_code. */
int tendo_pod_refusal(const tendo_pod_error_reply *e, tendo_error *err);

/* ------------------------------------------------------------- strings */

/* 0 when s is a valid serial ([A-Za-z0-9_.-]{1,63}); TENDO_EDATA otherwise. */
int tendo_pod_serial_check(const char *s, tendo_error *err);
/* Decodes a USB string descriptor (UTF-16LE) holding printable ASCII into
 * out (NUL-terminated). TENDO_EDATA for a bad bLength or type, an odd
 * length, a non-ASCII or control character, or text that does not fit. */
int tendo_pod_string_decode(const uint8_t *desc, size_t len, char *out, size_t out_size,
                            tendo_error *err);
/* Encodes ASCII text as a string descriptor; returns its length (0 when
 * it cannot fit a descriptor or cap). */
size_t tendo_pod_string_encode(const char *ascii, uint8_t *out, size_t cap);

/* -------------------------------------------------------------- frames */

/* A frame's header fields; payload points at the raw (inflated) bytes. */
typedef struct tendo_pod_frame {
    uint8_t flags; /* TENDO_POD_FRAME_ZLIB | TENDO_POD_FRAME_LAST */
    uint32_t seq;
    uint32_t session_id;
    uint64_t offset;
    uint32_t raw_len;
    uint32_t wire_len;
    const uint8_t *payload;
} tendo_pod_frame;

/* CRC-32 (zlib / IEEE 802.3), continuing from crc (0 to start). */
uint32_t tendo_pod_crc32(uint32_t crc, const void *buf, size_t len);

/* Encodes a frame carrying f->payload[0, f->raw_len) with f's seq, session,
 * offset and LAST flag. With compress, the payload is deflated and sent
 * compressed only when that is shorter (the ZLIB flag says which). out holds
 * TENDO_POD_FRAME_MAX_SIZE bytes; *out_len is the frame's length.
 * TENDO_EUSAGE for raw_len beyond TENDO_POD_MAX_PAYLOAD. */
int tendo_pod_frame_encode(const tendo_pod_frame *f, int compress, uint8_t *out, size_t *out_len,
                           tendo_error *err);

/* What stopped a reassembler (PROTOCOL.md section 3). */
typedef enum tendo_pod_fault {
    TENDO_POD_FAULT_NONE = 0,
    TENDO_POD_FAULT_MAGIC,
    TENDO_POD_FAULT_VERSION,
    TENDO_POD_FAULT_HEADER, /* reserved bits, flags, lengths that disagree */
    TENDO_POD_FAULT_LENGTH, /* beyond the payload limit or the session size */
    TENDO_POD_FAULT_CRC,
    TENDO_POD_FAULT_GAP,       /* a later sequence number: dropped or reordered */
    TENDO_POD_FAULT_DUPLICATE, /* an earlier sequence number: seen again or out of order */
    TENDO_POD_FAULT_SESSION,   /* a frame of another session */
    TENDO_POD_FAULT_OFFSET,
    TENDO_POD_FAULT_INFLATE, /* compressed payload not exactly raw_len bytes */
    TENDO_POD_FAULT_AFTER_LAST,
    TENDO_POD_FAULT_TRUNCATED, /* the stream ended inside a frame */
    TENDO_POD_FAULT_CALLER     /* the frame callback failed */
} tendo_pod_fault;

const char *tendo_pod_fault_name(tendo_pod_fault f);

/* Called once per verified frame, in order; f->payload is valid during the
 * call only. A non-zero return (a tendo_code) stops the reassembler and is
 * returned by feed; the frame then does not count as received. */
typedef int (*tendo_pod_frame_fn)(void *ctx, const tendo_pod_frame *f, tendo_error *err);

/* Turns the bytes of one READ's bulk stream back into verified frames. */
typedef struct tendo_pod_reasm tendo_pod_reasm;

/* For the READ req (its session, offset, first_seq and ALLOW_ZLIB) of a
 * session of session_size bytes (from LIST). */
int tendo_pod_reasm_new(tendo_pod_reasm **out, const tendo_pod_read_req *req, uint64_t session_size,
                        tendo_error *err);
void tendo_pod_reasm_free(tendo_pod_reasm *r);
/* Feeds the next len bytes of the stream, in chunks of any size; fn gets
 * each frame completed by them. After the first failure every call returns
 * that failure again: the host resumes with a new READ (PROTOCOL.md 6). */
int tendo_pod_reasm_feed(tendo_pod_reasm *r, const void *data, size_t len, tendo_pod_frame_fn fn,
                         void *ctx, tendo_error *err);
/* The stream has ended: TENDO_EUNAVAIL (TRUNCATED) if it ended inside a
 * frame, the earlier failure if any, else TENDO_OK (done or not). */
int tendo_pod_reasm_finish(tendo_pod_reasm *r, tendo_error *err);
/* End of the last frame fn accepted: where the next READ resumes. */
uint64_t tendo_pod_reasm_offset(const tendo_pod_reasm *r);
/* 1 once the LAST frame has been accepted. */
int tendo_pod_reasm_done(const tendo_pod_reasm *r);
/* The fault, and the stream byte where the offending frame began and its
 * number since the READ (either pointer may be NULL). */
tendo_pod_fault tendo_pod_reasm_fault(const tendo_pod_reasm *r, uint64_t *stream_pos,
                                      uint64_t *frame_no);

/* -------------------------------------------------------- sample blocks */

typedef struct tendo_pod_block {
    uint16_t count;    /* 1–4096 */
    uint32_t index;    /* block number in the session */
    uint64_t t0_ticks; /* pod clock at sample 0 */
    uint32_t rate_mhz;
} tendo_pod_block;

/* Bytes of a block of count samples. */
size_t tendo_pod_block_size(uint32_t count);
/* Packs a block; accel and gyro hold 3 × count values (x, y, z per sample),
 * status count values (NULL = all zero). TENDO_EUSAGE if count is 0 or
 * above the limit or cap is too small. */
int tendo_pod_block_encode(const tendo_pod_block *b, const int16_t *accel, const int16_t *gyro,
                           const uint8_t *status, uint8_t *out, size_t cap, size_t *out_len,
                           tendo_error *err);
/* Checks a block's header and size; `where` (the block's session offset)
 * goes into messages. */
int tendo_pod_block_parse(const uint8_t *buf, size_t len, uint64_t where, tendo_pod_block *out,
                          tendo_error *err);
/* Checks block b against the session and the block before it (prev = NULL
 * for the session's first block): index, rate, time order and jump. */
int tendo_pod_block_follows(const tendo_pod_block *prev, const tendo_pod_block *b,
                            const tendo_pod_session *s, uint32_t tick_hz, uint64_t where,
                            tendo_error *err);
/* Pod tick of sample i of b. */
uint64_t tendo_pod_sample_ticks(const tendo_pod_block *b, uint32_t tick_hz, uint32_t i);
/* Unpacks a parsed block; any output may be NULL. Status bits beyond the
 * three defined ones are rejected by parse, so status is safe to store. */
void tendo_pod_block_unpack(const uint8_t *buf, const tendo_pod_block *b, uint32_t tick_hz,
                            uint64_t *ticks, int16_t *accel, int16_t *gyro, uint8_t *status);

/* ---------------------------------------------------------- pod clock */

/* A pod tick count paired with host UTC (µs since the Unix epoch), known
 * to ± unc_us. */
typedef struct tendo_pod_clock_point {
    uint64_t ticks;
    int64_t utc_us;
    int64_t unc_us;
} tendo_pod_clock_point;

/* A point from a CLOCK_GET: host UTC just before the request and when the
 * reply arrived. TENDO_EUNAVAIL if the round trip exceeds the limit (retry). */
int tendo_pod_clock_point_from_read(uint64_t ticks, int64_t host_before_us, int64_t host_after_us,
                                    tendo_pod_clock_point *out, tendo_error *err);

/* Pod ticks → UTC: a line through two clock points. */
typedef struct tendo_pod_clock_map {
    uint64_t ref_ticks; /* the later point */
    int64_t ref_utc_us;
    double us_per_tick;
    double drift_ppm;  /* the pod's rate error against tick_hz */
    double ref_unc_us; /* uncertainty at the reference point */
    double slope_unc;  /* added uncertainty, µs per tick away from it */
} tendo_pod_clock_map;

/* Fits a map through a and b (b later in ticks). TENDO_EDATA if ticks or
 * UTC do not increase, or the drift is beyond TENDO_POD_DRIFT_MAX_PPM. */
int tendo_pod_clock_fit(const tendo_pod_clock_point *a, const tendo_pod_clock_point *b,
                        uint32_t tick_hz, tendo_pod_clock_map *out, tendo_error *err);
/* UTC (µs, rounded) of n tick values. TENDO_EDATA if one lies more than
 * 2^53 ticks from the reference (no real session does). */
int tendo_pod_clock_to_utc(const tendo_pod_clock_map *m, const uint64_t *ticks, size_t n,
                           int64_t *utc_us, tendo_error *err);
/* Bound on the mapping error at ticks, µs. */
double tendo_pod_clock_error_us(const tendo_pod_clock_map *m, uint64_t ticks);
/* TENDO_EDATA if point p lies off the map by more than the two
 * uncertainties allow: the pod's counter jumped. */
int tendo_pod_clock_check(const tendo_pod_clock_map *m, const tendo_pod_clock_point *p,
                          tendo_error *err);

#ifdef __cplusplus
}
#endif
#endif
