/*
 * encoder.h - the chip encoder of a production line: a PC/SC reader (pcsc-lite) at the
 * printer's contact station.
 *
 * Per card the encoder waits for the card, connects, knows the card's stock (chip profile)
 * by its ATR, SELECTs the stock's issuer security domain, runs INITIALIZE UPDATE, derives
 * the chip's own static keys from the KMC with the KDD the chip reports (as the stock
 * says: none, emv, visa2 or kdf3), checks the card cryptogram, opens the stock's channel
 * (SCP03 or SCP02) at its security level, runs the card's perso script with its expected
 * status words (sensitive values are re-encrypted in memory from the line transport key
 * to the chip's static DEK and wiped after), then reads back what was written (every
 * SSSE EF05/EF06 record the script updated, every plain record DGI of the PBOC and
 * transport applications, plus the caller's own expectations) and compares. Then it ends
 * the personalisation the GlobalPlatform way (personalization/chip/lifecycle.h): over a
 * fresh channel of the stock's own SCP (SCP03 or SCP02) at the profile's security level,
 * SET STATUS moves every application the script personalised to
 * PERSONALIZED and the card to SECURED (or the job's own transitions), and GET STATUS must
 * show exactly those states. It returns the chip's card identifier (卡识别码, EF05
 * record 1) and the time the card was locked.
 *
 * Failures are classified (enum encoder_outcome) so that `produce` can spoil the card
 * with the right reason: a chip fault, a read-back mismatch, no card, a card pulled, keys
 * that do not open the chip, a chip already personalised, or the reader itself failing.
 * The function result is 0 only for ENCODER_OK; otherwise a negative CP_ERR_* and
 * cp_errmsg() / result.reason say what happened (APDU, SW, PC/SC code).
 *
 * Key material given to the encoder is copied into wiped memory and never logged.
 */
#ifndef CP_ENCODER_H
#define CP_ENCODER_H

#include "personalization/chip/chip_profile.h"
#include "personalization/chip/lifecycle.h"

#include <stddef.h>
#include <stdint.h>

struct config;

enum encoder_outcome {
	ENCODER_OK = 0,
	ENCODER_NO_CARD,       /* no card arrived in the reader within the timeout */
	ENCODER_CHIP_FAULT,    /* mute chip, no/invalid ATR, 6Fxx, an unexpected SW in the script */
	ENCODER_PULLED,	       /* the card left the reader in the middle (PC/SC: card removed) */
	ENCODER_MISMATCH,      /* the read-back differs from what was written / expected */
	ENCODER_AUTH_FAILED,   /* card cryptogram wrong or EXTERNAL AUTHENTICATE refused: wrong
			      * KMC, or not one of our chips */
	ENCODER_LOCKED,	       /* the chip is already personalised and refuses it (6985) */
	ENCODER_READER,	       /* the reader or pcscd failed: not the card's fault, stop the line */
	ENCODER_BAD_SCRIPT,    /* the perso script itself is malformed (not the card's fault) */
	ENCODER_LOCK_FAILED,   /* SET STATUS refused, or GET STATUS afterwards does not show the
			      * states set: the card is not issuable */
	ENCODER_UNKNOWN_STOCK, /* the ATR matches no chip profile: not a stock this line knows;
				* nothing was sent to the chip */
	ENCODER_CONFIG,	       /* the line's set-up does not fit the stock: the chip has no key
				* set of the profile's kvn (6A88 to INITIALIZE UPDATE), or the
				* KMC cannot give the stock's keys (not the card's fault) */
};

/* "ok", "no-card", "chip", "pulled", "mismatch", "auth", "locked", "reader",
 * "script", "lock-failed", "stock", "config". */
const char *encoder_outcome_name(enum encoder_outcome o);

/* Whose fault an outcome is. CARD: this physical card (its chip is defective, refuses a
 * command or the keys, reads back wrong, left the reader, never showed up): spoil it and
 * make the card again on a new blank. LINE: the reader, pcscd, the script or the keys and
 * chip profile the line was given, which the next blank would meet just the same: the blank
 * already fed is spoiled without charging the card, and the line stops. */
enum encoder_fault {
	ENCODER_FAULT_NONE = 0, /* ENCODER_OK */
	ENCODER_FAULT_CARD,
	ENCODER_FAULT_LINE,
};
enum encoder_fault encoder_outcome_fault(enum encoder_outcome o);

/* One command of a card's perso script, as the encoder runs it. */
struct encoder_cmd {
	const unsigned char *apdu; /* plain command APDU (short, ISO 7816-4) */
	size_t len;
	/* Acceptable status words; none given (n_sw 0) means 9000 only. */
	uint16_t sw[4];
	size_t n_sw;
	/* Key-sensitive bytes: data[sens_off .. sens_off+sens_len) (offsets into the command
	 * data field, i.e. after CLA INS P1 P2 Lc) are ciphertext under the line transport
	 * key; the encoder re-encrypts them under the chip's static DEK. sens_len 0: none. */
	size_t sens_off, sens_len;
	const char *label; /* for messages ("EF05 record 1", "DGI 8113"); may be NULL */
};

/* A card's script as a sequence: next() fills cmd and returns 1, returns 0 at the end, or
 * a negative CP_ERR_* (the script is bad: the card is not touched further). The pointers
 * in cmd stay valid until the next call. */
struct encoder_script {
	void *ctx;
	int (*next)(void *ctx, struct encoder_cmd *cmd);
};

/* One read-back check supplied by the caller (from the registry): SELECT aid (and the
 * file fid when non-zero), READ RECORD rec, the record must equal expect[0..len). */
struct encoder_expect {
	const unsigned char *aid;
	size_t aid_len;
	uint16_t fid;
	unsigned char rec;
	const unsigned char *expect;
	size_t len;
	const char *label;
};

/* The keys of a run. kmc: the issuer's master key for SD keys (AES 16/24/32 bytes for SCP03
 * stocks, 3DES 16 bytes for SCP02 stocks), from which each chip's ENC/MAC/DEK are derived by
 * the stock's diversification (chip_profile_static_keys()) and the chip's KDD.
 * transport: the line transport key the script's sensitive values are encrypted under
 * (algorithm and mode as docs/perso-script-format.md says; CBC with a zero IV). */
struct encoder_keys {
	const unsigned char *kmc;
	size_t kmc_len;
	unsigned char kvn; /* key version number to ask for in INITIALIZE UPDATE (0: any) */
	const unsigned char *transport;
	size_t transport_len;
	int transport_alg; /* enum cp_alg (personalization/crypto/cipher.h) */
};

struct encoder_job {
	const char *card_no; /* for messages only */
	const struct encoder_keys *keys;
	struct encoder_script script;
	const struct encoder_expect *expect; /* extra checks; may be NULL */
	size_t n_expect;
	/* The SET STATUS transitions that end personalisation, in order (a chip profile's);
	 * none (n_transitions 0): lc_default_transitions() of the AIDs the script named in
	 * INSTALL [for personalization], i.e. each to PERSONALIZED, then the card SECURED. */
	const struct lc_transition *transitions;
	size_t n_transitions;
	/* The card stock (docs/chip-profiles.md): its ISD, secure channel, key diversification,
	 * key version, STORE DATA conventions, applications and end states. pick_stock, when
	 * set, is called with the ATR once the card is connected and gives the stock and its
	 * KMC (instead of keys->kmc); a negative return rejects the card (ENCODER_UNKNOWN_STOCK,
	 * with cp_errmsg() as the reason). Otherwise profile, or the default cpvc-s03 when
	 * NULL. */
	const struct chip_profile *profile;
	int (*pick_stock)(void *ctx, const unsigned char *atr, size_t atr_len,
			  const struct chip_profile **profile, const unsigned char **kmc,
			  size_t *kmc_len);
	void *pick_ctx;
};

struct encoder_result {
	enum encoder_outcome outcome;
	char card_id[33];	   /* 卡识别码, 32 upper-case hex, "" when not read */
	char atr[67];		   /* ATR in hex */
	unsigned n_apdus;	   /* script commands sent */
	unsigned n_checked;	   /* records / DGIs compared in the read-back */
	char reason[256];	   /* one line: what failed, for the spoil record */
	char locked_at[21];	   /* ISO 8601 UTC when the lock was verified, "" when not locked */
	unsigned char card_state;  /* the card life cycle GET STATUS showed (0: not read) */
	unsigned n_transitions;	   /* SET STATUS commands that succeeded */
	char stock[CHIP_NAME_MAX]; /* the chip profile the card was driven with, "" none */
};

struct encoder;

/* Open the PC/SC context and find the reader whose name starts with reader_prefix.
 * timeout_ms: how long encoder_personalize() waits for a card. The client environment
 * (PCSCLITE_CSOCK_NAME) must be set before (see pcscd_line.h). */
int encoder_open(const char *reader_prefix, int timeout_ms, struct encoder **out);
/* The same with encoder.reader and encoder.timeout_ms from the configuration. */
int encoder_open_config(const struct config *cfg, struct encoder **out);
void encoder_close(struct encoder *e);
/* The reader's full name. */
const char *encoder_reader_name(const struct encoder *e);
/* Is a card in the reader? 1: a card (answering or mute) is still there after waiting up
 * to settle_ms for the reader to be empty (a card that just left may take pcscd a moment
 * to notice), 0: empty, negative: the reader or pcscd failed (CP_ERR_DEVICE, cp_errmsg()
 * says how). Before a blank is fed the reader must be empty: a card there is someone
 * else's. */
int encoder_card_present(struct encoder *e, int settle_ms);

/* Personalise the card in the reader: everything described at the top. res is always
 * filled (outcome, reason); returns 0 for ENCODER_OK, else a negative CP_ERR_*:
 * CP_ERR_TIMEOUT (no card), CP_ERR_DEVICE (chip fault, pulled, locked, reader),
 * CP_ERR_CRYPTO (auth), CP_ERR_INTEGRITY (mismatch), CP_ERR_FORMAT (bad script).
 * The card is always disconnected before return. */
int encoder_personalize(struct encoder *e, const struct encoder_job *job,
			struct encoder_result *res);

/* A QC re-read without keys: wait for the card, read its ATR and card identifier (SSSE
 * EF05 record 1); expectations, if any, are compared as in encoder_personalize(). */
int encoder_read(struct encoder *e, const struct encoder_expect *expect, size_t n_expect,
		 struct encoder_result *res);

/* Only wait for the card and read its ATR (atr_size at least CHIP_ATR_MAX): to know its
 * stock (cardpipe chip identify). Nothing is sent to the chip. */
int encoder_identify(struct encoder *e, unsigned char *atr, size_t atr_size, size_t *atr_len,
		     struct encoder_result *res);

#endif
