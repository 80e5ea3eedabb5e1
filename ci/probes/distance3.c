#include <math.h>

/* kmeans' distance between a pixel and a centroid, written with float locals. */
float distance3(float r1, float g1, float b1, float r2, float g2, float b2) {
    float dr = r1 - r2;
    float dg = g1 - g2;
    float db = b1 - b2;
    return sqrtf(dr * dr + dg * dg + db * db);
}
