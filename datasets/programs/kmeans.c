/* kmeans: Euclidean distance between an RGB pixel and a centroid, channels scaled to [0, 1).
 * The inner kernel of k-means colour quantization. ParrotBench (Parrot, MICRO 2012). */
#include <math.h>

float kmeans(float r, float g, float b, float cr, float cg, float cb) {
    double dr = (double)r - (double)cr;
    double dg = (double)g - (double)cg;
    double db = (double)b - (double)cb;
    return (float)sqrt(dr * dr + dg * dg + db * db);
}
