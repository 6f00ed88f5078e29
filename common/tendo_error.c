#include "tendo_error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void tendo_error_clear(tendo_error *err)
{
    if (err) {
        err->code = TENDO_OK;
        err->msg[0] = '\0';
    }
}

int tendo_error_set(tendo_error *err, int code, const char *fmt, ...)
{
    if (!err || err->code != TENDO_OK)
        return code;
    err->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return code;
}

void tendo_error_prefix(tendo_error *err, const char *fmt, ...)
{
    if (!err)
        return;
    char prefix[TENDO_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    /* Join by hand: truncation of an over-long message is intended. */
    size_t plen = strnlen(prefix, sizeof err->msg - 1);
    size_t mlen = strnlen(err->msg, sizeof err->msg);
    if (plen + mlen > sizeof err->msg - 1)
        mlen = sizeof err->msg - 1 - plen;
    memmove(err->msg + plen, err->msg, mlen);
    memcpy(err->msg, prefix, plen);
    err->msg[plen + mlen] = '\0';
}

int tendo_exit_code(int code)
{
    switch (code) {
    case TENDO_OK: return 0;
    case TENDO_EUSAGE: return 64;
    case TENDO_EDATA: return 65;
    case TENDO_ENOINPUT: return 66;
    case TENDO_EUNAVAIL: return 69;
    case TENDO_ECANTCREAT: return 73;
    case TENDO_EIO: return 74;
    default: return 70;
    }
}

const char *tendo_code_name(int code)
{
    switch (code) {
    case TENDO_OK: return "ok";
    case TENDO_EUSAGE: return "usage error";
    case TENDO_EDATA: return "bad data";
    case TENDO_ENOINPUT: return "no input";
    case TENDO_EUNAVAIL: return "unavailable";
    case TENDO_ECANTCREAT: return "cannot create output";
    case TENDO_EIO: return "I/O error";
    default: return "internal error";
    }
}
