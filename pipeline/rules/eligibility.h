/*
 * eligibility.h - who may have a card (manual item 4) and the age rules around it.
 *
 * Ages are whole months completed, counted the way the manual's "年满五十九周岁零六个月"
 * reads: a month is complete on the same day of a later month; when that month has no
 * such day (born on the 31st, or 29 February) it is complete on the first day of the
 * month after. Pure functions over dates as days since 1970-01-01 (cp_days_from_civil).
 */
#ifndef CP_ELIGIBILITY_H
#define CP_ELIGIBILITY_H

#include <stddef.h>

/* civil-affairs elderly categories: 59 years 6 months or more (item 4 (一) and (二)) */
#define ELDERLY_MIN_MONTHS (59 * 12 + 6)

/* Whole months from birth to on (negative when on is before birth). */
long age_months(long birth, long on);

/* The item-4 categories as they appear in application files. */
enum category {
	CAT_INSURED,	      /* insured in Beijing (the general case) */
	CAT_ELDERLY_CIVIL,    /* (一) local elderly with civil-affairs benefits */
	CAT_ELDERLY_NONLOCAL, /* (二) non-local elderly with a Beijing residence permit */
	CAT_ASSISTANCE,	      /* (三) social assistance, heroic acts, land-requisition, retirees */
	CAT_VETERAN,	      /* (四) veterans' affairs entitled groups */
	CAT_OTHER,	      /* (五) other public-service groups */
};

/*
 * Is the applicant eligible on day `on`? category may be NULL (then insured decides);
 * insured is 1, 0 or -1 (not stated). Returns NULL when eligible, else the reason code
 * ("not-eligible", "elderly-age") with an English explanation in detail.
 */
const char *eligibility_check(const char *category, int insured, long birth, long on, char *detail,
			      size_t detailsz);

/* 1 if a person born on `birth` is under minor_years on `on` (item 38: 18). */
int is_minor(long birth, long on, int minor_years);

#endif
