/* Board layer for the SiFive HiFive1 Rev B (FE310-G002: an E31 core, RV32IMAC, no FPU):
 * UART0 (the J-Link OB's USB serial port) with its receive interrupt through the PLIC into
 * a ring buffer, and the core's mcycle CSR as the step counter.
 *
 * The clock: on the chip the firmware runs the core from the 16 MHz crystal (HFXOSC, the
 * PLL bypassed), so mcycle counts 16 MHz cycles and the UART divisor is exact for 1 Mbaud.
 * QEMU 7.2's sifive_e is no cycle model: its mcycle counts the virtual clock's nanoseconds
 * under -icount (the host's time-stamp counter without), its CLINT mtime runs at 10 MHz of
 * virtual time (the chip's at 32,768 Hz) and its core says mvendorid 0 (the E31: SiFive's
 * 0x489).  So where the core is not SiFive's, the firmware measures mcycle against mtime
 * at boot and the hello says that rate: 1 GHz under -icount, whatever the shift. */
#include "board.h"

#include "rx_ring.h"

#ifndef BAUD
#error "BAUD must be set by the build"
#endif

#define REG(addr) (*(volatile uint32_t *)(addr))

#define SIFIVE_MVENDORID 0x489u
#define HFXOSC_HZ 16000000u
#define QEMU_MTIME_HZ 10000000u
#define CLINT_MTIME REG(0x0200BFF8u) /* low word */

#define PRCI_HFXOSCCFG REG(0x10008004u)
#define PRCI_PLLCFG REG(0x10008008u)
#define HFXOSC_EN (1u << 30)
#define HFXOSC_RDY (1u << 31)
#define PLL_SEL (1u << 16)
#define PLL_REFSEL (1u << 17)
#define PLL_BYPASS (1u << 18)

#define GPIO_IOF_EN REG(0x10012038u)
#define GPIO_IOF_SEL REG(0x1001203Cu)
#define UART0_PINS (3u << 16) /* GPIO 16 RX, 17 TX: IOF0 */

#define UART0_BASE 0x10013000u
#define UART_TXDATA REG(UART0_BASE + 0x00u)
#define UART_RXDATA REG(UART0_BASE + 0x04u)
#define UART_TXCTRL REG(UART0_BASE + 0x08u)
#define UART_RXCTRL REG(UART0_BASE + 0x0Cu)
#define UART_IE REG(UART0_BASE + 0x10u)
#define UART_DIV REG(UART0_BASE + 0x18u)
#define UART_FULL (1u << 31)  /* txdata: the FIFO takes no more */
#define UART_EMPTY (1u << 31) /* rxdata: nothing was read */
#define UART_IE_RXWM (1u << 1) /* rxcnt 0: raised while the FIFO holds a byte */

#define PLIC_BASE 0x0C000000u
#define UART0_IRQ 3u
#define PLIC_PRIORITY(n) REG(PLIC_BASE + 4u * (n))
#define PLIC_ENABLE0 REG(PLIC_BASE + 0x2000u)
#define PLIC_THRESHOLD REG(PLIC_BASE + 0x200000u)
#define PLIC_CLAIM REG(PLIC_BASE + 0x200004u)

#define MSTATUS_MIE (1u << 3)
#define MIE_MEIE (1u << 11)

#ifdef GNC_REAL_FLOAT
#define NAME "sifive_e f32"
#else
#define NAME "sifive_e f64"
#endif

/* A word that start-up leaves alone tells a cold start (power-on: not yet written) from
 * any later reset, as on the Cortex-M boards (QEMU 7.2 does not model the AON's pmucause). */
#define WARM_MAGIC 0x5741524Du
__attribute__((section(".noinit"))) static uint32_t warm_marker;

static uint8_t cold_start;
static uint32_t clock_hz;

#define CSR_READ(name)                                                                             \
    ({                                                                                             \
        uint32_t v_;                                                                               \
        __asm__ volatile("csrr %0, " #name : "=r"(v_));                                          \
        v_;                                                                                        \
    })

static volatile uint8_t rx_paused;

/* The only trap enabled is the machine external interrupt: drain the UART's receive FIFO
 * (8 bytes on the chip, 87 us a byte at 115200 baud) into the ring, up to a full ring:
 * then its interrupt is off until board_read has taken a byte (rx_ring.h says why).
 * Anything else is a fault: stop, and the host sees silence. */
__attribute__((interrupt("machine"), aligned(4))) static void trap_handler(void)
{
    uint32_t irq, c;
    if (!(CSR_READ(mcause) & 0x80000000u))
        for (;;)
            ;
    while ((irq = PLIC_CLAIM) != 0) {
        if (irq == UART0_IRQ) {
            while (!rx_ring_full() && !((c = UART_RXDATA) & UART_EMPTY))
                rx_ring_put((uint8_t)c);
            if (rx_ring_full()) {
                UART_IE = 0u;
                rx_paused = 1;
            }
        }
        PLIC_CLAIM = irq; /* complete */
    }
}

/* mcycle's rate against mtime's, over 1/16 s: a count is good to a few instructions, so
 * the rate to ~1 ppm; rounded to the kHz. */
static uint32_t measure_clock(uint32_t mtime_hz)
{
    uint32_t t0 = CLINT_MTIME, c0;
    uint64_t hz;
    while (CLINT_MTIME == t0)
        ;
    t0 = CLINT_MTIME;
    c0 = CSR_READ(mcycle);
    while (CLINT_MTIME - t0 < mtime_hz / 16u)
        ;
    hz = (uint64_t)(CSR_READ(mcycle) - c0) * 16u;
    return (uint32_t)((hz + 500u) / 1000u * 1000u);
}

static void clock_from_crystal(void)
{
    PRCI_HFXOSCCFG |= HFXOSC_EN;
    while (!(PRCI_HFXOSCCFG & HFXOSC_RDY))
        ;
    PRCI_PLLCFG &= ~PLL_SEL; /* off the PLL (the bootloader may use it) before changing it */
    PRCI_PLLCFG |= PLL_REFSEL | PLL_BYPASS;
    PRCI_PLLCFG |= PLL_SEL; /* hfclk = the crystal, through the bypassed PLL */
}

void board_init(void)
{
    cold_start = warm_marker != WARM_MAGIC;
    warm_marker = WARM_MAGIC;
    if (CSR_READ(mvendorid) == SIFIVE_MVENDORID) {
        clock_from_crystal();
        clock_hz = HFXOSC_HZ;
    } else {
        clock_hz = measure_clock(QEMU_MTIME_HZ);
    }
    GPIO_IOF_SEL &= ~UART0_PINS;
    GPIO_IOF_EN |= UART0_PINS;
    /* the UART's clock is the core's; QEMU's UART ignores the divisor */
    UART_DIV = (HFXOSC_HZ + BAUD / 2u) / BAUD - 1u;
    UART_TXCTRL = 1u; /* txen, one stop bit */
    UART_RXCTRL = 1u; /* rxen, watermark 0 */
    UART_IE = UART_IE_RXWM;
    __asm__ volatile("csrw mtvec, %0" ::"r"(trap_handler));
    PLIC_PRIORITY(UART0_IRQ) = 1u;
    PLIC_THRESHOLD = 0u;
    PLIC_ENABLE0 = 1u << UART0_IRQ;
    __asm__ volatile("csrs mie, %0" ::"r"(MIE_MEIE));
    __asm__ volatile("csrs mstatus, %0" ::"r"(MSTATUS_MIE) : "memory");
}

/* Sleep (WFI) while the ring is empty, interrupts masked between the check and the WFI so a
 * byte arriving in between still wakes it (WFI wakes on a pending interrupt that mie
 * enables, whatever mstatus.MIE says); QEMU then hands over the next byte at once instead
 * of spinning the guest. */
int board_read(void)
{
    int c;
    if (rx_ring_empty()) {
        __asm__ volatile("csrc mstatus, %0" ::"r"(MSTATUS_MIE) : "memory");
        if (rx_ring_empty())
            __asm__ volatile("wfi");
        __asm__ volatile("csrs mstatus, %0" ::"r"(MSTATUS_MIE) : "memory");
    }
    c = rx_ring_get();
    if (rx_paused) {
        rx_paused = 0;
        UART_IE = UART_IE_RXWM; /* raised again at once if the FIFO holds a byte */
    }
    return c;
}

/* Reading txdata says whether the FIFO is full; a store queues one byte. */
void board_write(const uint8_t *data, size_t len)
{
    while (len--) {
        while (UART_TXDATA & UART_FULL)
            ;
        UART_TXDATA = *data++;
    }
}

uint32_t board_cycles(void) { return CSR_READ(mcycle); }

uint32_t board_cycle_mask(void) { return 0xFFFFFFFFu; }

uint32_t board_clock_hz(void) { return clock_hz; }

uint8_t board_hello_flags(void) { return 0; }

const char *board_name(void) { return cold_start ? NAME " reset:power-on" : NAME " reset:warm"; }
