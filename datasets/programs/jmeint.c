/* jmeint: do two triangles in 3-D intersect? Triangle 1 is (v0, v1, v2), triangle 2 is (u0, u1, u2).
 * Answers (0.8, 0.2) when they intersect (touching counts) and (0.2, 0.8) when they do not.
 * Method: Moller's interval overlap test (1997): each triangle must straddle the other's plane; then
 * both triangles cut the line where the planes meet in an interval, and they intersect when the two
 * intervals overlap. Coplanar triangles are tested in 2-D (edge crossings, then containment).
 * ParrotBench (Parrot, MICRO 2012). Input domain: every coordinate in [0, 1). */
#include <math.h>

typedef struct { double x, y, z; } vec3;

static vec3 sub(vec3 a, vec3 b) { vec3 r = { a.x - b.x, a.y - b.y, a.z - b.z }; return r; }
static double dot(vec3 a, vec3 b) { return a.x * b.x + a.y * b.y + a.z * b.z; }
static vec3 cross(vec3 a, vec3 b) {
    vec3 r = { a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x };
    return r;
}
static double component(vec3 a, int axis) { return axis == 0 ? a.x : (axis == 1 ? a.y : a.z); }
static int largest_axis(vec3 n) {
    double ax = fabs(n.x), ay = fabs(n.y), az = fabs(n.z);
    if (ax >= ay && ax >= az) return 0;
    return ay >= az ? 1 : 2;
}

/* Signed area test in 2-D: which side of line a->b the point c lies on. */
static double orient2(const double a[2], const double b[2], const double c[2]) {
    return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]);
}

static int segments_cross_2d(const double a[2], const double b[2], const double c[2], const double d[2]) {
    double o1 = orient2(a, b, c), o2 = orient2(a, b, d), o3 = orient2(c, d, a), o4 = orient2(c, d, b);
    if (o1 * o2 > 0.0 || o3 * o4 > 0.0) return 0;
    if (o1 == 0.0 && o2 == 0.0) { /* collinear: overlap of projections on both axes */
        for (int k = 0; k < 2; k++) {
            double lo1 = fmin(a[k], b[k]), hi1 = fmax(a[k], b[k]);
            double lo2 = fmin(c[k], d[k]), hi2 = fmax(c[k], d[k]);
            if (hi1 < lo2 || hi2 < lo1) return 0;
        }
    }
    return 1;
}

static int point_in_triangle_2d(const double p[2], const double t[3][2]) {
    double o0 = orient2(t[0], t[1], p), o1 = orient2(t[1], t[2], p), o2 = orient2(t[2], t[0], p);
    return (o0 >= 0.0 && o1 >= 0.0 && o2 >= 0.0) || (o0 <= 0.0 && o1 <= 0.0 && o2 <= 0.0);
}

static int coplanar_intersect(vec3 n, const vec3 v[3], const vec3 u[3]) {
    int drop = largest_axis(n);
    int i0 = drop == 0 ? 1 : 0, i1 = drop == 2 ? 1 : 2;
    double a[3][2], b[3][2];
    for (int k = 0; k < 3; k++) {
        a[k][0] = component(v[k], i0); a[k][1] = component(v[k], i1);
        b[k][0] = component(u[k], i0); b[k][1] = component(u[k], i1);
    }
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            if (segments_cross_2d(a[i], a[(i + 1) % 3], b[j], b[(j + 1) % 3])) return 1;
    return point_in_triangle_2d(a[0], b) || point_in_triangle_2d(b[0], a);
}

/* The interval where a triangle (projections p, signed distances d to the other plane) cuts the
 * planes' common line. Returns 0 when the triangle lies in the other plane. */
static int interval(const double p[3], const double d[3], double *lo, double *hi) {
    int a, b, c; /* a: the vertex alone on its side of the plane */
    if (d[0] * d[1] > 0.0) { a = 2; b = 0; c = 1; }
    else if (d[0] * d[2] > 0.0) { a = 1; b = 0; c = 2; }
    else if (d[1] * d[2] > 0.0 || d[0] != 0.0) { a = 0; b = 1; c = 2; }
    else if (d[1] != 0.0) { a = 1; b = 0; c = 2; }
    else if (d[2] != 0.0) { a = 2; b = 0; c = 1; }
    else return 0;
    double t1 = p[a] + (p[b] - p[a]) * d[a] / (d[a] - d[b]);
    double t2 = p[a] + (p[c] - p[a]) * d[a] / (d[a] - d[c]);
    *lo = fmin(t1, t2);
    *hi = fmax(t1, t2);
    return 1;
}

static int triangles_intersect(const vec3 v[3], const vec3 u[3]) {
    vec3 n2 = cross(sub(u[1], u[0]), sub(u[2], u[0]));
    double dv[3];
    for (int k = 0; k < 3; k++) dv[k] = dot(n2, sub(v[k], u[0]));
    if ((dv[0] > 0.0 && dv[1] > 0.0 && dv[2] > 0.0) || (dv[0] < 0.0 && dv[1] < 0.0 && dv[2] < 0.0)) return 0;

    vec3 n1 = cross(sub(v[1], v[0]), sub(v[2], v[0]));
    double du[3];
    for (int k = 0; k < 3; k++) du[k] = dot(n1, sub(u[k], v[0]));
    if ((du[0] > 0.0 && du[1] > 0.0 && du[2] > 0.0) || (du[0] < 0.0 && du[1] < 0.0 && du[2] < 0.0)) return 0;

    if (dv[0] == 0.0 && dv[1] == 0.0 && dv[2] == 0.0) return coplanar_intersect(n1, v, u);

    int axis = largest_axis(cross(n1, n2));
    double pv[3], pu[3];
    for (int k = 0; k < 3; k++) { pv[k] = component(v[k], axis); pu[k] = component(u[k], axis); }
    double lo1, hi1, lo2, hi2;
    if (!interval(pv, dv, &lo1, &hi1) || !interval(pu, du, &lo2, &hi2)) return coplanar_intersect(n1, v, u);
    return !(hi1 < lo2 || hi2 < lo1);
}

void jmeint(float v0x, float v0y, float v0z, float v1x, float v1y, float v1z,
            float v2x, float v2y, float v2z, float u0x, float u0y, float u0z,
            float u1x, float u1y, float u1z, float u2x, float u2y, float u2z,
            float *out_yes, float *out_no) {
    vec3 v[3] = { { v0x, v0y, v0z }, { v1x, v1y, v1z }, { v2x, v2y, v2z } };
    vec3 u[3] = { { u0x, u0y, u0z }, { u1x, u1y, u1z }, { u2x, u2y, u2z } };
    int hit = triangles_intersect(v, u);
    *out_yes = hit ? 0.8f : 0.2f;
    *out_no = hit ? 0.2f : 0.8f;
}
