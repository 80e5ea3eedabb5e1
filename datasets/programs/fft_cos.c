/* fft_cos: the real part of fft's twiddle factor, cos(-2*pi*x), as a function of its own.
 * The paper's ParrotBenchCPN set splits fft into one function per output.
 * Input domain: x = k/N in [0, 0.5]. */
#include <math.h>

float fft_cos(float x) {
    const double two_pi = 6.283185307179586476925286766559;
    return (float)cos(-two_pi * (double)x);
}
