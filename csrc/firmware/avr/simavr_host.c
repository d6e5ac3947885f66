/* Runs AVR firmware in simavr with USART0 on a pseudo-terminal: the emulated board
 * behind `gnc board emulate avr`.  A host program, built with the host's gcc against
 * Debian's libsimavr-dev (whose `simavr` binary has no UART-to-pty option).
 *
 *     simavr_host [--realtime] FIRMWARE.ELF [MCU [F_CPU]]   prints "PTY /dev/pts/N", then runs
 *
 * simavr runs the MCU as fast as the host allows (several times its real speed on a PC);
 * --realtime paces it to the wall clock, the simulated time never ahead of it, so a
 * real-time session sees the board's own speed: its step times and overruns are the
 * real board's.  SIGUSR1 resets the MCU (as the reset button does); SIGTERM or SIGINT ends
 * it, printing the simulated and wall-clock time (and, paced, how far at most the
 * simulation fell behind the wall clock: a host too slow or too busy to keep up).
 *
 * The pty bridge is our own, in the simulation thread, rather than simavr's uart_pty
 * part: that part reads the pty in chunks into a 512-byte FIFO that overflows on a
 * config message (over 600 bytes) and then stops answering.  Here bytes wait in our buffer
 * until the UART's flow control (XON/XOFF irqs) takes them, so nothing is lost, and the
 * slave side stays open so output written before a client connects is kept. */
#define _XOPEN_SOURCE 600
#define _DEFAULT_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "avr_uart.h"
#include "sim_avr.h"
#include "sim_cycle_timers.h"
#include "sim_elf.h"
#include "sim_io.h"
#include "sim_irq.h"
#include "sim_time.h"

#define POLL_US 50 /* simulated time between looks at the pty: 5 bytes at 1 Mbaud */
#define PACE_SLEEP_MIN_S 500e-6 /* paced: sleep once this far ahead (fewer, longer sleeps) */

static volatile sig_atomic_t reset_requested, stop_requested;
static int master = -1;
static avr_irq_t *uart_in;
static int xoff;
static uint8_t in_buf[4096], out_buf[4096];
static size_t in_head, in_len, out_len;
static int realtime;
static double pace_wall0, pace_sim0, pace_max_lag_s; /* the wall clock and simulated time paced from */

static void on_signal(int sig)
{
    if (sig == SIGUSR1)
        reset_requested = 1;
    else
        stop_requested = 1;
}

static double wall_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void flush_out(void)
{
    size_t done = 0;
    while (done < out_len) {
        ssize_t n = write(master, out_buf + done, out_len - done);
        if (n <= 0)
            break; /* the pty buffer is full (no reader): keep the rest for later */
        done += (size_t)n;
    }
    memmove(out_buf, out_buf + done, out_len - done);
    out_len -= done;
}

static void feed_uart(void)
{
    while (!xoff && in_head < in_len)
        avr_raise_irq(uart_in, in_buf[in_head++]);
}

static void on_uart_byte(struct avr_irq_t *irq, uint32_t value, void *param)
{
    (void)irq, (void)param;
    if (out_len == sizeof out_buf)
        flush_out();
    if (out_len < sizeof out_buf)
        out_buf[out_len++] = (uint8_t)value;
}

static void on_xon(struct avr_irq_t *irq, uint32_t value, void *param)
{
    (void)irq, (void)value, (void)param;
    xoff = 0;
    feed_uart();
}

static void on_xoff(struct avr_irq_t *irq, uint32_t value, void *param)
{
    (void)irq, (void)value, (void)param;
    xoff = 1;
}

static double sim_s(const avr_t *avr)
{
    return (double)avr->cycle / (double)avr->frequency;
}

/* Paced: sleep while the simulation is ahead of the wall clock; note how far behind it fell. */
static void pace(const avr_t *avr)
{
    double ahead = (sim_s(avr) - pace_sim0) - (wall_s() - pace_wall0);
    if (ahead >= PACE_SLEEP_MIN_S) {
        struct timespec ts;
        ts.tv_sec = (time_t)ahead;
        ts.tv_nsec = (long)((ahead - (double)ts.tv_sec) * 1e9);
        nanosleep(&ts, NULL);
    } else if (-ahead > pace_max_lag_s) {
        pace_max_lag_s = -ahead;
    }
}

static avr_cycle_count_t poll_pty(avr_t *avr, avr_cycle_count_t when, void *param)
{
    (void)param;
    if (realtime)
        pace(avr);
    flush_out();
    if (in_head == in_len) {
        ssize_t n = read(master, in_buf, sizeof in_buf);
        in_head = 0;
        in_len = n > 0 ? (size_t)n : 0;
    }
    feed_uart();
    return when + avr_usec_to_cycles(avr, POLL_US);
}

static int open_pty(char *slave_name, size_t cap)
{
    struct termios tio;
    int slave;
    master = posix_openpt(O_RDWR | O_NOCTTY);
    if (master < 0 || grantpt(master) || unlockpt(master) || !ptsname(master))
        return -1;
    snprintf(slave_name, cap, "%s", ptsname(master));
    slave = open(slave_name, O_RDWR | O_NOCTTY); /* kept open: see the note at the top */
    if (slave < 0 || tcgetattr(slave, &tio))
        return -1;
    cfmakeraw(&tio);
    tcsetattr(slave, TCSANOW, &tio);
    return fcntl(master, F_SETFL, O_NONBLOCK);
}

int main(int argc, char **argv)
{
    elf_firmware_t fw;
    avr_t *avr;
    struct sigaction sa;
    char slave_name[64];
    double t0;
    int state = cpu_Running;
    const char *mcu;
    uint32_t f_cpu;
    uint32_t flags = 0;

    if (argc > 1 && strcmp(argv[1], "--realtime") == 0) {
        realtime = 1;
        argv++;
        argc--;
    }
    if (argc < 2) {
        fprintf(stderr, "usage: %s [--realtime] FIRMWARE.ELF [MCU [F_CPU]]\n", argv[0]);
        return 2;
    }
    mcu = argc > 2 ? argv[2] : "atmega2560";
    f_cpu = argc > 3 ? (uint32_t)strtoul(argv[3], NULL, 10) : 16000000u;
    memset(&fw, 0, sizeof fw);
    if (elf_read_firmware(argv[1], &fw) != 0) {
        fprintf(stderr, "simavr_host: cannot read %s\n", argv[1]);
        return 1;
    }
    if (!fw.mmcu[0])
        snprintf(fw.mmcu, sizeof fw.mmcu, "%s", mcu);
    if (!fw.frequency)
        fw.frequency = f_cpu;
    avr = avr_make_mcu_by_name(fw.mmcu);
    if (!avr) {
        fprintf(stderr, "simavr_host: simavr has no MCU named %s\n", fw.mmcu);
        return 1;
    }
    avr_init(avr);
    avr_load_firmware(avr, &fw);
    if (open_pty(slave_name, sizeof slave_name)) {
        fprintf(stderr, "simavr_host: cannot create a pty: %s\n", strerror(errno));
        return 1;
    }
    /* On by default: POLL_SLEEP sleeps ~60 us on every UART status poll until the first
     * byte is sent, STDIO copies the binary traffic to our stdout. */
    avr_ioctl(avr, AVR_IOCTL_UART_GET_FLAGS('0'), &flags);
    flags &= ~(uint32_t)(AVR_UART_FLAG_POLL_SLEEP | AVR_UART_FLAG_STDIO);
    avr_ioctl(avr, AVR_IOCTL_UART_SET_FLAGS('0'), &flags);
    uart_in = avr_io_getirq(avr, AVR_IOCTL_UART_GETIRQ('0'), UART_IRQ_INPUT);
    avr_irq_register_notify(avr_io_getirq(avr, AVR_IOCTL_UART_GETIRQ('0'), UART_IRQ_OUTPUT), on_uart_byte, NULL);
    avr_irq_register_notify(avr_io_getirq(avr, AVR_IOCTL_UART_GETIRQ('0'), UART_IRQ_OUT_XON), on_xon, NULL);
    avr_irq_register_notify(avr_io_getirq(avr, AVR_IOCTL_UART_GETIRQ('0'), UART_IRQ_OUT_XOFF), on_xoff, NULL);
    avr_cycle_timer_register_usec(avr, POLL_US, poll_pty, NULL);

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    printf("PTY %s\n", slave_name); /* the parent parses this line */
    fflush(stdout);
    t0 = pace_wall0 = wall_s();
    pace_sim0 = sim_s(avr);
    while (!stop_requested && state != cpu_Done && state != cpu_Crashed) {
        if (reset_requested) {
            reset_requested = 0;
            avr_reset(avr);
            avr_cycle_timer_register_usec(avr, POLL_US, poll_pty, NULL); /* reset cancels timers */
            pace_wall0 = wall_s(); /* the reset may have moved the cycle count: pace from here */
            pace_sim0 = sim_s(avr);
        }
        state = avr_run(avr);
    }
    flush_out();
    printf("STOP %s after %.3f s simulated, %.3f s wall",
           state == cpu_Crashed ? "crashed" : state == cpu_Done ? "done" : "signal", sim_s(avr), wall_s() - t0);
    if (realtime)
        printf(", paced, at most %.1f ms behind the wall clock", 1e3 * pace_max_lag_s);
    printf("\n");
    fflush(stdout);
    return state == cpu_Crashed ? 1 : 0;
}
