/*
 * chipdata.h - the data a card's chip is personalised with, built from a prepared card
 * (registry card + application) and the master keys: SSSE EF05/EF06 records
 * (docs/domain-facts.md §1.2), the SSSE keys and service password, the PBOC debit DGIs
 * and the transport DGIs (docs/domain-facts.md §5), each card key derived from its master
 * (docs/perso-script-format.md says which factor feeds which derivation).
 */
#ifndef CP_CHIPDATA_H
#define CP_CHIPDATA_H

#include "core/buf.h"
#include "personalization/crypto/cipher.h"

#include <stddef.h>

/* A prepared card, as read from the registry (reg_perso.h). Strings are NUL-terminated. */
struct perso_card {
	long long card_id, application_id;
	char card_no[16];
	char bank[16];
	char pan[20], psn[3];
	char issue_date[11], expiry_date[11]; /* YYYY-MM-DD */
	char name[256];			      /* UTF-8 */
	char id_type[16], id_number[32];
	char sex[4], ethnicity[4];
	char birth_date[11];   /* YYYY-MM-DD */
	int line;	       /* 0: not assigned yet */
	char transport_no[20]; /* the T-Union card number, 19 digits (formats/cardno.h) */
	/* the ICC certificate's serial (EMV Book 2 Table 14, unique per certificate): the
	 * card's ordinal among its bank's cards, 1..0xFFFFFF (set by the perso stage) */
	long icc_serial;
};

struct bank_profile;
struct emv_issuer;

/* Master keys for one card (borrowed; clear values live in the secure heap). */
struct perso_masters {
	const unsigned char *ssse[3];	   /* ext-auth, maint, pin (SM4) */
	const unsigned char *transport[3]; /* purchase, load, tac (SM4) */
	const unsigned char *bank[3];	   /* MK-AC, MK-SMI, MK-SMC issuer masters */
	enum cp_alg bank_alg;		   /* CP_ALG_TDES (EMV Option A) or CP_ALG_SM4 */
	const unsigned char *tk;	   /* the line transport key, AES-256 */
	char tk_name[64], tk_kcv[7];
	const struct bank_profile *profile; /* the card's bank's (bank_profile.h) */
	const struct emv_issuer *issuer;    /* its issuer key and certificate (emv/issuer.h) */
};

/* Fixed parameters of a run (configuration). */
struct perso_params {
	char card_type[8];	    /* card.type, ASCII, 1 byte on the chip */
	char spec_version[8];	    /* card.spec_version, "3.00" */
	unsigned char init_org[12]; /* card.init_org, 12 bytes */
	char transport_city[8];	    /* perso.transport_city, 4 digits ("1000") */
	int pin_tries;		    /* perso.pin_tries */
	int line;
};

/* The card's derived keys (secure heap). */
struct card_keys {
	unsigned char ssse[3][16];
	unsigned char transport[3][16];
	unsigned char bank[3][16];
	enum cp_alg bank_alg;
};

/* The transport keys' factor: the last 16 digits of the card's 19-digit T-Union number,
 * BCD. CP_ERR_INVALID when the number is missing or malformed, or was allocated under
 * another city code than city (perso.transport_city: the chip's 9F0C carries both). */
int chip_transport_factor(const char *city, const char *transport_no, unsigned char factor[8]);
/* Derive every card key from its master. */
int chip_derive_keys(const struct perso_card *c, const struct perso_masters *m,
		     const char *transport_city, struct card_keys *k);

/* Name in GB18030: the first part (<= 30 bytes, cut at a character boundary) and the name
 * extension (the rest, <= 60 bytes). CP_ERR_INVALID when it does not fit or convert. */
int chip_name_gb(const char *utf8, unsigned char first[30], size_t *first_len,
		 unsigned char ext[60], size_t *ext_len);
/* The service password's initial value: the last 6 characters of the social security
 * number ('X' counts as 0; manual item 17). */
int chip_initial_pin(const char *ssn, char pin[7]);
/* The 6-digit birthplace region code for an ID number of the given type. */
int chip_birthplace(const char *id_type, const char *id_number, char out[7]);

/* Append "YYYYMMDD" of an ISO date as 4 BCD bytes to out. */
int chip_bcd_date(const char *iso, unsigned char out[4]);

#endif
