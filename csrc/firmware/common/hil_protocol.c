/* The fuel-optimal law's room on this board: its build sets PDG_N_MAX (csrc/pdg.h) to the
 * most plan nodes its RAM holds; a build that does not has no room for the law, refuses
 * configs that ask for it and links none of its solver (the check precedes pdg.h, which
 * would give PDG_N_MAX a default). */
#ifdef PDG_N_MAX
#define HIL_PDG_ROOM PDG_N_MAX
#else
#define HIL_PDG_ROOM 0
#endif

#include "hil_protocol.h"

#include "board.h"
#include "cobs.h"
#include "crc32.h"
#include "frame_codec.h"
#include "fsw_step.h"
#include "layout.h"
#include "rmath.h"
#if HIL_PDG_ROOM > 0
#include "fsw_step_pdg.h"
#include "pdg_law_layout.h"
#endif

/* A board layer that cannot fly the law for a reason of its own names it here (the host's
 * stub board when numba steps for it); NULL: no such reason. */
#ifndef HIL_PDG_REFUSAL
#define HIL_PDG_REFUSAL() ((const char *)0)
#endif

/* One receive buffer serves COBS decoding (in place) and then encoding the reply's
 * body; one transmit buffer holds the last reply, which is also what a retransmitted
 * sensor frame gets again.  Static, so the linker's RAM figure is the whole story. */
static uint8_t rx[GNC_WIRE_MAX];
static size_t rx_len;
static uint8_t rx_overflow; /* an over-long message: drop bytes until the next 0x00 */
static uint8_t tx[GNC_LOG_WIRE_MAX];
static size_t tx_len;

#if HIL_PDG_ROOM > 0
/* The state row with the law's PG block and plan for the board's most nodes after FS_LEN
 * (csrc/pdg_law.h), and the solver's memory apart: a board's link script may place it in a
 * RAM of its own (PDG_LAW_MEM_SECTION, e.g. the STM32F4's SRAM while the rest is in its CCM). */
#define HIL_FS_LEN PDG_LAW_PLAN_END(HIL_PDG_ROOM)
#ifdef PDG_LAW_MEM_SECTION
static pdg_law_mem law_mem __attribute__((section(PDG_LAW_MEM_SECTION)));
#else
static pdg_law_mem law_mem;
#endif
static uint8_t law_pdg; /* the configured flight flies the fuel-optimal law */
#else
#define HIL_FS_LEN FS_LEN
#endif
static real sf[SF_LEN], cfg[CF_LEN], fs[HIL_FS_LEN], af[AF_LEN];
static uint8_t configured;
static uint8_t schema_ok; /* 0 after a reset naming another schema: configs refused until a matching one */
static uint8_t have_last; /* tx holds the actuator frame answering last_seq */
static uint16_t last_seq;
static uint8_t have_rx; /* rx_seq is the seq of the last message received intact */
static uint16_t rx_seq;

/* Counters since boot, sent in every actuator frame, so the host can tell a loss on the
 * way up (bad, gaps) from one on the way down (repeats). */
static uint32_t n_bad, n_gaps, n_repeats;

static void send_body(size_t body_len)
{
    tx_len = gnc_wire_pack(tx, sizeof tx, rx, body_len);
    board_write(tx, tx_len);
}

static void send_hello(uint16_t seq)
{
    have_last = 0;
    send_body(gnc_encode_hello(rx, sizeof rx, seq, 0, board_clock_hz(), board_hello_flags(), board_name()));
}

static void send_log(uint16_t seq, const char *text, size_t len)
{
    have_last = 0;
    send_body(gnc_encode_log(rx, sizeof rx, seq, 0, text, len));
}

static char *put_text(char *p, const char *s)
{
    while (*s)
        *p++ = *s++;
    return p;
}

static char *put_hex32(char *p, uint32_t v)
{
    int k;
    for (k = 28; k >= 0; k -= 4)
        *p++ = "0123456789abcdef"[(v >> k) & 0xFu];
    return p;
}

static char *put_int(char *p, long v)
{
    char digits[12];
    int n = 0;
    unsigned long u = v < 0 ? 0UL - (unsigned long)v : (unsigned long)v;
    if (v < 0)
        *p++ = '-';
    do {
        digits[n++] = (char)('0' + u % 10UL);
        u /= 10UL;
    } while (u);
    while (n)
        *p++ = digits[--n];
    return p;
}

/* "schema mismatch board xxxxxxxx host yyyyyyyy": the host turns it into its error. */
static void send_schema_mismatch(uint16_t seq, uint32_t host)
{
    char text[48], *p = text;
    p = put_hex32(put_text(p, "schema mismatch board "), GNC_SCHEMA_FINGERPRINT);
    p = put_hex32(put_text(p, " host "), host);
    send_log(seq, text, (size_t)(p - text));
}

static int program_known(int program)
{
    return program == PROGRAM_DESCENT || program == PROGRAM_ASCENT || program == PROGRAM_RENDEZVOUS;
}

/* Sets up the law a config asks for (the fuel-optimal law laid out for its flight): NULL,
 * or why this board cannot fly it (the config's refusal, after "config bad "). */
static const char *set_up_law(char *why)
{
    char *p = why;
#if HIL_PDG_ROOM > 0
    int err;
    law_pdg = 0;
#endif
    if ((int)cfg[CF_LAW] == LAW_PHASES)
        return 0;
    if ((int)cfg[CF_LAW] != LAW_PDG) {
        *put_int(put_text(p, "law "), (long)cfg[CF_LAW]) = 0;
        return why;
    }
    if ((int)cfg[CF_PROGRAM] != PROGRAM_DESCENT) {
        *put_int(put_text(p, "pdg in program "), (long)cfg[CF_PROGRAM]) = 0;
        return why;
    }
#if HIL_PDG_ROOM > 0
    if (HIL_PDG_REFUSAL())
        return HIL_PDG_REFUSAL();
    if ((int)cfg[CF_PDG_NODES] < 3 || (int)cfg[CF_PDG_NODES] > HIL_PDG_ROOM) {
        p = put_int(put_text(p, "pdg nodes "), (long)cfg[CF_PDG_NODES]);
        *put_int(put_text(p, " room 3.."), (long)HIL_PDG_ROOM) = 0;
        return why;
    }
    /* the settings into the PG block, then the layout: as the host's pdg_allocate */
    {
        real *pg = fs + FS_LEN;
        int i;
        for (i = 0; i < PG_LEN; ++i)
            pg[i] = RC(0.0);
        pg[PG_NODES] = cfg[CF_PDG_NODES];
        pg[PG_REPLAN_S] = cfg[CF_PDG_REPLAN_S];
        pg[PG_GLIDE] = cfg[CF_PDG_GLIDE];
        pg[PG_POINT] = cfg[CF_PDG_POINT];
        pg[PG_M_DRY] = cfg[CF_PDG_M_DRY];
        pg[PG_T_LO] = cfg[CF_PDG_T_LO];
        pg[PG_T_HI] = cfg[CF_PDG_T_HI];
        pg[PG_DIVERT] = cfg[CF_PDG_DIVERT] > RC(0.0) ? RC(1.0) : RC(0.0);
        pg[PG_STEP_ITERS] = cfg[CF_PDG_STEP_ITERS];
    }
    err = pdg_law_setup(fs, &law_mem);
    if (err != 0) {
        *put_int(put_text(p, "pdg setup "), (long)err) = 0;
        return why;
    }
    law_pdg = 1;
    return 0;
#else
    *put_text(p, "pdg no room (PDG_N_MAX 0)") = 0;
    return why;
#endif
}

/* Acknowledge with the CRC-32 of the payload as received, which the host compares with
 * its own; refuse what the flight software cannot fly. */
static void on_config(const uint8_t *body, size_t len, int payload_len, uint16_t seq)
{
    char text[80], why[40], *p = text;
    const char *refusal;
    uint16_t unused;
    configured = 0;
    if (gnc_decode_config(body, len, &unused, cfg) != GNC_OK) {
        ++n_bad;
        return;
    }
    if (!schema_ok) {
        p = put_text(p, "config bad schema mismatch");
    } else if (!program_known((int)cfg[CF_PROGRAM])) {
        p = put_int(put_text(p, "config bad program "), (long)cfg[CF_PROGRAM]);
    } else if (!(cfg[CF_DT] > RC(0.0))) {
        p = put_text(p, "config bad dt <= 0");
    } else if ((refusal = set_up_law(why)) != 0) {
        p = put_text(put_text(p, "config bad "), refusal);
    } else {
        p = put_hex32(put_text(p, "config ok "), gnc_crc32(0, body + GNC_HEADER_SIZE, (size_t)payload_len));
        fsw_reset(fs);
        configured = 1;
    }
    send_log(seq, text, (size_t)(p - text));
}

/* A ground uplink into the running flight software (burn plans, state vectors): the new
 * config replaces the old one without fsw_reset, so the flight goes on.  The program
 * byte is checked before decoding, so a refused uplink leaves the config as it was. */
static void on_uplink(const uint8_t *body, size_t len, int payload_len, uint16_t seq)
{
    char text[40], *p = text;
    uint16_t unused;
    int program;
    if (!configured) {
        send_hello(seq); /* as for a sensor frame: the host must configure this board first */
        return;
    }
    if (payload_len != GNC_UPLINK_PAYLOAD_MAX) {
        ++n_bad;
        return;
    }
    program = body[GNC_HEADER_SIZE + GNC_CONFIG_PROGRAM_AT];
    if (program != (int)cfg[CF_PROGRAM]) {
        p = put_int(put_text(p, "uplink bad program "), (long)program);
    } else {
        if (gnc_decode_uplink(body, len, &unused, cfg) != GNC_OK)
            return;
        p = put_hex32(put_text(p, "uplink ok "), gnc_crc32(0, body + GNC_HEADER_SIZE, (size_t)payload_len));
    }
    send_log(seq, text, (size_t)(p - text));
}

static void on_sensor(const uint8_t *body, size_t len, uint16_t seq)
{
    uint16_t unused;
    uint32_t t0, cycles;
    if (!configured) {
        send_hello(seq); /* tells the host this board has reset and needs a handshake */
        return;
    }
    if (have_last && seq == last_seq) {
        ++n_repeats;
        board_write(tx, tx_len); /* a retransmission: stepping twice would integrate the IMU twice */
        return;
    }
    if (gnc_decode_sensor(body, len, &unused, sf) != GNC_OK) {
        ++n_bad;
        return;
    }
    if (have_rx && seq != (uint16_t)(rx_seq + 1u))
        ++n_gaps; /* the host moved on past a message this board never got */
    t0 = board_cycles();
#if HIL_PDG_ROOM > 0
    if (law_pdg)
        fsw_step_pdg(sf, cfg, fs, af, &law_mem);
    else
#endif
        fsw_step(sf, cfg, fs, af);
    cycles = (board_cycles() - t0) & board_cycle_mask();
    af[AF_STEP_CYCLES] = (real)cycles;
    af[AF_BOARD_BAD] = (real)n_bad;
    af[AF_BOARD_GAPS] = (real)n_gaps;
    af[AF_BOARD_REPEATS] = (real)n_repeats;
    send_body(gnc_encode_actuator(rx, sizeof rx, seq, af));
    have_last = 1;
    last_seq = seq;
}

static void on_message(size_t len)
{
    gnc_header h;
    int payload_len = gnc_parse_header(rx, len, &h);
    if (payload_len < 0) {
        ++n_bad; /* corrupted or foreign: the host's timeout and retransmission recover */
        return;
    }
    switch (h.msg_type) {
    case MSG_RESET:
        if (payload_len != GNC_RESET_PAYLOAD_MAX) {
            ++n_bad;
            return;
        }
        configured = 0;
        fsw_reset(fs);
        schema_ok = gnc_reset_fingerprint(rx) == GNC_SCHEMA_FINGERPRINT;
        if (schema_ok)
            send_hello(h.seq);
        else
            send_schema_mismatch(h.seq, gnc_reset_fingerprint(rx));
        break;
    case MSG_CONFIG:
        on_config(rx, len, payload_len, h.seq);
        break;
    case MSG_SENSOR:
        on_sensor(rx, len, h.seq);
        break;
    case MSG_UPLINK:
        on_uplink(rx, len, payload_len, h.seq);
        break;
    default:
        break;
    }
    have_rx = 1;
    rx_seq = h.seq;
}

void hil_protocol_init(void)
{
    rx_len = 0;
    rx_overflow = 0;
    configured = 0;
    schema_ok = 1; /* no reset has named another schema yet */
    have_last = 0;
    have_rx = 0;
    n_bad = n_gaps = n_repeats = 0;
    fsw_reset(fs);
    send_hello(0);
}

void hil_protocol_poll(void)
{
    int c;
    while ((c = board_read()) >= 0) {
        if (c != 0) {
            if (rx_len < sizeof rx)
                rx[rx_len++] = (uint8_t)c;
            else
                rx_overflow = 1;
            continue;
        }
        if (rx_overflow) {
            ++n_bad;
        } else if (rx_len > 0) {
            size_t len = gnc_cobs_decode(rx, sizeof rx, rx, rx_len);
            if (len > 0)
                on_message(len);
            else
                ++n_bad;
        }
        rx_len = 0;
        rx_overflow = 0;
    }
}
