/*
 * diary_csv.h — the diary's CSV import file: header row with the columns
 * date, pain, pain_24h (or pain-24h), stiffness, note and, optionally,
 * athlete (names case-insensitive, any order, other columns refused so a
 * typo cannot drop data). Empty score or note fields mean "not given".
 * RFC 4180 quoting; CRLF and a UTF-8 byte order mark are accepted.
 *
 * The whole file is read and every row checked before anything is written:
 * a bad row rejects the file (the message names the line and field).
 */
#ifndef TENDO_DIARY_CSV_H
#define TENDO_DIARY_CSV_H

#include <stddef.h>

#include "tendo_catalog_training.h"

/* Reads path into entries (malloc'ed). default_athlete fills rows without
 * an athlete column or with the field empty (NULL: the column is then
 * required). Checks ranges, dates, and that each athlete's dates strictly
 * increase down the file. TENDO_ENOINPUT if the file cannot be opened,
 * TENDO_EDATA for a malformed file. */
int diary_csv_read(const char *path, const char *default_athlete, tendo_diary_entry **out,
                   size_t *n, tendo_error *err);

#endif
