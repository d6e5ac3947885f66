/* The float solver (csrc/pdg.c) on an ATmega2560 in simavr: first the cycles of its arithmetic
 * (avr-libc's software float: multiply-add, divide, square root), then one cold solve of the
 * benches' problem (bench/pdg_case.h) at N = PDG_N_MAX and the same problem warm from its optimum.
 * Marks to GPIOR0 and text to GPIOR1, which bench/pdg_avr/sim.c turns into cycle counts. */
#include <avr/io.h>
#include <math.h>
#include <stdint.h>

#include "pdg.h"

#define REPS 100

static pdg_problem P;
static pdg_work W;
static volatile float va = 1.2345f, vb = 0.98765f, vc = 0.5f;

static void mark(uint8_t k) { GPIOR0 = k; }
static void put(const char *s) { while (*s) GPIOR1 = (uint8_t)*s++; }

#include "../pdg_case.h"

int main(void)
{
    uint8_t i;
    int s1, s2, s3;
    mark(0);
    for (i = 0; i < REPS; ++i)
        vc = va; /* the loop and the volatile traffic: the others' baseline */
    mark(1);
    for (i = 0; i < REPS; ++i)
        vc = va * vb + vc;
    mark(2);
    for (i = 0; i < REPS; ++i)
        vc = va / vb;
    mark(3);
    for (i = 0; i < REPS; ++i)
        vc = sqrtf(va);
    mark(4);
    pdg_layout(&P, PDG_N_MAX);
    pdg_fill(&P, pdg_case_state, pdg_case_limits, PDG_CASE_TF);
    s1 = pdg_workspace(&P, &W);
    mark(5);
    s2 = pdg_solve(&P, &W, 0);
    mark(6);
    put("N "); put_u(PDG_N_MAX); put(" setup "); put_u((uint32_t)s1);
    put(" | cold status "); put_u((uint32_t)s2); put(" iters "); put_u((uint32_t)W.info[PDG_I_ITER]);
    put(" pcost*1e6 "); put_u((uint32_t)(W.info[PDG_I_PCOST] * 1e6f)); put("\n");
    mark(7);
    s3 = pdg_solve(&P, &W, 1);
    mark(8);
    put("warm status "); put_u((uint32_t)s3); put(" iters "); put_u((uint32_t)W.info[PDG_I_ITER]);
    put(" pcost*1e6 "); put_u((uint32_t)(W.info[PDG_I_PCOST] * 1e6f)); put("\n");
    mark(255);
    for (;;)
        continue;
}
