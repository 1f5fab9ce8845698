/*
 * reconcile_sign.c - detached signatures of bank reports over OpenSSL 3 EVP, in the form
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
#include "personalization/keys/keystore.h"
#include "pipeline/stages/reconcile.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int
ossl_fail(int code, const char *what)
{
	unsigned long e = ERR_get_error();
	char msg[256] = "";

	if (e)
		ERR_error_string_n(e, msg, sizeof(msg));
	ERR_clear_error();
	return cp_err(code, "%s%s%s", what, e ? ": " : "", msg);
}

static int
load_pem(const char *path, int private, void **out)
{
	unsigned char *data = NULL;
	size_t len = 0;
	struct stat st;
	EVP_PKEY *k;
	BIO *bio;
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
	bio = BIO_new_mem_buf(data, (int)len);
	k = private ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL)
		    : PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	BIO_free(bio);
	cp_freezero(data, len);
	if (!k)
		return ossl_fail(CP_ERR_FORMAT, private ? "signing key is not a PEM private key"
							: "not a PEM public key");
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
	EVP_PKEY_free(key);
}

/* The digest for alg, after checking that key is of the matching kind. */
static int
digest_for(const char *alg, EVP_PKEY *key, const EVP_MD **md)
{
	const char *want;

	if (!strcmp(alg, "sm2")) {
		*md = EVP_sm3();
		want = "SM2";
	} else if (!strcmp(alg, "ecdsa-p256")) {
		*md = EVP_sha256();
		want = "EC";
	} else if (!strcmp(alg, "rsa-pss")) {
		*md = EVP_sha256();
		want = "RSA";
	} else {
		return cp_err(CP_ERR_CONFIG,
			      "reconcile.signature must be sm2, ecdsa-p256 or rsa-pss, not '%s'",
			      alg);
	}
	if (!EVP_PKEY_is_a(key, want))
		return cp_err(CP_ERR_CONFIG, "reconcile.signature is %s but the key is a %s key",
			      alg, EVP_PKEY_get0_type_name(key));
	if (!strcmp(alg, "ecdsa-p256")) {
		char curve[64] = "";
		size_t cl = 0;

		EVP_PKEY_get_utf8_string_param(key, "group", curve, sizeof(curve), &cl);
		if (strcmp(curve, "prime256v1") && strcmp(curve, "P-256"))
			return cp_err(CP_ERR_CONFIG, "ecdsa-p256 needs a P-256 key, not curve '%s'",
				      curve);
	}
	return 0;
}

/* The per-signature parameters: the SM2 distinguishing ID, the RSA-PSS padding. */
static int
sig_params(const char *alg, const char *sm2_id, EVP_PKEY_CTX *pctx)
{
	if (!strcmp(alg, "sm2")) {
		if (!sm2_id || !*sm2_id)
			return cp_err(CP_ERR_CONFIG, "an SM2 signature needs a distinguishing ID");
		if (EVP_PKEY_CTX_set1_id(pctx, sm2_id, strlen(sm2_id)) <= 0)
			return ossl_fail(CP_ERR_CRYPTO, "SM2 distinguishing ID");
		return 0;
	}
	if (strcmp(alg, "rsa-pss"))
		return 0;
	if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) <= 0)
		return ossl_fail(CP_ERR_CRYPTO, "RSA-PSS parameters");
	return 0;
}

int
recon_sign(const char *alg, const char *sm2_id, void *key, const void *data, size_t len,
	   struct buf *sig)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	const EVP_MD *md;
	size_t sl = 0;
	int r;

	buf_init(sig, BUF_UNLIMITED);
	if ((r = digest_for(alg, key, &md)) < 0)
		goto out;
	if (EVP_DigestSignInit(ctx, &pctx, md, NULL, key) != 1) {
		r = ossl_fail(CP_ERR_CRYPTO, "signature init");
		goto out;
	}
	if ((r = sig_params(alg, sm2_id, pctx)) < 0)
		goto out;
	if (EVP_DigestSign(ctx, NULL, &sl, data, len) != 1) {
		r = ossl_fail(CP_ERR_CRYPTO, "signature length");
		goto out;
	}
	sig->data = xmalloc(sl + 1);
	sig->cap = sl + 1;
	if (EVP_DigestSign(ctx, sig->data, &sl, data, len) != 1) {
		r = ossl_fail(CP_ERR_CRYPTO, "sign");
		buf_release(sig);
		goto out;
	}
	sig->len = sl;
	sig->data[sl] = '\0';
out:
	EVP_MD_CTX_free(ctx);
	return r;
}

int
recon_verify(const char *alg, const char *sm2_id, void *key, const void *data, size_t len,
	     const unsigned char *sig, size_t siglen)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	const EVP_MD *md;
	int r, ok;

	if ((r = digest_for(alg, key, &md)) < 0)
		goto out;
	if (EVP_DigestVerifyInit(ctx, &pctx, md, NULL, key) != 1) {
		r = ossl_fail(CP_ERR_CRYPTO, "verify init");
		goto out;
	}
	if ((r = sig_params(alg, sm2_id, pctx)) < 0)
		goto out;
	ok = EVP_DigestVerify(ctx, sig, siglen, data, len);
	ERR_clear_error();
	if (ok != 1)
		r = cp_err(CP_ERR_INTEGRITY,
			   "the signature does not verify: the report was "
			   "changed or signed with another key%s",
			   strcmp(alg, "sm2") ? "" : " or SM2 ID");
out:
	EVP_MD_CTX_free(ctx);
	return r;
}

int
recon_pubkey_pem(void *key, struct buf *pem)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *p;
	long n;
	int r = 0;

	buf_init(pem, BUF_UNLIMITED);
	if (PEM_write_bio_PUBKEY(bio, key) != 1)
		r = ossl_fail(CP_ERR_CRYPTO, "write public key");
	else if ((n = BIO_get_mem_data(bio, &p)) > 0)
		r = buf_append(pem, p, (size_t)n);
	BIO_free(bio);
	return r;
}

int
recon_keygen(const char *alg, const char *path)
{
	EVP_PKEY *k = NULL;
	BIO *bio;
	char *p;
	long n;
	int r = 0;

	if (fs_exists(path))
		return cp_err(CP_ERR_EXISTS, "'%s' exists; a signing key is never overwritten",
			      path);
	if (!strcmp(alg, "sm2"))
		k = EVP_PKEY_Q_keygen(NULL, NULL, "SM2");
	else if (!strcmp(alg, "ecdsa-p256"))
		k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	else if (!strcmp(alg, "rsa-pss"))
		k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)3072);
	else
		return cp_err(CP_ERR_CONFIG,
			      "reconcile.signature must be sm2, ecdsa-p256 or rsa-pss, not '%s'",
			      alg);
	if (!k)
		return ossl_fail(CP_ERR_CRYPTO, "key generation");
	bio = BIO_new(BIO_s_secmem());
	if (PEM_write_bio_PrivateKey(bio, k, NULL, NULL, 0, NULL, NULL) != 1)
		r = ossl_fail(CP_ERR_CRYPTO, "write private key");
	else if ((n = BIO_get_mem_data(bio, &p)) > 0)
		r = fs_write_atomic(path, p, (size_t)n, 0600);
	BIO_free(bio);
	EVP_PKEY_free(k);
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
	EVP_PKEY *k = NULL;
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
