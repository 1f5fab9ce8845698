/*
 * pboc_data.h - the PBOC debit application's data preparation and the payment system
 * environment (docs/pboc-data.md): the PSE directory, the debit application's records, FCI,
 * GPO data, card risk data, keys, offline PIN and, for DDA/CDA, the ICC key pair made here.
 */
#ifndef CP_PBOC_DATA_H
#define CP_PBOC_DATA_H

#include "personalization/chip/chipdata.h"
#include "personalization/chip/script_emit.h"

/* The PSE's and the debit application's personalisation commands for card c, with its
 * derived keys k, the bank's profile and issuer key (m->profile, m->issuer). CP_ERR_INVALID
 * for card data that cannot go on a chip (the card is held); other errors stop the run. */
int pboc_personalise(struct emitter *e, const struct perso_card *c, const struct perso_masters *m,
		     struct card_keys *k);

/* EMV 5F20 (ans 2-26, ISO 7813) for a holder's name: the name in capitals when it is
 * written in Latin letters (and space . - ' /), cut at 26; " /" (no name) otherwise: no
 * romanisation of Chinese names is made (docs/pboc-data.md). Returns the length. */
size_t pboc_holder_name(const char *utf8, char out[27]);

#endif
