/*
 * batch_journal.c — the append-only journal (see batch_journal.h).
 */
#include "batch_journal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "batch_output.h"

struct batch_journal {
    int fd;
    char *path;
};

/* Parses the journal's text: entries of the complete, valid lines, and the
 * length of the text up to the end of the last good line. */
static int parse(const char *path, const char *text, size_t len, cJSON **entries, size_t *good,
                 tendo_error *err)
{
    cJSON *arr = cJSON_CreateArray();
    if (!arr)
        return tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
    size_t pos = 0;
    *good = 0;
    long line = 0;
    while (pos < len) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        line++;
        if (!nl)
            break; /* the last line was cut short: ignored, and cut off */
        cJSON *o = cJSON_ParseWithLength(text + pos, (size_t)(nl - text - pos));
        if (!o) {
            if ((size_t)(nl - text) + 1 < len) { /* damage before the end: not ours */
                cJSON_Delete(arr);
                return tendo_error_set(err, TENDO_EDATA,
                                       "%s:%ld: not a journal line; the file is damaged. Move "
                                       "it away and run the batch with --force to start over",
                                       path, line);
            }
            break;
        }
        if (cJSON_IsObject(o) && cJSON_IsString(cJSON_GetObjectItemCaseSensitive(o, "file")))
            cJSON_AddItemToArray(arr, o);
        else
            cJSON_Delete(o);
        pos = (size_t)(nl - text) + 1;
        *good = pos;
    }
    *entries = arr;
    return TENDO_OK;
}

static int read_all(const char *path, int fd, char **text, size_t *len, tendo_error *err)
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        return tendo_error_set(err, TENDO_EIO, "%s: %s", path, strerror(errno));
    *len = (size_t)st.st_size;
    *text = malloc(*len + 1);
    if (!*text)
        return tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
    size_t got = 0;
    while (got < *len) {
        ssize_t n = pread(fd, *text + got, *len - got, (off_t)got);
        if (n <= 0) {
            free(*text);
            *text = NULL;
            return tendo_error_set(err, TENDO_EIO, "reading %s: %s", path,
                                   n < 0 ? strerror(errno) : "file shrank");
        }
        got += (size_t)n;
    }
    (*text)[*len] = '\0';
    return TENDO_OK;
}

int batch_journal_load(const char *path, cJSON **entries, tendo_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return tendo_error_set(err, errno == ENOENT ? TENDO_ENOINPUT : TENDO_EIO,
                               "cannot open %s: %s", path, strerror(errno));
    char *text = NULL;
    size_t len = 0, good = 0;
    int rc = read_all(path, fd, &text, &len, err);
    close(fd);
    if (rc == TENDO_OK)
        rc = parse(path, text, len, entries, &good, err);
    free(text);
    return rc;
}

int batch_journal_open(const char *path, int fresh, batch_journal **out, cJSON **entries,
                       tendo_error *err)
{
    *out = NULL;
    if (entries)
        *entries = NULL;
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | (fresh ? O_TRUNC : 0), 0644);
    if (fd < 0)
        return tendo_error_set(err, TENDO_ECANTCREAT, "cannot open the journal %s: %s", path,
                               strerror(errno));
    char *text = NULL;
    size_t len = 0, good = 0;
    cJSON *arr = NULL;
    int rc = read_all(path, fd, &text, &len, err);
    if (rc == TENDO_OK)
        rc = parse(path, text, len, &arr, &good, err);
    free(text);
    /* cut a torn last line off, so the next entry starts on a line of its own */
    if (rc == TENDO_OK && good < len && (ftruncate(fd, (off_t)good) != 0 || fsync(fd) != 0))
        rc = tendo_error_set(err, TENDO_EIO, "cannot repair the journal %s: %s", path,
                             strerror(errno));
    if (rc == TENDO_OK && lseek(fd, 0, SEEK_END) < 0)
        rc = tendo_error_set(err, TENDO_EIO, "%s: %s", path, strerror(errno));
    if (rc == TENDO_OK)
        rc = batch_fsync_dir_of(path, err); /* the journal's own name survives power loss */
    batch_journal *j = rc == TENDO_OK ? calloc(1, sizeof *j) : NULL;
    if (rc == TENDO_OK && (!j || !(j->path = strdup(path))))
        rc = tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
    if (rc != TENDO_OK) {
        free(j);
        cJSON_Delete(arr);
        close(fd);
        return rc;
    }
    j->fd = fd;
    *out = j;
    if (entries)
        *entries = arr;
    else
        cJSON_Delete(arr);
    return TENDO_OK;
}

int batch_journal_append(batch_journal *j, const char *entry, tendo_error *err)
{
    size_t len = strlen(entry);
    char *line = malloc(len + 1);
    if (!line)
        return tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
    memcpy(line, entry, len);
    line[len] = '\n';
    /* one write of the whole line: a crash leaves it whole or torn at the
     * end, never interleaved */
    size_t done = 0;
    while (done < len + 1) {
        ssize_t n = write(j->fd, line + done, len + 1 - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            free(line);
            return tendo_error_set(err, TENDO_EIO, "writing the journal %s: %s", j->path,
                                   n < 0 ? strerror(errno) : "no progress");
        }
        done += (size_t)n;
    }
    free(line);
    if (fsync(j->fd) != 0)
        return tendo_error_set(err, TENDO_EIO, "fsync of the journal %s: %s", j->path,
                               strerror(errno));
    return TENDO_OK;
}

void batch_journal_close(batch_journal *j)
{
    if (!j)
        return;
    close(j->fd);
    free(j->path);
    free(j);
}
