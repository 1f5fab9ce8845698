/*
 * idnumber.h - identity numbers (domain.md section 4): GB 11643 citizen numbers, Hong Kong /
 * Macau / Taiwan residence permits, foreign permanent resident numbers (2023 18-digit and
 * old 15-character). Pure functions, no allocation.
 */
#ifndef CP_IDNUMBER_H
#define CP_IDNUMBER_H

enum id_kind { ID_CITIZEN, ID_HK, ID_MO, ID_TW, ID_FPR, ID_FPR_OLD };

struct id_info {
	enum id_kind kind;
	char birth_date[11]; /* YYYY-MM-DD */
	int sex;             /* 1 male, 2 female */
	char region[7];      /* 6-digit address code (citizen, permits), "" otherwise */
	char nationality[4]; /* ISO alpha-3 for fpr-old, numeric for fpr, "CHN" otherwise */
};

/* The id_type names used in files and the registry: citizen, hk, mo, tw, fpr, fpr-old. */
const char *id_kind_name(enum id_kind kind);
int id_kind_parse(const char *name, enum id_kind *kind);

/* ISO 7064 MOD 11-2 check character of the first 17 digits ('0'..'9' or 'X'), or 0 if
 * they are not 17 digits. */
char id_check_char(const char *first17);
/* MRZ 7-3-1 check digit for the old 15-character permanent resident number. */
char id_fpr_old_check_char(const char *first14);

/* Validate number as kind. On success fill info (may be NULL) and return 0; otherwise
 * return CP_ERR_INVALID with cp_errmsg() saying exactly what is wrong (length, character,
 * check digit (expected X), birth date, region prefix). now_days (cp_days_from_civil of
 * today) rejects birth dates in the future. */
int id_validate(enum id_kind kind, const char *number, long now_days, struct id_info *info);

#endif
