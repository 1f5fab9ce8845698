/* emv_ac.c - EMV/PBOC application cryptogram, session key and ARPC (see emv_ac.h). */
#include "personalization/crypto/emv_ac.h"

#include "core/err.h"
#include "core/mem.h"
#include "personalization/crypto/cipher.h"
#include "personalization/crypto/derive.h"
#include "personalization/crypto/mac.h"

#include <string.h>

int
emv_ac_alg_parse(unsigned char iad_alg, enum emv_ac_alg *alg)
{
	if (iad_alg != EMV_AC_TDES && iad_alg != EMV_AC_SM4)
		return cp_err(CP_ERR_UNSUPPORTED,
			      "cryptogram algorithm %02X (01 = 3DES and 04 = SM4 are known)",
			      iad_alg);
	*alg = (enum emv_ac_alg)iad_alg;
	return 0;
}

void
emv_ac_input(const struct emv_ac_terminal *t, const unsigned char aip[2],
	     const unsigned char atc[2], const unsigned char cvr[4],
	     unsigned char out[EMV_AC_INPUT_LEN])
{
	unsigned char *p = out;

	memcpy(p, t->amount, 6), p += 6;
	memcpy(p, t->other, 6), p += 6;
	memcpy(p, t->country, 2), p += 2;
	memcpy(p, t->tvr, 5), p += 5;
	memcpy(p, t->currency, 2), p += 2;
	memcpy(p, t->date, 3), p += 3;
	*p++ = t->type;
	memcpy(p, t->un, 4), p += 4;
	memcpy(p, aip, 2), p += 2;
	memcpy(p, atc, 2), p += 2;
	memcpy(p, cvr, 4);
}

int
emv_ac_session_key(enum emv_ac_alg alg, const unsigned char mk[EMV_AC_KEY_LEN],
		   const unsigned char atc[2], unsigned char sk[EMV_AC_KEY_LEN])
{
	unsigned char r[16] = {0};

	r[0] = atc[0];
	r[1] = atc[1];
	if (alg == EMV_AC_TDES)
		return cp_emv_session_key(mk, r, sk); /* R = ATC‖00×6 (A1.3.1) */
	if (alg != EMV_AC_SM4)
		return cp_err(CP_ERR_INVALID, "cryptogram algorithm %d", (int)alg);
	/* n = k = 128: SK = ALG(MK)[F1] with F1 = R0 R1 F0 R3.. (A1.3.1) */
	r[2] = 0xF0;
	return cp_ecb_encrypt(CP_ALG_SM4, mk, EMV_AC_KEY_LEN, r, 16, sk);
}

int
emv_ac_session_key_pboc(enum emv_ac_alg alg, const unsigned char mk[EMV_AC_KEY_LEN],
			const unsigned char atc[2], unsigned char sk[EMV_AC_KEY_LEN])
{
	unsigned char in[16] = {0};
	int r;

	if (alg != EMV_AC_TDES)
		return cp_err(CP_ERR_UNSUPPORTED,
			      "the PBOC session key derivation is defined here for 3DES only");
	in[6] = atc[0];
	in[7] = atc[1];
	in[14] = (unsigned char)~atc[0];
	in[15] = (unsigned char)~atc[1];
	if ((r = cp_ecb_encrypt(CP_ALG_TDES, mk, EMV_AC_KEY_LEN, in, 16, sk)) < 0)
		return r;
	cp_des_set_odd_parity(sk, EMV_AC_KEY_LEN);
	return 0;
}

int
emv_ac_skd_parse(const char *name, enum emv_ac_skd *out)
{
	if (!strcmp(name, "emv"))
		*out = EMV_AC_SKD_EMV;
	else if (!strcmp(name, "pboc"))
		*out = EMV_AC_SKD_PBOC;
	else
		return cp_err(CP_ERR_INVALID, "session key derivation '%.40s' is not emv or pboc",
			      name);
	return 0;
}

int
emv_ac_session_key_by(enum emv_ac_skd skd, enum emv_ac_alg alg,
		      const unsigned char mk[EMV_AC_KEY_LEN], const unsigned char atc[2],
		      unsigned char sk[EMV_AC_KEY_LEN])
{
	if (skd == EMV_AC_SKD_PBOC)
		return emv_ac_session_key_pboc(alg, mk, atc, sk);
	if (skd != EMV_AC_SKD_EMV)
		return cp_err(CP_ERR_UNSUPPORTED, "session key derivation %02X is not 01 or 02",
			      (unsigned)skd);
	return emv_ac_session_key(alg, mk, atc, sk);
}

int
emv_ac_mac(enum emv_ac_alg alg, const unsigned char sk[EMV_AC_KEY_LEN], const unsigned char *data,
	   size_t len, unsigned char ac[EMV_AC_LEN])
{
	unsigned char full[16];
	int r;

	if (alg == EMV_AC_TDES)
		return cp_retail_mac(sk, NULL, data, len, CP_PAD_80, ac);
	if (alg != EMV_AC_SM4)
		return cp_err(CP_ERR_INVALID, "cryptogram algorithm %d", (int)alg);
	if ((r = cp_cbc_mac(CP_ALG_SM4, sk, EMV_AC_KEY_LEN, NULL, data, len, CP_PAD_80, full)) == 0)
		memcpy(ac, full, EMV_AC_LEN);
	cp_memzero(full, sizeof full);
	return r;
}

int
emv_ac_arpc1(enum emv_ac_alg alg, const unsigned char sk[EMV_AC_KEY_LEN],
	     const unsigned char arqc[EMV_AC_LEN], const unsigned char arc[2],
	     unsigned char arpc[EMV_AC_LEN])
{
	unsigned char y[16] = {0}, out[16];
	int r;

	memcpy(y, arqc, EMV_AC_LEN);
	y[0] ^= arc[0];
	y[1] ^= arc[1];
	if (alg == EMV_AC_TDES)
		r = cp_ecb_encrypt(CP_ALG_TDES, sk, EMV_AC_KEY_LEN, y, 8, out);
	else if (alg == EMV_AC_SM4)
		r = cp_ecb_encrypt(CP_ALG_SM4, sk, EMV_AC_KEY_LEN, y, 16, out);
	else
		r = cp_err(CP_ERR_INVALID, "cryptogram algorithm %d", (int)alg);
	if (r == 0)
		memcpy(arpc, out, EMV_AC_LEN);
	cp_memzero(out, sizeof out);
	return r;
}
