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

#include "printer/vcard/vcard.h"

/* DIR/<SERIAL>.card, newly allocated. */
char *vcard_store_path(const char *dir, const unsigned char serial[VCARD_SERIAL_LEN]);
int vcard_store_save(const struct vcard *vc, const char *dir, const unsigned char *kmc,
		     size_t kmc_len);
/* Load the chip with this serial; CP_ERR_NOTFOUND when the chip was never made. */
int vcard_store_load(struct vcard *vc, const char *dir,
		     const unsigned char serial[VCARD_SERIAL_LEN], const unsigned char *kmc,
		     size_t kmc_len);
/* Parse a serial: exactly 16 hex digits. */
int vcard_parse_serial(const char *s, unsigned char serial[VCARD_SERIAL_LEN]);

#endif
