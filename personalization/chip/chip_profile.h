/*
 * chip_profile.h - chip profiles: one file per card stock (docs/chip-profiles.md).
 *
 * A bureau buys chips from several vendors; each stock differs in its ATR, its issuer
 * security domain, its secure channel (SCP02 or SCP03 with their "i" parameter and the
 * security level used), how its static keys are diversified from the KMC (none, emv,
 * visa2, kdf3), its key version, its STORE DATA conventions, the applications it carries and
 * the life-cycle transitions that end personalisation. A profile says all of that in a small
 * ini file under data/chip-profiles/; the line recognises the stock of each card by its ATR
 * and drives the chip with the matching profile. The virtual card is started as a stock.
 *
 * Errors name the file, the line (0 when the key is missing), the section and key, and the
 * reason.
 */
#ifndef CP_CHIP_PROFILE_H
#define CP_CHIP_PROFILE_H

#include <stddef.h>

#define CHIP_ATR_MAX 33
#define CHIP_AID_MAX 16
#define CHIP_MAX_APPS 8
#define CHIP_NAME_MAX 48

enum chip_scp { CHIP_SCP02 = 2, CHIP_SCP03 = 3 };
/* Static keys from the KMC: the KMC itself, or a GlobalPlatform diversification. */
enum chip_div { CHIP_DIV_NONE = 0, CHIP_DIV_EMV = 1, CHIP_DIV_VISA2 = 2, CHIP_DIV_KDF3 = 3 };
/* STORE DATA P1 b7b6 on a command carrying encrypted DGIs: "application" (01: the 8xxx DGIs
 * are encrypted, as the card's application decides) or "explicit" (11 on commands that carry
 * encrypted DGIs, 00 on the others). */
enum chip_store_enc { CHIP_STORE_ENC_APPLICATION = 1, CHIP_STORE_ENC_EXPLICIT = 3 };
/* STORE DATA P2: "per-sequence" (restarts at 00 after each last block, GPCS 11.11) or
 * "continuous" (keeps counting over the whole session, modulo 256). */
enum chip_store_blocks { CHIP_BLOCKS_PER_SEQUENCE = 0, CHIP_BLOCKS_CONTINUOUS = 1 };

struct chip_app {
	char name[CHIP_NAME_MAX];
	unsigned char aid[CHIP_AID_MAX];
	size_t aid_len;
};

struct chip_profile {
	char name[CHIP_NAME_MAX]; /* the file name without ".ini" */
	char description[128];
	char *path;
	unsigned char atr[CHIP_ATR_MAX], atr_mask[CHIP_ATR_MAX];
	size_t atr_len;
	unsigned char isd_aid[CHIP_AID_MAX];
	size_t isd_aid_len;
	unsigned char kvn; /* key version number of the card's key set */
	char kmc_key[64];  /* the key store's name of the KMC for this stock */
	enum chip_div div;
	enum chip_scp scp;
	unsigned char i_param;	      /* the SCP's "i" */
	unsigned char security_level; /* EXTERNAL AUTHENTICATE P1 */
	enum chip_store_enc store_enc;
	enum chip_store_blocks store_blocks;
	struct chip_app apps[CHIP_MAX_APPS];
	size_t napps;
	/* Ending personalisation: SET STATUS of every application to end_app_lc (0: none)
	 * and of the card to end_card_lc (0: none), GPCS 11.10. */
	unsigned char end_app_lc, end_card_lc;
};

/* The stocks a line knows. */
struct chip_profiles {
	struct chip_profile **p;
	size_t n;
};

/* Load one profile file; the name is the file name without ".ini". */
int chip_profile_load(const char *path, struct chip_profile **out);
/* Parse a profile from text (for tests and diagnostics); path names it in messages. */
int chip_profile_parse(const char *path, const char *text, struct chip_profile **out);
void chip_profile_free(struct chip_profile *p);
/* The built-in stock cpvc-s03 (SCP03 i=70, kdf3, the shipped cpvc-s03.ini): what the line
 * assumes for a job that names no profile. */
void chip_profile_default(struct chip_profile *out);

/* Every *.ini of dir, sorted by name. A bad file is an error (a line must not run with
 * half its stocks); two profiles whose ATRs can match one card are refused too.
 * CP_ERR_NOTFOUND when dir has no profile. */
int chip_profiles_load_dir(const char *dir, struct chip_profiles *out);
/* The configured folder (encoder.chip_profiles, or the shipped data/chip-profiles). */
struct config;
int chip_profiles_load_config(const struct config *cfg, const char *home,
			      struct chip_profiles *out);
void chip_profiles_release(struct chip_profiles *set);
const struct chip_profile *chip_profiles_find(const struct chip_profiles *set, const char *name);
/* The profile whose ATR (under its mask) is this ATR, or NULL. */
const struct chip_profile *chip_profiles_match(const struct chip_profiles *set,
					       const unsigned char *atr, size_t len);
int chip_profile_matches(const struct chip_profile *p, const unsigned char *atr, size_t len);

/* ISO 7816-3 ATR check: TS, T0, interface bytes, historical bytes, and TCK (present exactly
 * when a protocol other than T=0 is offered, and the XOR of T0..TCK is 0). *protocols gets
 * bit 0 for T=0 and bit 1 for T=1 (may be NULL). why: the reason when it is not valid. */
int chip_atr_check(const unsigned char *atr, size_t len, unsigned *protocols, char *why,
		   size_t whysz);
/* 0 when the ATR is one an EMV Level 1 terminal accepts (EMV Book 1 8.3: TB1 00, TC1 00 or
 * FF, TD1 T=0 or T=1, TA2 specific mode of TD1's protocol, TC2 0A for T=0 only, after T=0 a
 * TD2 only for T=15, after T=1 a TD2 of T=1 with TA3 10..FE, TB3 BWI <= 4 and CWI <= 5,
 * TC3 00; TCK right); CP_ERR_FORMAT and the reason in why otherwise. */
int chip_atr_emv_check(const unsigned char *atr, size_t len, char *why, size_t whysz);

const char *chip_div_name(enum chip_div d);
const char *chip_scp_name(enum chip_scp s);

/* Whether a KMC of kmc_len bytes can give stock p's static keys: none takes the KMC itself
 * (SCP02 a 16-byte 3DES key, SCP03 AES 16/24/32), emv and visa2 a 16-byte 3DES KMC, kdf3
 * an AES KMC of 16/24/32. CP_ERR_INVALID naming the stock when it cannot. */
int chip_profile_check_kmc(const struct chip_profile *p, size_t kmc_len);
/* The chip's static ENC/MAC/DEK (each *key_len bytes, at most 32) from the KMC and the
 * chip's KDD, as stock p says (none, emv, visa2, kdf3). The one derivation of the encoder,
 * the line's set-up check and the virtual card. */
int chip_profile_static_keys(const struct chip_profile *p, const unsigned char *kmc, size_t kmc_len,
			     const unsigned char kdd[10], unsigned char enc[32],
			     unsigned char mac[32], unsigned char dek[32], size_t *key_len);

#endif
