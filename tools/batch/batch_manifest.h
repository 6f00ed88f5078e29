/*
 * batch_manifest.h — the manifest: a CSV listing a study's files with
 * per-file options, so foreign data (other sensors' CSV, other rates,
 * units and placements, left/right file pairs) runs in one batch.
 *
 *   file,format,side,pair,rate,placement,accel_unit,gyro_unit,athlete,start,mass
 *   s01/run1.h5,,,,,,,,A01,,
 *   shank/p07_L.csv,csv,left,shank/p07_R.csv,500,shank,g,deg/s,P07,2024-03-01T09:00:00Z,71
 *
 * A header row names the columns (any case, any order; `file` is required,
 * the others optional); blank lines and lines starting with '#' are skipped.
 * Paths are relative to the manifest's folder. Every field is checked and a
 * mistake stops the batch before it starts, naming MANIFEST:LINE and the
 * column (docs/batch.md lists the columns and their values).
 */
#ifndef TENDO_BATCH_MANIFEST_H
#define TENDO_BATCH_MANIFEST_H

#include <stddef.h>

#include "batch_job.h"
#include "tendo_error.h"

/* Reads the manifest at path into jobs (malloc'ed array of *n, each
 * completed from defaults: placement, mass_kg, damage_k; params made).
 * TENDO_ENOINPUT when it cannot be opened, TENDO_EDATA for any mistake. */
int batch_manifest_read(const char *path, const batch_job *defaults, batch_job **jobs, size_t *n,
                        tendo_error *err);

#endif
