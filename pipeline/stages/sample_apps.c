/*
 * sample_apps.c - synthetic applications for `cardpipe sample` (see sample_apps.h). Every
 * good record passes prepare's rules (prepare_rules.c) on a fresh registry; every bad one
 * breaks exactly one rule, so that the reason prepare gives is the one expected.tsv names.
 */
#include "pipeline/stages/sample_apps.h"

#include "core/clock.h"
#include "core/mem.h"
#include "formats/cardno.h"
#include "pipeline/rules/eligibility.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- good records ------------------------------------------------------------------- */

static const char *
pick_app_type(struct rng *r, int employer)
{
	double u = rng_unit(r);

	if (employer)
		return u < 0.70	  ? "new"
		       : u < 0.92 ? "upgrade"
		       : u < 0.97 ? "change-info"
				  : "change-bank";
	return u < 0.50	  ? "new"
	       : u < 0.68 ? "upgrade"
	       : u < 0.78 ? "replace-lost"
	       : u < 0.86 ? "replace-damaged"
	       : u < 0.91 ? "change-info"
			  : "change-bank";
}

static void
set_delivery(struct rng *r, struct sample_app *a, const struct sample_employer *emp,
	     const char *method)
{
	const struct sample_district *dist = sample_pick_district(r);

	a->delivery = method;
	a->address[0] = a->postal_code[0] = a->district[0] = a->branch[0] = '\0';
	if (!strcmp(method, "mail-employer") && emp) {
		snprintf(a->address, sizeof(a->address), "%s", emp->address);
		snprintf(a->postal_code, sizeof(a->postal_code), "%s", emp->postal_code);
		snprintf(a->district, sizeof(a->district), "%s", emp->district);
	} else if (!strncmp(method, "mail-", 5)) {
		sample_address(r, dist, a->address, sizeof(a->address));
		snprintf(a->postal_code, sizeof(a->postal_code), "%s", dist->postal);
		snprintf(a->district, sizeof(a->district), "%s", dist->code);
	} else {
		snprintf(a->branch, sizeof(a->branch), "%s-%s-%03d", a->bank, dist->code,
			 rng_range(r, 1, 40));
		snprintf(a->district, sizeof(a->district), "%s", dist->code);
	}
}

static void
add_guardian(struct sample_people *sp, struct rng *r, struct sample_app *a)
{
	const char *surname = NULL;
	char fam[16];

	/* a parent, usually sharing the child's surname (first character; compound surnames
	 * are rare enough to ignore) */
	if (rng_chance(r, 0.8) && strlen(a->p.name) >= 3 && (unsigned char)a->p.name[0] >= 0xE0) {
		memcpy(fam, a->p.name, 3);
		fam[3] = '\0';
		surname = fam;
	}
	sample_person_make(sp, r, ID_CITIZEN, sample_birth_for_age(r, a->app_day, 22 * 12, 50 * 12),
			   surname, &a->guardian);
	a->has_guardian = 1;
	if (rng_chance(r, 0.7))
		snprintf(a->guardian_proof, sizeof(a->guardian_proof), "birth-certificate:%c%09u",
			 'L' + (int)rng_below(r, 14), rng_below(r, 1000000000));
	else
		snprintf(a->guardian_proof, sizeof(a->guardian_proof), "household-register:%011u",
			 rng_below(r, 2000000000));
}

void
sample_app_make(struct sample_people *sp, struct rng *r, const char *channel,
		const struct sample_employer *emp, const char *ref, struct sample_app *a)
{
	int employer = !strcmp(channel, "employer"),
	    counter = !strcmp(channel, "outlet") || !strcmp(channel, "bank");
	enum id_kind kind = sample_pick_kind(r);
	const struct sample_district *dist = sample_pick_district(r);
	double u;
	long birth;

	memset(a, 0, sizeof(*a));
	snprintf(a->ref, sizeof(a->ref), "%s", ref);
	a->channel = channel;
	snprintf(a->bank, sizeof(a->bank), "%s", sample_pick_bank(r));
	if (employer) {
		a->app_day = emp->day;
		snprintf(a->submitted_at, sizeof(a->submitted_at), "%s", emp->submitted_at);
	} else {
		a->app_day = sp->today - rng_range(r, 1, 6);
		sample_stamp(r, a->app_day, counter ? 9 : 0, counter ? 16 : 23, a->submitted_at);
	}
	if (counter) {
		if (!strcmp(channel, "bank"))
			snprintf(a->outlet, sizeof(a->outlet), "%s-%s-%03d", a->bank, dist->code,
				 rng_range(r, 1, 40));
		else
			snprintf(a->outlet, sizeof(a->outlet), "SSP-%s-%03d", dist->code,
				 rng_range(r, 1, 60));
	}
	a->app_type = pick_app_type(r, employer);

	/* who: employees of working age; elsewhere also minors and the elderly */
	a->category = "insured";
	u = rng_unit(r);
	if (employer)
		birth = sample_birth_for_age(r, a->app_day, 18 * 12 + 1, 59 * 12);
	else if (u < 0.09) {
		kind = rng_chance(r, 0.9) ? ID_CITIZEN : kind;
		birth = sample_birth_for_age(r, a->app_day, 0, 17 * 12 + 10); /* a minor */
	} else if (u < 0.17) {
		/* civil-affairs elderly (item 4): 59 years 6 months or more; a quarter at the
		 * edge, the exact boundary included */
		kind = ID_CITIZEN;
		a->category = rng_chance(r, 0.75) ? "elderly-civil" : "elderly-nonlocal";
		if (rng_chance(r, 0.1))
			birth = sample_months_before(a->app_day, ELDERLY_MIN_MONTHS);
		else if (rng_chance(r, 0.25))
			birth = sample_birth_for_age(r, a->app_day, ELDERLY_MIN_MONTHS + 1,
						     ELDERLY_MIN_MONTHS + 6);
		else
			birth = sample_birth_for_age(r, a->app_day, 60 * 12, 92 * 12);
	} else {
		static const char *const cats[] = {"insured", "insured", "insured", "insured",
						   "insured", "insured", "insured", "assistance",
						   "veteran", "other"};

		a->category = RNG_PICK(r, cats);
		birth = sample_birth_for_age(r, a->app_day, 18 * 12 + 1, 75 * 12);
	}
	/* a YYMMDD number is read as 20YY up to the last old card (2023-11-30), so only
	 * births 1924-01-01..2023-11-30 can hold one unambiguously */
	if (kind == ID_FPR_OLD &&
	    (birth < cp_days_from_civil(1924, 1, 1) || birth > cp_days_from_civil(2023, 11, 30)))
		kind = ID_FPR;
	sample_person_make(sp, r, kind, birth, NULL, &a->p);
	if (age_months(birth, a->app_day) < 18 * 12)
		add_guardian(sp, r, a);

	/* delivery */
	u = rng_unit(r);
	if (employer)
		set_delivery(r, a, emp,
			     u < 0.6	? "mail-employer"
			     : u < 0.85 ? "mail-person"
					: "pickup");
	else if (!strcmp(channel, "bank"))
		set_delivery(r, a, NULL, u < 0.75 ? "pickup" : "mail-person");
	else
		set_delivery(r, a, NULL, u < 0.7 ? "mail-person" : "pickup");
	if (strcmp(a->delivery, "mail-person") && !employer && rng_chance(r, 0.2))
		a->p.mobile[0] = '\0'; /* optional unless the card is mailed */

	if (!strncmp(a->app_type, "replace-", 8) || !strncmp(a->app_type, "change-", 7)) {
		/* the card being replaced: an earlier card under an older prefix */
		if (rng_chance(r, 0.9) &&
		    cardno_format("A", (long)rng_range(r, 1, 9999999), a->old_card_no) < 0)
			a->old_card_no[0] = '\0';
	}
	if (!strcmp(a->app_type, "replace-damaged") && rng_chance(r, 0.7))
		snprintf(a->transport_balance, sizeof(a->transport_balance), "%d",
			 rng_chance(r, 0.1) ? 0 : rng_range(r, 1, 30000));
	if (employer) {
		long cday = a->app_day - rng_range(r, 0, 6);

		a->confirmed = 1;
		sample_stamp(r, cday, 8, cday == a->app_day ? 8 : 22, a->confirmed_at);
		a->confirm_channel = rng_chance(r, 0.6)	  ? "sms"
				     : rng_chance(r, 0.5) ? "app"
							  : "web";
	}
	a->photo_inline = rng_chance(r, counter ? 0.4 : 0.7);
	a->photo_index = (int)rng_below(r, (uint32_t)sp->npool);
	a->bad = BAD_NONE;
}

/* ---- bad records -------------------------------------------------------------------- */

static const struct {
	const char *name, *outcome;
} bad_table[BAD_NKINDS] = {
	[BAD_NONE] = {"none", "ok"},
	[BAD_CHECK_DIGIT] = {"check-digit", "reject:id-check-digit"},
	[BAD_BIRTH_DATE] = {"birth-date", "reject:id-birth-date"},
	[BAD_SEX] = {"sex-mismatch", "reject:id-sex-mismatch"},
	[BAD_MAIL_NO_ADDRESS] = {"mail-no-address", "reject:mail-no-address"},
	[BAD_POSTAL_CODE] = {"postal-code", "reject:postal-code-invalid"},
	[BAD_MOBILE] = {"mobile", "reject:mobile-invalid"},
	[BAD_UNCONFIRMED] = {"unconfirmed", "reject:employee-unconfirmed"},
	[BAD_MINOR_NO_GUARDIAN] = {"minor-no-guardian", "reject:minor-no-guardian"},
	[BAD_BANK] = {"bank", "reject:bank-unknown"},
	[BAD_ELDERLY_AGE] = {"elderly-age", "reject:elderly-age"},
	[BAD_PHOTO_SIZE] = {"photo-size", "reject:photo-dimensions"},
	[BAD_PHOTO_CORRUPT] = {"photo-corrupt", "reject:photo-corrupt"},
	[BAD_DUPLICATE] = {"duplicate", "duplicate"},
};

const char *
sample_bad_outcome(enum sample_bad bad)
{
	return (unsigned)bad < BAD_NKINDS ? bad_table[bad].outcome : "ok";
}

static const char *const channel_names[SAMPLE_CHANNELS] = {
	"employer", "website", "rs-app", "jingtong", "minsheng", "outlet", "bank"};

static int
channel_index(const char *channel)
{
	for (int k = 0; k < SAMPLE_CHANNELS; k++)
		if (!strcmp(channel_names[k], channel))
			return k;
	return -1;
}

/* A remembered good record of another channel (picked with r, or the first when r is
 * NULL), or NULL when there is none. */
static const struct sample_app *
dup_source(const struct sample_people *sp, const char *channel, struct rng *r)
{
	int self = channel_index(channel), start = r ? (int)rng_below(r, SAMPLE_CHANNELS) : 0;

	for (int k = 0; k < SAMPLE_CHANNELS; k++) {
		int c = (start + k) % SAMPLE_CHANNELS;
		size_t n = sp->nring[c];

		if (c == self || n == 0)
			continue;
		return &sp->ring[(size_t)c * SAMPLE_RING + (r ? rng_below(r, (uint32_t)n) : 0)];
	}
	return NULL;
}

int
sample_bad_applies(const struct sample_people *sp, enum sample_bad bad, const char *channel)
{
	int employer = !strcmp(channel, "employer");

	switch (bad) {
	case BAD_UNCONFIRMED: return employer;
	case BAD_MINOR_NO_GUARDIAN:
	case BAD_ELDERLY_AGE: return !employer;
	case BAD_DUPLICATE:
		/* an employee's time is the batch's: a duplicate must come later, so it is
		 * made in the online and counter channels */
		return !employer && dup_source(sp, channel, NULL) != NULL;
	case BAD_NONE:
	case BAD_NKINDS: return 0;
	default: return 1;
	}
}

/* Re-issue a's ID number as a citizen number with birth date text ymd (8 digits, possibly
 * impossible) and a correct check character. */
static void
citizen_with_birth(struct sample_app *a, const char *ymd)
{
	char first[18];

	snprintf(first, sizeof(first), "%.6s%.8s%03d",
		 a->p.kind == ID_CITIZEN ? a->p.id_number : "110105", ymd,
		 2 * (int)(sample_hash(a->ref) % 500) + (a->p.sex == 1 ? 1 : 0));
	a->p.kind = ID_CITIZEN;
	strcpy(a->p.nationality, "CHN");
	snprintf(a->p.id_number, sizeof(a->p.id_number), "%s%c", first, id_check_char(first));
}

void
sample_app_spoil(struct sample_people *sp, struct rng *r, struct sample_app *a, enum sample_bad bad)
{
	a->bad = bad;
	switch (bad) {
	case BAD_CHECK_DIGIT: {
		static const char checks[] = "0123456789X";
		size_t last = strlen(a->p.id_number) - 1;
		char want = a->p.id_number[last], c;

		do
			c = checks[rng_below(r, 11)];
		while (c == want || (a->p.kind == ID_FPR_OLD && c == 'X'));
		a->p.id_number[last] = c;
		break;
	}
	case BAD_BIRTH_DATE: {
		static const char *const impossible[] = {"0230", "0231", "0431", "0631", "0931",
							 "1131", "1301", "0000", "0229", "1232"};
		const char *md = RNG_PICK(r, impossible);
		char ymd[9];
		int y = atoi(a->p.birth_date);

		if (!strcmp(md, "0229") && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))
			y++; /* 29 February of a year without one */
		snprintf(ymd, sizeof(ymd), "%04d%s", y % 10000, md);
		citizen_with_birth(a, ymd);
		break;
	}
	case BAD_SEX: a->p.sex = a->p.sex == 1 ? 2 : 1; break;
	case BAD_MAIL_NO_ADDRESS:
		set_delivery(r, a, NULL, "mail-person");
		a->address[0] = '\0';
		if (!a->p.mobile[0])
			sample_mobile(r, a->p.mobile);
		break;
	case BAD_POSTAL_CODE: {
		static const char *const bad_codes[] = {"10001", "1000200", "10OO20", "A10020"};

		if (strncmp(a->delivery, "mail-", 5))
			set_delivery(r, a, NULL, "mail-person");
		snprintf(a->postal_code, sizeof(a->postal_code), "%s", RNG_PICK(r, bad_codes));
		if (!a->p.mobile[0])
			sample_mobile(r, a->p.mobile);
		break;
	}
	case BAD_MOBILE: {
		static const char *const bad_mobiles[] = {"1381234567", "23812345678",
							  "12012345678", "138123456789"};

		if (strncmp(a->delivery, "mail-", 5))
			set_delivery(r, a, NULL, "mail-person");
		snprintf(a->p.mobile, sizeof(a->p.mobile), "%s", RNG_PICK(r, bad_mobiles));
		break;
	}
	case BAD_UNCONFIRMED:
		a->confirmed = 0;
		a->confirmed_at[0] = '\0';
		break;
	case BAD_MINOR_NO_GUARDIAN:
		if (age_months(a->p.birth_day, a->app_day) >= 18 * 12) {
			/* make them a minor: a new person, same record */
			char keep_mobile[16];

			snprintf(keep_mobile, sizeof(keep_mobile), "%s", a->p.mobile);
			sample_person_make(sp, r, ID_CITIZEN,
					   sample_birth_for_age(r, a->app_day, 6 * 12, 16 * 12),
					   NULL, &a->p);
			snprintf(a->p.mobile, sizeof(a->p.mobile), "%s", keep_mobile);
			a->category = "insured";
		}
		a->has_guardian = 0;
		memset(&a->guardian, 0, sizeof(a->guardian));
		a->guardian_proof[0] = '\0';
		break;
	case BAD_BANK:
		snprintf(a->bank, sizeof(a->bank), "%s", sample_pick_other_bank(r));
		if (a->branch[0])
			set_delivery(r, a, NULL, "pickup");
		break;
	case BAD_ELDERLY_AGE: {
		char keep_mobile[16];

		snprintf(keep_mobile, sizeof(keep_mobile), "%s", a->p.mobile);
		sample_person_make(
			sp, r, ID_CITIZEN,
			sample_birth_for_age(r, a->app_day, 59 * 12, ELDERLY_MIN_MONTHS - 1), NULL,
			&a->p);
		snprintf(a->p.mobile, sizeof(a->p.mobile), "%s", keep_mobile);
		a->category = "elderly-civil";
		a->has_guardian = 0;
		break;
	}
	case BAD_PHOTO_SIZE: a->photo_index = SAMPLE_PHOTO_WRONG_SIZE; break;
	case BAD_PHOTO_CORRUPT: a->photo_index = SAMPLE_PHOTO_CORRUPT; break;
	case BAD_DUPLICATE: {
		const struct sample_app *s = dup_source(sp, a->channel, r);
		char at[32];

		if (!s) {
			a->bad = BAD_NONE;
			break;
		}
		/* the same person applies again through another channel, a little later */
		a->p = s->p;
		a->category = s->category;
		a->app_type = s->app_type;
		snprintf(a->old_card_no, sizeof(a->old_card_no), "%s", s->old_card_no);
		snprintf(a->transport_balance, sizeof(a->transport_balance), "%s",
			 s->transport_balance);
		a->has_guardian = s->has_guardian;
		a->guardian = s->guardian;
		snprintf(a->guardian_proof, sizeof(a->guardian_proof), "%s", s->guardian_proof);
		if (a->app_day < s->app_day ||
		    (a->app_day == s->app_day && strcmp(a->submitted_at, s->submitted_at) <= 0)) {
			a->app_day = s->app_day;
			snprintf(at, sizeof(at), "%.11s23:59:59+08:00", s->submitted_at);
			snprintf(a->submitted_at, sizeof(a->submitted_at), "%s", at);
		}
		if (!strncmp(a->delivery, "mail-", 5) && !a->p.mobile[0])
			sample_mobile(r, a->p.mobile);
		break;
	}
	case BAD_NONE:
	case BAD_NKINDS: break;
	}
}

void
sample_app_remember(struct sample_people *sp, const struct sample_app *a)
{
	int c = channel_index(a->channel);

	if (c < 0)
		return;
	/* allocated here, where struct sample_app is known; released with the people */
	if (!sp->ring)
		sp->ring = xcalloc(SAMPLE_CHANNELS * SAMPLE_RING, sizeof(*sp->ring));
	sp->ring[(size_t)c * SAMPLE_RING + sp->ringpos[c]] = *a;
	sp->ringpos[c] = (sp->ringpos[c] + 1) % SAMPLE_RING;
	if (sp->nring[c] < SAMPLE_RING)
		sp->nring[c]++;
}
