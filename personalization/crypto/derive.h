/*
 * derive.h - key diversification: card keys from master keys.
 *
 *  - SM4 diversification (Chinese industry convention, docs/domain-facts.md §5.1):
 *    SM4(master, f || ~f) for an 8-byte factor f; several levels repeat the step.
 *  - EMV Option A (EMV 4.3 Book 2 A1.4.1): ICC master keys from an issuer master key
 *    (2-key 3DES), odd parity forced; and the same Option A construction with SM4
 *    (Y || ~Y as one block), which docs/crypto-reference.md §4.5 marks unverified.
 *  - The EMV common session key (A1.3.1).
 *  - GlobalPlatform static keys from a KMC: `emv` (EMV CPS 1.1), `visa2`, `kdf3` (SCP03),
 *    exactly as docs/crypto-reference.md §4.4 gives them.
 */
#ifndef CP_DERIVE_H
#define CP_DERIVE_H

#include "personalization/crypto/cipher.h"

#include <stddef.h>

/* out = SM4-ECB(master, factor || ~factor). */
int cp_sm4_diversify(const unsigned char master[16], const unsigned char factor[8],
		     unsigned char out[16]);

/* EMV Option A: MK = 3DES-ECB(IMK, Y || Y^FF..) with odd parity (IMK 16 bytes). */
int cp_emv_option_a(const unsigned char imk[16], const char *pan, const char *psn,
		    unsigned char mk[16]);
/* The Option A construction with SM4: MK = SM4-ECB(IMK, Y || ~Y) (unverified for PBOC 3.0;
 * see docs/crypto-reference.md §4.5 and docs/keys.md). */
int cp_sm4_option_a(const unsigned char imk[16], const char *pan, const char *psn,
		    unsigned char mk[16]);
/* EMV common session key: SK = 3DES-ECB(MK, R' || R'') with R'[2] = F0, R''[2] = 0F, parity. */
int cp_emv_session_key(const unsigned char mk[16], const unsigned char r[8], unsigned char sk[16]);

/* GP static-key schemes. */
enum cp_gp_scheme { CP_GP_EMV = 1, CP_GP_VISA2 = 2, CP_GP_KDF3 = 3 };
int cp_gp_scheme_parse(const char *name, enum cp_gp_scheme *s);
/* Derive ENC, MAC, DEK (x = 01, 02, 03) from kmc for the card's KDD (10 bytes).
 * emv/visa2: kmc is 2- or 3-key 3DES, the keys are 16 bytes; kdf3: kmc is AES (16/24/32)
 * and each key has kmc's length. *key_len gets the length. */
int cp_gp_diversify(enum cp_gp_scheme s, const unsigned char *kmc, size_t kmc_len,
		    const unsigned char kdd[10], unsigned char enc[32], unsigned char mac[32],
		    unsigned char dek[32], size_t *key_len);

#endif
