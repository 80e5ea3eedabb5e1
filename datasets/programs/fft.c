/* fft: the twiddle factor of a radix-2 FFT, e^(-2*pi*i*x) = (cos(-2*pi*x), sin(-2*pi*x)).
 * ParrotBench (Parrot, MICRO 2012). Input domain: x = k/N in [0, 0.5]. */
#include <math.h>

void fft(float x, float *sin_out, float *cos_out) {
    const double two_pi = 6.283185307179586476925286766559;
    double angle = -two_pi * (double)x;
    *sin_out = (float)sin(angle);
    *cos_out = (float)cos(angle);
}
