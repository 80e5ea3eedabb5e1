/* sobel_image: the Sobel edge image of a grayscale picture, computed twice, with the original C
 * function (datasets/programs/sobel.c) and with its compnet surrogate through libcompnet, and the
 * ParrotBench image difference between the two.
 *
 *   sobel_image IMAGE.pgm MODEL.cpn [EDGES.pgm]
 *
 * IMAGE.pgm is a binary PGM (P5, 8 or 16 bits); pixels become luminance sample / (maxval + 1),
 * as the sobel data set makes them. Each pixel's 3x3 window (edges replicated) goes through the
 * surrogate's domain guard: inside the trained domain the surrogate runs, outside it the original
 * function does. The optional EDGES.pgm receives the surrogate's edge image (0.7071 -> 255).
 *
 * Build (static library; see docs/c-abi.md for the shared library and pkg-config):
 *   cc -O2 -I edge-runtime/capi/include edge-runtime/capi/examples/sobel_image.c \
 *      datasets/programs/sobel.c target/release/libcompnet.a -lm -lpthread -ldl -o sobel_image */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compnet.h"

/* The original function (datasets/programs/sobel.c). */
float sobel(float p0, float p1, float p2, float p3, float p4, float p5, float p6, float p7, float p8);

#define SOBEL_MAX 0.7071f

/* The fallback of the domain guard: the original function on the same buffers. */
static void sobel_fallback(const float *x, size_t n_in, float *y, size_t n_out, void *user) {
    (void)n_in;
    (void)n_out;
    (void)user;
    y[0] = sobel(x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7], x[8]);
}

static int fail(const char *what, const char *detail) {
    fprintf(stderr, "sobel_image: %s: %s\n", what, detail);
    return 1;
}

/* The whole file in a malloc'd buffer; NULL on error. */
static uint8_t *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    uint8_t *buf = NULL;
    size_t cap = 0, n = 0;
    for (;;) {
        if (n == cap) {
            cap = cap ? 2 * cap : 1 << 16;
            uint8_t *grown = realloc(buf, cap);
            if (!grown) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = grown;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) break;
    }
    int error = ferror(f);
    fclose(f);
    if (error) {
        free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}

/* Next header field of a PGM (skipping whitespace and # comments); -1 if none. */
static long pgm_field(const uint8_t *b, size_t len, size_t *pos) {
    for (;;) {
        while (*pos < len && (b[*pos] == ' ' || b[*pos] == '\t' || b[*pos] == '\r' || b[*pos] == '\n')) ++*pos;
        if (*pos < len && b[*pos] == '#') {
            while (*pos < len && b[*pos] != '\n') ++*pos;
            continue;
        }
        break;
    }
    long v = 0;
    size_t start = *pos;
    while (*pos < len && b[*pos] >= '0' && b[*pos] <= '9' && v < 1000000) v = 10 * v + (b[(*pos)++] - '0');
    return *pos > start ? v : -1;
}

typedef struct {
    long width, height;
    float *lum; /* width * height luminances, row-major */
    long maxval;
} image;

/* Parses a binary PGM into luminances sample / (maxval + 1). Returns an error text or NULL. */
static const char *parse_pgm(const uint8_t *b, size_t len, image *img) {
    size_t pos = 2;
    if (len < 2 || b[0] != 'P' || b[1] != '5') return "not a binary PGM (P5) file";
    long w = pgm_field(b, len, &pos), h = pgm_field(b, len, &pos), maxval = pgm_field(b, len, &pos);
    if (w <= 0 || h <= 0 || maxval <= 0 || maxval > 65535) return "bad PGM header";
    pos++; /* the single whitespace after maxval */
    size_t bytes = maxval > 255 ? 2 : 1;
    size_t n = (size_t)w * (size_t)h;
    if (pos > len || (len - pos) / bytes < n) return "PGM pixel data truncated";
    img->lum = malloc(n * sizeof(float));
    if (!img->lum) return "out of memory";
    for (size_t i = 0; i < n; i++) {
        unsigned v = bytes == 1 ? b[pos + i] : (unsigned)b[pos + 2 * i] << 8 | b[pos + 2 * i + 1];
        img->lum[i] = (float)v / (float)(maxval + 1);
    }
    img->width = w;
    img->height = h;
    img->maxval = maxval;
    return NULL;
}

/* The 3x3 window around (x, y), row-major, edges replicated. */
static void window(const image *img, long x, long y, float w[9]) {
    for (int k = 0; k < 9; k++) {
        long xx = x + k % 3 - 1, yy = y + k / 3 - 1;
        xx = xx < 0 ? 0 : xx >= img->width ? img->width - 1 : xx;
        yy = yy < 0 ? 0 : yy >= img->height ? img->height - 1 : yy;
        w[k] = img->lum[yy * img->width + xx];
    }
}

static float edge(float v) { return v < 0.0f ? 0.0f : v > SOBEL_MAX ? SOBEL_MAX : v; }

int main(int argc, char **argv) {
    if (argc != 3 && argc != 4) {
        fprintf(stderr, "usage: %s IMAGE.pgm MODEL.cpn [EDGES.pgm]\n", argv[0]);
        return 2;
    }
    size_t image_len = 0, blob_len = 0;
    uint8_t *image_bytes = read_file(argv[1], &image_len);
    if (!image_bytes) return fail(argv[1], "cannot read the file");
    image img = {0};
    const char *err = parse_pgm(image_bytes, image_len, &img);
    free(image_bytes);
    if (err) return fail(argv[1], err);

    /* The blob stays allocated until the end: the handle refers to it. */
    uint8_t *blob = read_file(argv[2], &blob_len);
    if (!blob) return fail(argv[2], "cannot read the file");
    compnet_surrogate model = {0};
    compnet_status st = compnet_open(&model, blob, blob_len);
    if (st != COMPNET_OK) return fail(argv[2], compnet_status_str(st));
    if (compnet_n_in(&model) != 9 || compnet_n_out(&model) != 1) return fail(argv[2], "not a 9 -> 1 (sobel) surrogate");
    char name[64], signature[256];
    compnet_name(&model, name, sizeof name);           /* truncation is fine for display */
    compnet_signature(&model, signature, sizeof signature);

    size_t n = (size_t)img.width * (size_t)img.height;
    float *original = malloc(n * sizeof(float)), *surrogate = malloc(n * sizeof(float));
    if (!original || !surrogate) return fail("sobel_image", "out of memory");
    size_t on_surrogate = 0, on_fallback = 0;
    for (long y = 0; y < img.height; y++) {
        for (long x = 0; x < img.width; x++) {
            size_t i = (size_t)y * (size_t)img.width + (size_t)x;
            float w[9];
            window(&img, x, y, w);
            original[i] = sobel(w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7], w[8]);
            compnet_path path;
            st = compnet_eval_or_fallback(&model, w, 9, &surrogate[i], 1, sobel_fallback, NULL, &path);
            if (st != COMPNET_OK) return fail("compnet_eval_or_fallback", compnet_status_str(st));
            if (path == COMPNET_PATH_SURROGATE) on_surrogate++; else on_fallback++;
        }
    }

    double sum_sq = 0.0, mean_o = 0.0, mean_s = 0.0;
    float max_o = 0.0f, max_s = 0.0f;
    for (size_t i = 0; i < n; i++) {
        float eo = edge(original[i]), es = edge(surrogate[i]);
        double d = (double)eo - (double)es;
        sum_sq += d * d;
        mean_o += eo;
        mean_s += es;
        max_o = eo > max_o ? eo : max_o;
        max_s = es > max_s ? es : max_s;
    }
    double difference = sqrt(sum_sq / (double)n) / (double)SOBEL_MAX;
    printf("image: %s, %ld x %ld pixels (maxval %ld)\n", argv[1], img.width, img.height, img.maxval);
    printf("surrogate: %s, 9 -> 1, widest layer %zu, replaces: %s\n", name, compnet_max_width(&model), signature);
    printf("domain guard: %zu pixels on the surrogate, %zu on the fallback (original function)\n", on_surrogate,
           on_fallback);
    printf("original edge image: mean %.6f, max %.6f\n", mean_o / (double)n, (double)max_o);
    printf("surrogate edge image: mean %.6f, max %.6f\n", mean_s / (double)n, (double)max_s);
    printf("image difference: %.2f %%\n", 100.0 * difference);
    printf("rms difference / 0.7071: %.10f\n", difference);

    if (argc == 4) {
        FILE *f = fopen(argv[3], "wb");
        if (!f) return fail(argv[3], "cannot create the file");
        fprintf(f, "P5\n%ld %ld\n255\n", img.width, img.height);
        for (size_t i = 0; i < n; i++) fputc((int)(edge(surrogate[i]) / SOBEL_MAX * 255.0f + 0.5f), f);
        if (fclose(f) != 0) return fail(argv[3], "cannot write the file");
    }
    free(original);
    free(surrogate);
    free(img.lum);
    free(blob);
    return 0;
}
