/* The next received byte on a Cortex-M board layer (the ring of rx_ring.h, filled by its
 * receive interrupt), or -1 when none came.  Sleeps (WFI) until the next interrupt while
 * the ring is empty: an idle board draws less, and QEMU, instead of spinning the guest,
 * hands over the next byte at once (a round trip under -icount takes ~24 ms spinning).
 * Interrupts are masked between the check and the WFI so a byte arriving in between still
 * wakes it.  Include it from the board layer only, as rx_ring.h. */
#ifndef GNC_CORTEX_M_RX_H
#define GNC_CORTEX_M_RX_H

#include "rx_ring.h"

static inline int rx_ring_get_or_sleep(void)
{
    if (rx_ring_empty()) {
        __asm__ volatile("cpsid i" ::: "memory");
        if (rx_ring_empty())
            __asm__ volatile("wfi");
        __asm__ volatile("cpsie i" ::: "memory");
    }
    return rx_ring_get();
}

#endif
