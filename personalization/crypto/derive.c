/*
 * derive.c - SM4 diversification, EMV Option A/B, the common session key, GP static keys
 * (see derive.h).
 */
#include "personalization/crypto/derive.h"

#include "core/err.h"
#include "core/mem.h"
#include "personalization/crypto/mac.h"

#include <openssl/evp.h>
#include <string.h>
#include <strings.h>

int
cp_sm4_diversify(const unsigned char master[16], const unsigned char factor[8],
		 unsigned char out[16])
{
	unsigned char in[16];

	memcpy(in, factor, 8);
	for (int i = 0; i < 8; i++)
		in[8 + i] = (unsigned char)~factor[i];
	return cp_ecb_encrypt(CP_ALG_SM4, master, 16, in, 16, out);
}

static int
all_digits(const char *s, size_t min, size_t max, const char *what)
{
	size_t n = strlen(s);

	if (n < min || n > max)
		return cp_err(CP_ERR_FORMAT, "%s must have %zu to %zu digits, not %zu", what, min,
			      max, n);
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return cp_err(CP_ERR_FORMAT, "%s has a non-digit at position %zu", what,
				      i + 1);
	return 0;
}

/* Y of Option A: the rightmost 16 digits of PAN || PSN, left-padded with 0, BCD in 8 bytes.
 * pan: 12-19 digits; psn: "" or 1-2 digits ("" = "00"). CP_ERR_FORMAT on bad digits. */
static int
cp_emv_y(const char *pan, const char *psn, unsigned char y[8])
{
	char d[24], digits[17];
	size_t n;
	int r;

	if ((r = all_digits(pan, 12, 19, "PAN")) < 0 ||
	    (psn[0] && (r = all_digits(psn, 1, 2, "PAN sequence number")) < 0))
		return r;
	snprintf(d, sizeof(d), "%s%s%s", pan, strlen(psn) == 1 ? "0" : "", psn[0] ? psn : "00");
	n = strlen(d);
	memset(digits, '0', 16);
	digits[16] = '\0';
	if (n >= 16)
		memcpy(digits, d + n - 16, 16);
	else
		memcpy(digits + 16 - n, d, n);
	for (int i = 0; i < 8; i++)
		y[i] = (unsigned char)((digits[2 * i] - '0') << 4 | (digits[2 * i + 1] - '0'));
	return 0;
}

static int
option_a_from_y(enum cp_alg alg, const unsigned char imk[16], const unsigned char y[8],
		unsigned char mk[16])
{
	unsigned char in[16];
	int r;

	memcpy(in, y, 8);
	for (int i = 0; i < 8; i++)
		in[8 + i] = (unsigned char)(y[i] ^ 0xFF);
	if (alg == CP_ALG_SM4)
		return cp_ecb_encrypt(CP_ALG_SM4, imk, 16, in, 16, mk);
	if ((r = cp_ecb_encrypt(CP_ALG_TDES, imk, 16, in, 16, mk)) < 0)
		return r;
	cp_des_set_odd_parity(mk, 16);
	return 0;
}

int
cp_emv_option_a(const unsigned char imk[16], const char *pan, const char *psn, unsigned char mk[16])
{
	unsigned char y[8];
	int r;

	if ((r = cp_emv_y(pan, psn, y)) < 0)
		return r;
	return option_a_from_y(CP_ALG_TDES, imk, y, mk);
}

int
cp_sm4_option_a(const unsigned char imk[16], const char *pan, const char *psn, unsigned char mk[16])
{
	unsigned char y[8];
	int r;

	if ((r = cp_emv_y(pan, psn, y)) < 0)
		return r;
	return option_a_from_y(CP_ALG_SM4, imk, y, mk);
}

int
cp_emv_session_key(const unsigned char mk[16], const unsigned char rv[8], unsigned char sk[16])
{
	unsigned char in[16];
	int r;

	memcpy(in, rv, 8);
	memcpy(in + 8, rv, 8);
	in[2] = 0xF0;
	in[8 + 2] = 0x0F;
	if ((r = cp_ecb_encrypt(CP_ALG_TDES, mk, 16, in, 16, sk)) < 0)
		return r;
	cp_des_set_odd_parity(sk, 16);
	return 0;
}

int
cp_gp_scheme_parse(const char *name, enum cp_gp_scheme *s)
{
	if (!strcasecmp(name, "emv") || !strcasecmp(name, "emvcps11"))
		*s = CP_GP_EMV;
	else if (!strcasecmp(name, "visa2"))
		*s = CP_GP_VISA2;
	else if (!strcasecmp(name, "kdf3"))
		*s = CP_GP_KDF3;
	else
		return cp_err(CP_ERR_INVALID, "unknown GP scheme '%s' (emv, visa2 or kdf3)", name);
	return 0;
}

static const char *
cp_gp_scheme_name(enum cp_gp_scheme s)
{
	return s == CP_GP_EMV ? "emv" : s == CP_GP_VISA2 ? "visa2" : s == CP_GP_KDF3 ? "kdf3" : "?";
}

/* One 3DES static key for emv/visa2: 3DES-ECB(KMC, p || F0 x || p || 0F x), p 6 bytes. */
static int
des_scheme_key(const unsigned char *kmc, size_t kmc_len, const unsigned char p[6], unsigned char x,
	       unsigned char out[16])
{
	unsigned char in[16];

	memcpy(in, p, 6);
	in[6] = 0xF0;
	in[7] = x;
	memcpy(in + 8, p, 6);
	in[14] = 0x0F;
	in[15] = x;
	return cp_ecb_encrypt(CP_ALG_TDES, kmc, kmc_len, in, 16, out);
}

/* kdf3: block_i = CMAC(KMC, i || 00 00 00 || x || 00 || KDD), concatenated to KMC's length. */
static int
kdf3_key(const unsigned char *kmc, size_t kmc_len, const unsigned char kdd[10], unsigned char x,
	 unsigned char *out)
{
	unsigned char in[16], block[16];
	size_t done = 0;
	int r = 0;

	memset(in, 0, 6);
	in[4] = x;
	memcpy(in + 6, kdd, 10);
	for (unsigned char i = 1; done < kmc_len; i++) {
		size_t n = kmc_len - done < 16 ? kmc_len - done : 16;

		in[0] = i;
		if ((r = cp_cmac(CP_ALG_AES, kmc, kmc_len, in, 16, block)) < 0)
			break;
		memcpy(out + done, block, n);
		done += n;
	}
	cp_memzero(block, sizeof(block));
	return r;
}

int
cp_gp_diversify(enum cp_gp_scheme s, const unsigned char *kmc, size_t kmc_len,
		const unsigned char kdd[10], unsigned char enc[32], unsigned char mac[32],
		unsigned char dek[32], size_t *key_len)
{
	unsigned char *outs[3] = {enc, mac, dek}, p[6];
	int r;

	switch (s) {
	case CP_GP_EMV:
	case CP_GP_VISA2:
		if ((r = cp_check_key_len(CP_ALG_TDES, kmc_len)) < 0 || kmc_len == 8)
			return r < 0 ? r
				     : cp_err(CP_ERR_INVALID, "a KMC for %s is 2- or 3-key 3DES",
					      cp_gp_scheme_name(s));
		if (s == CP_GP_EMV)
			memcpy(p, kdd + 4, 6);
		else {
			memcpy(p, kdd, 2);
			memcpy(p + 2, kdd + 4, 4);
		}
		for (int x = 0; x < 3; x++)
			if ((r = des_scheme_key(kmc, kmc_len, p, (unsigned char)(x + 1), outs[x])) <
			    0)
				return r;
		*key_len = 16;
		return 0;
	case CP_GP_KDF3:
		if ((r = cp_check_key_len(CP_ALG_AES, kmc_len)) < 0)
			return cp_err(CP_ERR_INVALID, "a KMC for kdf3 is AES-128, 192 or 256");
		for (int x = 0; x < 3; x++)
			if ((r = kdf3_key(kmc, kmc_len, kdd, (unsigned char)(x + 1), outs[x])) < 0)
				return r;
		*key_len = kmc_len;
		return 0;
	}
	return cp_err(CP_ERR_INVALID, "unknown GP scheme %d", (int)s);
}
