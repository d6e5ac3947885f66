/* Board layer for Arm's MPS2 with the AN500 FPGA image (Cortex-M7, double-precision FPU):
 * UART0 (the CMSDK APB UART, QEMU's first serial port) with an RX interrupt into a ring
 * buffer, and the DWT cycle counter, or SysTick where there is no DWT (QEMU), which the
 * hello's flags then say.
 *
 * Clock: the FPGA image's 25 MHz SYSCLK drives the core, SysTick and the UART's baud
 * divider alike; it has no PLL to set up. */
#include "board.h"

#include "frame_codec.h"
#include "cortex_m_cycles.h"
#include "cortex_m_rx.h"

#ifndef BAUD
#error "BAUD must be set by the build"
#endif

#define REG(addr) (*(volatile uint32_t *)(addr))

#define SYSCLK_HZ 25000000u
#define NVIC_ISER0 REG(0xE000E100u)

#define UART0_BASE 0x40004000u
#define UART0_RX_IRQN 0
#define UART_DATA REG(UART0_BASE + 0x00u)
#define UART_STATE REG(UART0_BASE + 0x04u)
#define UART_CTRL REG(UART0_BASE + 0x08u)
#define UART_INTCLEAR REG(UART0_BASE + 0x0Cu) /* INTSTATUS when read; write 1 to clear */
#define UART_BAUDDIV REG(UART0_BASE + 0x10u)
#define STATE_TXFULL (1u << 0)
#define STATE_RXFULL (1u << 1)
#define CTRL_TX_EN (1u << 0)
#define CTRL_RX_EN (1u << 1)
#define CTRL_RX_INTEN (1u << 3)
#define INT_RX (1u << 1)

#ifdef GNC_REAL_FLOAT
#define NAME "mps2-an500 f32"
#else
#define NAME "mps2-an500 f64"
#endif

/* The M7 has no reset-cause register and the MPS2 reports none: a word that start-up
 * leaves alone tells a cold start (power-on: not yet written) from any later reset. */
#define WARM_MAGIC 0x5741524Du
__attribute__((section(".noinit"))) static uint32_t warm_marker;

static uint8_t cold_start;

/* The interrupt stays raised until cleared: clear it first, then drain, so a byte that
 * arrives after the last read raises it again instead of waiting unseen. */
void UART0_RX_IRQHandler(void)
{
    UART_INTCLEAR = INT_RX;
    while (!rx_ring_full() && (UART_STATE & STATE_RXFULL))
        rx_ring_put((uint8_t)UART_DATA);
    if (rx_ring_full())
        rx_ring_pause(UART0_RX_IRQN);
}

void board_init(void)
{
    cold_start = warm_marker != WARM_MAGIC;
    warm_marker = WARM_MAGIC;
    UART_BAUDDIV = (SYSCLK_HZ + BAUD / 2u) / BAUD; /* at least 16: 1.56 Mbaud at most */
    UART_CTRL = CTRL_TX_EN | CTRL_RX_EN | CTRL_RX_INTEN;
    NVIC_ISER0 = 1u << UART0_RX_IRQN;
    cycles_start(1);
}

int board_read(void) { return rx_ring_get_or_sleep(UART0_RX_IRQN); }

void board_write(const uint8_t *data, size_t len)
{
    while (len--) {
        while (UART_STATE & STATE_TXFULL)
            ;
        UART_DATA = *data++;
    }
}

uint32_t board_clock_hz(void) { return SYSCLK_HZ; }

const char *board_name(void) { return cold_start ? NAME " reset:power-on" : NAME " reset:warm"; }
