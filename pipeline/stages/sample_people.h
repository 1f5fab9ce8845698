/*
 * sample_people.h - synthetic people for `cardpipe sample`: Chinese names (a small share
 * with rare characters), valid ID numbers of every kind, ages for the minor and elderly
 * cases, Beijing addresses, mobiles, banks, employers. Applications: sample_apps.h.
 */
#ifndef CP_SAMPLE_PEOPLE_H
#define CP_SAMPLE_PEOPLE_H

#include "pipeline/rules/idnumber.h"
#include "pipeline/stages/sample_rng.h"

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct sample_person {
	char name[64]; /* UTF-8 */
	enum id_kind kind;
	char id_number[20];
	int sex;	     /* 1 male, 2 female */
	char birth_date[11]; /* YYYY-MM-DD */
	long birth_day;
	char ethnicity[3];   /* GB 3304 */
	char nationality[4]; /* ISO 3166-1 alpha-3 */
	char mobile[16];
};

/* An employer and its batch. */
struct sample_employer {
	char name[128];
	char uscc[19];
	char batch_id[40];
	char submitted_at[32];
	long day;
	char address[200];
	char postal_code[8];
	char district[8];
};

struct sample_app;

/* The generator's memory across records: today, the ID numbers used (no two applicants
 * share one by accident), and recent good applicants of each channel (the sources of
 * duplicates, which come from another channel). */
#define SAMPLE_CHANNELS 7
#define SAMPLE_RING 8 /* recent good records kept per channel */
struct sample_people {
	time_t now;
	long today; /* Beijing business date, days since 1970-01-01 */
	uint64_t *ids;
	size_t nids, capids;
	struct sample_app *ring; /* SAMPLE_CHANNELS x SAMPLE_RING, from the first
				  * sample_app_remember (sample_apps.c) */
	size_t nring[SAMPLE_CHANNELS], ringpos[SAMPLE_CHANNELS];
	int npool; /* photos in the pool */
};

void sample_people_init(struct sample_people *sp, time_t now, int npool);
void sample_people_release(struct sample_people *sp);

/* A company with a valid unified social credit code (GB 32100) and its batch number. */
void sample_employer_make(struct sample_people *sp, struct rng *r, int index,
			  struct sample_employer *e);

/* A person of kind born on birth_day (surname NULL: any), with a valid ID number unique in
 * this run, a name, ethnicity, nationality and mobile. */
void sample_person_make(struct sample_people *sp, struct rng *r, enum id_kind kind, long birth_day,
			const char *surname, struct sample_person *p);
/* An ID kind with the shares of a Beijing night: about 90 % citizens. */
enum id_kind sample_pick_kind(struct rng *r);
/* A birth day giving an age of lo..hi whole months on day `on`. */
long sample_birth_for_age(struct rng *r, long on, long lo_months, long hi_months);
/* The day `months` whole months before day (day of month kept, at most 28). */
long sample_months_before(long day, long months);
/* A timestamp "YYYY-MM-DDTHH:MM:SS+08:00" on Beijing day `day`, hour in [hour_lo, hour_hi]. */
void sample_stamp(struct rng *r, long day, int hour_lo, int hour_hi, char out[32]);
/* A mainland mobile number. */
void sample_mobile(struct rng *r, char out[16]);
/* FNV-1a of a string, never 0. */
uint64_t sample_hash(const char *s);

/* Beijing's districts with their postal codes, and addresses in them. */
struct sample_district {
	const char *code, *name, *postal;
	const char *roads[3];
};
const struct sample_district *sample_pick_district(struct rng *r);
void sample_address(struct rng *r, const struct sample_district *dist, char *out, size_t n);
/* A cooperating bank (manual item 6), or a real bank that is not one. */
const char *sample_pick_bank(struct rng *r);
const char *sample_pick_other_bank(struct rng *r);

/* GB 32100 check character of the first 17 characters of a unified social credit code
 * ('0'-'9', 'A'-'Y' less I O S V Z), or 0 for a character outside its alphabet. */
char sample_uscc_check(const char *first17);

#endif
