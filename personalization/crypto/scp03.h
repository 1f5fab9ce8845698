/*
 * scp03.h - GlobalPlatform SCP03 (Card Spec Amendment D, S8 mode), both sides.
 *
 * The off-card host (the production line's PC/SC encoder) and the on-card side (the virtual
 * card of the emulated line) share this module, so the two can never disagree on the
 * protocol. Everything is AES (128, 192 or 256-bit static keys) through OpenSSL EVP; see
 * see docs/crypto-reference.md §1 for the rules and the published vectors (TV-03-A).
 *
 * Host flow:
 *   scp03_init_update_apdu(kvn, host_challenge, apdu)        -> send, get response R (no SW)
 *   scp03_parse_init_response(R, len, &ir)                   -> ir.kdd for the static keys
 *   scp03_host_new(&static_keys, &h)                           (keys e.g. kdf3 from KMC)
 *   scp03_host_begin(h, host_challenge, R, len)              -> derives, checks card cryptogram
 *   scp03_host_external_auth(h, SL, apdu, &n)                -> send, expect 9000
 *   scp03_host_wrap(h, plain, n, wrapped, sz, &m)            -> each command
 *   scp03_host_unwrap(h, resp_with_sw, n, plain, sz, &m)     -> each response (R-MAC, R-ENC)
 *   scp03_host_free(h)
 *
 * Card flow:
 *   scp03_card_new(&static_keys, kdd, i_param, sd_aid, aid_len, &c)
 *   scp03_card_init_update(c, apdu, n, card_challenge or NULL, seq, resp, sz, &m)
 *   scp03_card_external_auth(c, apdu, n)                     -> 0, or CP_ERR_CRYPTO (6300)
 *   scp03_card_unwrap(c, apdu, n, plain, sz, &m)             -> verify C-MAC, decrypt C-DEC
 *   scp03_card_wrap_response(c, data, n, sw, out, sz, &m)    -> R-ENC, R-MAC
 *   scp03_card_free(c)
 *
 * APDUs are short (ISO 7816-4) only. Buffers passed in are never kept. Sessions live in
 * OpenSSL's secure heap when it is initialised (keys_secure_init()), and are wiped on free.
 * Every function returns 0 or a negative CP_ERR_* with cp_errmsg() set: CP_ERR_FORMAT for a
 * malformed APDU or response, CP_ERR_CRYPTO for a cryptogram or MAC that does not verify,
 * CP_ERR_PROTOCOL for a call out of order, CP_ERR_LIMIT for data that does not fit.
 */
#ifndef CP_SCP03_H
#define CP_SCP03_H

#include <stddef.h>
#include <stdint.h>

/* Largest plain command data that fits a short APDU at every security level
 * (255 - 8 MAC bytes - at least one padding byte, rounded down to the AES block). */
#define SCP03_MAX_DATA 239
/* Largest short command APDU: header, Lc, 255 data bytes, Le. */
#define SCP03_APDU_MAX 261
/* Largest short response: 256 data bytes and SW1 SW2 (R-ENC/R-MAC included). */
#define SCP03_RESP_MAX 258

/* Security level bits (EXTERNAL AUTHENTICATE P1). */
#define SCP03_C_MAC 0x01
#define SCP03_C_DEC 0x02
#define SCP03_R_MAC 0x10
#define SCP03_R_ENC 0x20

/* The "i" parameter bits (AMD-D Table 5-1). */
#define SCP03_I_PSEUDO_RANDOM 0x10
#define SCP03_I_RMAC 0x20
#define SCP03_I_RENC 0x40

/* A static key set: ENC, MAC, DEK, all of key_len bytes (16, 24 or 32). */
struct scp03_keys {
	unsigned char enc[32], mac[32], dek[32];
	size_t key_len;
	unsigned char kvn;
};

/* The INITIALIZE UPDATE response (S8): KDD(10) KVN 03 i card_challenge(8) cryptogram(8) [seq(3)]. */
struct scp03_init_response {
	unsigned char kdd[10];
	unsigned char kvn, scp_id, i_param;
	unsigned char card_challenge[8];
	unsigned char card_cryptogram[8];
	unsigned char seq[3];
	int has_seq;
};

/* NIST SP 800-108 counter-mode KDF with AES-CMAC (AMD-D 4.1.5): out_len bytes of
 * output for derivation constant dc over context. */
int scp03_kdf(const unsigned char *key, size_t key_len, unsigned char dc,
	      const unsigned char *context, size_t context_len, unsigned char *out, size_t out_len);

/* Derive S-ENC, S-MAC and S-RMAC (each keys->key_len bytes) from the static keys and the
 * challenges. Exposed for tests and diagnostics; the sessions below do this themselves. */
int scp03_session_keys(const struct scp03_keys *keys, const unsigned char host_challenge[8],
		       const unsigned char card_challenge[8], unsigned char *s_enc,
		       unsigned char *s_mac, unsigned char *s_rmac);

/* `80 50 KVN 00 08 host_challenge 00` into apdu (14 bytes). */
void scp03_init_update_apdu(unsigned char kvn, const unsigned char host_challenge[8],
			    unsigned char apdu[14]);
/* Parse an INITIALIZE UPDATE response (data only, SW removed). Checks the SCP identifier. */
int scp03_parse_init_response(const unsigned char *resp, size_t len,
			      struct scp03_init_response *out);

/* Key-sensitive data (AMD-D 6.2.8, 7.3): AES-CBC under the static DEK with ICV 0. len must be
 * a multiple of 16 (pad first: scp03_pad_key pads AES-192 keys). out may equal in. */
int scp03_dek_encrypt(const struct scp03_keys *keys, const unsigned char *in, size_t len,
		      unsigned char *out);

/* ---- host (off-card) side ---- */

struct scp03_host;

int scp03_host_new(const struct scp03_keys *static_keys, struct scp03_host **out);
void scp03_host_free(struct scp03_host *h);
/* Check the INITIALIZE UPDATE response against the static keys: derive the session keys and
 * verify the card cryptogram (CP_ERR_CRYPTO when it does not match: wrong keys). */
int scp03_host_begin(struct scp03_host *h, const unsigned char host_challenge[8],
		     const unsigned char *resp, size_t resp_len);
/* EXTERNAL AUTHENTICATE `84 82 SL 00 10 host_cryptogram C-MAC` (21 bytes) for security level
 * sl (00, 01, 03, 11, 13, 33). The card's 9000 opens the channel. */
int scp03_host_external_auth(struct scp03_host *h, unsigned char sl, unsigned char *apdu,
			     size_t *apdu_len);
/* Wrap one plain command (case 1-4, short) for the security level: C-DEC then C-MAC.
 * out needs SCP03_APDU_MAX bytes. */
int scp03_host_wrap(struct scp03_host *h, const unsigned char *cmd, size_t cmd_len,
		    unsigned char *out, size_t out_size, size_t *out_len);
/* Unwrap the response to the last wrapped command (data || SW1 SW2): verify the R-MAC,
 * decrypt R-ENC. Writes the plain data || SW to out. An error SW carries no R-MAC and is
 * passed through unchanged. */
int scp03_host_unwrap(struct scp03_host *h, const unsigned char *resp, size_t resp_len,
		      unsigned char *out, size_t out_size, size_t *out_len);
/* Encrypt key-sensitive data for this card under its static DEK (as scp03_dek_encrypt). */
int scp03_host_dek_encrypt(struct scp03_host *h, const unsigned char *in, size_t len,
			   unsigned char *out);

/* ---- card (on-card) side ---- */

struct scp03_card;

/* sd_aid: the security domain's AID, used for pseudo-random challenges (i & 0x10). */
int scp03_card_new(const struct scp03_keys *static_keys, const unsigned char kdd[10],
		   unsigned char i_param, const unsigned char *sd_aid, size_t aid_len,
		   struct scp03_card **out);
void scp03_card_free(struct scp03_card *c);
/* Answer INITIALIZE UPDATE (the whole command APDU). card_challenge: NULL to choose one
 * (pseudo-random from seq and the AID when i says so, random otherwise). seq is the
 * sequence counter (3 bytes, included in the response when the challenge is pseudo-random).
 * Writes the response data (no SW) to resp (at least 32 bytes). CP_ERR_NOTFOUND when the KVN
 * asked for is not this key set (the card answers 6A88). */
int scp03_card_init_update(struct scp03_card *c, const unsigned char *apdu, size_t apdu_len,
			   const unsigned char *card_challenge, uint32_t seq, unsigned char *resp,
			   size_t resp_size, size_t *resp_len);
/* Verify EXTERNAL AUTHENTICATE (host cryptogram and C-MAC); on success the channel is open
 * at the security level in P1. CP_ERR_CRYPTO when either does not verify (the card answers
 * 6300 and closes the channel). */
int scp03_card_external_auth(struct scp03_card *c, const unsigned char *apdu, size_t apdu_len);
/* Unwrap one command of the open channel: verify the C-MAC, decrypt C-DEC, give back the
 * plain APDU with the original class byte (b3 cleared) and Lc. out: SCP03_APDU_MAX bytes.
 * CP_ERR_CRYPTO when the MAC does not verify (the card answers 6982 and closes the channel). */
int scp03_card_unwrap(struct scp03_card *c, const unsigned char *apdu, size_t apdu_len,
		      unsigned char *out, size_t out_size, size_t *out_len);
/* Wrap the response to the last unwrapped command: R-ENC (data only) then R-MAC, as the
 * security level says, followed by sw. An error SW (not 9000, 62xx, 63xx) is sent bare. */
int scp03_card_wrap_response(struct scp03_card *c, const unsigned char *data, size_t len,
			     uint16_t sw, unsigned char *out, size_t out_size, size_t *out_len);
/* Decrypt key-sensitive data received in a command (static DEK). */
int scp03_card_dek_decrypt(struct scp03_card *c, const unsigned char *in, size_t len,
			   unsigned char *out);
/* 1 when EXTERNAL AUTHENTICATE succeeded and the channel is still open. */
int scp03_card_is_open(const struct scp03_card *c);
unsigned char scp03_card_security_level(const struct scp03_card *c);
/* Close the channel (deselect, error, reset): secure messaging stops, keys wiped. */
void scp03_card_close(struct scp03_card *c);

#endif
