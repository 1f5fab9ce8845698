/*
 * ceremony.c - the TEST ONLY store and the keys a configuration calls for (see ceremony.h;
 * the components themselves: component.c).
 */
#include "personalization/keys/ceremony.h"

#include "core/config.h"
#include "core/err.h"
#include "core/mem.h"
#include "personalization/crypto/cipher.h"
#include "personalization/crypto/hash.h"
#include "personalization/keys/keystore.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
test_key_value(const char *name, int tdes, unsigned char *out, size_t len)
{
	unsigned char md[64];
	char label[128];
	int r;

	if (len > 32)
		return cp_err(CP_ERR_INVALID, "test keys have at most 32 bytes");
	if (!strcmp(name, "kmc") || !strcmp(name, "kmc-emv")) {
		/* the public GlobalPlatform test key 40..4F, which test cards and the virtual
		 * card ship with */
		for (size_t i = 0; i < len; i++)
			out[i] = (unsigned char)(0x40 + i % 16);
		return 0;
	}
	snprintf(label, sizeof(label), "%s%s", TEST_KEY_LABEL, name);
	if ((r = cp_sm3(label, strlen(label), md)) < 0)
		return r;
	memcpy(out, md, len);
	if (tdes)
		cp_des_set_odd_parity(out, len);
	cp_memzero(md, sizeof(md));
	return 0;
}

/* Call fn("line.<N>.transport", ...) for each line in a comma list. */
static int
each_line(const char *list, int alg, size_t len, int (*fn)(const char *, int, size_t, void *),
	  void *arg)
{
	char *dup = xstrdup(list), *save = NULL, name[KEY_NAME_MAX + 1];
	int r = 0;

	for (char *t = strtok_r(dup, ", ", &save); t && r >= 0; t = strtok_r(NULL, ", ", &save)) {
		snprintf(name, sizeof(name), "line.%s.transport", t);
		r = fn(name, alg, len, arg);
	}
	free(dup);
	return r;
}

/* 1 when bank is named in keys.bank_sm4. */
static int
bank_is_sm4(const struct config *cfg, const char *bank)
{
	char *dup = xstrdup(config_str(cfg, "keys.bank_sm4")), *save = NULL;
	int yes = 0;

	for (char *t = strtok_r(dup, ", ", &save); t; t = strtok_r(NULL, ", ", &save))
		if (!strcmp(t, bank))
			yes = 1;
	free(dup);
	return yes;
}

int
keys_required(const struct config *cfg, int (*fn)(const char *, int, size_t, void *), void *arg)
{
	static const char *const ssse[] = {"ssse.ext-auth", "ssse.maint", "ssse.pin"};
	static const char *const transport[] = {"transport.purchase", "transport.load",
						"transport.tac"};
	char *banks = xstrdup(config_str(cfg, "banks.cooperating")), *save = NULL;
	char name[KEY_NAME_MAX + 1];
	int r;

	if ((r = fn("kmc", KEY_AES, 16, arg)) < 0 || (r = fn("kmc-emv", KEY_TDES, 16, arg)) < 0)
		goto out;
	for (size_t i = 0; i < 3; i++)
		if ((r = fn(ssse[i], KEY_SM4, 16, arg)) < 0 ||
		    (r = fn(transport[i], KEY_SM4, 16, arg)) < 0)
			goto out;
	for (char *b = strtok_r(banks, ", ", &save); b; b = strtok_r(NULL, ", ", &save)) {
		int alg = bank_is_sm4(cfg, b) ? KEY_SM4 : KEY_TDES;
		static const char *const mk[] = {"mk-ac", "mk-smi", "mk-smc"};

		for (size_t i = 0; i < 3; i++) {
			snprintf(name, sizeof(name), "bank.%s.%s", b, mk[i]);
			if ((r = fn(name, alg, 16, arg)) < 0)
				goto out;
		}
	}
	if ((r = each_line(config_str(cfg, "produce.lines"), KEY_AES, 32, fn, arg)) < 0 ||
	    (r = each_line(config_str(cfg, "produce.branch_lines"), KEY_AES, 32, fn, arg)) < 0)
		goto out;
	r = fn("report.sign", KEY_SM2, 0, arg);
out:
	free(banks);
	return r;
}

static int
populate_one(const char *name, int alg, size_t len, void *arg)
{
	struct keystore *ks = arg;
	unsigned char v[32];
	int r;

	if (keystore_has(ks, name))
		return 0;
	if (alg == KEY_SM2)
		return keystore_generate_sm2(ks, name);
	if ((r = test_key_value(name, alg == KEY_TDES, v, len)) < 0)
		return r;
	r = keystore_put(ks, name, (enum key_alg)alg, v, len);
	cp_memzero(v, sizeof(v));
	return r;
}

int
test_store_populate(struct keystore *ks, const struct config *cfg)
{
	if (!keystore_is_test(ks))
		return cp_err(CP_ERR_PERM, "refusing to put well-known test keys into a production "
					   "key store");
	return keys_required(cfg, populate_one, ks);
}
