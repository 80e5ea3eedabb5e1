/* The sobel surrogate (9 -> 8 sigmoid -> 1) as a C programmer would write it by hand: plain loops
 * over const arrays in flash, newlib's expf for the sigmoid. The reference the Rust engine is
 * measured against (instructions per inference, docs/firmware.md). Same definition as
 * docs/blob-format.md: normalise, dense + activation per layer, denormalise. */
#include <math.h>
#include "sobel_weights.h"

void sobel_ref(const float *x, float *y) {
    float a[REF_L0_IN];
    float h[REF_L0_OUT];
    for (int i = 0; i < REF_L0_IN; i++) a[i] = x[i] * REF_IN_SCALE[i] + REF_IN_OFFSET[i];
    for (int o = 0; o < REF_L0_OUT; o++) {
        float acc = REF_B0[o];
        for (int i = 0; i < REF_L0_IN; i++) acc += REF_W0[o][i] * a[i];
        h[o] = 1.0f / (1.0f + expf(-acc)); /* REF_L0_ACT == 1: sigmoid */
    }
    for (int o = 0; o < REF_L1_OUT; o++) {
        float acc = REF_B1[o];
        for (int i = 0; i < REF_L1_IN; i++) acc += REF_W1[o][i] * h[i];
        y[o] = acc * REF_OUT_SCALE[o] + REF_OUT_OFFSET[o]; /* REF_L1_ACT == 0: identity */
    }
}

#if REF_N_IN != 9 || REF_N_OUT != 1 || REF_L0_ACT != 1 || REF_L1_ACT != 0 || REF_L0_OUT != REF_L1_IN
#error "sobel_ref.c is written for a 9 -> n sigmoid -> 1 identity surrogate; regenerate or rewrite"
#endif
