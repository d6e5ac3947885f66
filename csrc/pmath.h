/* Portable math for the double build: the same bits on every CPU and every libc.
 *
 * The twin of gnc/core/pmath.py, operation for operation (see there for why): the
 * double C build must match the numba reference bit for bit, and the reference flies
 * the same run on any machine only if no libm function decides a bit of it.  Only
 * +, -, *, /, sqrt, floor, frexp, ldexp and copysign are used: IEEE 754 defines
 * them exactly.  Build with -ffp-contract=off (a fused a*b + c rounds once, not twice).
 * A float build (microcontrollers) keeps libm's float functions: see rmath.h. */
#ifndef GNC_PMATH_H
#define GNC_PMATH_H

double pm_sin(double x);
double pm_cos(double x);
double pm_tan(double x);
double pm_atan(double x);
double pm_atan2(double y, double x);
double pm_asin(double x);
double pm_acos(double x);
double pm_exp(double x);
double pm_log(double x);
double pm_sinh(double x);
double pm_cosh(double x);
double pm_hypot(double x, double y);

#endif
