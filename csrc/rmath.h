/* Math on `real`: the libm function of the build's precision, and literals of that type.
 *
 * RC() keeps a float build in float: an unsuffixed literal is a double and would pull
 * the whole expression into (soft, on most microcontrollers) double arithmetic. */
#ifndef GNC_RMATH_H
#define GNC_RMATH_H

#include "real.h"

/* A bare cross toolchain may ship no libc headers (arm-none-eabi-gcc without newlib).
 * GCC's builtins need none; linking firmware still needs a libm for sinf & co. */
#if defined(__GNUC__) && defined(__has_include)
#if !__has_include(<math.h>)
#define GNC_MATH_BUILTINS
#endif
#endif
#ifndef GNC_MATH_BUILTINS
#include <math.h>
#elif !defined(GNC_REAL_FLOAT)
#error "the double build needs <math.h> (pmath.c uses its exact functions: floor, frexp, ldexp, copysign)"
#endif

#define RC(x) ((real)(x))
#define R_PI RC(3.14159265358979323846) /* math.pi */

#if defined(GNC_MATH_BUILTINS) && defined(GNC_REAL_FLOAT)
#define r_sqrt __builtin_sqrtf
#define r_sin __builtin_sinf
#define r_cos __builtin_cosf
#define r_tan __builtin_tanf
#define r_atan2 __builtin_atan2f
#define r_fabs __builtin_fabsf
#define r_hypot __builtin_hypotf
#define r_exp __builtin_expf
#define r_acos __builtin_acosf
#define r_cosh __builtin_coshf
#define r_sinh __builtin_sinhf
#elif defined(GNC_REAL_FLOAT)
#define r_sqrt sqrtf
#define r_sin sinf
#define r_cos cosf
#define r_tan tanf
#define r_atan2 atan2f
#define r_fabs fabsf
#define r_hypot hypotf
#define r_exp expf
#define r_acos acosf
#define r_cosh coshf
#define r_sinh sinhf
#else
/* double: the portable functions (pmath.h), so the build matches the numba reference
 * bit for bit on any CPU; sqrt and fabs are exact in every libm */
#include "pmath.h"
#define r_sqrt sqrt
#define r_sin pm_sin
#define r_cos pm_cos
#define r_tan pm_tan
#define r_atan2 pm_atan2
#define r_fabs fabs
#define r_hypot pm_hypot
#define r_exp pm_exp
#define r_acos pm_acos
#define r_cosh pm_cosh
#define r_sinh pm_sinh
#endif

/* Python's min/max of two numbers (no NaN reaches them). */
static inline real r_min(real a, real b) { return b < a ? b : a; }
static inline real r_max(real a, real b) { return b > a ? b : a; }

#endif
