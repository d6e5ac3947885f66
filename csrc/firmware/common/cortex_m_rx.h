/* The next received byte on a Cortex-M board layer (the ring of rx_ring.h, filled by its
 * receive interrupt), or -1 when none came.  Sleeps (WFI) until the next interrupt while
 * the ring is empty: an idle board draws less, and QEMU, instead of spinning the guest,
 * hands over the next byte at once (a round trip under -icount takes ~24 ms spinning).
 * Interrupts are masked between the check and the WFI so a byte arriving in between still
 * wakes it.  Include it from the board layer only, as rx_ring.h.
 *
 * The receive interrupt calls rx_ring_pause(irqn) when the ring is full: the interrupt is
 * masked at the NVIC, the rest waits in the UART (QEMU then stops reading the pty; a real
 * UART overruns), and the next byte taken here unmasks it and pends it, so the handler
 * drains what waited. */
#ifndef GNC_CORTEX_M_RX_H
#define GNC_CORTEX_M_RX_H

#include "rx_ring.h"

#define RX_NVIC_ISER(n) (*(volatile uint32_t *)(0xE000E100u + 4u * ((n) >> 5)))
#define RX_NVIC_ICER(n) (*(volatile uint32_t *)(0xE000E180u + 4u * ((n) >> 5)))
#define RX_NVIC_ISPR(n) (*(volatile uint32_t *)(0xE000E200u + 4u * ((n) >> 5)))

static volatile uint8_t rx_ring_paused;

/* From the receive interrupt, once the ring is full. */
static inline void rx_ring_pause(unsigned irqn)
{
    RX_NVIC_ICER(irqn) = 1u << (irqn & 31u);
    rx_ring_paused = 1;
}

static inline int rx_ring_get_or_sleep(unsigned irqn)
{
    int c;
    if (rx_ring_empty()) {
        __asm__ volatile("cpsid i" ::: "memory");
        if (rx_ring_empty())
            __asm__ volatile("wfi");
        __asm__ volatile("cpsie i" ::: "memory");
    }
    c = rx_ring_get();
    if (rx_ring_paused) {
        rx_ring_paused = 0;
        RX_NVIC_ISPR(irqn) = 1u << (irqn & 31u);
        RX_NVIC_ISER(irqn) = 1u << (irqn & 31u);
    }
    return c;
}

#endif
