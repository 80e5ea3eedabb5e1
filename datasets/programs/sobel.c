/* sobel: gradient magnitude of a 3x3 luminance window (row-major p0..p8, luminance in [0, 1)),
 * sqrt(gx^2 + gy^2) with the Sobel kernels, clamped to at most 0.7071.
 * ParrotBench (Parrot, MICRO 2012). */
#include <math.h>

float sobel(float p0, float p1, float p2, float p3, float p4, float p5, float p6, float p7, float p8) {
    const double max_magnitude = 0.7071;
    (void)p4; /* the centre pixel has weight 0 in both kernels */
    double gx = ((double)p2 + 2.0 * (double)p5 + (double)p8) - ((double)p0 + 2.0 * (double)p3 + (double)p6);
    double gy = ((double)p6 + 2.0 * (double)p7 + (double)p8) - ((double)p0 + 2.0 * (double)p1 + (double)p2);
    double magnitude = sqrt(gx * gx + gy * gy);
    if (magnitude > max_magnitude) magnitude = max_magnitude;
    return (float)magnitude;
}
