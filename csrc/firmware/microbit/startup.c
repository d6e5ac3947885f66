/* Cortex-M0 start-up: the vector table, .data and .bss set up, main().  No FPU to enable. */
#include <stdint.h>

extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss, _estack;
extern int main(void);
void Reset_Handler(void);
void UART0_IRQHandler(void);

static void Default_Handler(void)
{
    for (;;)
        ; /* a fault or an unexpected interrupt: stop here, the host sees silence */
}

#define IRQ(n) [16 + (n)]

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
    uint32_t *src = &_sidata, *dst = &_sdata;
    while (dst < &_edata)
        *dst++ = *src++;
    for (dst = &_sbss; dst < &_ebss;)
        *dst++ = 0;
    main();
    Default_Handler();
}
