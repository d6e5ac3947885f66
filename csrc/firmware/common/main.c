/* Firmware entry point of every target: the protocol loop, flat out.  The Arduino sketch
 * calls the same two functions from setup() and loop(). */
#include "board.h"
#include "hil_protocol.h"

int main(void)
{
    board_init();
    hil_protocol_init();
    for (;;)
        hil_protocol_poll();
}
