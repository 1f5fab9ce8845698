/*
 * reconcile_sign.c - detached signatures of bank reports (the primitives are
 * personalization/crypto/sign.h), in the form
 * the openssl command line makes and checks (`openssl dgst -sm3 -sign/-verify`): DER
 * signatures over the file's bytes. sm2 = SM2 with SM3 (GB/T 32918) and a distinguishing
 * ID (by default GM/T 0009's "1234567812345678", which banks' SM2 tools expect; OpenSSL 3
 * would otherwise use an empty one), ecdsa-p256 = ECDSA P-256 with SHA-256, rsa-pss =
 * RSA-PSS with SHA-256 and a salt as long as the digest.
 *
 * The signing key is reconcile.signing_key: by default the SM2 key pair "report.sign" of
 * the key store (personalization/keys/keystore.h), unwrapped only while signing; or a PEM
 * file (for ECDSA and RSA-PSS, which the key store does not hold), which like an SSH key
 * must not be readable by group or others.
 */
#include "core/config.h"
#include "core/err.h"
#include "core/fsutil.h"
#include "core/mem.h"
#include "personalization/crypto/sign.h"
#include "personalization/keys/keystore.h"
#include "pipeline/stages/reconcile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int
load_pem(const char *path, int private, void **out)
{
	unsigned char *data = NULL;
	size_t len = 0;
	struct stat st;
	struct evp_pkey_st *k;
	int r;

	*out = NULL;
	if ((r = fs_read_file(path, 1 << 20, &data, &len)) < 0)
		return cp_err_wrap(r, "%s key '%s': ", private ? "signing" : "public", path);
	if (private && stat(path, &st) == 0 && (st.st_mode & 077)) {
		cp_freezero(data, len);
		return cp_err(CP_ERR_PERM,
			      "signing key '%s' is readable by group or others (mode %04o); "
			      "chmod 600 it",
			      path, (unsigned)(st.st_mode & 07777));
	}
	r = private ? cp_pkey_read_private_pem(data, len, &k)
		    : cp_pkey_read_public_pem(data, len, &k);
	cp_freezero(data, len);
	if (r < 0)
		return private ? cp_err_wrap(r, "signing key is ") : r;
	*out = k;
	return 0;
}

int
recon_key_load(const char *path, void **key)
{
	return load_pem(path, 1, key);
}

int
recon_pubkey_load(const char *path, void **key)
{
	return load_pem(path, 0, key);
}

void
recon_key_free(void *key)
{
	cp_pkey_free(key);
}

/* The crypto layer's algorithm for a reconcile.signature name. */
static int
sig_alg(const char *alg, enum cp_sig *out)
{
	if (!strcmp(alg, "sm2"))
		*out = CP_SIG_SM2;
	else if (!strcmp(alg, "ecdsa-p256"))
		*out = CP_SIG_ECDSA_P256;
	else if (!strcmp(alg, "rsa-pss"))
		*out = CP_SIG_RSA_PSS;
	else
		return cp_err(CP_ERR_CONFIG,
			      "reconcile.signature must be sm2, ecdsa-p256 or rsa-pss, not '%s'",
			      alg);
	return 0;
}

/* The algorithm for alg, after checking that key is of the matching kind and, for SM2, that
 * there is an ID: configuration errors, told in the configuration's terms. */
static int
alg_for(const char *alg, const char *sm2_id, void *key, enum cp_sig *out)
{
	static const char *const kind[] = {
		[CP_SIG_SM2] = "SM2", [CP_SIG_ECDSA_P256] = "EC", [CP_SIG_RSA_PSS] = "RSA"};
	int r;

	if ((r = sig_alg(alg, out)) < 0)
		return r;
	if (!cp_pkey_fits(key, *out)) {
		char curve[64];

		if (!cp_pkey_is_a(key, kind[*out]))
			return cp_err(CP_ERR_CONFIG,
				      "reconcile.signature is %s but the key is a %s key", alg,
				      cp_pkey_type(key));
		cp_pkey_curve(key, curve, sizeof(curve));
		return cp_err(CP_ERR_CONFIG, "ecdsa-p256 needs a P-256 key, not curve '%s'", curve);
	}
	if (*out == CP_SIG_SM2 && (!sm2_id || !*sm2_id))
		return cp_err(CP_ERR_CONFIG, "an SM2 signature needs a distinguishing ID");
	return 0;
}

int
recon_sign(const char *alg, const char *sm2_id, void *key, const void *data, size_t len,
	   struct buf *sig)
{
	enum cp_sig a;
	int r;

	buf_init(sig, BUF_UNLIMITED);
	if ((r = alg_for(alg, sm2_id, key, &a)) < 0)
		return r;
	return cp_sign(a, sm2_id, key, data, len, sig);
}

int
recon_verify(const char *alg, const char *sm2_id, void *key, const void *data, size_t len,
	     const unsigned char *sig, size_t siglen)
{
	enum cp_sig a;
	int r;

	if ((r = alg_for(alg, sm2_id, key, &a)) < 0)
		return r;
	r = cp_verify(a, sm2_id, key, data, len, sig, siglen);
	if (r == CP_ERR_INTEGRITY)
		r = cp_err(CP_ERR_INTEGRITY,
			   "the signature does not verify: the report was "
			   "changed or signed with another key%s",
			   a == CP_SIG_SM2 ? " or SM2 ID" : "");
	return r;
}

int
recon_pubkey_pem(void *key, struct buf *pem)
{
	buf_init(pem, BUF_UNLIMITED);
	return cp_pkey_public_pem(key, pem);
}

int
recon_keygen(const char *alg, const char *path)
{
	struct evp_pkey_st *k = NULL;
	enum cp_sig a;
	int r;

	if (fs_exists(path))
		return cp_err(CP_ERR_EXISTS, "'%s' exists; a signing key is never overwritten",
			      path);
	if ((r = sig_alg(alg, &a)) < 0 || (r = cp_pkey_generate(a, &k)) < 0)
		return r;
	r = cp_pkey_save_private_pem(k, path);
	cp_pkey_free(k);
	return r;
}

#define KEYSTORE_PREFIX "keystore:"

char *
recon_signing_key_path(const struct config *cfg, const char *home)
{
	const char *v = config_str(cfg, "reconcile.signing_key");

	if (!strncmp(v, KEYSTORE_PREFIX, strlen(KEYSTORE_PREFIX)))
		return NULL;
	return v[0] == '/' ? xstrdup(v) : fs_join(home, v);
}

int
recon_signing_key(const struct config *cfg, const char *home, void **key)
{
	const char *v = config_str(cfg, "reconcile.signing_key");
	char *path = recon_signing_key_path(cfg, home);
	struct keystore *ks = NULL;
	struct evp_pkey_st *k = NULL;
	int r;

	*key = NULL;
	if (path) {
		r = recon_key_load(path, key);
		if (r == CP_ERR_NOTFOUND)
			r = cp_err(CP_ERR_CONFIG,
				   "no signing key at '%s' (reconcile.signing_key); make one with "
				   "'cardpipe reconcile keygen'",
				   path);
		free(path);
		return r;
	}
	if ((r = keystore_open_cfg(cfg, home, &ks)) < 0)
		return cp_err_wrap(r == CP_ERR_NOTFOUND ? CP_ERR_CONFIG : r,
				   "signing key '%s' (reconcile.signing_key): ", v);
	r = keystore_get_pkey(ks, v + strlen(KEYSTORE_PREFIX), &k);
	keystore_close(ks);
	if (r < 0)
		return cp_err_wrap(r == CP_ERR_NOTFOUND ? CP_ERR_CONFIG : r,
				   "signing key (reconcile.signing_key): ");
	*key = k;
	return 0;
}

/* An ID the openssl command line can take as -sigopt distid:ID, and the config lists
 * ("BANK:ID,...") can hold: printable ASCII without ',', ':' or spaces. */
static int
sm2_id_check(const char *key, const char *id)
{
	size_t n = strlen(id);

	if (n == 0 || n > SM2_ID_MAX)
		return cp_err(CP_ERR_CONFIG, "%s: the SM2 ID must be 1 to %d characters, not %zu",
			      key, SM2_ID_MAX, n);
	for (size_t i = 0; i < n; i++)
		if (id[i] <= ' ' || id[i] > '~' || id[i] == ',' || id[i] == ':')
			return cp_err(CP_ERR_CONFIG,
				      "%s: SM2 ID '%s' has character %zu outside printable ASCII "
				      "(or ',' ':')",
				      key, id, i + 1);
	return 0;
}

int
recon_sm2_id(const struct config *cfg, const char *bank, char *out, size_t outsz)
{
	const char *def = config_str(cfg, "reconcile.sm2_id");
	char *list = xstrdup(config_str(cfg, "reconcile.sm2_id_banks")), *save = NULL;
	const char *id = def, *key = "reconcile.sm2_id";
	int r = 0;

	for (char *t = strtok_r(list, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) {
		char *colon = strchr(t, ':');

		if (!colon || colon == t) {
			r = cp_err(CP_ERR_CONFIG, "reconcile.sm2_id_banks: '%s' is not BANK:ID", t);
			goto out;
		}
		*colon = '\0';
		if (bank && !strcmp(t, bank)) {
			id = colon + 1;
			key = "reconcile.sm2_id_banks";
		}
	}
	if ((r = sm2_id_check(key, id)) == 0 && strlen(id) >= outsz)
		r = cp_err(CP_ERR_CONFIG, "%s: SM2 ID too long", key);
	if (r == 0)
		snprintf(out, outsz, "%s", id);
out:
	free(list);
	return r;
}
