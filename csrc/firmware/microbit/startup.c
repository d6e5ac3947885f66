/* Cortex-M0 start-up: the vector table, .data and .bss set up, main().  No FPU to enable. */
#include "cortex_m_start.h"

void UART0_IRQHandler(void);

/* 16 system exceptions and the nRF51's 32 interrupts; UART0's is IRQ 2 (its address
 * 0x40002000 names it, as for every nRF51 peripheral). */
__attribute__((section(".isr_vector"), used))
static void (*const vectors[16 + 32])(void) = {
    [0] = (void (*)(void))&_estack,
    [1] = Reset_Handler,
    [2 ... 15] = Default_Handler,
    [16 ... 16 + 1] = Default_Handler,
    IRQ(2) = UART0_IRQHandler,
    [16 + 3 ... 16 + 31] = Default_Handler,
};

void Reset_Handler(void)
{
    init_memory();
    main();
    Default_Handler();
}
