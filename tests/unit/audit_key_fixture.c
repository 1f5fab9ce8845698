/*
 * audit_key_fixture.c - linked into every unit test: the registries a test opens are keyed
 * with a fixed test audit key. A test binary run as a fixture tool on a real home (an
 * integration test sets CARDPIPE_HOME to a home with a registry) takes that home's audit
 * key instead, as cardpipe does.
 */
#include "core/config.h"
#include "core/fsutil.h"
#include "core/mem.h"
#include "personalization/keys/audit_key.h"
#include "pipeline/registry/registry.h"

#include <stdio.h>
#include <stdlib.h>

static int
home_key(const char *home)
{
	unsigned char key[AUDIT_KEY_LEN];
	char kcv[7], *db = fs_join(home, "registry.db"), *conf = fs_join(home, "cardpipe.conf");
	struct config *cfg = config_new();
	int r = fs_exists(db) ? 0 : -1;

	if (r == 0 && fs_exists(conf))
		r = config_load_file(cfg, conf);
	if (r == 0 && (r = config_load_env(cfg)) == 0 &&
	    (r = audit_key_load(cfg, home, key, kcv)) == 0)
		r = registry_set_audit_key(key, sizeof(key), kcv);
	cp_memzero(key, sizeof(key));
	config_free(cfg);
	free(db);
	free(conf);
	return r;
}

static void __attribute__((constructor)) audit_key_fixture(void)
{
	static const unsigned char key[32] = "cardpipe unit-test audit key 32";
	const char *home = getenv("CARDPIPE_HOME");

	if (home && home_key(home) == 0)
		return;
	if (registry_set_audit_key(key, sizeof(key), "TEST01") < 0)
		abort();
}
