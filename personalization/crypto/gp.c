/*
 * gp.c - the DGI codec (see gp.h).
 */
#include "personalization/crypto/gp.h"

#include "core/err.h"
#include "core/mem.h"

#include <string.h>

size_t
gp_dgi_header(unsigned int tag, size_t len, unsigned char h[5])
{
	h[0] = (unsigned char)(tag >> 8);
	h[1] = (unsigned char)tag;
	if (len < 255) {
		h[2] = (unsigned char)len;
		return 3;
	}
	h[2] = 0xFF;
	h[3] = (unsigned char)(len >> 8);
	h[4] = (unsigned char)len;
	return 5;
}

int
gp_dgi_append(struct buf *b, unsigned int tag, const unsigned char *value, size_t len)
{
	unsigned char h[5];
	size_t hn;
	int r;

	if (len > 0xFFFF)
		return cp_err(CP_ERR_LIMIT, "DGI %04X of %zu bytes is too long", tag, len);
	hn = gp_dgi_header(tag, len, h);
	if ((r = buf_append(b, h, hn)) < 0 || (len && (r = buf_append(b, value, len)) < 0))
		return r;
	return 0;
}

size_t
gp_dgi_header_parse(const unsigned char *p, size_t n, unsigned int *tag, size_t *len)
{
	if (n < 3)
		return 0;
	*tag = (unsigned int)p[0] << 8 | p[1];
	if (p[2] != 0xFF) {
		*len = p[2];
		return 3;
	}
	if (n < 5)
		return 0;
	*len = (size_t)p[3] << 8 | p[4];
	return 5;
}

int
gp_dgi_parse(const unsigned char *p, size_t n, unsigned int *tag, size_t *off, size_t *len)
{
	if (n < 3)
		return cp_err(CP_ERR_FORMAT, "DGI header truncated (%zu bytes)", n);
	if ((*off = gp_dgi_header_parse(p, n, tag, len)) == 0)
		return cp_err(CP_ERR_FORMAT, "DGI %04X length truncated", *tag);
	if (*off + *len > n)
		return cp_err(CP_ERR_FORMAT, "DGI %04X says %zu bytes, %zu remain", *tag, *len,
			      n - *off);
	return 0;
}
