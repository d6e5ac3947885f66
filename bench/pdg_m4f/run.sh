#!/bin/sh
# Instructions per powered-descent solve (csrc/pdg.c, float) on the emulated Cortex-M4F: the
# STM32F405 of QEMU's netduinoplus2 with -icount shift=0 (one guest instruction = 1 ns of virtual
# time), timed by the firmware's SysTick at 168 MHz of that time: instructions = ticks / 0.168.
# main.c solves one problem cold, then again warm from its own optimum.  RAM allows N <= 25
# (docs/guidance_pdg.md, memory).
#
#     sh bench/pdg_m4f/run.sh [N ...]          # default: 20 25; needs arm-none-eabi-gcc, qemu-system-arm
set -e
HERE=$(cd "$(dirname "$0")" && pwd)
CSRC=$HERE/../../csrc
FW=$CSRC/firmware
OUT=${TMPDIR:-/tmp}/pdg_m4f.$$
mkdir -p "$OUT"
ARCH="-mcpu=cortex-m4 -mthumb -mfpu=fpv4-sp-d16 -mfloat-abi=hard"
for N in ${*:-20 25}; do
    FLAGS="$ARCH -O2 -ffunction-sections -fdata-sections -fno-math-errno -DGNC_REAL_FLOAT -DBOARD_NETDUINOPLUS2
           -DBAUD=115200u -DPDG_N_MAX=$N -I$CSRC -I$FW/common"
    for f in "$HERE/main.c" "$CSRC/pdg.c" "$CSRC/frame_codec.c" "$CSRC/crc32.c" "$CSRC/cobs.c"; do
        arm-none-eabi-gcc -std=c99 -pedantic -Wall -Wextra -Werror -Wdouble-promotion $FLAGS -c "$f" \
            -o "$OUT/$(basename "$f" .c).o"
    done
    for f in startup board_stm32f4; do
        arm-none-eabi-gcc -std=gnu99 $FLAGS -c "$FW/stm32f4/$f.c" -o "$OUT/$f.o"
    done
    arm-none-eabi-gcc $ARCH -nostartfiles -T "$FW/stm32f4/stm32f4.ld" -Wl,--gc-sections "$OUT"/*.o -lm -lc -lgcc \
        -o "$OUT/pdg$N.elf"
    rm -f "$OUT/uart.txt"
    timeout 120 qemu-system-arm -M netduinoplus2 -nographic -monitor none -icount shift=0 -kernel "$OUT/pdg$N.elf" \
        -serial "file:$OUT/uart.txt" &
    QEMU=$!
    while ! grep -q clock "$OUT/uart.txt" 2>/dev/null; do sleep 1; done
    kill $QEMU 2>/dev/null; wait $QEMU 2>/dev/null || true
    awk '{print; printf "  instructions: setup %.0f, cold solve %.0f, warm %.0f; %s %.3f s\n",
          $6 / 0.168, $14 / 0.168, $24 / 0.168, "at 168 MHz, one cycle each: cold",
          $14 / 0.168 / 168e6}' "$OUT/uart.txt"
    rm -f "$OUT"/*.o
done
rm -rf "$OUT"
