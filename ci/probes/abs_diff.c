#include <math.h>

float abs_diff(float a, float b) {
    return fabsf(a - b);
}
