/* Board layer over an Arduino core: Serial and micros(), so any board with a core
 * (AVR, ESP32, RP2040, Teensy, STM32duino) runs the flight software unchanged.  Step
 * times are in microseconds (the hello says clock_hz = 1 MHz), at micros()' resolution
 * (4 us on a 16 MHz AVR). */
#include <Arduino.h>

extern "C" {
#include "board.h"
}

#ifndef LUNAR_GNC_BAUD
#define LUNAR_GNC_BAUD 115200
#endif

void board_init(void) { Serial.begin(LUNAR_GNC_BAUD); }

int board_read(void) { return Serial.read(); }

void board_write(const uint8_t *data, size_t len) { Serial.write(data, len); }

uint32_t board_cycles(void) { return micros(); }

uint32_t board_cycle_mask(void) { return 0xFFFFFFFFUL; }

uint32_t board_clock_hz(void) { return 1000000UL; }

uint8_t board_hello_flags(void) { return 0; }

const char *board_name(void) { return "arduino-sketch f32 reset:unknown"; }
