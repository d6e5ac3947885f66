/* The flight build's floating type: float on microcontrollers, double on the host. */
#ifndef GNC_REAL_H
#define GNC_REAL_H

/* Arduino cores build libraries without per-library flags: float there, as on every MCU. */
#if defined(ARDUINO) && !defined(GNC_REAL_DOUBLE) && !defined(GNC_REAL_FLOAT)
#define GNC_REAL_FLOAT
#endif

#ifdef GNC_REAL_FLOAT
typedef float real;
#else
typedef double real;
#endif

#endif
