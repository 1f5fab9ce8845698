/*
 * idnumber.h - identity numbers (docs/domain-facts.md §4): GB 11643 citizen numbers, Hong Kong /
 * Macau / Taiwan residence permits, foreign permanent resident numbers (2023 18-digit and
 * old 15-character). Pure functions, no allocation.
 *
 * Layouts (positions 1-based):
 *   citizen  18: region(6, GB/T 2260 province 11-15 21-23 31-37 41-46 50-54 61-65 71 81 82)
 *               birth YYYYMMDD(8) sequence(3, the 17th odd = male) check(MOD 11-2, 0-9 or X)
 *   hk/mo/tw 18: as citizen with the region fixed at 810000 / 820000 / 830000
 *   fpr      18: '9', province(2), ISO 3166-1 numeric nationality(3), birth YYYYMMDD(8),
 *               sequence(3, the 17th gives sex), check(MOD 11-2)
 *   fpr-old  15: ISO alpha-3 nationality(3), issuing area(4, province + city), birth YYMMDD(6),
 *               sex digit(1), check(MRZ 7-3-1 over the first 14)
 * Birth dates must be real dates, not before 1900-01-01 and not after today.
 */
#ifndef CP_IDNUMBER_H
#define CP_IDNUMBER_H

enum id_kind { ID_CITIZEN, ID_HK, ID_MO, ID_TW, ID_FPR, ID_FPR_OLD };

struct id_info {
	enum id_kind kind;
	char birth_date[11]; /* YYYY-MM-DD */
	int sex;	     /* 1 male, 2 female */
	char region[7];	     /* 6-digit address code (citizen, permits), "" otherwise */
	char nationality[4]; /* ISO alpha-3 for fpr-old, numeric for fpr, "CHN" otherwise */
};

/* The id_type names used in files and the registry: citizen, hk, mo, tw, fpr, fpr-old. */
const char *id_kind_name(enum id_kind kind);
/* 0, or CP_ERR_INVALID for a name not in the list above. */
int id_kind_parse(const char *name, enum id_kind *kind);

/* ISO 7064 MOD 11-2 check character of the first 17 digits ('0'..'9' or 'X'), or 0 if
 * they are not 17 digits. */
char id_check_char(const char *first17);
/* MRZ 7-3-1 check digit for the old 15-character permanent resident number ('0'..'9'), or
 * 0 if first14 is not 14 characters of A-Z, 0-9. */
char id_fpr_old_check_char(const char *first14);

/* Validate number as kind. On success fill info (may be NULL) and return 0; otherwise
 * return CP_ERR_INVALID with cp_errmsg() saying exactly what is wrong (length, character,
 * check digit (expected X), birth date, region prefix). now_days (cp_days_from_civil of
 * today) rejects birth dates in the future. Checks run in the order format, region and
 * nationality, birth date, check character: the first failure is reported. reason (may be
 * NULL) gets the prepare reason code of a failure (reasons_prepare.c): "id-format",
 * "id-region", "id-birth-date" or "id-check-digit"; NULL on success. */
int id_validate_reason(enum id_kind kind, const char *number, long now_days, struct id_info *info,
		       const char **reason);

/* ISO 3166-1: numeric code (840) <-> alpha-3 ("USA"). NULL / -1 when not assigned. */
const char *id_country_alpha3(int numeric);
int id_country_numeric(const char *alpha3);

#endif
