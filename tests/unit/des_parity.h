/*
 * des_parity.h - whether every byte of a DES key has odd parity, for the tests that check
 * what cp_des_set_odd_parity() and the EMV key derivations produce (production only sets
 * parity, it never checks it). Header-only.
 */
#ifndef DES_PARITY_H
#define DES_PARITY_H

#include <stdbool.h>
#include <stddef.h>

static inline bool
des_has_odd_parity(const unsigned char *key, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (__builtin_parity(key[i]) != 1)
			return false;
	return true;
}

#endif
