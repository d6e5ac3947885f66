/* lunar-gnc flight software behind the HIL protocol, for Arduino cores.
 *
 *     #include <LunarGnc.h>
 *     void setup() { board_init(); hil_protocol_init(); }
 *     void loop() { hil_protocol_poll(); }
 *
 * The board layer (board_arduino.cpp) uses Serial at LUNAR_GNC_BAUD (default 115200)
 * and micros() as its step clock. */
#ifndef LUNAR_GNC_H
#define LUNAR_GNC_H

#ifdef __cplusplus
extern "C" {
#endif
#include "board.h"
#include "hil_protocol.h"
#ifdef __cplusplus
}
#endif

#endif
