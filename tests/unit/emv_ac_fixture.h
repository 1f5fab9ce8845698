/*
 * emv_ac_fixture.h - the reference application cryptogram for the tests: the EMV A1.3
 * common session key from the card's AC master key and ATC, then the cryptogram over data
 * under it (emv_ac_session_key_by(EMV_AC_SKD_EMV), emv_ac_mac()), as the virtual card's
 * GENERATE AC computes it. Header-only.
 */
#ifndef EMV_AC_FIXTURE_H
#define EMV_AC_FIXTURE_H

#include "core/mem.h"
#include "personalization/crypto/emv_ac.h"

static inline int
ac_generate(enum emv_ac_alg alg, const unsigned char mk[EMV_AC_KEY_LEN], const unsigned char atc[2],
	    const unsigned char *data, size_t len, unsigned char ac[EMV_AC_LEN])
{
	unsigned char sk[EMV_AC_KEY_LEN];
	int r;

	if ((r = emv_ac_session_key_by(EMV_AC_SKD_EMV, alg, mk, atc, sk)) == 0)
		r = emv_ac_mac(alg, sk, data, len, ac);
	cp_memzero(sk, sizeof sk);
	return r;
}

#endif
