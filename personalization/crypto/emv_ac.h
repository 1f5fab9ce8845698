/*
 * emv_ac.h - the application cryptogram of the PBOC debit application, card and issuer side:
 * the AC session key (EMV 4.3 Book 2 A1.3.1, common session key derivation), the cryptogram
 * (ARQC, TC, AAC) over the data the card uses, and ARPC method 1 (Book 2 8.2.1).
 *
 * Two algorithms, named by the last byte of the IAD (9F10) template: 01 = 3DES (EMV), 04 =
 * SM4 (PBOC 3.0 banks whose keys are SM4; its MAC and ARPC follow the EMV rules for a
 * 128-bit block cipher, an assumption docs/pboc-data.md records). The same functions serve
 * the virtual card (GENERATE AC, EXTERNAL AUTHENTICATE) and `cardpipe keys arqc-verify`.
 *
 * The cryptogram input (docs/pboc-data.md, "Cryptogram (card side)"), 37 bytes:
 *   9F02 amount (6) ‖ 9F03 other amount (6) ‖ 9F1A terminal country (2) ‖ 95 TVR (5) ‖
 *   5F2A currency (2) ‖ 9A date (3) ‖ 9C type (1) ‖ 9F37 unpredictable number (4) ‖
 *   82 AIP (2) ‖ 9F36 ATC (2) ‖ CVR as carried in the IAD (4: its length byte 03 and 3 bytes)
 */
#ifndef CP_EMV_AC_H
#define CP_EMV_AC_H

#include <stddef.h>

#define EMV_AC_LEN 8
#define EMV_AC_KEY_LEN 16
#define EMV_AC_INPUT_LEN 37

/* The algorithm byte of the IAD template. */
enum emv_ac_alg { EMV_AC_TDES = 0x01, EMV_AC_SM4 = 0x04 };

/* CP_ERR_UNSUPPORTED for another byte. */
int emv_ac_alg_parse(unsigned char iad_alg, enum emv_ac_alg *alg);

/* The terminal's part of the cryptogram input, in the order above. */
struct emv_ac_terminal {
	unsigned char amount[6], other[6], country[2], tvr[5], currency[2], date[3], type, un[4];
};

/* The 37-byte input from the terminal's data, the AIP, the ATC and the CVR (4 bytes, 03 ...). */
void emv_ac_input(const struct emv_ac_terminal *t, const unsigned char aip[2],
		  const unsigned char atc[2], const unsigned char cvr[4],
		  unsigned char out[EMV_AC_INPUT_LEN]);

/* Session key from the ICC master key MK-AC and the ATC. 3DES: SK = 3DES(MK)[ATC‖F0‖00×5] ‖
 * 3DES(MK)[ATC‖0F‖00×5], odd parity; SM4 (block = key length): SK = SM4(MK)[ATC‖F0‖00×13]. */
int emv_ac_session_key(enum emv_ac_alg alg, const unsigned char mk[EMV_AC_KEY_LEN],
		       const unsigned char atc[2], unsigned char sk[EMV_AC_KEY_LEN]);

/* The PBOC 2.0/3.0 session key derivation that banks' hosts use for CVN 01 (3DES only):
 * SK = 3DES(MK)[00×6 ‖ ATC] ‖ 3DES(MK)[00×6 ‖ ~ATC], odd parity. Checked against a public
 * PBOC worked example (tests/unit/test_emv_ac.c); a card uses it when its bank profile says
 * session_key = pboc (docs/pboc-data.md), else emv_ac_session_key(). */
int emv_ac_session_key_pboc(enum emv_ac_alg alg, const unsigned char mk[EMV_AC_KEY_LEN],
			    const unsigned char atc[2], unsigned char sk[EMV_AC_KEY_LEN]);

/* Which session key derivation a card uses: a bank profile's `session_key`, written by perso
 * into the card-internal DGI 0D01 as tag DF01 (1 byte, these values; no DF01 means EMV), read
 * by the card and by `keys arqc-verify` (docs/pboc-data.md). */
enum emv_ac_skd { EMV_AC_SKD_EMV = 0x01, EMV_AC_SKD_PBOC = 0x02 };
#define EMV_AC_SKD_TAG 0xDF01

/* "emv" or "pboc"; CP_ERR_INVALID otherwise. */
int emv_ac_skd_parse(const char *name, enum emv_ac_skd *out);
/* The session key by skd: emv_ac_session_key() or emv_ac_session_key_pboc(). */
int emv_ac_session_key_by(enum emv_ac_skd skd, enum emv_ac_alg alg,
			  const unsigned char mk[EMV_AC_KEY_LEN], const unsigned char atc[2],
			  unsigned char sk[EMV_AC_KEY_LEN]);

/* The cryptogram over data under the session key, ISO/IEC 9797-1 padding method 2: 3DES with
 * MAC algorithm 3 (retail MAC); SM4 with MAC algorithm 1 (CBC-MAC), the leftmost 8 bytes. */
int emv_ac_mac(enum emv_ac_alg alg, const unsigned char sk[EMV_AC_KEY_LEN],
	       const unsigned char *data, size_t len, unsigned char ac[EMV_AC_LEN]);

/* ARPC method 1: ALG(SK)[ARQC ⊕ (ARC‖00×6)] (SM4: that block padded with 00 to 16 bytes,
 * the leftmost 8 bytes of the result). */
int emv_ac_arpc1(enum emv_ac_alg alg, const unsigned char sk[EMV_AC_KEY_LEN],
		 const unsigned char arqc[EMV_AC_LEN], const unsigned char arc[2],
		 unsigned char arpc[EMV_AC_LEN]);

#endif
