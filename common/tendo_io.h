/*
 * tendo_io.h — whole reads and writes on file descriptors (pipes, spools,
 * output files), retried across EINTR and short transfers.
 */
#ifndef TENDO_IO_H
#define TENDO_IO_H

#include <stddef.h>

/* Writes all len bytes. Returns 0, or -1 with errno set (EIO when write
 * made no progress). */
int tendo_write_all(int fd, const void *data, size_t len);

/* Reads exactly len bytes. Returns 0, or -1 with errno set (0 at end of
 * file before len bytes). */
int tendo_read_all(int fd, void *data, size_t len);

#endif
