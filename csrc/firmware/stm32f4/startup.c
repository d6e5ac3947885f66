/* Cortex-M4F start-up: the vector table, .data and .bss set up, the FPU on, main(). */
#include "cortex_m_start.h"

void USART1_IRQHandler(void);
void USART2_IRQHandler(void);

#define CPACR (*(volatile uint32_t *)0xE000ED88u)

/* 16 system exceptions and the 97 interrupts of the largest F4 in this class (F446). */
__attribute__((section(".isr_vector"), used))
static void (*const vectors[16 + 97])(void) = {
    [0] = (void (*)(void))&_estack,
    [1] = Reset_Handler,
    [2 ... 15] = Default_Handler,
    [16 ... 16 + 36] = Default_Handler,
    IRQ(37) = USART1_IRQHandler,
    IRQ(38) = USART2_IRQHandler,
    [16 + 39 ... 16 + 96] = Default_Handler,
};

void Reset_Handler(void)
{
    init_memory();
    CPACR |= 0xFu << 20; /* CP10 and CP11 full access: the FPU is off at reset */
    __asm__ volatile("dsb\n\tisb");
    main();
    Default_Handler();
}
