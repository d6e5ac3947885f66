/* Portable math for the double build: see pmath.h and gnc/core/pmath.py (the twin,
 * whose comments give each function's method and accuracy). */
#include "pmath.h"
#include "real.h" /* decides GNC_REAL_FLOAT, also where only ARDUINO is defined */

#ifndef GNC_REAL_FLOAT

#include "rmath.h"

#define PM_PI 0x1.921fb54442d18p+1
#define PM_PI_LO 0x1.1a62633145c07p-53
#define PM_PIO2 0x1.921fb54442d18p+0
#define PM_PIO2_LO 0x1.1a62633145c07p-54
#define PM_PIO4 0x1.921fb54442d18p-1
#define PM_PIO6 0x1.0c152382d7366p-1
#define PM_PIO6_LO (-0x1.ee6913347c2a6p-55)
#define PM_INV_PIO2 0x1.45f306dc9c883p-1
#define PM_PIO2_1 0x1.921fb54400000p+0
#define PM_PIO2_2 0x1.0b4611a600000p-34
#define PM_PIO2_3 0x1.3198a2e037073p-69
#define PM_LN2_HI 0x1.62e42fee00000p-1
#define PM_LN2_LO 0x1.a39ef35793c76p-33
#define PM_INV_LN2 0x1.71547652b82fep+0
#define PM_SQRT3 0x1.bb67ae8584caap+0
#define PM_TAN_PI12 0x1.126145e9ecd56p-2
#define PM_SQRT1_2 0x1.6a09e667f3bcdp-1
#define PM_EXP_MAX 709.782712893384
#define PM_EXP_MIN (-745.1332191019412)
#define PM_HYPOT_SAFE 1e+150
#define PM_HALF_E_BIG 700.0
#define PM_TINY 0x1p-27
#define PM_S1 (-0x1.5555555555555p-3)
#define PM_S2 0x1.1111111111111p-7
#define PM_S3 (-0x1.a01a01a01a01ap-13)
#define PM_S4 0x1.71de3a556c734p-19
#define PM_S5 (-0x1.ae64567f544e4p-26)
#define PM_S6 0x1.6124613a86d09p-33
#define PM_S7 (-0x1.ae7f3e733b81fp-41)
#define PM_S8 0x1.952c77030ad4ap-49
#define PM_S9 (-0x1.2f49b46814157p-57)
#define PM_C2 0x1.5555555555555p-5
#define PM_C3 (-0x1.6c16c16c16c17p-10)
#define PM_C4 0x1.a01a01a01a01ap-16
#define PM_C5 (-0x1.27e4fb7789f5cp-22)
#define PM_C6 0x1.1eed8eff8d898p-29
#define PM_C7 (-0x1.93974a8c07c9dp-37)
#define PM_C8 0x1.ae7f3e733b81fp-45
#define PM_C9 (-0x1.6827863b97d97p-53)
#define PM_C10 0x1.e542ba4020225p-62
#define PM_C11 (-0x1.0ce396db7f853p-70)
#define PM_E2 0x1.0000000000000p-1
#define PM_E3 0x1.5555555555555p-3
#define PM_E4 0x1.5555555555555p-5
#define PM_E5 0x1.1111111111111p-7
#define PM_E6 0x1.6c16c16c16c17p-10
#define PM_E7 0x1.a01a01a01a01ap-13
#define PM_E8 0x1.a01a01a01a01ap-16
#define PM_E9 0x1.71de3a556c734p-19
#define PM_E10 0x1.27e4fb7789f5cp-22
#define PM_E11 0x1.ae64567f544e4p-26
#define PM_E12 0x1.1eed8eff8d898p-29
#define PM_E13 0x1.6124613a86d09p-33
#define PM_A1 (-0x1.5555555555555p-2)
#define PM_A2 0x1.999999999999ap-3
#define PM_A3 (-0x1.2492492492492p-3)
#define PM_A4 0x1.c71c71c71c71cp-4
#define PM_A5 (-0x1.745d1745d1746p-4)
#define PM_A6 0x1.3b13b13b13b14p-4
#define PM_A7 (-0x1.1111111111111p-4)
#define PM_A8 0x1.e1e1e1e1e1e1ep-5
#define PM_A9 (-0x1.af286bca1af28p-5)
#define PM_A10 0x1.8618618618618p-5
#define PM_A11 (-0x1.642c8590b2164p-5)
#define PM_A12 0x1.47ae147ae147bp-5
#define PM_A13 (-0x1.2f684bda12f68p-5)
#define PM_A14 0x1.1a7b9611a7b96p-5
#define PM_L1 0x1.5555555555555p-1
#define PM_L2 0x1.999999999999ap-2
#define PM_L3 0x1.2492492492492p-2
#define PM_L4 0x1.c71c71c71c71cp-3
#define PM_L5 0x1.745d1745d1746p-3
#define PM_L6 0x1.3b13b13b13b14p-3
#define PM_L7 0x1.1111111111111p-3
#define PM_L8 0x1.e1e1e1e1e1e1ep-4
#define PM_L9 0x1.af286bca1af28p-4
#define PM_L10 0x1.8618618618618p-4
#define PM_L11 0x1.642c8590b2164p-4
#define PM_H1 0x1.5555555555555p-3
#define PM_H2 0x1.1111111111111p-7
#define PM_H3 0x1.a01a01a01a01ap-13
#define PM_H4 0x1.71de3a556c734p-19
#define PM_H5 0x1.ae64567f544e4p-26
#define PM_H6 0x1.6124613a86d09p-33
#define PM_H7 0x1.ae7f3e733b81fp-41
#define PM_H8 0x1.952c77030ad4ap-49
#define PM_H9 0x1.2f49b46814157p-57
#define PM_H10 0x1.71b8ef6dcf572p-66
#define PM_H11 0x1.761b41316381ap-75


/* the coefficients, highest power first, for horner() */
static const double SIN[] = {PM_S9, PM_S8, PM_S7, PM_S6, PM_S5, PM_S4, PM_S3, PM_S2, PM_S1};
static const double COS[] = {PM_C11, PM_C10, PM_C9, PM_C8, PM_C7, PM_C6, PM_C5, PM_C4, PM_C3, PM_C2};
static const double EXP[] = {PM_E13, PM_E12, PM_E11, PM_E10, PM_E9, PM_E8, PM_E7, PM_E6, PM_E5, PM_E4, PM_E3, PM_E2};
static const double ATAN[] = {PM_A14, PM_A13, PM_A12, PM_A11, PM_A10, PM_A9, PM_A8,
                              PM_A7, PM_A6, PM_A5, PM_A4, PM_A3, PM_A2, PM_A1};
static const double LOG[] = {PM_L11, PM_L10, PM_L9, PM_L8, PM_L7, PM_L6, PM_L5, PM_L4, PM_L3, PM_L2, PM_L1};
static const double SINH[] = {PM_H11, PM_H10, PM_H9, PM_H8, PM_H7, PM_H6, PM_H5, PM_H4, PM_H3, PM_H2, PM_H1};
#define N_OF(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* Horner's rule from 0: the first step, 0 z + c, is exact (gnc/core/pmath.py's _horner). */
static double horner(const double *c, int n, double z)
{
    double p = 0.0;
    int i;
    for (i = 0; i < n; ++i) p = p * z + c[i];
    return p;
}

static double sin_r(double r)
{
    double z = r * r, p = horner(SIN, N_OF(SIN), z);
    return r + r * z * p;
}

static double cos_r(double r)
{
    double z = r * r, q = horner(COS, N_OF(COS), z), hz, w;
    hz = 0.5 * z;
    w = 1.0 - hz;
    return w + (((1.0 - w) - hz) + z * (z * q));
}

static double reduce(double x, int *quadrant)
{
    double n = floor(x * PM_INV_PIO2 + 0.5);
    *quadrant = (int)(n - 4.0 * floor(0.25 * n));
    return ((x - n * PM_PIO2_1) - n * PM_PIO2_2) - n * PM_PIO2_3;
}

/* sin(r + q pi/2) for |r| <= ~pi/4: cos(x) is sin in the next quadrant. */
static double sin_quadrant(double r, int q)
{
    if (q == 0) return sin_r(r);
    if (q == 1) return cos_r(r);
    if (q == 2) return -sin_r(r);
    return -cos_r(r);
}

double pm_sin(double x)
{
    int q;
    double r;
    if (!isfinite(x)) return x - x;
    if (fabs(x) < PM_TINY) return x;
    r = reduce(x, &q);
    return sin_quadrant(r, q);
}

double pm_cos(double x)
{
    int q;
    double r;
    if (!isfinite(x)) return x - x;
    r = reduce(x, &q);
    return sin_quadrant(r, (q + 1) & 3);
}

double pm_tan(double x)
{
    int q;
    double r;
    if (!isfinite(x)) return x - x;
    if (fabs(x) < PM_TINY) return x;
    r = reduce(x, &q);
    if (q & 1) return -cos_r(r) / sin_r(r);
    return sin_r(r) / cos_r(r);
}

static double atan_r(double t)
{
    double z = t * t, p = horner(ATAN, N_OF(ATAN), z);
    return t + t * z * p;
}

static double atan_01(double a)
{
    if (a <= PM_TAN_PI12) return atan_r(a);
    return PM_PIO6 + (atan_r((a * PM_SQRT3 - 1.0) / (a + PM_SQRT3)) + PM_PIO6_LO);
}

double pm_atan(double x)
{
    double a = fabs(x), r;
    if (isnan(x)) return x;
    if (a <= 1.0) r = atan_01(a);
    else if (isinf(a)) r = PM_PIO2;
    else r = PM_PIO2 - (atan_01(1.0 / a) - PM_PIO2_LO);
    return copysign(r, x);
}

double pm_atan2(double y, double x)
{
    double ax = fabs(x), ay = fabs(y), r;
    if (isnan(x) || isnan(y)) return x + y;
    if (isinf(ax) || isinf(ay)) {
        if (isinf(ax) && isinf(ay)) r = x > 0.0 ? PM_PIO4 : 3.0 * PM_PIO4;
        else if (isinf(ax)) r = x > 0.0 ? 0.0 : PM_PI;
        else r = PM_PIO2;
        return copysign(r, y);
    }
    if (ay == 0.0) {
        r = copysign(1.0, x) < 0.0 ? PM_PI : 0.0;
        return copysign(r, y);
    }
    if (ay <= ax) r = atan_01(ay / ax);
    else r = PM_PIO2 - (atan_01(ax / ay) - PM_PIO2_LO);
    if (x < 0.0) r = PM_PI - (r - PM_PI_LO);
    return copysign(r, y);
}

double pm_asin(double x) { return pm_atan2(x, sqrt((1.0 - x) * (1.0 + x))); }

double pm_acos(double x) { return pm_atan2(sqrt((1.0 - x) * (1.0 + x)), x); }

double pm_exp(double x)
{
    double n, r, p;
    if (isnan(x)) return x;
    if (x > PM_EXP_MAX) return HUGE_VAL;
    if (x < PM_EXP_MIN) return 0.0;
    n = floor(x * PM_INV_LN2 + 0.5);
    r = (x - n * PM_LN2_HI) - n * PM_LN2_LO;
    p = horner(EXP, N_OF(EXP), r);
    return ldexp(1.0 + (r + r * r * p), (int)n);
}

double pm_log(double x)
{
    double m, f, s, z, p, rr, k;
    int e;
    if (isnan(x) || x < 0.0) return NAN;
    if (x == 0.0) return -HUGE_VAL;
    if (isinf(x)) return x;
    m = frexp(x, &e);
    if (m < PM_SQRT1_2) {
        m *= 2.0;
        e -= 1;
    }
    f = m - 1.0;
    s = f / (2.0 + f);
    z = s * s;
    p = horner(LOG, N_OF(LOG), z);
    rr = z * p;
    k = (double)e;
    return k * PM_LN2_HI + (f - (s * (f - rr) - k * PM_LN2_LO));
}

double pm_sinh(double x)
{
    double a = fabs(x), e;
    if (a < PM_TINY) return x;
    if (a < 1.0) {
        double z = x * x, p = horner(SINH, N_OF(SINH), z);
        return x + x * z * p;
    }
    if (a > PM_HALF_E_BIG) {
        double h = pm_exp(0.5 * a);
        return copysign((0.5 * h) * h, x);
    }
    e = pm_exp(a);
    return copysign(0.5 * (e - 1.0 / e), x);
}

double pm_cosh(double x)
{
    double a = fabs(x), e;
    if (a > PM_HALF_E_BIG) {
        double h = pm_exp(0.5 * a);
        return (0.5 * h) * h;
    }
    e = pm_exp(a);
    return 0.5 * (e + 1.0 / e);
}

double pm_hypot(double x, double y)
{
    double a = fabs(x), b = fabs(y), r;
    if (isinf(a) || isinf(b)) return HUGE_VAL;
    if (b > a) {
        r = a;
        a = b;
        b = r;
    }
    if (a == 0.0 || isnan(a) || isnan(b)) return a + b;
    if (a < PM_HYPOT_SAFE && a > 1.0 / PM_HYPOT_SAFE) return sqrt(a * a + b * b);
    r = b / a;
    return a * sqrt(1.0 + r * r);
}

#else
typedef int gnc_pmath_unused; /* the float build keeps libm's float functions (rmath.h) */
#endif
