#include "cobs.h"

size_t gnc_cobs_encode(uint8_t *out, size_t cap, const uint8_t *in, size_t len)
{
    size_t code_at = 0, o = 1, i;
    uint8_t code = 1;

    if (cap == 0)
        return 0;
    for (i = 0; i < len; ++i) {
        if (in[i] != 0) {
            if (o >= cap)
                return 0;
            out[o++] = in[i];
            if (++code != 0xFF)
                continue;
            if (i + 1 == len)   /* a full block ends the data: no trailing code byte */
                break;
        }
        /* close the block at a zero byte or after 254 data bytes */
        out[code_at] = code;
        if (o >= cap)
            return 0;
        code_at = o++;
        code = 1;
    }
    out[code_at] = code;
    return o;
}

size_t gnc_cobs_decode(uint8_t *out, size_t cap, const uint8_t *in, size_t len)
{
    size_t i = 0, o = 0;

    while (i < len) {
        uint8_t code = in[i++], k;
        if (code == 0 || (size_t)code - 1u > len - i)
            return 0;
        for (k = 1; k < code; ++k) {
            if (in[i] == 0 || o >= cap)
                return 0;
            out[o++] = in[i++];
        }
        if (code != 0xFF && i < len) {   /* every block but a full one stands for a zero */
            if (o >= cap)
                return 0;
            out[o++] = 0;
        }
    }
    return o;
}
