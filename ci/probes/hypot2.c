#include <math.h>

float hypot2(float x, float y) {
    return sqrtf(x * x + y * y);
}
