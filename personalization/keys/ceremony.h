/*
 * ceremony.h - key ceremonies: the custodians' components of the local master key (LMK),
 * read from files or typed at a prompt without echo (component.h), each shown and checked by
 * its KCV; and the TEST ONLY store the demo and the tests use (docs/keys.md).
 */
#ifndef CP_CEREMONY_H
#define CP_CEREMONY_H

/* the components a ceremony reads (component_read_file, component_prompt, ...) */
#include "personalization/keys/component.h"

#include <stddef.h>

struct config;
struct keystore;

#define TEST_KEY_LABEL "cardpipe TEST ONLY "

/* The well-known value of a TEST ONLY key: the first len bytes of SM3(TEST_KEY_LABEL ||
 * name), odd parity for 3DES; kmc and kmc-emv are the public GlobalPlatform test key
 * 404142..4F, as test cards and the virtual card have. */
int test_key_value(const char *name, int tdes, unsigned char *out, size_t len);
/* Put every master key the configuration calls for (kmc, kmc-emv, ssse.*, bank.<B>.*,
 * transport.*, line.<N>.transport, report.sign) into a TEST ONLY store. */
int test_store_populate(struct keystore *ks, const struct config *cfg);

/* The names and algorithms of every master key the configuration calls for, for
 * `keys list --missing` and the perso stage's check. fn is called per key. */
int keys_required(const struct config *cfg,
		  int (*fn)(const char *name, int alg /* enum key_alg */, size_t len, void *arg),
		  void *arg);

#endif
