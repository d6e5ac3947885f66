#!/bin/sh
# Cycles of the float solver (csrc/pdg.c) on the ATmega2560 (16 MHz), in simavr, which counts
# cycles: its software-float arithmetic, then one cold and one warm solve at each N (main.c).
# No AVR holds the workspace: 12.3 KB at N = 3 against the ATmega2560's 8 KB, and avr-gcc's
# objects stop at 32 KB (pdg_work at N = 7 is 31.3 KB), so the solves run on an ATmega2560 with
# its data space widened to 64 KB (sim.c; external SRAM on the XMEM bus, which on a real chip
# costs a cycle more per access: the figures are a lower bound there).  docs/guidance_pdg.md.
#
#     sh bench/pdg_avr/run.sh [N ...]     # default: 5 7; needs avr-gcc, avr-libc, libsimavr-dev
set -e
HERE=$(cd "$(dirname "$0")" && pwd)
CSRC=$HERE/../../csrc
OUT=${TMPDIR:-/tmp}/pdg_avr.$$
mkdir -p "$OUT"
gcc -O2 -Wall -Wextra -Werror -I/usr/include/simavr -o "$OUT/sim" "$HERE/sim.c" -lsimavr -lpthread
for N in ${*:-5 7}; do
    for f in "$HERE/main.c" "$CSRC/pdg.c"; do
        avr-gcc -std=c99 -pedantic -Wall -Wextra -Werror -O2 -mmcu=atmega2560 -ffunction-sections -fdata-sections \
            -DGNC_REAL_FLOAT -DPDG_N_MAX=$N -I"$CSRC" -c "$f" -o "$OUT/$(basename "$f" .c).o"
    done
    avr-gcc -mmcu=atmega2560 -Wl,--gc-sections -Wl,--defsym=__stack=0xFFFF -Wl,--defsym=__DATA_REGION_LENGTH__=0xFE00 \
        "$OUT/main.o" "$OUT/pdg.o" -lm -o "$OUT/pdg$N.elf"
    "$OUT/sim" "$OUT/pdg$N.elf" > "$OUT/sim.txt"
    grep -v "^mark\|^Loaded\|^Starting" "$OUT/sim.txt"
    awk -v reps=100 '/^mark/ { c[$2] = $3 }
        END { printf "  cycles: loop %.0f, float multiply-add %.0f, divide %.0f, sqrt %.0f (each less the loop)\n",
                     c[1] / reps, (c[2] - c[1]) / reps, (c[3] - c[1]) / reps, (c[4] - c[1]) / reps
              printf "  cycles: setup %.0f, cold solve %.0f, warm %.0f; at 16 MHz: cold %.2f s, warm %.2f s\n",
                     c[5], c[6], c[8], c[6] / 16e6, c[8] / 16e6 }' "$OUT/sim.txt"
done
rm -rf "$OUT"
