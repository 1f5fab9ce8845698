/*
 * audit_key_fixture.c - linked into every unit test: the registries a test opens are keyed
 * with this fixed test audit key (a command takes its key from the key store instead).
 */
#include "registry/registry.h"

#include <stdlib.h>

static void __attribute__((constructor))
audit_key_fixture(void)
{
	static const unsigned char key[32] = "cardpipe unit-test audit key 32";

	if (registry_set_audit_key(key, sizeof(key), "TEST01") < 0)
		abort();
}
