/* inversek2j_theta1: the shoulder angle of a planar 2-link arm (link lengths 0.5 and 0.5) whose
 * tip is at (x, y), as a function of its own. The paper's ParrotBenchCPN set splits inversek2j
 * into one function per output. Input domain: (x, y) from forward kinematics of
 * theta1, theta2 in (0, pi/2). */
#include <math.h>

static double clamp_unit(double v) {
    if (v > 1.0) return 1.0;
    if (v < -1.0) return -1.0;
    return v;
}

float inversek2j_theta1(float x, float y) {
    const double l1 = 0.5, l2 = 0.5;
    double px = (double)x, py = (double)y;
    double r2 = px * px + py * py;
    double t2 = acos(clamp_unit((r2 - l1 * l1 - l2 * l2) / (2.0 * l1 * l2)));
    double k1 = l1 + l2 * cos(t2);
    double k2 = l2 * sin(t2);
    return (float)asin(clamp_unit((py * k1 - px * k2) / r2));
}
