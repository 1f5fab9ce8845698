/*
 * reg_prepare.h - what the prepare stage reads and writes in the registry: received
 * applications a chunk at a time (each person's records together), what the registry knows
 * of a person, the outcome of each record, persons and their bank history, and the records
 * of a file for its rejects file. Card allocation itself is reg_cards.h.
 */
#ifndef CP_REG_PREPARE_H
#define CP_REG_PREPARE_H

#include "formats/application.h"
#include "pipeline/rules/prepare_rules.h"

#include <stddef.h>

struct registry;
struct reg_prep;

/* One received application as the registry holds it. */
struct prep_app {
	long long id, file_id;
	int insured; /* 1, 0, -1 when not stated */
	struct app_record rec;
};
void prep_apps_free(struct prep_app *apps, size_t n);

/* Restrict a run: 0 = no restriction. */
struct prep_filter {
	long long app_id;
	long long file_id;
};

/* Prepared statements for one run on reg (reg stays owned by the caller). */
int reg_prep_open(struct registry *reg, struct reg_prep **out);
void reg_prep_close(struct reg_prep *p);

/* The next received applications of ingested files in person order (id_type, id_number,
 * id), at most about max, never splitting one person's records across two chunks. *n = 0
 * when none are left. Call inside the transaction that records their outcomes. */
int reg_prep_next_chunk(struct reg_prep *p, const struct prep_filter *f, size_t max,
			struct prep_app **apps, size_t *n);

/* The photo_sha256 of up to max received applications that come after `after` in the same
 * order (the chunk after this one, as far as it is known now), for checking their photos
 * ahead; NULL entries for records without one or whose photo ingest checked already. *shas is freed with
 * reg_prep_shas_free(*shas, *n). */
int reg_prep_next_photos(struct reg_prep *p, const struct prep_filter *f,
			 const struct prep_app *after, size_t max, char ***shas, size_t *n);
void reg_prep_shas_free(char **shas, size_t n);

/* The registry's facts on a person and on old_card_no (may be NULL); *person_id = 0 when
 * the person is new. */
int reg_prep_person_facts(struct reg_prep *p, const char *id_type, const char *id_number,
			  const char *old_card_no, struct person_facts *pf, long long *person_id);
/* The application and card number of the person's card in production; CP_ERR_NOTFOUND
 * when there is none. */
int reg_prep_in_production(struct reg_prep *p, long long person_id, long long *app_id,
			   char card_no[16]);

/* Record the outcome of a received application (the guard state = 'received' makes a
 * second write an error, never a silent change). */
struct prep_outcome {
	const char *state; /* accepted, rejected, duplicate, held */
	const char *reason_code, *reason_field, *reason_zh, *reason_en;
	long long duplicate_of; /* 0 = none */
	const char *dedup_rule;
	long long person_id; /* 0 = leave */
	const char *due_date;
};
int reg_prep_set_outcome(struct reg_prep *p, long long app_id, const struct prep_outcome *o);

/* Create or update the person for an accepted application and keep the bank history
 * (a row whenever the bank is first set or changes). since = the application's date. */
int reg_prep_person_save(struct reg_prep *p, const struct app_record *rec, long long app_id,
			 const char *since, const struct person_facts *pf, long long *person_id);

/* The input file's channel and name (newly allocated) and whether an earlier file of the
 * same channel had the same name (*name_reused). */
int reg_prep_file_info(struct reg_prep *p, long long file_id, char **channel, char **name,
		       int *name_reused);
/* Ingested files none of whose records wait for prepare, in id order (for rejects files
 * not written yet). fn returns non-zero to stop. */
int reg_prep_judged_files(struct reg_prep *p, int (*fn)(long long file_id, void *arg), void *arg);

/* One row of a rejects file. */
struct reject_row {
	long record_no;
	const char *channel_ref, *location, *reason_code, *reason_field, *reason_zh, *reason_en;
};
/* The rejected records of a file in record order. */
int reg_prep_rejects_each(struct reg_prep *p, long long file_id,
			  int (*fn)(const struct reject_row *row, void *arg), void *arg);

#endif
