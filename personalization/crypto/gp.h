/*
 * gp.h - GlobalPlatform DGI encoding for personalisation (GPCS 11.1.12; GP Scripting
 * Language Annex B): the perso script writes DGIs with it, the virtual card parses them.
 */
#ifndef CP_GP_H
#define CP_GP_H

#include "core/buf.h"

#include <stddef.h>

/* A DGI header: tag(2) || length (1 byte below 255, else FF hi lo) into h[5]; returns its
 * size, 3 or 5. len must not exceed 0xFFFF. For a value sent in several commands. */
size_t gp_dgi_header(unsigned int tag, size_t len, unsigned char h[5]);
/* Append a DGI: its header || value. */
int gp_dgi_append(struct buf *b, unsigned int tag, const unsigned char *value, size_t len);
/* Read a DGI header at p (n bytes available): tag and value length; returns the header size
 * (3 or 5), or 0 when n is shorter than the header (the value is not checked: it may still
 * be arriving). */
size_t gp_dgi_header_parse(const unsigned char *p, size_t n, unsigned int *tag, size_t *len);
/* Parse one DGI at p (n bytes available): tag, value offset and length, total consumed.
 * CP_ERR_FORMAT when truncated. */
int gp_dgi_parse(const unsigned char *p, size_t n, unsigned int *tag, size_t *value_off,
		 size_t *value_len);

#endif
