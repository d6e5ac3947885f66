/* Board layer for the host: the in-process stub board of gnc/hil/board.py.  Its UART is a
 * pair of byte buffers that Python fills and drains (cffi, csrc/build_cffi.py), its
 * cycle counter the monotonic clock in nanoseconds; the protocol is the firmware's own
 * hil_protocol.c, so the stub and every board answer from one code path.
 *
 *     gnc_host_boot(board, reason, hooked)   power on: hil_protocol_init, the unprompted hello
 *     gnc_host_feed(data, len)               bytes from the host, handled at once
 *     gnc_host_take(out, cap)                what the board sent meanwhile
 *
 * The flight-software step is pluggable: the C build's fsw_step, or (hooked) the numba
 * reference through cffi's extern "Python" callbacks.  Nothing here is exported: cffi
 * calls it inside its own library, and both host builds (double and float) define the
 * same names in one process (gnc/core/fsw_c.py loads them RTLD_GLOBAL). */
#define _POSIX_C_SOURCE 199309L /* clock_gettime under -std=c99 */
#include <string.h>
#include <time.h>

#include "../common/board.h"
#include "frame_codec.h"
#include "fsw_step.h" /* before the #defines below: the real fsw_step/fsw_reset keep their names */
#include "fsw_step_pdg.h"

/* extern "Python+C" in csrc/build_cffi.py: defined by cffi, attached by gnc/hil/board.py. */
void gnc_host_hook_step(const real *sf, const real *cfg, real *fs, real *af);
void gnc_host_hook_reset(real *fs);

static int hooked;     /* the numba flight software steps instead of the C build's */
static uint32_t steps; /* flight-software steps since load: Python tells a new answer from a repeat */

static void gnc_host_fsw_step(const real *sf, const real *cfg, real *fs, real *af)
{
    ++steps;
    if (hooked)
        gnc_host_hook_step(sf, cfg, fs, af);
    else
        fsw_step(sf, cfg, fs, af);
}

/* the fuel-optimal law's step: the C build's own (numba's law keeps its memory in a row of
 * its own arrays, which the hook does not carry, so a hooked stub refuses the law) */
static void gnc_host_fsw_step_pdg(const real *sf, const real *cfg, real *fs, real *af, pdg_law_mem *M)
{
    ++steps;
    fsw_step_pdg(sf, cfg, fs, af, M);
}

#define HIL_PDG_REFUSAL() (hooked ? "pdg not on the numba stub (fly --fsw c or c-float)" : (const char *)0)

static void gnc_host_fsw_reset(real *fs)
{
    if (hooked)
        gnc_host_hook_reset(fs);
    else
        fsw_reset(fs);
}

/* The firmware's protocol source itself, not a copy, with its two flight-software calls
 * routed through the hook above; for every other target hil_protocol.c compiles as is. */
#define fsw_step gnc_host_fsw_step
#define fsw_step_pdg gnc_host_fsw_step_pdg
#define fsw_reset gnc_host_fsw_reset
#include "../common/hil_protocol.c"
#undef fsw_step
#undef fsw_step_pdg
#undef fsw_reset

static const uint8_t *in_data;
static size_t in_len;
/* Room for many replies; board_read stops taking input while a worst-case reply would
 * not fit, as a UART's sender waits, so nothing is ever dropped here. */
static uint8_t out[64 * GNC_LOG_WIRE_MAX];
static size_t out_len;
static char name[GNC_HELLO_NAME_MAX + 1];

void board_init(void) {}

int board_read(void)
{
    if (in_len == 0 || sizeof out - out_len < sizeof tx)
        return -1;
    --in_len;
    return *in_data++;
}

void board_write(const uint8_t *data, size_t len)
{
    memcpy(out + out_len, data, len); /* fits: board_read kept room for one tx buffer */
    out_len += len;
}

uint32_t board_cycles(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint32_t)((uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec);
}

uint32_t board_cycle_mask(void) { return 0xFFFFFFFFUL; }

uint32_t board_clock_hz(void) { return 1000000000UL; }

uint8_t board_hello_flags(void) { return 0; } /* a true nanosecond clock, not SysTick */

const char *board_name(void) { return name; }

/* "<board> <real> reset:<reason>", as the firmware's boards name themselves. */
void gnc_host_boot(const char *board, const char *reason, int hook)
{
    const char *parts[3];
    size_t n = 0;
    int k;
    parts[0] = board;
    parts[1] = sizeof(real) == 4 ? " f32 reset:" : " f64 reset:";
    parts[2] = reason;
    for (k = 0; k < 3; ++k) {
        size_t len = strlen(parts[k]);
        if (len > GNC_HELLO_NAME_MAX - n)
            len = GNC_HELLO_NAME_MAX - n;
        memcpy(name + n, parts[k], len);
        n += len;
    }
    name[n] = '\0';
    hooked = hook;
    in_len = 0;
    out_len = 0;
    board_init();
    hil_protocol_init();
}

/* Handle bytes from the host; returns how many were taken (all, unless the replies
 * waiting in the output buffer fill it: take them and feed the rest). */
size_t gnc_host_feed(const uint8_t *data, size_t len)
{
    in_data = data;
    in_len = len;
    hil_protocol_poll();
    len -= in_len;
    in_len = 0;
    return len;
}

size_t gnc_host_take(uint8_t *dst, size_t cap)
{
    size_t n = out_len < cap ? out_len : cap;
    memcpy(dst, out, n);
    memmove(out, out + n, out_len - n);
    out_len -= n;
    return n;
}

uint32_t gnc_host_steps(void) { return steps; }
