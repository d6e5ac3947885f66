/* Cortex-M7 start-up: the vector table, .data and .bss set up, the FPU on, main(). */
#include "cortex_m_start.h"

void UART0_RX_IRQHandler(void);

#define CPACR (*(volatile uint32_t *)0xE000ED88u)

/* 16 system exceptions and the AN500's 32 interrupts; UART0's receive interrupt is IRQ 0. */
__attribute__((section(".isr_vector"), used))
static void (*const vectors[16 + 32])(void) = {
    [0] = (void (*)(void))&_estack,
    [1] = Reset_Handler,
    [2 ... 15] = Default_Handler,
    IRQ(0) = UART0_RX_IRQHandler,
    [16 + 1 ... 16 + 31] = Default_Handler,
};

void Reset_Handler(void)
{
    init_memory();
    CPACR |= 0xFu << 20; /* CP10 and CP11 full access: the FPU is off at reset */
    __asm__ volatile("dsb\n\tisb");
    main();
    Default_Handler();
}
