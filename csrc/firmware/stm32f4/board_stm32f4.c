/* Board layer for STM32F405/F407/F446 (Cortex-M4F): one USART chosen at build time with
 * an RX interrupt into a ring buffer, and the DWT cycle counter, or SysTick where there
 * is no DWT (QEMU), which the hello's flags then say.
 *
 * Clock: the 16 MHz HSI the chip starts on, untouched.  QEMU has no RCC model (a PLL
 * that never locks would hang there), and a step's cycle count does not depend on the
 * clock; set up the PLL here to run a real board faster. */
#include "board.h"

#include "frame_codec.h"
#include "cortex_m_cycles.h"
#include "cortex_m_rx.h"

#ifndef BAUD
#error "BAUD must be set by the build"
#endif

#define REG(addr) (*(volatile uint32_t *)(addr))

#define HSI_HZ 16000000u
#define RCC_AHB1ENR REG(0x40023830u)
#define RCC_APB1ENR REG(0x40023840u)
#define RCC_APB2ENR REG(0x40023844u)
#define GPIOA_MODER REG(0x40020000u)
#define GPIOA_AFRL REG(0x40020020u)
#define GPIOA_AFRH REG(0x40020024u)
#define NVIC_ISER1 REG(0xE000E104u)
#define RSTSCR REG(0x40023874u) /* RCC_CSR: reset flags */

/* Per board: the USART wired to the host, its RX/TX pins on GPIOA (alternate function 7). */
#if defined(BOARD_NETDUINOPLUS2)
#define USART_BASE 0x40011000u /* USART1, PA9/PA10: QEMU's first serial port */
#define USART_IRQN 37
#define USART_CLOCK_ON() (RCC_APB2ENR |= 1u << 4)
#define TX_PIN 9
#define RX_PIN 10
#define NAME "netduinoplus2"
/* QEMU clocks this machine's core, and SysTick with it, at 168 MHz whatever RCC says. */
#define SYSTICK_HZ 168000000u
#elif defined(BOARD_NUCLEO_F446RE) || defined(BOARD_DISCO_F407)
#define USART_BASE 0x40004400u /* USART2, PA2/PA3: the ST-LINK virtual COM port on a Nucleo */
#define USART_IRQN 38
#define USART_CLOCK_ON() (RCC_APB1ENR |= 1u << 17)
#define TX_PIN 2
#define RX_PIN 3
#ifdef BOARD_NUCLEO_F446RE
#define NAME "nucleo-f446re"
#else
#define NAME "stm32f4-discovery"
#endif
#define SYSTICK_HZ HSI_HZ
#else
#error "set BOARD_NETDUINOPLUS2, BOARD_NUCLEO_F446RE or BOARD_DISCO_F407"
#endif

#define USART_SR REG(USART_BASE + 0x00u)
#define USART_DR REG(USART_BASE + 0x04u)
#define USART_BRR REG(USART_BASE + 0x08u)
#define USART_CR1 REG(USART_BASE + 0x0Cu)
#define SR_RXNE (1u << 5)
#define SR_TXE (1u << 7)

static uint32_t reset_flags;

static void usart_irq(void)
{
    while (!rx_ring_full() && (USART_SR & SR_RXNE))
        rx_ring_put((uint8_t)USART_DR);
    if (rx_ring_full())
        rx_ring_pause(USART_IRQN);
}

void USART1_IRQHandler(void) { usart_irq(); }
void USART2_IRQHandler(void) { usart_irq(); }

static void pin_af7(unsigned pin)
{
    GPIOA_MODER = (GPIOA_MODER & ~(3u << (2 * pin))) | (2u << (2 * pin));
    if (pin < 8)
        GPIOA_AFRL = (GPIOA_AFRL & ~(0xFu << (4 * pin))) | (7u << (4 * pin));
    else
        GPIOA_AFRH = (GPIOA_AFRH & ~(0xFu << (4 * (pin - 8)))) | (7u << (4 * (pin - 8)));
}

void board_init(void)
{
    reset_flags = RSTSCR;
    RSTSCR |= 1u << 24; /* RMVF: clear them for the next reset */
    RCC_AHB1ENR |= 1u; /* GPIOA */
    USART_CLOCK_ON();
    pin_af7(TX_PIN);
    pin_af7(RX_PIN);
    USART_BRR = (HSI_HZ + BAUD / 2u) / BAUD; /* oversampling by 16 */
    USART_CR1 = (1u << 13) | (1u << 5) | (1u << 3) | (1u << 2); /* UE, RXNEIE, TE, RE */
    NVIC_ISER1 = 1u << (USART_IRQN - 32);
    cycles_start(0);
}

int board_read(void) { return rx_ring_get_or_sleep(USART_IRQN); }

void board_write(const uint8_t *data, size_t len)
{
    while (len--) {
        while (!(USART_SR & SR_TXE))
            ;
        USART_DR = *data++;
    }
}

uint32_t board_clock_hz(void) { return cycles_from_dwt() ? HSI_HZ : SYSTICK_HZ; }

const char *board_name(void)
{
    if (reset_flags & (1u << 29))
        return NAME " f32 reset:watchdog";
    if (reset_flags & (1u << 28))
        return NAME " f32 reset:software";
    if (reset_flags & (1u << 27))
        return NAME " f32 reset:power-on";
    if (reset_flags & (1u << 26))
        return NAME " f32 reset:pin";
    if (reset_flags & (1u << 25))
        return NAME " f32 reset:brown-out";
    return NAME " f32 reset:unknown";
}
