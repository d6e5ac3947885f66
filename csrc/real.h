/* The flight build's floating type: float on microcontrollers, double on the host. */
#ifndef GNC_REAL_H
#define GNC_REAL_H

#ifdef GNC_REAL_FLOAT
typedef float real;
#else
typedef double real;
#endif

#endif
