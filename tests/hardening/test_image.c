/*
 * tendo_reader_open_image / tendo_validate_image (formats/): a file held in
 * memory gives exactly what the same file on disk gives — same code, same
 * report, same message (with the name swapped) — for every file of the
 * bad-file corpus; plus the core driver's pitfalls: a name that exists on
 * disk, two images open at once, empty and NULL images.
 *
 *   test_image CORPUS_DIR   (tests/formats/bad, with expected.tsv)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tendo_check.h"
#include "tendo_session.h"

/* Same file from disk and from memory: same outcome. Returns the code. */
static int compare_one(const char *dir, const char *file)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    size_t size = 0;
    unsigned char *image = tendo_check_slurp(path, &size);
    CHECK(image != NULL, "cannot read %s", path);
    if (!image)
        return 1;
    tendo_report on_disk, in_memory;
    tendo_error e1, e2;
    tendo_error_clear(&e1);
    tendo_error_clear(&e2);
    memset(&on_disk, 0, sizeof on_disk);
    memset(&in_memory, 0, sizeof in_memory);
    int rc1 = tendo_validate(path, &on_disk, &e1);
    /* The name labels messages: give the path, so the messages must match. */
    int rc2 = tendo_validate_image(image, size, path, &in_memory, &e2);
    CHECK(rc1 == rc2, "%s: from disk %d, from memory %d (%s | %s)", file, rc1, rc2, e1.msg,
          e2.msg);
    if (rc1 == TENDO_OK && rc2 == TENDO_OK)
        CHECK(!memcmp(&on_disk, &in_memory, sizeof on_disk), "%s: reports differ", file);
    else if (strstr(e1.msg, "HDF5:") == NULL) /* HDF5's own detail names its driver */
        CHECK(!strcmp(e1.msg, e2.msg), "%s: '%s' vs '%s'", file, e1.msg, e2.msg);
    free(image);
    return rc1;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: test_image CORPUS_DIR\n");
        return 2;
    }
    char tsv[1024], line[512];
    snprintf(tsv, sizeof tsv, "%s/expected.tsv", argv[1]);
    FILE *f = fopen(tsv, "r");
    CHECK(f != NULL, "cannot open %s", tsv);
    int files = 0, good = 0;
    while (f && fgets(line, sizeof line, f)) {
        char name[256];
        int code;
        if (line[0] == '#' || sscanf(line, "%255s %d", name, &code) != 2)
            continue;
        int rc = compare_one(argv[1], name);
        CHECK((rc == TENDO_OK) == (code == 0), "%s: code %d, expected exit %d", name, rc, code);
        good += rc == TENDO_OK;
        files++;
    }
    if (f)
        fclose(f);
    CHECK(files > 20 && good >= 3, "only %d files (%d good) in the corpus", files, good);

    /* Two images open at once stay two files (HDF5 would merge same-named
     * files), and the caller's buffer may go away after open. */
    char p1[1024], p2[1024];
    snprintf(p1, sizeof p1, "%s/good-int16.h5", argv[1]);
    snprintf(p2, sizeof p2, "%s/good-float32.h5", argv[1]);
    size_t n1, n2;
    unsigned char *i1 = tendo_check_slurp(p1, &n1), *i2 = tendo_check_slurp(p2, &n2);
    tendo_reader *r1 = NULL, *r2 = NULL;
    tendo_error err;
    tendo_error_clear(&err);
    CHECK(i1 && i2 && tendo_reader_open_image(&r1, i1, n1, "same-name", &err) == TENDO_OK &&
              tendo_reader_open_image(&r2, i2, n2, "same-name", &err) == TENDO_OK,
          "%s", err.msg);
    free(i1);
    free(i2);
    if (r1 && r2) {
        CHECK(tendo_reader_pod(r1, 0)->storage == TENDO_STORE_INT16);
        CHECK(tendo_reader_pod(r2, 0)->storage == TENDO_STORE_FLOAT32);
        int64_t t[4];
        float a[12];
        tendo_block blk = {4, t, a, NULL, NULL};
        CHECK(tendo_reader_read_si(r1, 0, 10, &blk, &err) == TENDO_OK, "%s", err.msg);
        CHECK(t[0] == 1767225600000000 + 10 * 10000, "time %lld", (long long)t[0]);
    }
    tendo_reader_close(r1);
    tendo_reader_close(r2);

    /* Empty, NULL and non-HDF5 images: bad data, not a crash. */
    tendo_reader *r = NULL;
    tendo_error_clear(&err);
    CHECK(tendo_reader_open_image(&r, "", 0, "empty.h5", &err) == TENDO_EDATA && !r);
    CHECK(strstr(err.msg, "empty.h5: not an HDF5 file") != NULL, "%s", err.msg);
    tendo_error_clear(&err);
    CHECK(tendo_reader_open_image(&r, NULL, 100, NULL, &err) == TENDO_EDATA && !r);
    tendo_error_clear(&err);
    CHECK(tendo_validate_image("\x89HDF\r\n\x1a\nrest", 12, "short.h5", NULL, &err) ==
              TENDO_EDATA,
          "%s", err.msg);
    CHECK(strstr(err.msg, "short.h5: the HDF5 file is damaged or truncated") != NULL, "%s",
          err.msg);
    return tendo_check_report("test_image");
}
