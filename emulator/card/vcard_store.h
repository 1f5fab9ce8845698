/*
 * vcard_store.h - a virtual card's chip state on disk: one text file per chip serial,
 * DIR/<SERIAL>.card, written atomically (fs_write_atomic, 0600) after every command that
 * changed it, so a card pulled or a daemon killed leaves exactly the state the chip had.
 *
 * Secret values (a key set loaded by PUT KEY, key and PIN DGIs) are stored only encrypted
 * under the test KMC (AES-CBC, zero ICV, 80-padding); the derived static keys are not
 * stored at all (kdf3 gives them again). Format: docs/virtual-card.md.
 */
#ifndef CP_VCARD_STORE_H
#define CP_VCARD_STORE_H

#include "emulator/card/vcard.h"

/* DIR/<SERIAL>.card, newly allocated. */
char *vcard_store_path(const char *dir, const unsigned char serial[VCARD_SERIAL_LEN]);
int vcard_store_save(const struct vcard *vc, const char *dir, const unsigned char *kmc,
		     size_t kmc_len);
/* A stock the virtual card makes chips of, with its TEST KMC. */
struct vcard_stock {
	const struct chip_profile *profile;
	unsigned char kmc[32];
	size_t kmc_len;
};
/* Load a chip of any of these stocks (its state file's "stock" line names it; a file without
 * one is of the default stock cpvc-s03); its secrets are under its stock's KMC.
 * CP_ERR_NOTFOUND also when its stock is not among them. */
int vcard_store_load_stock(struct vcard *vc, const char *dir,
			   const unsigned char serial[VCARD_SERIAL_LEN],
			   const struct vcard_stock *stocks, size_t nstocks);
/* Parse a serial: exactly 16 hex digits. */
int vcard_parse_serial(const char *s, unsigned char serial[VCARD_SERIAL_LEN]);

#endif
