/*
 * test_csv_reader.c — the CSV reader on small files written by the test:
 * what it accepts (and the exact numbers it returns), and that every kind of
 * malformed file is TENDO_EDATA naming FILE:LINE.
 *
 * usage: test_csv_reader SCRATCH_DIR
 */
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tendo_csv.h"
#include "tendo_check.h"

static char scratch[1024];


/* Writes len bytes to SCRATCH/name and returns the path (static buffer). */
static const char *put_file(const char *name, const char *bytes, size_t len)
{
    static char path[2048];
    snprintf(path, sizeof path, "%s/%s", scratch, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(bytes, 1, len, f) != len || fclose(f) != 0) {
        perror(path);
        exit(2);
    }
    return path;
}

static const char *put_text(const char *name, const char *text)
{
    return put_file(name, text, strlen(text));
}

/* Opens and reads the whole file in chunks of `chunk` rows; returns the
 * first failure code (or TENDO_OK) and the rows read in *rows. */
static int read_all(const char *path, const tendo_csv_options *opt, size_t chunk, size_t *rows,
                    double *t, float *accel, float *gyro, size_t cap, tendo_error *err)
{
    tendo_csv_reader *r = NULL;
    tendo_error_clear(err);
    *rows = 0;
    int rc = tendo_csv_open(&r, path, opt, err);
    while (rc == TENDO_OK) {
        size_t n = 0, want = chunk;
        if (*rows + want > cap)
            want = cap - *rows;
        rc = tendo_csv_read(r, want, t ? t + *rows : NULL, accel ? accel + 3 * *rows : NULL,
                            gyro ? gyro + 3 * *rows : NULL, &n, err);
        if (rc != TENDO_OK || n == 0)
            break;
        *rows += n;
    }
    tendo_csv_close(r);
    return rc;
}

/* A malformed file: EDATA, and the message starts with "PATH:LINE:". */
static void expect_bad(const char *name, const char *path, int line, const char *needle)
{
    tendo_error err;
    size_t rows;
    float accel[300], gyro[300];
    double t[100];
    int rc = read_all(path, NULL, 7, &rows, t, accel, gyro, 100, &err);
    char where[2100];
    snprintf(where, sizeof where, "%s:%d: ", path, line);
    CHECK(rc == TENDO_EDATA, "%s: rc %d, expected TENDO_EDATA (msg: %s)", name, rc, err.msg);
    CHECK(!strncmp(err.msg, where, strlen(where)), "%s: message does not start with '%s': %s",
          name, where, err.msg);
    CHECK(strstr(err.msg, needle) != NULL, "%s: message lacks '%s': %s", name, needle, err.msg);
    printf("ok  %-22s %s\n", name, err.msg);
}

static void test_good_file(void)
{
    /* BOM, CRLF, quoted and padded header names in mixed case, extra columns
     * anywhere, quoted numbers, blank trailing line, no final newline. */
    const char *text = "\xEF\xBB\xBF"
                       "idx, \"T\" ,AX,\"ay\",note,aZ,Gx,gy,GZ\r\n"
                       "0,0.0,9.81,-0.5,hello,1e-3,90,-180,0\r\n"
                       "1,0.005, 9.80 ,\"-0.25\",\"a, b\",2E-3,45,0.5,-0\r\n"
                       "\r\n"
                       "2,0.010,+9.79,0,,3e-3,0,0,360";
    const char *path = put_text("good.csv", text);
    tendo_error err;
    double t[8];
    float a[24], g[24];
    size_t rows;
    int rc = read_all(path, NULL, 1, &rows, t, a, g, 8, &err);
    CHECK(rc == TENDO_OK, "good.csv: %s", err.msg);
    CHECK(rows == 3, "good.csv: %zu rows", rows);
    CHECK(t[0] == 0.0 && t[1] == 0.005 && t[2] == 0.010, "t %g %g %g", t[0], t[1], t[2]);
    CHECK(a[0] == 9.81f && a[1] == -0.5f && a[2] == 1e-3f, "row 0 accel %g %g %g", a[0], a[1],
          a[2]);
    CHECK(a[3] == 9.80f && a[4] == -0.25f && a[5] == 2e-3f, "row 1 accel");
    CHECK(a[6] == 9.79f && a[7] == 0.0f && a[8] == 3e-3f, "row 2 accel");
    /* °/s → rad/s, computed in double then rounded once to float. */
    const double d2r = 3.14159265358979323846 / 180.0;
    CHECK(g[0] == (float)(90 * d2r) && g[1] == (float)(-180 * d2r) && g[2] == 0.0f,
          "row 0 gyro %.9g %.9g", g[0], g[1]);
    CHECK(g[5] == 0.0f && signbit(g[5]), "-0 keeps its sign");
    CHECK(g[8] == (float)(360 * d2r), "row 2 gz %.9g", g[8]);

    tendo_csv_reader *r = NULL;
    tendo_error_clear(&err);
    CHECK(tendo_csv_open(&r, path, NULL, &err) == TENDO_OK, "%s", err.msg);
    CHECK(r && tendo_csv_has_time(r) && tendo_csv_has_gyro(r), "has t and gyro");
    size_t n = 99;
    CHECK(tendo_csv_read(r, 100, NULL, NULL, NULL, &n, &err) == TENDO_OK && n == 3,
          "NULL outputs allowed, n=%zu", n);
    CHECK(tendo_csv_read(r, 100, NULL, NULL, NULL, &n, &err) == TENDO_OK && n == 0,
          "then end of file");
    tendo_csv_close(r);
    printf("ok  good file (BOM, CRLF, quotes, extra columns)\n");
}

static void test_units_and_accel_only(void)
{
    const char *path = put_text("accel_only_g.csv", "az,ay,ax\n1,0,-0.5\n2,0.25,1\n");
    tendo_csv_options opt = {TENDO_ACCEL_G, TENDO_GYRO_RADPS};
    tendo_csv_reader *r = NULL;
    tendo_error err;
    tendo_error_clear(&err);
    CHECK(tendo_csv_open(&r, path, &opt, &err) == TENDO_OK, "%s", err.msg);
    CHECK(r && !tendo_csv_has_time(r) && !tendo_csv_has_gyro(r), "no t, no gyro");
    float a[6];
    size_t n = 0;
    CHECK(r && tendo_csv_read(r, 2, NULL, a, NULL, &n, &err) == TENDO_OK && n == 2, "%s",
          err.msg);
    /* Columns in any order; g × 9.80665 (standard gravity). */
    CHECK(a[0] == (float)(-0.5 * 9.80665) && a[1] == 0.0f && a[2] == (float)9.80665,
          "row 0 %.9g %.9g %.9g", a[0], a[1], a[2]);
    CHECK(a[3] == (float)9.80665 && a[4] == (float)(0.25 * 9.80665) &&
              a[5] == (float)(2 * 9.80665),
          "row 1");
    tendo_csv_close(r);

    path = put_text("gyro_rad.csv", "t,ax,ay,az,gx,gy,gz\n0,1,2,3,0.1,-0.2,3.5\n");
    float g[3];
    size_t rows;
    CHECK(read_all(path, &opt, 4, &rows, NULL, NULL, g, 1, &err) == TENDO_OK && rows == 1,
          "%s", err.msg);
    CHECK(g[0] == 0.1f && g[1] == -0.2f && g[2] == 3.5f, "rad/s kept as is");
    printf("ok  units (g, rad/s) and accelerometer-only\n");
}

/* A 10-row file read in chunks of 3: times continue across calls, and the
 * increasing-time check spans chunk borders. */
static void test_chunks(void)
{
    char text[1024] = "t,ax,ay,az\n";
    for (int i = 0; i < 10; i++)
        snprintf(text + strlen(text), sizeof text - strlen(text), "%d.5,%d,0,0\n", i, i);
    const char *path = put_text("chunks.csv", text);
    double t[10];
    float a[30];
    size_t rows;
    tendo_error err;
    CHECK(read_all(path, NULL, 3, &rows, t, a, NULL, 10, &err) == TENDO_OK && rows == 10, "%s",
          err.msg);
    for (int i = 0; i < 10; i++)
        CHECK(t[i] == i + 0.5 && a[3 * i] == (float)i, "row %d", i);

    /* The decrease sits exactly on a chunk border (rows 3 → 4). */
    path = put_text("chunk_border.csv", "t,ax,ay,az\n1,0,0,0\n2,0,0,0\n3,0,0,0\n2.5,0,0,0\n");
    tendo_error_clear(&err);
    CHECK(read_all(path, NULL, 3, &rows, t, a, NULL, 10, &err) == TENDO_EDATA &&
              strstr(err.msg, "chunk_border.csv:5:"),
          "decrease across chunks: %s", err.msg);
    printf("ok  chunked reading\n");
}

static void test_bad_files(void)
{
    expect_bad("missing ax", put_text("no_ax.csv", "t,ay,az\n0,1,2\n"), 1, "no 'ax' column");
    expect_bad("no header", put_text("nohead.csv", "0,1,2,3\n0.1,1,2,3\n"), 1, "header row");
    expect_bad("partial gyro", put_text("gx_only.csv", "ax,ay,az,gx\n0,1,2,3\n"), 1, "gx,gy,gz");
    expect_bad("duplicate column", put_text("dup.csv", "ax,ay,az,AX\n0,1,2,3\n"), 1, "twice");
    expect_bad("short row", put_text("short.csv", "t,ax,ay,az\n0,1,2,3\n0.1,1,2\n"), 3,
               "3 fields, but the header has 4");
    expect_bad("long row", put_text("long.csv", "t,ax,ay,az\n0,1,2,3,4\n"), 2,
               "5 fields, but the header has 4");
    expect_bad("empty field", put_text("empty_field.csv", "t,ax,ay,az\n0,1,,3\n"), 2,
               "'ay' is empty");
    expect_bad("text", put_text("text.csv", "t,ax,ay,az\n0,1,2,3\n0.1,1,abc,3\n"), 3,
               "'ay' is 'abc', not a number");
    expect_bad("hex", put_text("hex.csv", "t,ax,ay,az\n0,0x1p3,2,3\n"), 2, "not a number");
    expect_bad("trailing junk", put_text("junk.csv", "t,ax,ay,az\n0,1.5.3,2,3\n"), 2,
               "not a number");
    expect_bad("NaN", put_text("nan.csv", "t,ax,ay,az\n0,1,2,3\n0.1,NaN,2,3\n"), 3, "NaN");
    expect_bad("-inf", put_text("inf.csv", "t,ax,ay,az\n0,1,2,-inf\n"), 2, "infinity");
    expect_bad("overflow", put_text("huge.csv", "t,ax,ay,az\n0,1e999,2,3\n"), 2, "out of range");
    expect_bad("float32 overflow", put_text("f32.csv", "t,ax,ay,az\n0,1e300,2,3\n"), 2,
               "float32");
    expect_bad("decreasing t", put_text("dec.csv", "t,ax,ay,az\n0,1,2,3\n1,1,2,3\n0.5,1,2,3\n"),
               4, "not later than");
    expect_bad("repeated t", put_text("rep.csv", "t,ax,ay,az\n0,1,2,3\n0,1,2,3\n"), 3,
               "not later than");
    expect_bad("sub-µs t", put_text("subus.csv", "t,ax,ay,az\n0,1,2,3\n0.0000001,1,2,3\n"), 3,
               "less than 1 µs");
    expect_bad("t in ns", put_text("ns.csv", "t,ax,ay,az\n1700000000000000000,1,2,3\n"), 2,
               "beyond");
    expect_bad("decimal comma", put_text("comma.csv", "t,ax,ay,az\n0,9,81,0,5,1,0\n"), 2,
               "decimal comma");
    expect_bad("quoted decimal comma", put_text("qcomma.csv", "t,ax,ay,az\n0,\"9,81\",0,1\n"),
               2, "decimal comma");
    expect_bad("semicolons", put_text("semi.csv", "t;ax;ay;az\n0;9,81;0;1\n"), 1, "';'");
    expect_bad("open quote", put_text("quote.csv", "t,ax,ay,az\n0,\"1,2,3\n"), 2, "not closed");
    expect_bad("empty file", put_text("empty.csv", ""), 1, "empty");
    expect_bad("header only", put_text("header.csv", "t,ax,ay,az\n"), 2, "no data rows");
    expect_bad("header + blanks", put_text("header2.csv", "t,ax,ay,az\r\n\r\n\n"), 4,
               "no data rows");

    static const char garbage[] = "t,ax,ay,az\n0,1,2,3\n\x7f\x45\x4c\x46\x02\x00\x01\xff\n";
    expect_bad("binary", put_file("garbage.csv", garbage, sizeof garbage - 1), 3, "NUL");
    static const char utf16[] = "\xff\xfe" "t\x00" ",\x00" "a\x00" "x\x00" "\n\x00";
    expect_bad("utf-16", put_file("utf16.csv", utf16, sizeof utf16 - 1), 1, "UTF-16");

    size_t big = 200000;
    char *line = malloc(big + 64);
    strcpy(line, "t,ax,ay,az\n0,1,2,3\n0.1,");
    size_t len = strlen(line);
    memset(line + len, '1', big);
    strcpy(line + len + big, ",2,3\n");
    expect_bad("very long line", put_text("longline.csv", line), 3, "longer than");
    free(line);
}

static void test_missing(void)
{
    tendo_csv_reader *r = NULL;
    tendo_error err;
    tendo_error_clear(&err);
    char path[2048];
    snprintf(path, sizeof path, "%s/does-not-exist.csv", scratch);
    CHECK(tendo_csv_open(&r, path, NULL, &err) == TENDO_ENOINPUT && r == NULL, "%s", err.msg);
    CHECK(strstr(err.msg, "does-not-exist.csv") != NULL, "names the file: %s", err.msg);
    tendo_error_clear(&err);
    CHECK(tendo_csv_open(&r, scratch, NULL, &err) == TENDO_ENOINPUT, "directory: %s", err.msg);
    printf("ok  missing file and directory\n");
}

/* A program that switched to a decimal-comma locale must still read '.'. */
static void test_locale(void)
{
    const char *names[] = {"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (!setlocale(LC_NUMERIC, names[i]))
            continue;
        const char *path = put_text("locale.csv", "ax,ay,az\n9.81,0.5,-1.25\n");
        float a[3];
        size_t rows;
        tendo_error err;
        CHECK(read_all(path, NULL, 1, &rows, NULL, a, NULL, 1, &err) == TENDO_OK &&
                  a[0] == 9.81f && a[1] == 0.5f && a[2] == -1.25f,
              "under %s: %s", names[i], err.msg);
        setlocale(LC_NUMERIC, "C");
        printf("ok  decimal point under locale %s\n", names[i]);
        return;
    }
    printf("--  no decimal-comma locale installed; locale check skipped\n");
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s SCRATCH_DIR\n", argv[0]);
        return 2;
    }
    snprintf(scratch, sizeof scratch, "%s", argv[1]);
    mkdir(scratch, 0777);
    test_good_file();
    test_units_and_accel_only();
    test_chunks();
    test_bad_files();
    test_missing();
    test_locale();
    if (failures)
        fprintf(stderr, "%d check(s) failed\n", failures);
    return failures ? 1 : 0;
}
