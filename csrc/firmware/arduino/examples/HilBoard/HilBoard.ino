// The lunar-gnc flight software as a HIL board: connect the board's USB serial port,
// then on the host:  gnc hil --port /dev/ttyACM0 --baud 115200 descent
#include <LunarGnc.h>

void setup()
{
    board_init();
    hil_protocol_init();
}

void loop()
{
    hil_protocol_poll();
}
