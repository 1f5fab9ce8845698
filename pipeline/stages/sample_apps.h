/*
 * sample_apps.h - synthetic applications for `cardpipe sample`: a good record for each
 * channel (type, delivery, bank, replacements, guardians of minors, employee confirmation)
 * and the deliberately bad variants, each with the reason code prepare must give it.
 */
#ifndef CP_SAMPLE_APPS_H
#define CP_SAMPLE_APPS_H

#include "pipeline/stages/sample_people.h"

/* The deliberately bad records, in the order the generator cycles through them. */
enum sample_bad {
	BAD_NONE = 0,
	BAD_CHECK_DIGIT,       /* reject:id-check-digit */
	BAD_BIRTH_DATE,	       /* reject:id-birth-date (impossible date in the ID number) */
	BAD_SEX,	       /* reject:id-sex-mismatch */
	BAD_MAIL_NO_ADDRESS,   /* reject:mail-no-address */
	BAD_POSTAL_CODE,       /* reject:postal-code-invalid */
	BAD_MOBILE,	       /* reject:mobile-invalid */
	BAD_UNCONFIRMED,       /* reject:employee-unconfirmed (employer batches only) */
	BAD_MINOR_NO_GUARDIAN, /* reject:minor-no-guardian */
	BAD_BANK,	       /* reject:bank-unknown */
	BAD_ELDERLY_AGE,       /* reject:elderly-age (elderly-civil at 59 years 0-5 months) */
	BAD_PHOTO_SIZE,	       /* reject:photo-dimensions */
	BAD_PHOTO_CORRUPT,     /* reject:photo-corrupt */
	BAD_DUPLICATE,	       /* duplicate: the same person as an earlier record, other channel */
	BAD_NKINDS
};

/* "reject:id-check-digit", ..., "duplicate"; "ok" for BAD_NONE. */
const char *sample_bad_outcome(enum sample_bad bad);

/* Photo choice: an index into the pool of good photos, or one of the bad ones. */
#define SAMPLE_PHOTO_WRONG_SIZE (-1)
#define SAMPLE_PHOTO_CORRUPT (-2)

struct sample_app {
	char ref[24];
	const char *channel; /* employer, website, rs-app, jingtong, minsheng, outlet, bank */
	char outlet[32];     /* counter CSV: the outlet or bank branch that took it */
	char submitted_at[32];
	long app_day;
	const char *app_type;
	struct sample_person p;
	const char *category;
	const char *delivery; /* mail-person, mail-employer, pickup */
	char address[200];
	char postal_code[12];
	char district[8];
	char branch[32];
	char bank[12];
	char old_card_no[16];
	char transport_balance[12];
	int has_guardian;
	struct sample_person guardian;
	char guardian_proof[64];
	int confirmed; /* employer batches */
	char confirmed_at[32];
	const char *confirm_channel;
	int photo_inline; /* 1 base64 in the file, 0 a file in photos/ */
	int photo_index;  /* pool index, or SAMPLE_PHOTO_* */
	enum sample_bad bad;
};

/* A good application for channel (emp for employer batches, else NULL). */
void sample_app_make(struct sample_people *sp, struct rng *r, const char *channel,
		     const struct sample_employer *emp, const char *ref, struct sample_app *a);
/* 1 if bad can be applied to a record of channel now (unconfirmed: employer batches only;
 * minors: not in employer batches; duplicate: only with an earlier record of another
 * channel to copy). */
int sample_bad_applies(const struct sample_people *sp, enum sample_bad bad, const char *channel);
/* Make a a bad record of kind bad (which must apply). */
void sample_app_spoil(struct sample_people *sp, struct rng *r, struct sample_app *a,
		      enum sample_bad bad);
/* Remember a good record as a possible source of a later duplicate. */
void sample_app_remember(struct sample_people *sp, const struct sample_app *a);

#endif
