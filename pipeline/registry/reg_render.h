/*
 * reg_render.h - what the render stage reads and changes in the registry: the cards
 * waiting for their faces (card joined with its application), and their moves to
 * 'rendered' or 'held'.
 */
#ifndef CP_REG_RENDER_H
#define CP_REG_RENDER_H

#include <stddef.h>

struct registry;

struct render_card {
	long long card_id;
	char *card_no;
	char *state;
	char *name;	    /* AAC003 */
	char *id_type;	    /* citizen, hk, mo, tw, fpr, fpr-old */
	char *id_number;    /* AAC002, the social security number printed */
	char *photo_sha256; /* the photo's hash */
	char *photo_loc;    /* where it is stored (photo_store.h); NULL: a file by its hash */
	char *issue_date;   /* YYYY-MM-DD or NULL */
	char *bank;
	char *pan;
};

void render_cards_free(struct render_card *cards, size_t n);

/* Up to limit cards (by id, above after_id) in state perso_ready, or also allocated when
 * with_allocated; only card_no when it is not NULL (any of those states). */
int reg_render_list(struct registry *reg, int with_allocated, const char *card_no,
		    long long after_id, size_t limit, struct render_card **cards, size_t *n);
/* The state of card_no (newly allocated), or CP_ERR_NOTFOUND. */
int reg_render_card_state(struct registry *reg, const char *card_no, char **state);
/* Move a card to rendered, or to held with a reason, from the state it was listed in.
 * Inside the caller's transaction. 0 = moved, 1 = the card had left that state meanwhile
 * (another run recorded it), < 0 = registry failure. */
int reg_render_mark_rendered(struct registry *reg, long long card_id, const char *from_state);
int reg_render_mark_held(struct registry *reg, long long card_id, const char *from_state,
			 const char *reason);
/* Record that card_id's proof page is owed (render.proof), in the caller's transaction. */
int reg_render_owe_proof(struct registry *reg, long long card_id);
/* Up to limit cards whose proof page is owed, by id above after_id (card_id and card_no
 * filled), whatever their state now. */
int reg_render_list_owed(struct registry *reg, long long after_id, size_t limit,
			 struct render_card **cards, size_t *n);
/* The proof page `page` (a file name) shows these cards: they are owed no more. One
 * transaction, with one audit row. */
int reg_render_proofed(struct registry *reg, const long long *card_ids, size_t n, const char *page);
/* How many cards are waiting for render (for the progress display). */
int reg_render_count(struct registry *reg, int with_allocated, long long *n);
/* Up to limit cards in state rendered, by id above after_id (card_id and card_no filled):
 * proof sheets for what is rendered, a page at a time. */
int reg_render_list_rendered(struct registry *reg, long long after_id, size_t limit,
			     struct render_card **cards, size_t *n);

#endif
