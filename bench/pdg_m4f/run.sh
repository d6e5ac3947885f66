#!/bin/sh
# Instructions per powered-descent solve (csrc/pdg.c, float) on an emulated Cortex-M4F under
# -icount shift=0 (one guest instruction = 1 ns of virtual time), timed by SysTick, which QEMU
# clocks from that virtual time: instructions = ticks * 1e9 / the board's SysTick clock.
# main.c solves one problem cold, then again warm from its own optimum.
#
#   netduinoplus2  STM32F405 (N <= 20 in its 128 KB SRAM, docs/guidance_pdg.md, memory); SysTick at
#                  168 MHz: instructions = ticks / 0.168, good to ~6.
#   mps2-an386     Arm MPS2 with the AN386 image: a Cortex-M4 with the same single-precision
#                  FPU, 4 MB of code and 4 MB of data SSRAM (N = 50 and more fit).  It runs the
#                  mps2_an500 firmware's start-up, link script and UART0 board layer compiled for
#                  the M4: QEMU gives the AN385/AN386/AN500 images one memory map, CMSDK UART0
#                  and interrupt numbering.  SysTick at the 25 MHz SYSCLK: instructions =
#                  ticks * 40, good to ~80.
#
#     sh bench/pdg_m4f/run.sh [N ...]                      # netduinoplus2; default N: 20
#     PDG_BOARD=mps2-an386 sh bench/pdg_m4f/run.sh [N ...] # default N: 25 50 80
# needs arm-none-eabi-gcc, qemu-system-arm
set -e
HERE=$(cd "$(dirname "$0")" && pwd)
CSRC=$HERE/../../csrc
FW=$CSRC/firmware
OUT=${TMPDIR:-/tmp}/pdg_m4f.$$
mkdir -p "$OUT"
ARCH="-mcpu=cortex-m4 -mthumb -mfpu=fpv4-sp-d16 -mfloat-abi=hard"
case ${PDG_BOARD:=netduinoplus2} in
netduinoplus2)
    DEFAULT_N="20"; BOARD_DIR=$FW/stm32f4; BOARD_SRCS="startup board_stm32f4"; LD=$BOARD_DIR/stm32f4.ld
    BOARD_DEF=-DBOARD_NETDUINOPLUS2; SYSTICK_GHZ=0.168 ;;
mps2-an386)
    DEFAULT_N="25 50 80"; BOARD_DIR=$FW/mps2_an500; BOARD_SRCS="startup board_mps2_an500"
    LD=$BOARD_DIR/mps2_an500.ld; BOARD_DEF=; SYSTICK_GHZ=0.025 ;;
*)
    echo "PDG_BOARD must be netduinoplus2 or mps2-an386, not $PDG_BOARD" >&2; exit 2 ;;
esac
for N in ${*:-$DEFAULT_N}; do
    FLAGS="$ARCH -O2 -ffunction-sections -fdata-sections -fno-math-errno -DGNC_REAL_FLOAT $BOARD_DEF
           -DBAUD=115200u -DPDG_N_MAX=$N -I$CSRC -I$FW/common"
    for f in "$HERE/main.c" "$CSRC/pdg.c" "$CSRC/frame_codec.c" "$CSRC/crc32.c" "$CSRC/cobs.c"; do
        arm-none-eabi-gcc -std=c99 -pedantic -Wall -Wextra -Werror -Wdouble-promotion $FLAGS -c "$f" \
            -o "$OUT/$(basename "$f" .c).o"
    done
    for f in $BOARD_SRCS; do
        arm-none-eabi-gcc -std=gnu99 $FLAGS -c "$BOARD_DIR/$f.c" -o "$OUT/$f.o"
    done
    arm-none-eabi-gcc $ARCH -nostartfiles -T "$LD" -Wl,--gc-sections "$OUT"/*.o -lm -lc -lgcc \
        -o "$OUT/pdg$N.elf"
    rm -f "$OUT/uart.txt"
    timeout 300 qemu-system-arm -M "$PDG_BOARD" -nographic -monitor none -icount shift=0 -kernel "$OUT/pdg$N.elf" \
        -serial "file:$OUT/uart.txt" &
    QEMU=$!
    while kill -0 $QEMU 2>/dev/null && ! grep -q clock "$OUT/uart.txt" 2>/dev/null; do sleep 1; done
    kill $QEMU 2>/dev/null; wait $QEMU 2>/dev/null || true
    grep -q clock "$OUT/uart.txt" || { echo "N = $N: no result from $PDG_BOARD (a fault, or the timeout)" >&2; exit 1; }
    awk -v g="$SYSTICK_GHZ" -v b="$PDG_BOARD" '{print b ": " $0
          printf "  instructions: setup %.0f, cold solve %.0f, warm %.0f; %s %.3f s\n",
          $6 / g, $14 / g, $24 / g, "at 168 MHz, one cycle each: cold", $14 / g / 168e6}' "$OUT/uart.txt"
    rm -f "$OUT"/*.o
done
rm -rf "$OUT"
