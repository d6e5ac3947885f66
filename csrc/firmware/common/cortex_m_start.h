/* What every Cortex-M start-up shares: the link script's symbols, the handler of a fault or
 * an unexpected interrupt, and .data copied and .bss zeroed before main().  Each target's
 * startup.c keeps its own vector table (its chip's interrupts) and Reset_Handler.  Include
 * it from startup.c only. */
#ifndef GNC_CORTEX_M_START_H
#define GNC_CORTEX_M_START_H

#include <stdint.h>

extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss, _estack;
extern int main(void);
void Reset_Handler(void);

static void Default_Handler(void)
{
    for (;;)
        ; /* a fault or an unexpected interrupt: stop here, the host sees silence */
}

/* A vector table's entry for interrupt n, after the 16 system exceptions. */
#define IRQ(n) [16 + (n)]

static inline void init_memory(void)
{
    uint32_t *src = &_sidata, *dst = &_sdata;
    while (dst < &_edata)
        *dst++ = *src++;
    for (dst = &_sbss; dst < &_ebss;)
        *dst++ = 0;
}

#endif
