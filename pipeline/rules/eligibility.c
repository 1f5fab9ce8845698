/* eligibility.c - item-4 eligibility and age arithmetic (see eligibility.h). */
#include "pipeline/rules/eligibility.h"

#include "core/clock.h"
#include "core/err.h"

#include <stdio.h>
#include <string.h>

static const char *const category_names[] = {
	[CAT_INSURED] = "insured",
	[CAT_ELDERLY_CIVIL] = "elderly-civil",
	[CAT_ELDERLY_NONLOCAL] = "elderly-nonlocal",
	[CAT_ASSISTANCE] = "assistance",
	[CAT_VETERAN] = "veteran",
	[CAT_OTHER] = "other",
};

long
age_months(long birth, long on)
{
	int by, bm, bd, y, m, d;
	long months;

	cp_civil_from_days(birth, &by, &bm, &bd);
	cp_civil_from_days(on, &y, &m, &d);
	months = (long)(y - by) * 12 + (m - bm);
	/* the month in progress is not complete before the birth day of the month; a day of
	 * birth the month does not have (31st, 29 Feb) completes on the 1st of the next */
	if (d < bd)
		months--;
	return months;
}

/* "insured", "elderly-civil", ...; 0 or CP_ERR_INVALID. */
static int
category_parse(const char *name, enum category *cat)
{
	for (size_t i = 0; name && i < sizeof(category_names) / sizeof(category_names[0]); i++)
		if (!strcmp(name, category_names[i])) {
			*cat = (enum category)i;
			return 0;
		}
	return cp_err(CP_ERR_INVALID,
		      "category '%s' is not one of insured, elderly-civil, "
		      "elderly-nonlocal, assistance, veteran, other",
		      name ? name : "");
}

const char *
eligibility_check(const char *category, int insured, long birth, long on, char *detail,
		  size_t detailsz)
{
	enum category cat = CAT_INSURED; /* set by category_parse(); gcc cannot tell */
	long months;

	detail[0] = '\0';
	if (insured == 1)
		return NULL; /* insured in Beijing: the general rule, whatever else is stated */
	if (!category || !category[0]) {
		snprintf(detail, detailsz,
			 "not insured in Beijing and no item-4 category given (field 'category')");
		return "not-eligible";
	}
	if (category_parse(category, &cat) < 0) {
		snprintf(detail, detailsz, "%s", cp_errmsg());
		return "not-eligible";
	}
	if (cat == CAT_INSURED) {
		if (insured == 0) {
			snprintf(detail, detailsz,
				 "category 'insured' but the record says not insured");
			return "not-eligible";
		}
		return NULL;
	}
	if (cat == CAT_ELDERLY_CIVIL || cat == CAT_ELDERLY_NONLOCAL) {
		months = age_months(birth, on);
		if (months < ELDERLY_MIN_MONTHS) {
			snprintf(detail, detailsz,
				 "category '%s' needs age 59 years 6 months or more on the "
				 "application date; the applicant is %ld years %ld months",
				 category_names[cat], months < 0 ? 0 : months / 12,
				 months < 0 ? 0 : months % 12);
			return "elderly-age";
		}
	}
	return NULL;
}

int
is_minor(long birth, long on, int minor_years)
{
	return age_months(birth, on) < (long)minor_years * 12;
}
