/* The UART receive ring every interrupt-driven board layer uses: 256 bytes, so the
 * uint8_t indices wrap by themselves.  Static inline with its storage here, so the
 * interrupt handler calls nothing (on an AVR a call from an ISR saves every register).
 * Include it from the board layer only: one ring per firmware.
 *
 * A board layer whose interrupt drains its UART in a loop stops at a full ring and leaves
 * the rest in the UART until the main loop has taken a byte (rx_ring_full, and the layer's
 * own pause): under QEMU, reading the UART pulls the next byte from the pty at once, so an
 * unbounded drain loop runs as long as the host has bytes queued, and a config (648 bytes)
 * sent in one write overran the ring while the main loop was starved.  A board whose
 * interrupt takes one byte (the AVR) overwrites the oldest bytes of a full ring: that takes
 * more than two sensor frames queued behind one step, which only a real-time host
 * outrunning the board sends. */
#ifndef GNC_RX_RING_H
#define GNC_RX_RING_H

#include <stdint.h>

static volatile uint8_t rx_ring[256];
static volatile uint8_t rx_ring_head;
static uint8_t rx_ring_tail;

/* From the receive interrupt. */
static inline void rx_ring_put(uint8_t byte)
{
    rx_ring[rx_ring_head] = byte;
    rx_ring_head = (uint8_t)(rx_ring_head + 1u);
}

static inline int rx_ring_empty(void) { return rx_ring_tail == rx_ring_head; }

static inline int rx_ring_full(void) { return (uint8_t)(rx_ring_head + 1u) == rx_ring_tail; }

/* The oldest byte, or -1 if none. */
static inline int rx_ring_get(void)
{
    int c;
    if (rx_ring_empty())
        return -1;
    c = rx_ring[rx_ring_tail];
    rx_ring_tail = (uint8_t)(rx_ring_tail + 1u);
    return c;
}

#endif
