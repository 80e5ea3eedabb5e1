/* A C firmware: `main` in C calls the sobel surrogate through the runtime's C ABI
 * (edge-runtime/capi: compnet.h + libcompnet.a built for thumbv7em-none-eabihf) and checks it on the
 * device against the original C `sobel` on the 256 test inputs in flash, like the Rust firmware.
 * Output and exit status over semihosting (newlib's rdimon). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "compnet.h"

float sobel(float p0, float p1, float p2, float p3, float p4, float p5, float p6, float p7, float p8);

/* data.S: the blob and the test set, 4-byte aligned in flash. */
extern const uint8_t sobel_blob[], sobel_blob_end[];
extern const float sobel_inputs[], sobel_inputs_end[];

/* An f32 as 1.234e-05 without printf's float support (newlib-nano leaves it out). */
static void sci(char *out, float x) {
    int e = 0;
    const char *sign = x < 0 ? "-" : "";
    if (x != x) { strcpy(out, "NaN"); return; }
    if (x < 0) x = -x;
    if (x == 0) { sprintf(out, "%s0.000e+00", sign); return; }
    while (x >= 10.0f) { x /= 10.0f; e++; }
    while (x < 1.0f) { x *= 10.0f; e--; }
    unsigned m = (unsigned)(x * 1000.0f + 0.5f);
    if (m >= 10000) { m /= 10; e++; }
    sprintf(out, "%s%u.%03ue%c%02d", sign, m / 1000, m % 1000, e < 0 ? '-' : '+', e < 0 ? -e : e);
}

int main(void) {
    size_t blob_len = (size_t)(sobel_blob_end - sobel_blob);
    size_t cases = (size_t)(sobel_inputs_end - sobel_inputs) / 9;
    compnet_surrogate s;
    compnet_status st = compnet_open(&s, sobel_blob, blob_len);
    if (st != COMPNET_OK) {
        printf("error: sobel blob rejected: %s\n", compnet_status_str(st));
        return 1;
    }
    float sum_sq = 0, sum_abs = 0, max_abs = 0;
    for (size_t i = 0; i < cases; i++) {
        const float *x = &sobel_inputs[9 * i];
        float y = 0;
        st = compnet_eval(&s, x, 9, &y, 1);
        if (st != COMPNET_OK) {
            printf("error: surrogate evaluation failed: %s\n", compnet_status_str(st));
            return 1;
        }
        float c = sobel(x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7], x[8]);
        float d = y > c ? y - c : c - y;
        sum_sq += d * d;
        sum_abs += d;
        if (d > max_abs) max_abs = d;
    }
    /* The export error (test MSE) sits at byte 20 of the header (docs/blob-format.md). */
    float export_mse;
    memcpy(&export_mse, sobel_blob + 20, 4);
    float limit = 4 * export_mse > 1e-6f ? 4 * export_mse : 1e-6f;
    float mse = sum_sq / (float)cases;
    char a[16], b[16], m[16], l[16];
    sci(a, sum_abs / (float)cases);
    sci(b, max_abs);
    sci(m, mse);
    sci(l, limit);
    printf("sobel via compnet.h: %u test inputs, %u-byte blob\n", (unsigned)cases, (unsigned)blob_len);
    printf("  surrogate vs C original: mean |err| %s, max |err| %s, MSE %s\n", a, b, m);
    if (!(mse <= limit)) {
        printf("FAIL: sobel (C firmware): on-device MSE %s > %s\n", m, l);
        return 1;
    }
    printf("PASS: sobel (C firmware): on-device MSE %s <= %s\n", m, l);
    return 0;
}
