/*
 * apdu.h - ISO/IEC 7816-4 command APDUs (short form) and status words, for the virtual
 * card's dispatcher, the encoder and the secure channels.
 *
 * apdu_parse() classifies a command as case 1-4 and checks that Lc and Le agree with the
 * length; extended-length commands are refused (the virtual card, like the encoder, speaks
 * short APDUs only) with the status word the card should answer.
 */
#ifndef CP_APDU_H
#define CP_APDU_H

#include <stddef.h>
#include <stdint.h>

/* Status words used by the card (ISO 7816-4 section 5.6, GP Card Spec 11.1.3). */
#define SW_OK 0x9000
#define SW_AUTH_FAILED 0x6300 /* EXTERNAL AUTHENTICATE: cryptogram wrong */
#define SW_MORE_DATA 0x6310   /* GET STATUS: more data available (GPCS 11.4.3) */
#define SW_MEMORY_FAILURE 0x6581
#define SW_WRONG_LENGTH 0x6700
#define SW_LOGICAL_CHANNEL 0x6881   /* logical channel not supported */
#define SW_SM_NOT_SUPPORTED 0x6882  /* secure messaging not supported (no session) */
#define SW_FILE_INCOMPATIBLE 0x6981 /* command incompatible with file structure */
#define SW_SECURITY_STATUS 0x6982   /* security status not satisfied (MAC, no channel) */
#define SW_AUTH_BLOCKED 0x6983	    /* authentication method blocked */
#define SW_CONDITIONS 0x6985	    /* conditions of use not satisfied (life cycle) */
#define SW_NO_CURRENT_EF 0x6986	    /* command not allowed: no current EF */
#define SW_WRONG_DATA 0x6A80	    /* incorrect parameters in the data field */
#define SW_FUNC_NOT_SUPPORTED 0x6A81
#define SW_FILE_NOT_FOUND 0x6A82
#define SW_RECORD_NOT_FOUND 0x6A83
#define SW_NOT_ENOUGH_MEMORY 0x6A84
#define SW_WRONG_P1P2 0x6A86
#define SW_DATA_NOT_FOUND 0x6A88 /* referenced data (key version, tag) not found */
#define SW_INS_NOT_SUPPORTED 0x6D00
#define SW_CLA_NOT_SUPPORTED 0x6E00
#define SW_NO_DIAGNOSIS 0x6F00

struct apdu {
	unsigned char cla, ins, p1, p2;
	const unsigned char *data; /* points into the parsed buffer; NULL when lc is 0 */
	size_t lc;
	size_t le; /* 1..256; 0 when absent */
	int has_le;
	int icase; /* 1..4 */
};

/* Parse a short command APDU. 0, or CP_ERR_FORMAT with *sw set to the status word a card
 * answers (6700 wrong length, 6E00 ...). The struct points into buf. */
int apdu_parse(const unsigned char *buf, size_t len, struct apdu *a, uint16_t *sw);
/* The length grammar alone (cases 1-4, Lc, Le), any class: for a secure channel, which wraps
 * what it is given and leaves the class to the card. */
int apdu_split(const unsigned char *buf, size_t len, struct apdu *a, uint16_t *sw);

/* A short description of a status word for messages: "6985 conditions of use not
 * satisfied". Returns a static string (unknown SWs: "status word"). */
const char *apdu_sw_text(uint16_t sw);

/* Status word of a response (the last two bytes), 0 when shorter than 2. */
uint16_t apdu_resp_sw(const unsigned char *resp, size_t len);

#endif
