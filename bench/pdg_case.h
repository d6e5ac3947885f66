/* What the two solver benches share (bench/pdg_m4f/main.c, bench/pdg_avr/main.c): the problem
 * they solve, tests/test_pdg.py's physics case (600, -300, 1800 m; -25, 10, -35 m/s; 2100 kg;
 * tf 75 s), so their figures compare, and the decimal writer they report with.  A bench
 * defines put() for its board before including this. */
#ifndef PDG_CASE_H
#define PDG_CASE_H

#include <stdint.h>

#include "pdg.h"

#define PDG_CASE_TF 75.0f

static const real pdg_case_state[13] = {600.0f, -300.0f, 1800.0f, -25.0f, 10.0f, -35.0f, 2100.0f, 0, 0, 0, 0, 0, 0};
static const real pdg_case_limits[11] = {1500.0f, 7500.0f, 315.0f, 0.17453292f, 1.0471976f, 1300.0f, 1.62f, 9.80665f,
                                         0.06981317f, 0.5f, 0.0f};

static void put_u(uint32_t v)
{
    char b[12];
    int i = 11;
    b[i] = 0;
    do {
        b[--i] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v);
    put(b + i);
}

#endif
