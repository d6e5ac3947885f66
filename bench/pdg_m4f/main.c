/* One cold solve of the benches' powered-descent problem (bench/pdg_case.h; csrc/pdg.c, float)
 * at N = PDG_N_MAX, then the same problem warm from its optimum, timed by the board's cycle
 * counter and printed over the UART (bench/pdg_m4f/run.sh runs it on the emulated STM32F405). */
#include <stddef.h>
#include <stdint.h>
#include "board.h"
#include "pdg.h"

static pdg_problem P;
static pdg_work W;

static void put(const char *s) { size_t n = 0; while (s[n]) ++n; board_write((const uint8_t *)s, n); }

#include "../pdg_case.h"

int main(void)
{
    uint32_t t0, t1, t2, t3;
    int s1, s2, s3;
    uint32_t cold_iters;
    board_init();
    pdg_layout(&P, PDG_N_MAX);
    t0 = board_cycles();
    pdg_fill(&P, pdg_case_state, pdg_case_limits, PDG_CASE_TF);
    s1 = pdg_workspace(&P, &W);
    t1 = board_cycles();
    s2 = pdg_solve(&P, &W, 0);
    t2 = board_cycles();
    cold_iters = (uint32_t)W.info[PDG_I_ITER];
    s3 = pdg_solve(&P, &W, 1);
    t3 = board_cycles();
    put("N "); put_u(PDG_N_MAX); put(" setup "); put_u((uint32_t)s1);
    put(" ticks "); put_u((t1 - t0) & board_cycle_mask());
    put(" | cold status "); put_u((uint32_t)s2); put(" iters "); put_u(cold_iters);
    put(" ticks "); put_u((t2 - t1) & board_cycle_mask());
    put(" | warm (same problem) status "); put_u((uint32_t)s3); put(" iters "); put_u((uint32_t)W.info[PDG_I_ITER]);
    put(" ticks "); put_u((t3 - t2) & board_cycle_mask()); put(" | clock "); put_u(board_clock_hz());
    put(" | pcost*1e6 "); put_u((uint32_t)(W.info[PDG_I_PCOST] * 1e6f)); put("\n");
    for (;;) continue;
}
