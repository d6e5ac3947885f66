/* Cycle counts of bench/pdg_avr/main.c on simavr's ATmega2560 (cycle-accurate), its data space
 * widened to the full 64 KB that external SRAM on the chip's XMEM bus would give (the 8 KB
 * inside hold no solver workspace).  The firmware writes a mark k to GPIOR0 and text to
 * GPIOR1; this prints "mark k CYCLES" (cycles since the previous mark) and the text, and stops
 * at mark 255.  A host program against Debian's libsimavr-dev, as csrc/firmware/avr/simavr_host.c.
 *
 *     sim FIRMWARE.ELF */
#include <stdio.h>
#include <string.h>

#include "sim_avr.h"
#include "sim_elf.h"
#include "sim_io.h"

/* data-space addresses of GPIOR0 and GPIOR1 (I/O 0x1E and 0x2A) */
#define MARK_REG 0x3E
#define TEXT_REG 0x4A
#define DONE_MARK 255

static avr_cycle_count_t last_mark;
static int done;

static void on_mark(avr_t *avr, avr_io_addr_t addr, uint8_t v, void *param)
{
    (void)param;
    avr->data[addr] = v;
    printf("mark %u %llu\n", v, (unsigned long long)(avr->cycle - last_mark));
    last_mark = avr->cycle;
    done = v == DONE_MARK;
}

static void on_text(avr_t *avr, avr_io_addr_t addr, uint8_t v, void *param)
{
    (void)param;
    avr->data[addr] = v;
    putchar(v);
}

int main(int argc, char **argv)
{
    elf_firmware_t fw;
    avr_t *avr;
    int state = cpu_Running;

    if (argc != 2) {
        fprintf(stderr, "usage: %s FIRMWARE.ELF\n", argv[0]);
        return 2;
    }
    memset(&fw, 0, sizeof fw);
    if (elf_read_firmware(argv[1], &fw) != 0) {
        fprintf(stderr, "sim: cannot read %s\n", argv[1]);
        return 1;
    }
    snprintf(fw.mmcu, sizeof fw.mmcu, "atmega2560");
    fw.frequency = 16000000u;
    avr = avr_make_mcu_by_name(fw.mmcu);
    if (!avr)
        return 1;
    avr->ramend = 0xFFFF; /* before avr_init, which allocates the data space */
    avr_init(avr);
    avr_load_firmware(avr, &fw);
    avr_register_io_write(avr, MARK_REG, on_mark, NULL);
    avr_register_io_write(avr, TEXT_REG, on_text, NULL);
    while (!done && state != cpu_Done && state != cpu_Crashed)
        state = avr_run(avr);
    fflush(stdout);
    if (!done)
        fprintf(stderr, "sim: the firmware stopped before its last mark (state %d)\n", state);
    return done ? 0 : 1;
}
