/* tlv.c - one BER-TLV reader (tlv.h). */
#include "personalization/chip/tlv.h"

int
tlv_next(const unsigned char *p, size_t n, unsigned *tag, size_t *voff, size_t *vlen)
{
	size_t i = 0;

	if (n < 2)
		return -1;
	*tag = p[i++];
	if ((*tag & 0x1F) == 0x1F) {
		*tag = *tag << 8 | p[i++];
		if (*tag & 0x80)
			return -1;
	}
	if (i >= n)
		return -1;
	*vlen = p[i++];
	if (*vlen == 0x81) {
		if (i >= n)
			return -1;
		*vlen = p[i++];
	} else if (*vlen > 0x80) {
		return -1;
	}
	*voff = i;
	return *vlen <= n - i ? 0 : -1;
}
