/* The board's side of the HIL protocol (docs/protocol.md, "Session"), over board.h:
 * every board's, the host's stub board included (csrc/firmware/host/board_host.c,
 * driven by gnc/hil/board.py).
 *
 *     board_init(); hil_protocol_init();
 *     for (;;) hil_protocol_poll();        (or from Arduino's loop())
 */
#ifndef GNC_HIL_PROTOCOL_H
#define GNC_HIL_PROTOCOL_H

/* Send the boot hello (seq 0); the host may miss it and will ask with a reset. */
void hil_protocol_init(void);

/* Handle every byte received so far; steps the flight software on each sensor frame. */
void hil_protocol_poll(void);

#endif
