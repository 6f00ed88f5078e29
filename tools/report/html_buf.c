/*
 * html_buf.c — the report's output buffer: growable text, HTML escaping,
 * and an all-or-nothing write to disk.
 */
#include "html_buf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tendo_array.h"

void hb_init(html_buf *b)
{
    memset(b, 0, sizeof *b);
}

void hb_free(html_buf *b)
{
    free(b->s);
    hb_init(b);
}

/* Room for n more bytes and the terminating NUL. */
static int reserve(html_buf *b, size_t n)
{
    if (b->oom)
        return -1;
    while (b->cap <= b->len + n) { /* doubling until the text fits */
        char *s = tendo_array_reserve(b->s, &b->cap, b->cap, 1, 1 << 16);
        if (!s) {
            b->oom = 1;
            return -1;
        }
        b->s = s;
    }
    return 0;
}

static void append(html_buf *b, const char *p, size_t n)
{
    if (reserve(b, n + 1))
        return;
    memcpy(b->s + b->len, p, n);
    b->len += n;
    b->s[b->len] = '\0';
}

void hb_raw(html_buf *b, const char *markup)
{
    append(b, markup, strlen(markup));
}

static void vprintf_to(html_buf *b, int escape, const char *fmt, va_list ap)
{
    char small[512];
    va_list cp;
    va_copy(cp, ap);
    int n = vsnprintf(small, sizeof small, fmt, cp);
    va_end(cp);
    if (n < 0)
        return;
    char *text = small;
    if ((size_t)n >= sizeof small) {
        text = malloc((size_t)n + 1);
        if (!text) {
            b->oom = 1;
            return;
        }
        vsnprintf(text, (size_t)n + 1, fmt, ap);
    }
    if (escape)
        hb_text(b, text);
    else
        append(b, text, (size_t)n);
    if (text != small)
        free(text);
}

void hb_printf(html_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintf_to(b, 0, fmt, ap);
    va_end(ap);
}

void hb_textf(html_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintf_to(b, 1, fmt, ap);
    va_end(ap);
}

void hb_text(html_buf *b, const char *text)
{
    for (const char *p = text; *p; p++) {
        const char *rep = NULL;
        switch (*p) {
        case '&':
            rep = "&amp;";
            break;
        case '<':
            rep = "&lt;";
            break;
        case '>':
            rep = "&gt;";
            break;
        case '"':
            rep = "&quot;";
            break;
        case '\'':
            rep = "&#39;";
            break;
        default:
            break;
        }
        if (rep) {
            append(b, rep, strlen(rep));
            continue;
        }
        size_t run = strcspn(p, "&<>\"'");
        append(b, p, run);
        p += run - 1;
    }
}

int hb_publish(const html_buf *b, const char *path, int overwrite, tendo_error *err)
{
    if (b->oom)
        return tendo_error_set(err, TENDO_EINTERNAL, "out of memory building the report");
    if (!overwrite && access(path, F_OK) == 0)
        return tendo_error_set(err, TENDO_ECANTCREAT, "%s exists; use --force to replace it", path);
    /* The temporary file lives in the same folder: rename is atomic only
     * within one file system. */
    char tmp[4096];
    const char *slash = strrchr(path, '/');
    int dir_len = slash ? (int)(slash - path + 1) : 0;
    if (snprintf(tmp, sizeof tmp, "%.*s.%s.XXXXXX", dir_len, path, slash ? slash + 1 : path) >=
        (int)sizeof tmp)
        return tendo_error_set(err, TENDO_EUSAGE, "output path too long: %s", path);
    int fd = mkstemp(tmp);
    if (fd < 0)
        return tendo_error_set(err, TENDO_ECANTCREAT, "cannot create %s: %s", path,
                               strerror(errno));
    /* mkstemp makes the file private; a report is as readable as any file
     * the user creates (the umask decides). */
    mode_t mask = umask(0);
    umask(mask);
    if (fchmod(fd, 0666 & ~mask) != 0) {
        int e = errno;
        close(fd);
        unlink(tmp);
        return tendo_error_set(err, TENDO_EIO, "cannot set the mode of %s: %s", tmp, strerror(e));
    }
    FILE *f = fdopen(fd, "w");
    int ok = f && fwrite(b->s ? b->s : "", 1, b->len, f) == b->len && fflush(f) == 0 &&
             fsync(fileno(f)) == 0;
    int saved = errno;
    if (f)
        ok = fclose(f) == 0 && ok;
    else
        close(fd);
    if (!ok) {
        unlink(tmp);
        return tendo_error_set(err, TENDO_EIO, "writing %s failed: %s", path, strerror(saved));
    }
    if (rename(tmp, path) != 0) {
        saved = errno;
        unlink(tmp);
        return tendo_error_set(err, TENDO_EIO, "cannot rename %s to %s: %s", tmp, path,
                               strerror(saved));
    }
    return TENDO_OK;
}
