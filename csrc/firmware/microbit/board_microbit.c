/* Board layer for the BBC micro:bit v1 (nRF51822, Cortex-M0 at 16 MHz): UART0 on the
 * pins DAPLink's USB serial port uses, with an RX interrupt into a ring buffer, and
 * TIMER0 as the step counter.
 *
 * The M0 has no cycle counter and the nRF51 no SysTick (QEMU's microbit has one only
 * because its Cortex-M model always does; a firmware counting it would read nothing on
 * the desk): TIMER0 runs 32-bit at the 16 MHz HCLK instead, read by a capture task.
 * The hello's SysTick flag says the counter is not the core's cycle counter. */
#include "board.h"

#include "frame_codec.h"
#include "cortex_m_rx.h"

#ifndef BAUD
#error "BAUD must be set by the build"
#endif

#define REG(addr) (*(volatile uint32_t *)(addr))

#define HCLK_HZ 16000000u
#define NVIC_ISER0 REG(0xE000E100u)

#define UART0_BASE 0x40002000u
#define UART0_IRQN 2
#define UART_STARTRX REG(UART0_BASE + 0x000u)
#define UART_STARTTX REG(UART0_BASE + 0x008u)
#define UART_RXDRDY REG(UART0_BASE + 0x108u)
#define UART_TXDRDY REG(UART0_BASE + 0x11Cu)
#define UART_INTENSET REG(UART0_BASE + 0x304u)
#define UART_ENABLE REG(UART0_BASE + 0x500u)
#define UART_PSELTXD REG(UART0_BASE + 0x50Cu)
#define UART_PSELRXD REG(UART0_BASE + 0x514u)
#define UART_RXD REG(UART0_BASE + 0x518u)
#define UART_TXD REG(UART0_BASE + 0x51Cu)
#define UART_BAUDRATE REG(UART0_BASE + 0x524u)
#define UART_ENABLE_ON 4u
#define INTEN_RXDRDY (1u << 2)
#define PIN_TX 24u /* micro:bit v1: P0.24 to the interface chip (DAPLink), P0.25 back */
#define PIN_RX 25u

/* BAUDRATE is not a divider: the nRF51 reference manual lists one value per rate. */
#if BAUD == 115200
#define BAUD_REG 0x01D7E000u
#elif BAUD == 1000000
#define BAUD_REG 0x10000000u
#else
#error "the nRF51 UART build supports BAUD=115200 or 1000000"
#endif

#define TIMER0_BASE 0x40008000u
#define TIMER_START REG(TIMER0_BASE + 0x000u)
#define TIMER_CLEAR REG(TIMER0_BASE + 0x00Cu)
#define TIMER_CAPTURE0 REG(TIMER0_BASE + 0x040u)
#define TIMER_MODE REG(TIMER0_BASE + 0x504u)
#define TIMER_BITMODE REG(TIMER0_BASE + 0x508u)
#define TIMER_PRESCALER REG(TIMER0_BASE + 0x510u)
#define TIMER_CC0 REG(TIMER0_BASE + 0x540u)
#define BITMODE_32 3u

#define NAME "microbit f32"

/* A word that start-up leaves alone tells a cold start (power-on: not yet written) from
 * any later reset, as on the other boards (QEMU's nRF51 does not model RESETREAS). */
#define WARM_MAGIC 0x5741524Du
__attribute__((section(".noinit"))) static uint32_t warm_marker;

static uint8_t cold_start;

/* Clear the event before reading RXD: a byte still queued behind it raises it again. */
void UART0_IRQHandler(void)
{
    while (!rx_ring_full() && UART_RXDRDY) {
        UART_RXDRDY = 0;
        rx_ring_put((uint8_t)UART_RXD);
    }
    if (rx_ring_full())
        rx_ring_pause(UART0_IRQN);
}

void board_init(void)
{
    cold_start = warm_marker != WARM_MAGIC;
    warm_marker = WARM_MAGIC;
    UART_PSELTXD = PIN_TX;
    UART_PSELRXD = PIN_RX;
    UART_BAUDRATE = BAUD_REG;
    UART_ENABLE = UART_ENABLE_ON;
    UART_INTENSET = INTEN_RXDRDY;
    UART_STARTTX = 1;
    UART_STARTRX = 1;
    NVIC_ISER0 = 1u << UART0_IRQN;
    TIMER_MODE = 0; /* timer, not counter */
    TIMER_BITMODE = BITMODE_32;
    TIMER_PRESCALER = 0; /* 16 MHz */
    TIMER_CLEAR = 1;
    TIMER_START = 1;
}

int board_read(void) { return rx_ring_get_or_sleep(UART0_IRQN); }

/* One byte at a time: TXD takes the next byte only after TXDRDY said the last one left. */
void board_write(const uint8_t *data, size_t len)
{
    while (len--) {
        UART_TXDRDY = 0;
        UART_TXD = *data++;
        while (!UART_TXDRDY)
            ;
    }
}

uint32_t board_cycles(void)
{
    TIMER_CAPTURE0 = 1;
    return TIMER_CC0;
}

uint32_t board_cycle_mask(void) { return 0xFFFFFFFFu; }

uint32_t board_clock_hz(void) { return HCLK_HZ; }

uint8_t board_hello_flags(void) { return GNC_HELLO_FLAG_SYSTICK_CYCLES; }

const char *board_name(void) { return cold_start ? NAME " reset:power-on" : NAME " reset:warm"; }
