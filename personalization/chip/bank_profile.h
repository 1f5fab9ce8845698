/*
 * bank_profile.h - bank profiles (docs/pboc-data.md "Bank profiles"): what the PBOC debit
 * application of a card varies by issuing bank: its label and names, the application usage
 * control, issuer action codes, CVM list, card risk limits, the data object lists, the IMK
 * names in the key store, the offline data authentication method and ICC key size, and the
 * initial offline PIN.
 *
 * Built-in defaults serve every cooperating bank; a folder (perso.bank_profiles, else the
 * shipped data/bank-profiles) may hold default.ini, read over the built-ins for all banks,
 * and BANK.ini (ICBC.ini), read over those for one bank. Keys a file leaves out keep the
 * value beneath. Errors name the file, the line, the [section] key and the reason.
 */
#ifndef CP_BANK_PROFILE_H
#define CP_BANK_PROFILE_H

#include "personalization/crypto/emv_ac.h"

#include <stddef.h>

#define BANK_CVM_MAX 6
#define BANK_DOL_MAX 64
#define BANK_NAME_MAX 16

enum bank_oda { BANK_ODA_SDA = 1, BANK_ODA_DDA = 2, BANK_ODA_CDA = 3 };

/* CVM codes (EMV Book 3 Annex C3, Table 39, b6..b1). */
enum bank_cvm {
	BANK_CVM_OFFLINE_PIN = 0x01, /* plaintext PIN verified by the ICC */
	BANK_CVM_ONLINE_PIN = 0x02,  /* enciphered PIN verified online */
	BANK_CVM_SIGNATURE = 0x1E,   /* signature (paper) */
	BANK_CVM_NO_CVM = 0x1F,	     /* no CVM required */
};

struct bank_profile {
	char bank[BANK_NAME_MAX];
	char label[17];		  /* 50: application label, ans 1-16 */
	char preferred_name[17];  /* 9F12: application preferred name, ans 1-16 */
	unsigned char priority;	  /* 87: application priority indicator */
	char language[9];	  /* 5F2D: 1-4 ISO 639-1 codes, lower case */
	unsigned char code_table; /* 9F11: issuer code table index (ISO 8859 part) */
	unsigned char version[2]; /* 9F08: application version number */
	unsigned char auc[2];	  /* 9F07: application usage control */
	unsigned char iac_denial[5], iac_online[5], iac_default[5]; /* 9F0E 9F0F 9F0D */
	unsigned char cvm[BANK_CVM_MAX];			    /* CVM codes, in order */
	size_t ncvm;
	unsigned char lcol, ucol;    /* 9F14, 9F23 */
	unsigned char ada[2];	     /* 9F52: application default action */
	unsigned char dki;	     /* derivation key index in the IAD */
	enum emv_ac_skd session_key; /* AC session key derivation (0D01 DF01 when pboc) */
	unsigned char pdol[BANK_DOL_MAX], cdol1[BANK_DOL_MAX], cdol2[BANK_DOL_MAX],
		ddol[BANK_DOL_MAX];
	size_t pdol_len, cdol1_len, cdol2_len, ddol_len;
	char imk[3][64]; /* key store names of the MK-AC, MK-SMI, MK-SMC issuer masters */
	enum bank_oda oda;
	unsigned icc_key_bits;	 /* DDA/CDA: the ICC RSA modulus size */
	char test_pin[13];	 /* "" = random initial PIN; else test:NNNN's digits */
	unsigned char pin_tries; /* offline PIN try limit (DGI 9010) */
};

/* The built-in profile of bank (the IMK names are today's bank.BANK.mk-ac ...). */
void bank_profile_default(const char *bank, struct bank_profile *out);

/* Read profile text over *p (path names it in messages). */
int bank_profile_parse(const char *path, const char *text, struct bank_profile *p);
/* Read a file over *p; a missing file leaves *p alone and returns 0. */
int bank_profile_load_over(const char *path, struct bank_profile *p);

/* Every bank's profile for a run: one per bank of the comma-separated list banks. */
struct bank_profiles {
	struct bank_profile *p;
	size_t n;
	char *dir; /* the folder read, or NULL (built-ins only) */
};

/* Load the profiles of banks from dir (NULL or a folder that does not exist: built-ins;
 * a BANK.ini naming no bank of the list is refused). */
int bank_profiles_load(const char *dir, const char *banks, struct bank_profiles *out);
struct config;
/* perso.bank_profiles (empty: the shipped data/bank-profiles, when found) and
 * banks.cooperating. */
int bank_profiles_load_config(const struct config *cfg, const char *home,
			      struct bank_profiles *out);
void bank_profiles_release(struct bank_profiles *set);
const struct bank_profile *bank_profiles_find(const struct bank_profiles *set, const char *bank);

/* CP_ERR_CONFIG naming the bank when a profile has initial_pin = test:... and the key store
 * is not TEST ONLY (test_store 0). */
int bank_profiles_check_test_pins(const struct bank_profiles *set, int test_store);

/* Whether a data object list holds tag (1 or 2 bytes). */
int bank_dol_has(const unsigned char *dol, size_t len, unsigned tag);
const char *bank_oda_name(enum bank_oda m);

#endif
