/*
 * vcard_store_fixture.h - load a stored virtual chip of the default stock (cpvc-s03) under
 * a given KMC, through vcard_store_load_stock() as the vpcd program does with its stock
 * table. Header-only.
 */
#ifndef VCARD_STORE_FIXTURE_H
#define VCARD_STORE_FIXTURE_H

#include "core/err.h"
#include "core/mem.h"
#include "emulator/card/vcard.h"
#include "emulator/card/vcard_store.h"
#include "personalization/chip/chip_profile.h"

#include <string.h>

static inline int
store_load_default(struct vcard *vc, const char *dir, const unsigned char serial[VCARD_SERIAL_LEN],
		   const unsigned char *kmc, size_t kmc_len)
{
	struct chip_profile def;
	struct vcard_stock st = {.profile = &def};
	int r;

	vcard_default_stock(&def);
	if (kmc_len > sizeof st.kmc)
		return cp_err(CP_ERR_INVALID, "KMC of %zu bytes", kmc_len);
	memcpy(st.kmc, kmc, kmc_len);
	st.kmc_len = kmc_len;
	r = vcard_store_load_stock(vc, dir, serial, &st, 1);
	cp_memzero(st.kmc, sizeof st.kmc);
	return r;
}

#endif
