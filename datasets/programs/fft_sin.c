/* fft_sin: the imaginary part of fft's twiddle factor, sin(-2*pi*x), as a function of its own.
 * The paper's ParrotBenchCPN set splits fft into one function per output.
 * Input domain: x = k/N in [0, 0.5]. */
#include <math.h>

float fft_sin(float x) {
    const double two_pi = 6.283185307179586476925286766559;
    return (float)sin(-two_pi * (double)x);
}
