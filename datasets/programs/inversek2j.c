/* inversek2j: inverse kinematics of a planar 2-link arm, link lengths l1 = l2 = 0.5.
 * (x, y) is the position of the arm's tip; theta2 is the elbow angle (law of cosines),
 * theta1 the shoulder angle. ParrotBench (Parrot, MICRO 2012).
 * Input domain: (x, y) from forward kinematics of theta1, theta2 in (0, pi/2). */
#include <math.h>

static double clamp_unit(double v) {
    if (v > 1.0) return 1.0;
    if (v < -1.0) return -1.0;
    return v;
}

void inversek2j(float x, float y, float *theta1, float *theta2) {
    const double l1 = 0.5, l2 = 0.5;
    double px = (double)x, py = (double)y;
    double r2 = px * px + py * py;
    double t2 = acos(clamp_unit((r2 - l1 * l1 - l2 * l2) / (2.0 * l1 * l2)));
    double k1 = l1 + l2 * cos(t2);
    double k2 = l2 * sin(t2);
    double t1 = asin(clamp_unit((py * k1 - px * k2) / r2));
    *theta1 = (float)t1;
    *theta2 = (float)t2;
}
