/* The board layer: all the hardware the flight computer's protocol loop touches.
 * Each target (csrc/firmware/<target>/) implements it in one file; nothing else in the
 * firmware knows which microcontroller it runs on. */
#ifndef GNC_BOARD_H
#define GNC_BOARD_H

#include <stddef.h>
#include <stdint.h>

/* UART at the build's baud rate, cycle counter, interrupts on. */
void board_init(void);

/* Next received byte (0..255), or -1 if none has arrived.  It may sleep until the next
 * interrupt first (WFI), never longer. */
int board_read(void);

/* Send len bytes; returns when the last one is queued in the UART. */
void board_write(const uint8_t *data, size_t len);

/* Free-running counter of board_clock_hz() ticks.  It wraps at board_cycle_mask():
 * a step time is (end - start) & mask. */
uint32_t board_cycles(void);
uint32_t board_cycle_mask(void);
uint32_t board_clock_hz(void);

/* GNC_HELLO_FLAG_* bits of the hello message (e.g. the counter is SysTick, not cycles). */
uint8_t board_hello_flags(void);

/* "<board> <real> <reset reason>", at most GNC_HELLO_NAME_MAX characters. */
const char *board_name(void);

#endif
