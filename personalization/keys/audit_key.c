/*
 * audit_key.c - where the audit key comes from (audit_key.h, docs/audit.md): the key
 * store when there is one, else the home's audit key file until the first ceremony.
 */
#include "personalization/keys/audit_key.h"

#include "core/config.h"
#include "core/err.h"
#include "core/fsutil.h"
#include "core/hex.h"
#include "core/log.h"
#include "core/mem.h"
#include "personalization/crypto/random.h"
#include "personalization/keys/component.h"
#include "personalization/keys/keystore.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Create the audit key file unless it exists: written under a temporary name, then linked
 * into place, so that two first commands starting together end up with the same key. */
static int
file_create(const char *path)
{
	unsigned char v[AUDIT_KEY_LEN];
	char hex[2 * AUDIT_KEY_LEN + 1], text[2 * AUDIT_KEY_LEN + 160];
	char *tmp = xasprintf("%s.new.%ld", path, (long)getpid());
	int r;

	if (cp_random_priv_bytes(v, sizeof(v)) < 0) {
		free(tmp);
		return cp_err(CP_ERR_CRYPTO, "no random bytes for the audit key");
	}
	hex_encode(v, sizeof(v), hex);
	snprintf(text, sizeof(text),
		 "# cardpipe audit key (HMAC-SHA-256 of the registry's audit chain). The first\n"
		 "# command after a key ceremony moves it into the key store and deletes this "
		 "file.\n"
		 "%s\n",
		 hex);
	r = fs_write_atomic(tmp, text, strlen(text), 0600);
	cp_memzero(v, sizeof(v));
	cp_memzero(hex, sizeof(hex));
	cp_memzero(text, sizeof(text));
	if (r == 0 && link(tmp, path) != 0 && errno != EEXIST)
		r = cp_err(CP_ERR_IO, "cannot create the audit key file '%s': %s", path,
			   strerror(errno));
	else if (r == 0)
		log_info("keys", "created the audit key file '%s'", path);
	unlink(tmp);
	free(tmp);
	return r;
}

static int
from_file(const char *path, unsigned char *out)
{
	int r;

	if (!fs_exists(path) && (r = file_create(path)) < 0)
		return r;
	/* the same checks and format as an LMK component: private, 64 hex digits */
	if ((r = component_read_file(path, out)) < 0)
		return cp_err_wrap(r, "audit key: ");
	return 0;
}

/* A store without the audit key: seal the file's key into it (or a new one when this home
 * never had a file), then delete the file. */
static int
seal_into_store(struct keystore *ks, const char *path, unsigned char *out)
{
	int have_file = fs_exists(path), r;

	if (have_file)
		r = component_read_file(path, out);
	else
		r = cp_random_priv_bytes(out, AUDIT_KEY_LEN) == 0
			    ? 0
			    : cp_err(CP_ERR_CRYPTO, "no random bytes for the audit key");
	if (r < 0 || (r = keystore_put(ks, AUDIT_KEY_NAME, KEY_AES, out, AUDIT_KEY_LEN)) < 0 ||
	    (r = keystore_save(ks)) < 0)
		return cp_err_wrap(r, "sealing the audit key into the key store: ");
	if (have_file && unlink(path) != 0 && errno != ENOENT)
		log_warn("keys", "audit key sealed into the key store, but '%s' stays: %s", path,
			 strerror(errno));
	log_info("keys", "audit key '%s' sealed into the key store '%s'%s", AUDIT_KEY_NAME,
		 keystore_path(ks), have_file ? " (from the audit key file, now deleted)" : "");
	return 0;
}

static int
from_store(const struct config *cfg, const char *home, const char *path, unsigned char *out)
{
	struct keystore *ks = NULL;
	struct key *k = NULL;
	int r;

	if ((r = keystore_open_cfg(cfg, home, &ks)) < 0)
		return cp_err_wrap(r, "the audit key is in the key store: ");
	r = keystore_get(ks, AUDIT_KEY_NAME, &k);
	if (r == CP_ERR_NOTFOUND) {
		cp_err_clear();
		r = seal_into_store(ks, path, out);
	} else if (r == 0 && k->len != AUDIT_KEY_LEN) {
		r = cp_err(CP_ERR_INVALID, "key store key '%s' has %zu bytes, not %d",
			   AUDIT_KEY_NAME, k->len, AUDIT_KEY_LEN);
	} else if (r == 0) {
		memcpy(out, k->value, AUDIT_KEY_LEN);
	}
	key_free(k);
	keystore_close(ks);
	return r;
}

int
audit_key_load(const struct config *cfg, const char *home, unsigned char *out, char kcv[7])
{
	char *store = config_path(cfg, "paths.keystore", home);
	char *file = config_path(cfg, "keys.audit_key_file", home);
	int r;

	if ((r = keys_harden_process()) == 0)
		r = fs_exists(store) ? from_store(cfg, home, file, out) : from_file(file, out);
	if (r == 0)
		r = key_kcv_hex(KEY_AES, out, AUDIT_KEY_LEN, kcv);
	if (r < 0)
		cp_memzero(out, AUDIT_KEY_LEN);
	free(store);
	free(file);
	return r;
}
