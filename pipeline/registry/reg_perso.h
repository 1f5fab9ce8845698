/*
 * reg_perso.h - what perso reads from and writes to the registry: prepared cards with
 * their applications' data, the sealed batches, and each card's move to perso_ready.
 */
#ifndef CP_REG_PERSO_H
#define CP_REG_PERSO_H

#include "personalization/chip/chipdata.h"

struct registry;

/* Up to limit cards in state 'allocated' with id > after_id, in id order, joined with their
 * applications (name, ID, sex, ethnicity, birth date). *n gets how many were filled. */
/* only_id 0: every allocated card but those of instant issuance (the instant run takes
 * its own); otherwise only that card. */
int reg_perso_next_cards(struct registry *reg, long long after_id, long long only_id, size_t limit,
			 struct perso_card *out, size_t *n);

/* How many cards of bank have an id in (after_id, upto_id]: a card's ordinal among its
 * bank's cards, which never changes (card rows are never deleted and ids only grow). */
int reg_perso_bank_cards(struct registry *reg, const char *bank, long long after_id,
			 long long upto_id, long long *n);

/* A sealed batch to record. */
struct reg_perso_batch {
	const char *name, *path, *sha256, *transport_key, *transport_kcv;
	int line;
};

/* In one transaction: the batch row, a card_perso row per card (its script's SHA-256), and
 * each card allocated -> perso_ready with its line. A card no longer 'allocated' (another
 * run got there first) makes the whole batch roll back: CP_ERR_BUSY. */
int reg_perso_commit(struct registry *reg, const struct reg_perso_batch *b,
		     const long long *card_ids, const char *const *script_sha256, size_t n);

/* Hold a card that cannot be personalised (bad data): allocated -> held with reason. */
int reg_perso_hold(struct registry *reg, long long card_id, const char *reason);

/* Every batch file path the registry knows (fn per path), to find orphans of a crashed run. */
int reg_perso_batch_paths(struct registry *reg, int (*fn)(const char *path, void *arg), void *arg);

#endif
