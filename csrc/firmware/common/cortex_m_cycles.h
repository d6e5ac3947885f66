/* The step counter of a Cortex-M3/M4/M7 board layer: the DWT cycle counter where it counts
 * (a real chip), else SysTick at the processor clock (QEMU reads the DWT as 0 and ignores
 * writes), which the hello says (GNC_HELLO_FLAG_SYSTICK_CYCLES).  Include it from the board
 * layer only. */
#ifndef GNC_CORTEX_M_CYCLES_H
#define GNC_CORTEX_M_CYCLES_H

#include <stdint.h>

#include "board.h"
#include "frame_codec.h"

#define CM_DEMCR (*(volatile uint32_t *)0xE000EDFCu)
#define CM_DWT_CTRL (*(volatile uint32_t *)0xE0001000u)
#define CM_DWT_CYCCNT (*(volatile uint32_t *)0xE0001004u)
#define CM_DWT_LAR (*(volatile uint32_t *)0xE0001FB0u)
#define CM_SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define CM_SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define CM_SYST_CVR (*(volatile uint32_t *)0xE000E018u)

static uint8_t cycles_use_dwt;

/* Start the DWT counter (unlock_dwt: the M7's DWT ignores software writes until its lock
 * access register is written), and SysTick instead when the DWT does not count. */
static inline void cycles_start(int unlock_dwt)
{
    volatile unsigned spin;
    CM_DEMCR |= 1u << 24; /* TRCENA */
    if (unlock_dwt)
        CM_DWT_LAR = 0xC5ACCE55u;
    CM_DWT_CYCCNT = 0;
    CM_DWT_CTRL |= 1u;
    for (spin = 0; spin < 64; ++spin)
        ;
    cycles_use_dwt = CM_DWT_CYCCNT != 0;
    if (!cycles_use_dwt) {
        CM_SYST_RVR = 0x00FFFFFFu;
        CM_SYST_CVR = 0;
        CM_SYST_CSR = 5u; /* processor clock, no interrupt, enabled */
    }
}

static inline int cycles_from_dwt(void) { return cycles_use_dwt; }

uint32_t board_cycles(void) { return cycles_use_dwt ? CM_DWT_CYCCNT : 0x00FFFFFFu - CM_SYST_CVR; }

uint32_t board_cycle_mask(void) { return cycles_use_dwt ? 0xFFFFFFFFu : 0x00FFFFFFu; }

uint8_t board_hello_flags(void) { return cycles_use_dwt ? 0 : GNC_HELLO_FLAG_SYSTICK_CYCLES; }

#endif
