/*
 * tendo_csv.h — sensor samples as CSV: a streaming reader for other
 * sensors' files (columns found by header name) and the exporter of a
 * session's pods.
 *
 * Column convention (header row required, names case-insensitive, order free):
 *   t            optional, seconds (any origin; kept as relative sample times)
 *   ax, ay, az   required, acceleration
 *   gx, gy, gz   optional, angular rate (all three or none)
 * Other columns are ignored. Errors name the file and the line.
 *
 * Reader details (csv_reader.c): CRLF line endings, a UTF-8 byte order mark,
 * RFC 4180 quotes and blanks around fields are accepted; blank lines are
 * skipped. Refused as TENDO_EDATA: a line over 64 KiB, a NUL byte (binary or
 * UTF-16 data), a field count different from the header's, an empty or
 * non-decimal number (NaN, inf, hex, "9,81" decimal commas), a value beyond
 * float32, |t| > 1e9 s, t not increasing by at least 1 µs, and a file with
 * no data rows. Numbers are parsed in the "C" locale whatever the program's.
 */
#ifndef TENDO_CSV_H
#define TENDO_CSV_H

#include <stddef.h>

#include "tendo_error.h"
#include "tendo_session.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum tendo_accel_unit { TENDO_ACCEL_MPS2 = 0, TENDO_ACCEL_G = 1 } tendo_accel_unit;
typedef enum tendo_gyro_unit { TENDO_GYRO_DPS = 0, TENDO_GYRO_RADPS = 1 } tendo_gyro_unit;

typedef struct tendo_csv_options {
    tendo_accel_unit accel_unit; /* default m/s² */
    tendo_gyro_unit gyro_unit;   /* default °/s */
} tendo_csv_options;

typedef struct tendo_csv_reader tendo_csv_reader;

/* Opens path and parses its header. TENDO_ENOINPUT if it cannot be opened,
 * TENDO_EDATA if the header lacks ax/ay/az or has only some of gx/gy/gz. */
int tendo_csv_open(tendo_csv_reader **out, const char *path, const tendo_csv_options *opt,
                   tendo_error *err);
void tendo_csv_close(tendo_csv_reader *r);

int tendo_csv_has_time(const tendo_csv_reader *r);
int tendo_csv_has_gyro(const tendo_csv_reader *r);

/* Reads up to max rows. Outputs (each may be NULL): t_s[n] seconds as in the
 * file, accel[3n] m/s², gyro[3n] rad/s. *n is set to the rows read; 0 means
 * end of file. A malformed row (wrong field count, not a finite number, time
 * not increasing) is TENDO_EDATA naming the file and line. */
int tendo_csv_read(tendo_csv_reader *r, size_t max, double *t_s, float *accel, float *gyro,
                   size_t *n, tendo_error *err);

/* Cuts the next field out of a line in place, by the rules of the reader:
 * blanks around it removed, RFC 4180 quotes removed ("" is one quote).
 * *cursor advances past the comma, or becomes NULL after the last field.
 * Returns the field, or NULL with *bad set to a reason for a malformed
 * quote. For other CSV files tendo reads (the batch manifest). */
char *tendo_csv_split_field(char **cursor, const char **bad);

/* Writes one pod of an open session as CSV (t,ax,ay,az[,gx,gy,gz]) in SI
 * units, t in seconds since the session's start_time_us, values printed so
 * that float32 data re-imports bit for bit. Written to a temporary name and
 * renamed into place. */
int tendo_csv_export_pod(tendo_reader *r, size_t pod_index, const char *path,
                         tendo_error *err);

#ifdef __cplusplus
}
#endif
#endif
