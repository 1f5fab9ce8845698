/*
 * vcard.h - the virtual card: a third-generation social security card chip for the
 * emulated production line and the tests.
 *
 * The chip holds a GlobalPlatform issuer security domain (ISD, vcard_isd.c) with SCP03
 * and three applications (vcard_fs.c): the SSSE social-security environment with its
 * record files EF05 (issuer data) and EF06 (holder data), the PBOC debit application and
 * the transport (T-Union) application, the last two personalised with STORE DATA DGIs.
 * vcard_apdu() (vcard_dispatch.c) takes one command APDU and gives the response, the way a
 * chip's operating system does; it never fails on bad input: every malformed command gets
 * the status word a card answers. Persistence is vcard_store.c, the vpcd link vpcd.c.
 *
 * Identity of a chip: its serial (8 bytes, chip-unique, fixed at manufacture), from which
 * come the card identifier 卡识别码 = 110000 D156000005 serial (16 bytes; EF05 record 1,
 * written at chip initialisation and read-only after) and the key diversification data
 * KDD = the identifier's last 10 bytes (00 05 serial), reported in INITIALIZE UPDATE.
 * The ISD's static keys are kdf3(KMC, KDD) with a TEST KMC (docs/virtual-card.md).
 *
 * A chip is of one card stock (a chip profile, personalization/chip/chip_profile.h): the
 * stock gives its ATR, its ISD's AID, its secure channel (SCP03, or SCP02 through the card
 * side of personalization/crypto/scp02.h), how its static keys come from the KMC, its key
 * version and its STORE DATA conventions. The default stock is cpvc-s03 (SCP03, kdf3).
 */
#ifndef CP_VCARD_H
#define CP_VCARD_H

#include <stddef.h>
#include <stdint.h>

#include "personalization/chip/chip_profile.h"
#include "personalization/chip/lifecycle.h"
#include "personalization/crypto/scp02.h"
#include "personalization/crypto/scp03.h"

#define VCARD_SERIAL_LEN 8
#define VCARD_ID_LEN 16
#define VCARD_KDD_LEN 10
#define VCARD_MAX_RECORD 256 /* largest record or DGI value kept (a READ RECORD answer) */

/* GlobalPlatform card and application life cycles: the encoder's own definitions
 * (personalization/chip/lifecycle.h), under the names the virtual card has used. */
#define VCARD_LC_OP_READY LC_CARD_OP_READY
#define VCARD_LC_INITIALIZED LC_CARD_INITIALIZED
#define VCARD_LC_SECURED LC_CARD_SECURED
#define VCARD_LC_LOCKED LC_CARD_LOCKED
#define VCARD_LC_TERMINATED LC_CARD_TERMINATED
#define VCARD_APP_INSTALLED LC_APP_INSTALLED
#define VCARD_APP_SELECTABLE LC_APP_SELECTABLE
#define VCARD_APP_PERSONALIZED LC_APP_PERSONALIZED
#define VCARD_APP_LOCKED_BIT LC_APP_LOCKED_BIT

/* Consecutive failed EXTERNAL AUTHENTICATEs after which the card locks itself. */
#define VCARD_MAX_AUTH_FAILURES 10

enum vcard_app_id {
	VCARD_APP_ISD = 0,
	VCARD_APP_SSSE,
	VCARD_APP_PBOC,
	VCARD_APP_TRANSPORT,
	VCARD_APP_PSE, /* the payment system environment 1PAY.SYS.DDF01 (EMV Book 1 12.2) */
	VCARD_NAPPS
};

extern const unsigned char vcard_aid_isd[8];
extern const unsigned char vcard_aid_ssse[15];
extern const unsigned char vcard_aid_pboc[8];
extern const unsigned char vcard_aid_transport[8];
extern const unsigned char vcard_aid_pse[14];

/* A record of a record file, or a stored DGI. len 0: never written. */
struct vcard_rec {
	unsigned char data[VCARD_MAX_RECORD];
	size_t len;
};

#define VCARD_EF05_RECORDS 7
#define VCARD_EF06_RECORDS 7
#define VCARD_MAX_DGIS 64

/* A DGI kept by an application. Secret DGIs (keys, PINs) are never readable, and are
 * persisted only encrypted under the test KMC. */
struct vcard_dgi {
	uint16_t tag;
	int secret;
	struct vcard_rec v;
};

struct vcard_app {
	unsigned char lc; /* application life cycle */
	size_t ndgis;
	struct vcard_dgi dgis[VCARD_MAX_DGIS];
};

/* The debit application's counters (vcard_emv.c): they survive a power cycle. */
struct vcard_emv_state {
	uint16_t atc;		  /* 9F36, +1 at each GET PROCESSING OPTIONS */
	uint16_t last_online_atc; /* 9F13 */
	int pin_tries;		  /* 9F17; -1: not yet set (DGI 9010's initial value) */
	unsigned offline_count;	  /* consecutive transactions approved offline */
	unsigned char flags;	  /* VCARD_EMV_* */
};
#define VCARD_EMV_IA_FAILED 0x01      /* issuer authentication failed in the last online one */
#define VCARD_EMV_ONLINE_PENDING 0x02 /* an ARQC was given and no second GENERATE AC came */

/* Everything that survives a power cycle. */
struct vcard_chip {
	unsigned char serial[VCARD_SERIAL_LEN];
	unsigned char card_id[VCARD_ID_LEN];
	unsigned char kdd[VCARD_KDD_LEN];
	unsigned char card_lc;
	uint32_t seq;		/* SCP03 sequence counter (24 bits) */
	unsigned auth_failures; /* consecutive failed EXTERNAL AUTHENTICATEs */
	struct scp03_keys keys; /* the ISD's static keys (derived, or replaced by PUT KEY) */
	int keys_replaced;	/* 1 after PUT KEY: keys are not kdf3(KMC, KDD) any more */
	struct vcard_rec ef05[VCARD_EF05_RECORDS], ef06[VCARD_EF06_RECORDS];
	struct vcard_app apps[VCARD_NAPPS];
	struct vcard_emv_state emv; /* the PBOC debit application's counters */
};

/* One transaction of the debit application (EMV Book 3 ch. 10): reset by SELECT and reset. */
struct vcard_txn {
	int step;		/* 0 nothing, 1 GPO done, 2 ARQC given, 3 completed */
	unsigned char cvr[3];	/* card verification results (docs/pboc-data.md) */
	int ia;			/* issuer authentication: 0 not done, 1 passed, -1 failed */
	int pin_verified;	/* offline PIN verified in this transaction */
	unsigned char ac[8];	/* the first GENERATE AC's cryptogram */
	unsigned char pdol[64]; /* the GPO's PDOL data (CDA hash) */
	size_t npdol;
	unsigned char cdol1[128]; /* the first GENERATE AC's CDOL1 data */
	size_t ncdol1;
	unsigned char term[29]; /* the terminal's part of the cryptogram input */
};

/* Per-session (volatile) state: selection, secure channel, STORE DATA sequence. */
struct vcard_session {
	int app;		  /* selected application (enum vcard_app_id), -1 none */
	uint16_t cur_ef;	  /* current EF under SSSE (0xEF05/0xEF06), 0 none */
	struct scp03_card *scp;	  /* the SCP03 channel (SCP03 stocks) */
	struct scp02_card *scp02; /* the SCP02 channel (SCP02 stocks) */
	int perso_app;		  /* target of INSTALL [for personalization], -1 none */
	int store_next;		  /* next STORE DATA block number expected */
	unsigned char pending[2 * VCARD_MAX_RECORD + 8]; /* a DGI split over blocks */
	size_t npending;
	unsigned char pending_p1;
	unsigned char status_p1;	       /* GET STATUS: the subset being listed, and */
	int status_next;		       /* 1 + the next entry to give after 6310 (0: none) */
	const unsigned char *fixed_challenge;  /* tests: the next card challenge, or NULL */
	size_t status_page;		       /* tests: a smaller GET STATUS page (0: 224) */
	struct vcard_txn txn;		       /* the debit application's transaction */
	const unsigned char *fixed_icc_number; /* tests: the ICC dynamic number, or NULL */
};

struct vcard {
	struct chip_profile stock; /* the card stock (path NULL: a copy) */
	struct vcard_chip chip;
	struct vcard_session s;
	int dirty;	   /* chip state changed since the last save */
	uint16_t fault_sw; /* a defective chip answers every command with this (0: none) */
	int corrupt;	   /* a failing memory: every record or plain DGI stored has a bit
			    * flipped, and the chip still answers 9000 */
};

/* A fresh blank chip with this serial: static keys kdf3(kmc, KDD), life cycle
 * OP_READY, EF05 record 1 holding the card identifier, applications selectable. The default
 * stock (cpvc-s03). */
int vcard_init_blank(struct vcard *vc, const unsigned char serial[VCARD_SERIAL_LEN],
		     const unsigned char *kmc, size_t kmc_len);
/* The same as a chip of stock (copied): its keys diversified from kmc as the stock says
 * (none, emv, visa2, kdf3) with its key version. */
int vcard_init_blank_stock(struct vcard *vc, const struct chip_profile *stock,
			   const unsigned char serial[VCARD_SERIAL_LEN], const unsigned char *kmc,
			   size_t kmc_len);
/* The built-in default stock, the same as the shipped data/chip-profiles/cpvc-s03.ini. */
void vcard_default_stock(struct chip_profile *out);
/* Derive the ISD's static keys from the KMC and the KDD (GP kdf3, AES, key length of the
 * KMC), key version 0x30. */
int vcard_derive_keys(const unsigned char *kmc, size_t kmc_len,
		      const unsigned char kdd[VCARD_KDD_LEN], struct scp03_keys *out);
/* Power-on / reset: the session is cleared (channel closed, nothing selected). */
void vcard_reset(struct vcard *vc);
/* Release the session and wipe the keys. */
void vcard_release(struct vcard *vc);

/* The ATR of the chip's stock, into atr (33 bytes max). */
size_t vcard_atr(const struct vcard *vc, unsigned char *atr, size_t size);

/* Process one command APDU: resp gets data || SW1 SW2 (resp_size >= 258). Never fails. */
size_t vcard_apdu(struct vcard *vc, const unsigned char *cmd, size_t len, unsigned char *resp,
		  size_t resp_size);

/* ---- internal interfaces between the card's modules ---- */

/* A response under construction. */
struct vcard_resp {
	unsigned char data[256];
	size_t len;
};

struct apdu;
/* ISD commands (vcard_isd.c): INITIALIZE UPDATE, EXTERNAL AUTHENTICATE, INSTALL, STORE
 * DATA, PUT KEY, SET STATUS, GET STATUS (vcard_status.c), GET DATA on the ISD. wrapped: the command came through the
 * secure channel. Returns the SW. */
uint16_t vcard_isd_command(struct vcard *vc, const struct apdu *a, int wrapped,
			   struct vcard_resp *out);
/* SET STATUS and GET STATUS (vcard_status.c): the GlobalPlatform life cycles. */
uint16_t vcard_set_status(struct vcard *vc, const struct apdu *a, int wrapped);
uint16_t vcard_get_status(struct vcard *vc, const struct apdu *a, int wrapped,
			  struct vcard_resp *out);
/* SELECT, READ RECORD, UPDATE RECORD, GET DATA of the applications (vcard_fs.c). */
uint16_t vcard_fs_command(struct vcard *vc, const struct apdu *a, int wrapped,
			  struct vcard_resp *out);
/* The debit application's EMV commands (vcard_emv.c): GET PROCESSING OPTIONS, GENERATE AC,
 * VERIFY, INTERNAL and EXTERNAL AUTHENTICATE, GET DATA of 9F36/9F17/9F13. Sets *handled
 * when the command is one of them. */
uint16_t vcard_emv_command(struct vcard *vc, const struct apdu *a, struct vcard_resp *out,
			   int *handled);
/* A stored DGI of an application, or NULL. */
struct vcard_dgi *vcard_find_dgi(struct vcard *vc, int app, uint16_t tag);
/* Store one DGI for an application (vcard_fs.c); SW. */
uint16_t vcard_fs_store_dgi(struct vcard *vc, int app, uint16_t tag, const unsigned char *v,
			    size_t len, int secret);
/* Check one EF05/EF06 record's content against the SSSE layout (tag and length). */
uint16_t vcard_fs_check_record(uint16_t ef, unsigned rec, const unsigned char *v, size_t len);
/* The application of an AID, or -1 (the ISD: the default stock's AID). */
int vcard_app_by_aid(const unsigned char *aid, size_t len);
/* The same on this chip, whose ISD has its stock's AID. */
int vcard_app_of(const struct vcard *vc, const unsigned char *aid, size_t len);
/* 1 when the chip's stock carries the application (enum vcard_app_id; the ISD always). */
int vcard_app_present(const struct vcard *vc, int app);
/* The ISD's AID on this chip. */
const unsigned char *vcard_isd_aid(const struct vcard *vc, size_t *len);

/* The secure channel of the session, whichever SCP the stock has (vcard_dispatch.c). */
int vcard_channel_open(const struct vcard *vc);
unsigned char vcard_channel_level(const struct vcard *vc);
void vcard_channel_close(struct vcard *vc);
/* Key-sensitive data received in a command: SCP03 static DEK (AES-CBC), SCP02 session DEK
 * (3DES-ECB). */
int vcard_channel_dek_decrypt(struct vcard *vc, const unsigned char *in, size_t len,
			      unsigned char *out);
const char *vcard_app_name(int app);
/* The AID of an application (enum vcard_app_id) and its length. */
const unsigned char *vcard_app_aid(int app, size_t *len);

#endif
