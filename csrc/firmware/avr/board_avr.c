/* Board layer for the ATmega2560 (Arduino Mega 2560) and its kin: USART0 (the USB
 * serial port of Arduino boards) with an RX interrupt into a ring buffer, Timer1 at the
 * CPU clock extended to 32 bits in its overflow interrupt as the cycle counter. */
#include "board.h"

#include <avr/interrupt.h>
#include <avr/io.h>
#include <avr/wdt.h>

#include "frame_codec.h"
#include "rx_ring.h"

#ifndef F_CPU
#error "F_CPU (Hz) must be set by the build"
#endif
#ifndef BAUD
#error "BAUD must be set by the build"
#endif

/* USART0's RX vector has a different name on single-USART parts (ATmega328P). */
#if defined(USART0_RX_vect)
#define RX_VECT USART0_RX_vect
#else
#define RX_VECT USART_RX_vect
#endif

static volatile uint16_t timer_high;
static uint8_t reset_flags;

ISR(RX_VECT)
{
    rx_ring_put(UDR0);
}

ISR(TIMER1_OVF_vect)
{
    ++timer_high;
}

void board_init(void)
{
    reset_flags = MCUSR;
    MCUSR = 0;
    wdt_disable();
    /* Double speed: 16 MHz gives 1 Mbaud exactly and 115200 within 2.1 %. */
    UCSR0A = (uint8_t)(1u << U2X0);
    UBRR0 = (uint16_t)((F_CPU + 4UL * BAUD) / (8UL * BAUD) - 1UL);
    UCSR0C = (uint8_t)((1u << UCSZ01) | (1u << UCSZ00)); /* 8N1 */
    UCSR0B = (uint8_t)((1u << RXEN0) | (1u << TXEN0) | (1u << RXCIE0));
    TCCR1A = 0;
    TCCR1B = (uint8_t)(1u << CS10); /* no prescaler: one count per CPU cycle */
    TIMSK1 = (uint8_t)(1u << TOIE1);
    sei();
}

int board_read(void) { return rx_ring_get(); }

void board_write(const uint8_t *data, size_t len)
{
    while (len--) {
        while (!(UCSR0A & (1u << UDRE0)))
            ;
        UDR0 = *data++;
    }
}

uint32_t board_cycles(void)
{
    uint8_t sreg = SREG;
    uint16_t high, low;
    cli();
    low = TCNT1;
    high = timer_high;
    if ((TIFR1 & (1u << TOV1)) && low < 0x8000u)
        ++high; /* the counter wrapped after cli(): its interrupt is still pending */
    SREG = sreg;
    return ((uint32_t)high << 16) | low;
}

uint32_t board_cycle_mask(void) { return 0xFFFFFFFFUL; }

uint32_t board_clock_hz(void) { return F_CPU; }

uint8_t board_hello_flags(void) { return 0; }

const char *board_name(void)
{
    if (reset_flags & (1u << WDRF))
        return BOARD_NAME " f32 reset:watchdog";
    if (reset_flags & (1u << BORF))
        return BOARD_NAME " f32 reset:brown-out";
    if (reset_flags & (1u << EXTRF))
        return BOARD_NAME " f32 reset:pin";
    if (reset_flags & (1u << PORF))
        return BOARD_NAME " f32 reset:power-on";
    return BOARD_NAME " f32 reset:other";
}
