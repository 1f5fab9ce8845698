/*
 * cardno.h - the social security card number (卡号, AAZ500; EF05 record 7, an9), as this
 * bureau allocates it (docs/card-number.md):
 *
 *   P SSSSSSS C      9 characters
 *   P  card.number_prefix: one character A-Z or 0-9
 *   S  the 7-digit sequence from card_counter (0000001..9999999), zero-padded
 *   C  ISO/IEC 7064 MOD 37-36 check character ('0'..'9', 'A'..'Z') over P and S
 *
 * Pure functions.
 */
#ifndef CP_CARDNO_H
#define CP_CARDNO_H

#define CARDNO_LEN 9
#define CARDNO_SEQ_MAX 9999999L

/* ISO/IEC 7064 MOD 37-36 check character of s (characters 0-9, A-Z), or 0 if s is empty
 * or holds any other character. */
char cardno_check_char(const char *s);
/* Format prefix + seq + check into out (at least 10 bytes). CP_ERR_INVALID for a prefix
 * that is not one character A-Z/0-9 or a seq outside 1..CARDNO_SEQ_MAX. */
int cardno_format(const char *prefix, long seq, char out[CARDNO_LEN + 1]);
/* 0 if s is an an9 card number of any issuer or generation (EF05 record 7): 9 characters,
 * each 0-9 or A-Z. Earlier cards (X00000019, B7K334774) have no check character of ours,
 * so the old card number of a replacement is held to this, not to our check character.
 * CP_ERR_INVALID with cp_errmsg() otherwise. */
int cardno_validate_an9(const char *s);

/*
 * The transport (T-Union, JT/T 978) application's card number, allocated once ever per card
 * from the registry's transport_counter (docs/card-number.md "Transport card number"):
 *
 *   31 CCCC SSSSSSSSSSSS L      19 digits
 *   31  the T-Union card number range
 *   C   perso.transport_city, the 4-digit city code (Beijing 1000)
 *   S   the 12-digit sequence of that city code (000000000001..999999999999)
 *   L   Luhn check digit over the 18 digits before it
 */
#define TRANSPORT_NO_LEN 19
#define TRANSPORT_SEQ_MAX 999999999999LL
/* Format it into out. CP_ERR_CONFIG for a city code that is not 4 digits, CP_ERR_LIMIT for
 * a seq outside 1..TRANSPORT_SEQ_MAX. */
int cardno_transport_format(const char *city, long long seq, char out[TRANSPORT_NO_LEN + 1]);
/* 0 if s is a well-formed transport card number (19 digits, "31", Luhn); otherwise
 * CP_ERR_INVALID saying what is wrong. */
int cardno_transport_validate(const char *s);

#endif
