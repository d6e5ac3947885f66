/* Consistent Overhead Byte Stuffing: frames a message so that 0x00 only ever appears
 * as the delimiter.  Same variant as hil/codec.py (and the Python `cobs` package). */
#ifndef GNC_COBS_H
#define GNC_COBS_H

#include <stddef.h>
#include <stdint.h>

/* Largest encoding of n > 0 bytes: one code byte per started 254-byte block. */
#define GNC_COBS_MAX(n) ((n) + ((n) + 253u) / 254u)

/* Encode len bytes of `in` into `out` (no delimiter, no zero byte).  Returns the
 * encoded length, or 0 if it would not fit in cap bytes.  out and in must not overlap. */
size_t gnc_cobs_encode(uint8_t *out, size_t cap, const uint8_t *in, size_t len);

/* Decode len bytes (without the delimiter).  Returns the decoded length, or 0 if the
 * input is malformed (a zero byte, a block running past the end) or would not fit in
 * cap bytes.  out may equal in: the output never overtakes the input. */
size_t gnc_cobs_decode(uint8_t *out, size_t cap, const uint8_t *in, size_t len);

#endif
