/*
 * script_emit.h - writing a perso script's commands (script_write.c), shared by the parts
 * of personalization/chip/ that build one application's data (pboc_data.c).
 */
#ifndef CP_SCRIPT_EMIT_H
#define CP_SCRIPT_EMIT_H

#include "core/buf.h"
#include "personalization/crypto/cipher.h"

#include <stddef.h>

/* Most data bytes of one STORE DATA: room for C-DEC padding and the C-MAC within 255. */
#define STORE_DATA_MAX 239
/* Longest DGI value: a DGI goes over as many STORE DATA commands as it needs. */
#define DGI_MAX 1024

struct emitter {
	struct buf *out;
	size_t ncmds;
	unsigned store_block;
	const unsigned char *tk;
};

/* INSTALL [for personalization] of the application aid; starts its STORE DATA blocks. */
int install_for_perso(struct emitter *e, const unsigned char *aid, size_t aid_len,
		      const char *label);
/* One DGI: the header (tag, length) once, the value over as many STORE DATA commands as it
 * needs (GPCS 11.11.2.2); a secret value (whole 16-byte blocks, one command) goes under the
 * transport key. last: this DGI ends the application's personalisation data. */
int store_dgi(struct emitter *e, const char *app, unsigned tag, const unsigned char *v, size_t len,
	      int secret, int last);
/* 3 keys as one secret DGI and their KCVs as a plain one. */
int store_keys(struct emitter *e, const char *app, unsigned tag, unsigned kcv_tag,
	       unsigned char keys[3][16], enum cp_alg alg, int last);

#endif
