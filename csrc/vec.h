/* 3-vectors and quaternions by value (the twin of gnc/core/vec.py, same operation order).
 *
 * Quaternions are scalar first; q_rot(q, v) maps a vector from the frame q rotates
 * from into the frame it rotates to. Arrays are the flat frames of layout.h: the
 * load/store helpers read and write a vector at an index. */
#ifndef GNC_VEC_H
#define GNC_VEC_H

#include "rmath.h"

typedef struct { real x, y, z; } vec3;
typedef struct { real w, x, y, z; } quat;

static inline vec3 v3(real x, real y, real z) { vec3 r; r.x = x; r.y = y; r.z = z; return r; }
static inline quat qt(real w, real x, real y, real z) { quat q; q.w = w; q.x = x; q.y = y; q.z = z; return q; }

static inline vec3 v3_add(vec3 a, vec3 b) { return v3(a.x + b.x, a.y + b.y, a.z + b.z); }
static inline vec3 v3_sub(vec3 a, vec3 b) { return v3(a.x - b.x, a.y - b.y, a.z - b.z); }
static inline vec3 v3_scale(vec3 a, real s) { return v3(a.x * s, a.y * s, a.z * s); }
/* s*a + b */
static inline vec3 v3_axpy(real s, vec3 a, vec3 b) { return v3(s * a.x + b.x, s * a.y + b.y, s * a.z + b.z); }
static inline real v3_dot(vec3 a, vec3 b) { return a.x * b.x + a.y * b.y + a.z * b.z; }

static inline vec3 v3_cross(vec3 a, vec3 b)
{
    return v3(a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x);
}

static inline real v3_norm(vec3 a) { return r_sqrt(a.x * a.x + a.y * a.y + a.z * a.z); }

static inline vec3 v3_unit(vec3 a)
{
    real n = v3_norm(a);
    if (n == RC(0.0))
        return v3(RC(0.0), RC(0.0), RC(0.0));
    return v3(a.x / n, a.y / n, a.z / n);
}

/* Component of a perpendicular to unit vector n. */
static inline vec3 v3_reject(vec3 a, vec3 n)
{
    real d = v3_dot(a, n);
    return v3(a.x - d * n.x, a.y - d * n.y, a.z - d * n.z);
}

static inline vec3 v3_load(const real *arr, int i) { return v3(arr[i], arr[i + 1], arr[i + 2]); }

static inline void v3_store(real *arr, int i, vec3 v)
{
    arr[i] = v.x;
    arr[i + 1] = v.y;
    arr[i + 2] = v.z;
}

static inline quat q_load(const real *arr, int i) { return qt(arr[i], arr[i + 1], arr[i + 2], arr[i + 3]); }

static inline void q_store(real *arr, int i, quat q)
{
    arr[i] = q.w;
    arr[i + 1] = q.x;
    arr[i + 2] = q.y;
    arr[i + 3] = q.z;
}

static inline quat q_mul(quat a, quat b)
{
    return qt(a.w * b.w - a.x * b.x - a.y * b.y - a.z * b.z,
              a.w * b.x + a.x * b.w + a.y * b.z - a.z * b.y,
              a.w * b.y - a.x * b.z + a.y * b.w + a.z * b.x,
              a.w * b.z + a.x * b.y - a.y * b.x + a.z * b.w);
}

static inline quat q_conj(quat q) { return qt(q.w, -q.x, -q.y, -q.z); }

static inline quat q_normalize(quat q)
{
    real n = r_sqrt(q.w * q.w + q.x * q.x + q.y * q.y + q.z * q.z);
    return qt(q.w / n, q.x / n, q.y / n, q.z / n);
}

/* Rotate v by q: v' = q v q*. */
static inline vec3 q_rot(quat q, vec3 v)
{
    real tx = RC(2.0) * (q.y * v.z - q.z * v.y);
    real ty = RC(2.0) * (q.z * v.x - q.x * v.z);
    real tz = RC(2.0) * (q.x * v.y - q.y * v.x);
    return v3(v.x + q.w * tx + q.y * tz - q.z * ty,
              v.y + q.w * ty + q.z * tx - q.x * tz,
              v.z + q.w * tz + q.x * ty - q.y * tx);
}

/* Rotate v by the inverse of q. */
static inline vec3 q_rot_inv(quat q, vec3 v) { return q_rot(q_conj(q), v); }

/* Quaternion of a rotation by |r| about r/|r|. */
static inline quat q_from_rotvec(vec3 r)
{
    real a = v3_norm(r), s;
    if (a < RC(1e-12))
        return q_normalize(qt(RC(1.0), RC(0.5) * r.x, RC(0.5) * r.y, RC(0.5) * r.z));
    s = r_sin(RC(0.5) * a) / a;
    return qt(r_cos(RC(0.5) * a), r.x * s, r.y * s, r.z * s);
}

/* Rotation vector of q (shortest way round). */
static inline vec3 q_to_rotvec(quat q)
{
    real s, a;
    if (q.w < RC(0.0))
        q = qt(-q.w, -q.x, -q.y, -q.z);
    s = r_sqrt(q.x * q.x + q.y * q.y + q.z * q.z);
    if (s < RC(1e-12))
        return v3(RC(2.0) * q.x, RC(2.0) * q.y, RC(2.0) * q.z);
    a = RC(2.0) * r_atan2(s, q.w);
    return v3(q.x * a / s, q.y * a / s, q.z * a / s);
}

/* Quaternion of the row-major rotation matrix m[i..i+8] (Shepperd's method). */
static inline quat q_from_mat(const real *m, int i)
{
    real m00 = m[i], m01 = m[i + 1], m02 = m[i + 2];
    real m10 = m[i + 3], m11 = m[i + 4], m12 = m[i + 5];
    real m20 = m[i + 6], m21 = m[i + 7], m22 = m[i + 8];
    real tr = m00 + m11 + m22, s;
    if (tr > RC(0.0)) {
        s = RC(2.0) * r_sqrt(RC(1.0) + tr);
        return q_normalize(qt(RC(0.25) * s, (m21 - m12) / s, (m02 - m20) / s, (m10 - m01) / s));
    }
    if (m00 > m11 && m00 > m22) {
        s = RC(2.0) * r_sqrt(RC(1.0) + m00 - m11 - m22);
        return q_normalize(qt((m21 - m12) / s, RC(0.25) * s, (m01 + m10) / s, (m02 + m20) / s));
    }
    if (m11 > m22) {
        s = RC(2.0) * r_sqrt(RC(1.0) + m11 - m00 - m22);
        return q_normalize(qt((m02 - m20) / s, (m01 + m10) / s, RC(0.25) * s, (m12 + m21) / s));
    }
    s = RC(2.0) * r_sqrt(RC(1.0) + m22 - m00 - m11);
    return q_normalize(qt((m10 - m01) / s, (m02 + m20) / s, (m12 + m21) / s, RC(0.25) * s));
}

/* Quaternion body->frame of a body whose x, y, z axes are these unit vectors. */
static inline quat q_from_axes(vec3 x, vec3 y, vec3 z)
{
    real tr = x.x + y.y + z.z, s;
    if (tr > RC(0.0)) {
        s = RC(2.0) * r_sqrt(RC(1.0) + tr);
        return q_normalize(qt(RC(0.25) * s, (y.z - z.y) / s, (z.x - x.z) / s, (x.y - y.x) / s));
    }
    if (x.x > y.y && x.x > z.z) {
        s = RC(2.0) * r_sqrt(RC(1.0) + x.x - y.y - z.z);
        return q_normalize(qt((y.z - z.y) / s, RC(0.25) * s, (y.x + x.y) / s, (z.x + x.z) / s));
    }
    if (y.y > z.z) {
        s = RC(2.0) * r_sqrt(RC(1.0) + y.y - x.x - z.z);
        return q_normalize(qt((z.x - x.z) / s, (y.x + x.y) / s, RC(0.25) * s, (z.y + y.z) / s));
    }
    s = RC(2.0) * r_sqrt(RC(1.0) + z.z - x.x - y.y);
    return q_normalize(qt((x.y - y.x) / s, (z.x + x.z) / s, (z.y + y.z) / s, RC(0.25) * s));
}

#endif
