/*
 * scp02.h - GlobalPlatform SCP02 (GPCS Appendix E), off-card side, for older card stock.
 *
 * Both sides share this module (the encoder's host side, the virtual card's card side), so
 * the two never disagree on the protocol.
 * 3DES session keys from the sequence counter, cryptograms (ISO 9797-1 alg 1 full 3DES MAC),
 * C-MAC (retail MAC, alg 3) in modified or unmodified APDU mode with optional ICV
 * encryption, C-DEC, and sensitive data under the session DEK (3DES-ECB). R-MAC is not
 * provided (security levels 00, 01, 03). Vector: TV-02-A of docs/crypto-reference.md §2.5.
 * Unlike SCP03, SCP02 key data depends on the session DEK and so cannot be prepared offline.
 */
#ifndef CP_SCP02_H
#define CP_SCP02_H

#include <stddef.h>

#define SCP02_I_3KEYS 0x01
#define SCP02_I_UNMODIFIED 0x02 /* C-MAC on the unmodified APDU */
#define SCP02_I_ICV_ENC 0x10	/* ICV encryption for C-MAC session */

struct scp02_keys {
	unsigned char enc[16], mac[16], dek[16];
	unsigned char kvn;
};

struct scp02_host;

/* i_param: the card's SCP02 option ("15" is usual: explicit, modified APDU, ICV encryption). */
int scp02_host_new(const struct scp02_keys *keys, unsigned char i_param, struct scp02_host **out);
void scp02_host_free(struct scp02_host *h);
/* INITIALIZE UPDATE response (28 bytes, SW removed): derive, verify the card cryptogram. */
int scp02_host_begin(struct scp02_host *h, const unsigned char host_challenge[8],
		     const unsigned char *resp, size_t resp_len);
/* EXTERNAL AUTHENTICATE for sl (00, 01, 03), 21 bytes. */
int scp02_host_external_auth(struct scp02_host *h, unsigned char sl, unsigned char *apdu,
			     size_t *apdu_len);
/* Wrap one plain short command: C-MAC, then C-DEC. out: 261 bytes. */
int scp02_host_wrap(struct scp02_host *h, const unsigned char *cmd, size_t cmd_len,
		    unsigned char *out, size_t out_size, size_t *out_len);
/* Sensitive data under the session DEK, 3DES-ECB (len a multiple of 8). */
int scp02_host_dek_encrypt(struct scp02_host *h, const unsigned char *in, size_t len,
			   unsigned char *out);
/* The derived session keys, for diagnostics and tests (16 bytes each; any may be NULL). */
void scp02_host_session_keys(const struct scp02_host *h, unsigned char *s_enc, unsigned char *c_mac,
			     unsigned char *r_mac, unsigned char *s_dek);

/* ---- card (on-card) side, for the virtual card ---- */

struct scp02_card;

int scp02_card_new(const struct scp02_keys *keys, const unsigned char kdd[10],
		   unsigned char i_param, struct scp02_card **out);
void scp02_card_free(struct scp02_card *c);
/* Answer INITIALIZE UPDATE (the whole command APDU): KDD(10) KVN 02 seq(2) card
 * challenge(6) card cryptogram(8), 28 bytes into resp. card_challenge: NULL for a random
 * one. CP_ERR_NOTFOUND when the KVN asked for is not this key set (6A88). */
int scp02_card_init_update(struct scp02_card *c, const unsigned char *apdu, size_t len,
			   const unsigned char *card_challenge, unsigned int seq,
			   unsigned char *resp, size_t resp_size, size_t *resp_len);
/* Verify EXTERNAL AUTHENTICATE (host cryptogram and C-MAC); CP_ERR_CRYPTO when either does
 * not verify. On success the channel is open at the level in P1 (00, 01, 03). */
int scp02_card_external_auth(struct scp02_card *c, const unsigned char *apdu, size_t len);
/* Decrypt C-DEC and verify the C-MAC of one command; out gets the plain APDU (class
 * byte without b3). CP_ERR_CRYPTO closes the channel. */
int scp02_card_unwrap(struct scp02_card *c, const unsigned char *apdu, size_t len,
		      unsigned char *out, size_t out_size, size_t *out_len);
/* Key-sensitive data received: 3DES-ECB under the session DEK. */
int scp02_card_dek_decrypt(struct scp02_card *c, const unsigned char *in, size_t len,
			   unsigned char *out);
int scp02_card_is_open(const struct scp02_card *c);
unsigned char scp02_card_security_level(const struct scp02_card *c);
void scp02_card_close(struct scp02_card *c);

#endif
