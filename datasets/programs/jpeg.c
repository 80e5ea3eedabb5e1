/* jpeg: the lossy core of JPEG on one 8x8 luminance block. Inputs: the block's pixels, row-major,
 * scaled by 1/256. Each pixel is level-shifted (p * 256 - 128), the block goes through the 2-D DCT-II
 * (orthonormal, as in JPEG), every coefficient is quantised with the standard JPEG luminance table
 * (quality 50) and dequantised (round(D / Q) * Q), and the result is scaled by 1/256.
 * Outputs: the 64 dequantised coefficients, row-major (vertical frequency u, horizontal v: c[8u + v]).
 * ParrotBench (Parrot, MICRO 2012). Input domain: every pixel in [0, 1). */
#include <math.h>

static const double luminance_quant[64] = {
    16, 11, 10, 16, 24, 40, 51, 61,
    12, 12, 14, 19, 26, 58, 60, 55,
    14, 13, 16, 24, 40, 57, 69, 56,
    14, 17, 22, 29, 51, 87, 80, 62,
    18, 22, 37, 56, 68, 109, 103, 77,
    24, 35, 55, 64, 81, 104, 113, 92,
    49, 64, 78, 87, 103, 121, 120, 101,
    72, 92, 95, 98, 112, 100, 103, 99,
};

static void encode_block(const float pixels[64], float coefficients[64]) {
    const double pi = 3.14159265358979323846264338327950288;
    double shifted[64], basis[8][8];
    for (int i = 0; i < 64; i++) shifted[i] = (double)pixels[i] * 256.0 - 128.0;
    for (int k = 0; k < 8; k++) {
        double scale = k == 0 ? sqrt(0.125) : 0.5;
        for (int x = 0; x < 8; x++) basis[k][x] = scale * cos((2.0 * x + 1.0) * k * pi / 16.0);
    }
    for (int u = 0; u < 8; u++) {
        for (int v = 0; v < 8; v++) {
            double d = 0.0;
            for (int y = 0; y < 8; y++)
                for (int x = 0; x < 8; x++) d += basis[u][y] * basis[v][x] * shifted[8 * y + x];
            double q = luminance_quant[8 * u + v];
            coefficients[8 * u + v] = (float)(round(d / q) * q / 256.0);
        }
    }
}

void jpeg(float p0, float p1, float p2, float p3, float p4, float p5, float p6, float p7,
          float p8, float p9, float p10, float p11, float p12, float p13, float p14, float p15,
          float p16, float p17, float p18, float p19, float p20, float p21, float p22, float p23,
          float p24, float p25, float p26, float p27, float p28, float p29, float p30, float p31,
          float p32, float p33, float p34, float p35, float p36, float p37, float p38, float p39,
          float p40, float p41, float p42, float p43, float p44, float p45, float p46, float p47,
          float p48, float p49, float p50, float p51, float p52, float p53, float p54, float p55,
          float p56, float p57, float p58, float p59, float p60, float p61, float p62, float p63,
          float *c0, float *c1, float *c2, float *c3, float *c4, float *c5, float *c6, float *c7,
          float *c8, float *c9, float *c10, float *c11, float *c12, float *c13, float *c14, float *c15,
          float *c16, float *c17, float *c18, float *c19, float *c20, float *c21, float *c22, float *c23,
          float *c24, float *c25, float *c26, float *c27, float *c28, float *c29, float *c30, float *c31,
          float *c32, float *c33, float *c34, float *c35, float *c36, float *c37, float *c38, float *c39,
          float *c40, float *c41, float *c42, float *c43, float *c44, float *c45, float *c46, float *c47,
          float *c48, float *c49, float *c50, float *c51, float *c52, float *c53, float *c54, float *c55,
          float *c56, float *c57, float *c58, float *c59, float *c60, float *c61, float *c62, float *c63) {
    float pixels[64] = {
        p0, p1, p2, p3, p4, p5, p6, p7,
        p8, p9, p10, p11, p12, p13, p14, p15,
        p16, p17, p18, p19, p20, p21, p22, p23,
        p24, p25, p26, p27, p28, p29, p30, p31,
        p32, p33, p34, p35, p36, p37, p38, p39,
        p40, p41, p42, p43, p44, p45, p46, p47,
        p48, p49, p50, p51, p52, p53, p54, p55,
        p56, p57, p58, p59, p60, p61, p62, p63,
    };
    float *out[64] = {
        c0, c1, c2, c3, c4, c5, c6, c7,
        c8, c9, c10, c11, c12, c13, c14, c15,
        c16, c17, c18, c19, c20, c21, c22, c23,
        c24, c25, c26, c27, c28, c29, c30, c31,
        c32, c33, c34, c35, c36, c37, c38, c39,
        c40, c41, c42, c43, c44, c45, c46, c47,
        c48, c49, c50, c51, c52, c53, c54, c55,
        c56, c57, c58, c59, c60, c61, c62, c63,
    };
    float coefficients[64];
    encode_block(pixels, coefficients);
    for (int i = 0; i < 64; i++) *out[i] = coefficients[i];
}
