/*
 * sign.c - public-key signatures and the key objects they use (see sign.h).
 */
#include "personalization/crypto/sign.h"

#include "core/err.h"
#include "core/fsutil.h"
#include "core/mem.h"
#include "personalization/crypto/rsa.h"
#include "personalization/crypto/secmem.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <string.h>

struct pass_call {
	cp_pem_pass_fn fn;
	void *arg;
};

static int
pass_cb(char *buf, int size, int rwflag, void *u)
{
	const struct pass_call *pc = u;

	(void)rwflag;
	return pc->fn(buf, size, pc->arg);
}

int
cp_pkey_read_private_pem_pass(const void *pem, size_t len, cp_pem_pass_fn pass, void *arg,
			      EVP_PKEY **out)
{
	struct pass_call pc = {pass, arg};
	BIO *bio;

	*out = NULL;
	if (len > 0x7fffffff)
		return CP_ERR_FORMAT;
	if (!(bio = BIO_new_mem_buf(pem, (int)len)))
		return CP_ERR_NOMEM;
	*out = PEM_read_bio_PrivateKey(bio, NULL, pass_cb, &pc);
	BIO_free(bio);
	return *out ? 0 : CP_ERR_FORMAT;
}

/* The passphrase source of a key that must not be encrypted: none (without one OpenSSL
 * would prompt on the terminal, and a nightly run would wait there), only a note that one
 * was asked for. */
static int
no_passphrase(char *buf, int size, void *asked)
{
	(void)buf, (void)size;
	*(int *)asked = 1;
	return -1;
}

static int
read_pem(const void *pem, size_t len, int private, EVP_PKEY **out)
{
	BIO *bio;
	EVP_PKEY *k = NULL;
	int asked = 0, r = 0;

	*out = NULL;
	if (len > 0x7fffffff)
		return cp_err(CP_ERR_LIMIT, "PEM key too long");
	if (private) {
		r = cp_pkey_read_private_pem_pass(pem, len, no_passphrase, &asked, &k);
	} else {
		if (!(bio = BIO_new_mem_buf(pem, (int)len)))
			return cp_ossl_err(CP_ERR_NOMEM, "PEM public key");
		k = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
		BIO_free(bio);
	}
	if (r == CP_ERR_NOMEM)
		return cp_ossl_err(CP_ERR_NOMEM, "PEM private key");
	if (!k && asked)
		return cp_ossl_err(CP_ERR_FORMAT,
				   "an encrypted PEM private key: cardpipe asks for no passphrase; "
				   "keep the key unencrypted, mode 0600, or in the key store");
	if (!k)
		return cp_ossl_err(CP_ERR_FORMAT, "%s",
				   private ? "not a PEM private key" : "not a PEM public key");
	*out = k;
	return 0;
}

int
cp_pkey_read_private_pem(const void *pem, size_t len, EVP_PKEY **out)
{
	return read_pem(pem, len, 1, out);
}

int
cp_pkey_read_public_pem(const void *pem, size_t len, EVP_PKEY **out)
{
	return read_pem(pem, len, 0, out);
}

int
cp_pkey_read_public_pem_file(FILE *f, EVP_PKEY **out)
{
	if (!(*out = PEM_read_PUBKEY(f, NULL, NULL, NULL)))
		return cp_ossl_err(CP_ERR_FORMAT, "not a PEM public key");
	return 0;
}

int
cp_pkey_read_der(const void *der, size_t len, int private, EVP_PKEY **out, size_t *used)
{
	const unsigned char *p = der;

	*used = 0;
	if (len > 0x7fffffff)
		return cp_err(CP_ERR_LIMIT, "DER key too long");
	*out = private ? d2i_AutoPrivateKey(NULL, &p, (long)len) : d2i_PUBKEY(NULL, &p, (long)len);
	if (!*out)
		return cp_ossl_err(CP_ERR_FORMAT, "%s",
				   private ? "not a DER private key" : "not a DER public key");
	*used = (size_t)(p - (const unsigned char *)der);
	return 0;
}

int
cp_pkey_private_der(const EVP_PKEY *key, unsigned char **der, size_t *len)
{
	unsigned char *d = NULL;
	int n = i2d_PrivateKey(key, &d);

	*der = NULL;
	*len = 0;
	if (n <= 0)
		return cp_ossl_err(CP_ERR_CRYPTO, "private key does not encode");
	*der = cp_secure_zalloc((size_t)n);
	memcpy(*der, d, (size_t)n);
	*len = (size_t)n;
	OPENSSL_clear_free(d, (size_t)n);
	return 0;
}

size_t
cp_pkey_bits(const EVP_PKEY *key)
{
	int b = EVP_PKEY_get_bits(key);

	return b > 0 ? (size_t)b : 0;
}

int
cp_pkey_generate(enum cp_sig alg, EVP_PKEY **out)
{
	switch (alg) {
	case CP_SIG_SM2: *out = EVP_PKEY_Q_keygen(NULL, NULL, "SM2"); break;
	case CP_SIG_ECDSA_P256: *out = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"); break;
	case CP_SIG_RSA_PSS: *out = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)3072); break;
	default:
		*out = NULL;
		return cp_err(CP_ERR_INVALID, "unknown signature algorithm %d", (int)alg);
	}
	return *out ? 0 : cp_ossl_err(CP_ERR_CRYPTO, "key generation");
}

int
cp_pkey_save_private_pem(const EVP_PKEY *key, const char *path)
{
	BIO *bio = BIO_new(BIO_s_secmem());
	char *p;
	long n;
	int r = 0;

	if (PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL) != 1)
		r = cp_ossl_err(CP_ERR_CRYPTO, "write private key");
	else if ((n = BIO_get_mem_data(bio, &p)) > 0)
		r = fs_write_atomic(path, p, (size_t)n, 0600);
	BIO_free(bio);
	return r;
}

int
cp_pkey_public_pem(const EVP_PKEY *key, struct buf *pem)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *p;
	long n;
	int r = 0;

	if (!bio || PEM_write_bio_PUBKEY(bio, key) != 1)
		r = cp_ossl_err(CP_ERR_CRYPTO, "write public key");
	else if ((n = BIO_get_mem_data(bio, &p)) > 0)
		r = buf_append(pem, p, (size_t)n);
	BIO_free(bio);
	return r;
}

int
cp_pkey_public_der(const EVP_PKEY *key, struct buf *der)
{
	unsigned char *d = NULL;
	int n = i2d_PUBKEY(key, &d), r;

	if (n <= 0) {
		ERR_clear_error();
		return cp_err(CP_ERR_CRYPTO, "public key does not encode");
	}
	r = buf_append(der, d, (size_t)n);
	OPENSSL_free(d);
	return r;
}

const char *
cp_pkey_type(const EVP_PKEY *key)
{
	return EVP_PKEY_get0_type_name(key);
}

int
cp_pkey_is_a(const EVP_PKEY *key, const char *type)
{
	return EVP_PKEY_is_a(key, type);
}

void
cp_pkey_curve(const EVP_PKEY *key, char *out, size_t outsz)
{
	size_t n = 0;

	out[0] = '\0';
	if (EVP_PKEY_get_utf8_string_param(key, "group", out, outsz, &n) != 1)
		out[0] = '\0';
	ERR_clear_error();
}

int
cp_pkey_fits(const EVP_PKEY *key, enum cp_sig alg)
{
	char curve[64];

	switch (alg) {
	case CP_SIG_SM2: return EVP_PKEY_is_a(key, "SM2");
	case CP_SIG_ECDSA_P256:
		if (!EVP_PKEY_is_a(key, "EC"))
			return 0;
		cp_pkey_curve(key, curve, sizeof(curve));
		return !strcmp(curve, "prime256v1") || !strcmp(curve, "P-256");
	case CP_SIG_RSA_PSS: return EVP_PKEY_is_a(key, "RSA");
	}
	return 0;
}

void
cp_pkey_free(EVP_PKEY *key)
{
	EVP_PKEY_free(key);
}

/* The digest for alg (SM3 for SM2, SHA-256 otherwise), after checking the key fits it. */
static int
sig_digest(enum cp_sig alg, const char *sm2_id, const EVP_PKEY *key, const EVP_MD **md)
{
	if (alg != CP_SIG_SM2 && alg != CP_SIG_ECDSA_P256 && alg != CP_SIG_RSA_PSS)
		return cp_err(CP_ERR_INVALID, "unknown signature algorithm %d", (int)alg);
	if (!key || !cp_pkey_fits(key, alg))
		return cp_err(CP_ERR_INVALID, "the key does not suit the signature algorithm");
	if (alg == CP_SIG_SM2 && (!sm2_id || !*sm2_id))
		return cp_err(CP_ERR_INVALID, "an SM2 signature needs a distinguishing ID");
	*md = alg == CP_SIG_SM2 ? EVP_sm3() : EVP_sha256();
	return 0;
}

/* The per-signature parameters: the SM2 distinguishing ID, the RSA-PSS padding. */
static int
sig_params(enum cp_sig alg, const char *sm2_id, EVP_PKEY_CTX *pctx)
{
	if (alg == CP_SIG_SM2) {
		if (EVP_PKEY_CTX_set1_id(pctx, sm2_id, strlen(sm2_id)) <= 0)
			return cp_ossl_err(CP_ERR_CRYPTO, "SM2 distinguishing ID");
		return 0;
	}
	if (alg != CP_SIG_RSA_PSS)
		return 0;
	if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) <= 0)
		return cp_ossl_err(CP_ERR_CRYPTO, "RSA-PSS parameters");
	return 0;
}

int
cp_sign(enum cp_sig alg, const char *sm2_id, EVP_PKEY *key, const void *data, size_t len,
	struct buf *sig)
{
	EVP_MD_CTX *ctx = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	const EVP_MD *md;
	size_t sl = 0;
	int r;

	buf_init(sig, BUF_UNLIMITED);
	if ((r = sig_digest(alg, sm2_id, key, &md)) < 0)
		return r;
	ctx = EVP_MD_CTX_new();
	if (EVP_DigestSignInit(ctx, &pctx, md, NULL, key) != 1) {
		r = cp_ossl_err(CP_ERR_CRYPTO, "signature init");
		goto out;
	}
	if ((r = sig_params(alg, sm2_id, pctx)) < 0)
		goto out;
	if (EVP_DigestSign(ctx, NULL, &sl, data, len) != 1) {
		r = cp_ossl_err(CP_ERR_CRYPTO, "signature length");
		goto out;
	}
	sig->data = xmalloc(sl + 1);
	sig->cap = sl + 1;
	if (EVP_DigestSign(ctx, sig->data, &sl, data, len) != 1) {
		r = cp_ossl_err(CP_ERR_CRYPTO, "sign");
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
cp_verify(enum cp_sig alg, const char *sm2_id, EVP_PKEY *key, const void *data, size_t len,
	  const unsigned char *sig, size_t siglen)
{
	EVP_MD_CTX *ctx = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	const EVP_MD *md;
	int r, ok;

	if ((r = sig_digest(alg, sm2_id, key, &md)) < 0)
		return r;
	ctx = EVP_MD_CTX_new();
	if (EVP_DigestVerifyInit(ctx, &pctx, md, NULL, key) != 1) {
		r = cp_ossl_err(CP_ERR_CRYPTO, "verify init");
		goto out;
	}
	if ((r = sig_params(alg, sm2_id, pctx)) < 0)
		goto out;
	ok = EVP_DigestVerify(ctx, sig, siglen, data, len);
	ERR_clear_error();
	if (ok != 1)
		r = cp_err(CP_ERR_INTEGRITY, "the signature does not verify");
out:
	EVP_MD_CTX_free(ctx);
	return r;
}
