/* CRC-32 as zlib.crc32: IEEE 802.3 polynomial, reflected, init and xorout 0xFFFFFFFF. */
#ifndef GNC_CRC32_H
#define GNC_CRC32_H

#include <stddef.h>
#include <stdint.h>

/* Continue `crc` (0 to start) over len bytes, like zlib.crc32(data, crc). */
uint32_t gnc_crc32(uint32_t crc, const uint8_t *data, size_t len);

#endif
