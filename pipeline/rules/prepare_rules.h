/*
 * prepare_rules.h - prepare's judgement of one application record: every business rule
 * of issue 3 in a fixed order, the first failure giving the record's reason code
 * (reasons_prepare.c), the field, and an English detail with ID numbers masked.
 *
 * Three steps, because the middle one needs the registry (the caller looks the person up
 * once the ID number is known to be valid):
 *   rules_judge_record   the record alone: fields (bounds and character sets of
 *                        rules/fields.h, district, old card number, transport balance),
 *                        ID number, sex and birth date against it, eligibility, minors,
 *                        employee confirmation, bank, delivery and branch, name encoding,
 *                        photo
 *   rules_judge_history  against the person's registry history: bank change limit,
 *                        the old card of a replacement or change
 *   rules_judge_hold     reasons to hold rather than reject: a name the card font cannot draw
 */
#ifndef CP_PREPARE_RULES_H
#define CP_PREPARE_RULES_H

#include "formats/application.h"
#include "pipeline/rules/photo_check.h"

#include <stddef.h>

struct config;
struct fontset;

struct rules_ctx {
	char **banks; /* banks.cooperating */
	size_t nbanks;
	char **branches; /* banks.branches; none: any BANK-DISTRICT-NNN */
	size_t nbranches;
	struct photo_limits photo;
	int photo_warn;		  /* photo.on_failure = warn */
	int minor_years;	  /* prepare.minor_age (item 38: 18) */
	int change_months;	  /* banks.change_months (item 27: 6) */
	long long max_refund_fen; /* reconcile.max_refund_fen (item 46) */
	struct fontset *fonts;
	void *gb18030; /* iconv_t UTF-8 -> GB18030 */
	long today;    /* Beijing business date, days since 1970-01-01 */
};

/* Read the configuration and open the font chain and the converter. 0 or CP_ERR_CONFIG
 * naming the key at fault. */
int rules_init(struct rules_ctx *rc, const struct config *cfg, long today);
void rules_release(struct rules_ctx *rc);

struct verdict {
	const char *code;  /* NULL: the record passes (so far) */
	const char *field; /* the field at fault, NULL for the record as a whole */
	char detail[320];  /* English, specific, ID numbers masked */
	int held;	   /* hold (name-font, calendar-missing) rather than reject */

	/* facts established on the way, for the caller */
	long app_date; /* the application's Beijing date */
	long birth;    /* birth date from the ID number */
	int minor;
	const char *photo_warning; /* a photo problem let through by photo.on_failure = warn */
	char photo_detail[200];
};

/* What the registry knows of the person (all zero / -1 for someone new). */
struct person_facts {
	int known;	  /* a person row exists */
	char bank[16];	  /* their current bank, "" when none */
	long last_change; /* day of their last change of bank, -1 when never */
	int ncards;	  /* cards of theirs in the registry */
	/* the card named by old_card_no, when given: */
	int old_found;	   /* 1 it exists */
	int old_is_theirs; /* 1 it belongs to this person */
	char old_state[16];
};

/* 1 for app types that replace or change an existing card (working-day SLA). */
int app_type_is_replacement(const char *app_type);
/* The Beijing date of an ISO 8601 date or timestamp ("2026-11-20", "...T10:00:00Z",
 * "...+08:00", no zone = Beijing). 0 or CP_ERR_FORMAT. */
int rules_app_date(const char *iso, long *day);
/* The same instant as seconds since the epoch (UTC). */
int rules_app_time(const char *iso, long long *epoch);

/* The steps above; each returns 0 and leaves v->code set on a failure. rules_judge_record
 * starts the verdict (clears it). insured is the registry's insured flag (1, 0, -1 not
 * stated); photo/photo_len are the stored photo bytes (NULL when the record has none or the
 * file is missing). */
int rules_judge_record(const struct rules_ctx *rc, const struct app_record *rec, int insured,
		       const unsigned char *photo, size_t photo_len, struct verdict *v);
/* The same with the photo already checked (photo_check(); NULL when there is none), so
 * that photos can be decoded in parallel. Thread-safe only per rules_ctx. */
int rules_judge_checked(const struct rules_ctx *rc, const struct app_record *rec, int insured,
			const struct photo_result *photo, struct verdict *v);
int rules_judge_history(const struct rules_ctx *rc, const struct app_record *rec,
			const struct person_facts *pf, struct verdict *v);
int rules_judge_hold(const struct rules_ctx *rc, const struct app_record *rec, struct verdict *v);

#endif
