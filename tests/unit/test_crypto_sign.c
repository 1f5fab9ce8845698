/*
 * test_crypto_sign.c - personalization/crypto/sign.h: the published SM2 example of GM/T
 * 0003.5-2012 / GB/T 32918.5-2017 Appendix A (ID 1234567812345678, "message digest")
 * verifies and nothing near it does; SM2, ECDSA P-256 and RSA-PSS sign and verify with
 * generated keys, through PEM and DER (private and public); RSA-PSS is PSS with a digest-long salt; keys that do
 * not fit, empty IDs and bad PEM are refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/fsutil.h"
#include "personalization/crypto/secmem.h"
#include "personalization/crypto/sign.h"
#include "hex_fixture.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SM2_DEFAULT_ID "1234567812345678"

/* The public key of the example's private key 3945208F...4DF7C5B8: the point
 * (09F9DF31...F356F35020, CCEA490C...2DA9AD13) on the SM2 curve. */
static const char gm_pub[] = "-----BEGIN PUBLIC KEY-----\n"
			     "MFkwEwYHKoZIzj0CAQYIKoEcz1UBgi0DQgAECfnfMR5UIaFQ3X0WHkvFxnIXn60Y\n"
			     "M/wHa7CP81bzUCDM6kkM4md1pS3G6nGMwapgCu0F+/NeCEpmMvYHLamtEw==\n"
			     "-----END PUBLIC KEY-----\n";
/* r = F5A03B06...EEE720B3, s = B1B6AA29...85BBC1AA, DER-encoded */
static const char gm_sig[] =
	"3046022100F5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3"
	"022100B1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA";

static void
test_sm2_published(void **state)
{
	struct evp_pkey_st *k = NULL;
	const char msg[] = "message digest";
	unsigned char sig[72];
	struct buf der = BUF_INIT(4096);

	(void)state;
	hxn(gm_sig, sig, sizeof(sig));
	assert_int_equal(cp_pkey_read_public_pem(gm_pub, strlen(gm_pub), &k), 0);
	assert_string_equal(cp_pkey_type(k), "SM2");
	assert_true(cp_pkey_fits(k, CP_SIG_SM2));
	assert_false(cp_pkey_fits(k, CP_SIG_ECDSA_P256));
	assert_int_equal(cp_verify(CP_SIG_SM2, SM2_DEFAULT_ID, k, msg, strlen(msg), sig, 72), 0);
	/* another ID, message or signature byte */
	assert_int_equal(cp_verify(CP_SIG_SM2, "1234567812345679", k, msg, strlen(msg), sig, 72),
			 CP_ERR_INTEGRITY);
	assert_int_equal(cp_verify(CP_SIG_SM2, SM2_DEFAULT_ID, k, msg, strlen(msg) - 1, sig, 72),
			 CP_ERR_INTEGRITY);
	sig[40] ^= 1;
	assert_int_equal(cp_verify(CP_SIG_SM2, SM2_DEFAULT_ID, k, msg, strlen(msg), sig, 72),
			 CP_ERR_INTEGRITY);
	assert_string_equal(cp_errmsg(), "the signature does not verify");
	sig[40] ^= 1;
	assert_int_equal(cp_verify(CP_SIG_SM2, SM2_DEFAULT_ID, k, msg, strlen(msg), sig, 71),
			 CP_ERR_INTEGRITY);
	/* an SM2 signature needs an ID; an ECDSA verify does not take an SM2 key */
	assert_int_equal(cp_verify(CP_SIG_SM2, "", k, msg, strlen(msg), sig, 72), CP_ERR_INVALID);
	assert_int_equal(cp_verify(CP_SIG_SM2, NULL, k, msg, strlen(msg), sig, 72), CP_ERR_INVALID);
	assert_int_equal(cp_verify(CP_SIG_ECDSA_P256, NULL, k, msg, strlen(msg), sig, 72),
			 CP_ERR_INVALID);
	/* the DER SubjectPublicKeyInfo is the PEM's base64 body: 91 bytes, the point at 26 */
	assert_int_equal(cp_pkey_public_der(k, &der), 0);
	assert_int_equal(der.len, 91);
	assert_hex(der.data + 26, 65,
		   "0409F9DF311E5421A150DD7D161E4BC5C672179FAD1833FC076BB08FF356F35020"
		   "CCEA490CE26775A52DC6EA718CC1AA600AED05FBF35E084A6632F6072DA9AD13");
	buf_release(&der);
	/* PEM out is PEM in */
	der = (struct buf)BUF_INIT(4096);
	assert_int_equal(cp_pkey_public_pem(k, &der), 0);
	assert_int_equal(der.len, strlen(gm_pub));
	assert_memory_equal(der.data, gm_pub, der.len);
	buf_release(&der);
	cp_pkey_free(k);
}

/* An RSA-PSS signature is PSS with SHA-256 and a 32-byte salt, as `openssl dgst -sha256
 * -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:digest` checks it; not PKCS#1 v1.5. */
static int
rsa_verifies(struct evp_pkey_st *k, int pss, const char *msg, const struct buf *sig)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	int ok;

	assert_int_equal(EVP_DigestVerifyInit(ctx, &pctx, EVP_sha256(), NULL, k), 1);
	if (pss) {
		assert_true(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) > 0);
		assert_true(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 32) > 0);
	}
	ok = EVP_DigestVerify(ctx, sig->data, sig->len, (const unsigned char *)msg, strlen(msg));
	EVP_MD_CTX_free(ctx);
	return ok == 1;
}

static void
test_sign_verify(void **state)
{
	static const enum cp_sig algs[] = {CP_SIG_SM2, CP_SIG_ECDSA_P256, CP_SIG_RSA_PSS};
	static const char *const types[] = {"SM2", "EC", "RSA"};
	const char msg[] = "<BankReconciliation/>";
	char dir[] = "/tmp/cp-sign-XXXXXX", path[64], curve[64];

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/key.pem", dir);
	for (size_t i = 0; i < 3; i++) {
		struct evp_pkey_st *k = NULL, *back = NULL, *pub = NULL;
		struct buf sig, pem = BUF_INIT(1 << 16), other;
		unsigned char *data;
		size_t len;
		struct stat st;

		assert_int_equal(cp_pkey_generate(algs[i], &k), 0);
		assert_string_equal(cp_pkey_type(k), types[i]);
		assert_true(cp_pkey_is_a(k, types[i]));
		for (size_t j = 0; j < 3; j++)
			assert_int_equal(cp_pkey_fits(k, algs[j]), i == j);
		cp_pkey_curve(k, curve, sizeof(curve));
		assert_string_equal(curve, i == 0 ? "SM2" : i == 1 ? "prime256v1" : "");

		/* the private key through a 0600 PEM file, the public one through PEM */
		assert_int_equal(cp_pkey_save_private_pem(k, path), 0);
		assert_int_equal(stat(path, &st), 0);
		assert_int_equal(st.st_mode & 0777, 0600);
		assert_int_equal(fs_read_file(path, 1 << 16, &data, &len), 0);
		assert_non_null(strstr((char *)data, "-----BEGIN PRIVATE KEY-----"));
		assert_int_equal(cp_pkey_read_private_pem(data, len, &back), 0);
		free(data);
		assert_int_equal(unlink(path), 0);
		/* DER: the private key whole, the public one with a byte too many */
		{
			static const size_t bits[] = {256, 256, 3072};
			struct evp_pkey_st *d = NULL;
			struct buf pd = BUF_INIT(1 << 16);
			unsigned char *der;
			size_t dn, used;

			assert_int_equal(cp_pkey_bits(k), bits[i]);
			assert_int_equal(cp_pkey_private_der(k, &der, &dn), 0);
			assert_int_equal(cp_pkey_read_der(der, dn, 1, &d, &used), 0);
			assert_int_equal(used, dn);
			assert_true(cp_pkey_fits(d, algs[i]));
			cp_pkey_free(d);
			assert_int_equal(cp_pkey_read_der(der, dn, 0, &d, &used), CP_ERR_FORMAT);
			assert_null(d);
			cp_secure_free(der, dn);
			assert_int_equal(cp_pkey_public_der(k, &pd), 0);
			assert_int_equal(buf_putc(&pd, 0), 0);
			assert_int_equal(cp_pkey_read_der(pd.data, pd.len, 0, &d, &used), 0);
			assert_int_equal(used, pd.len - 1);
			cp_pkey_free(d);
			buf_release(&pd);
		}
		assert_int_equal(cp_pkey_public_pem(k, &pem), 0);
		assert_int_equal(cp_pkey_read_public_pem(pem.data, pem.len, &pub), 0);
		assert_int_equal(
			cp_pkey_read_private_pem(pem.data, pem.len, &(struct evp_pkey_st *){0}),
			CP_ERR_FORMAT);

		assert_int_equal(cp_sign(algs[i], SM2_DEFAULT_ID, back, msg, strlen(msg), &sig), 0);
		assert_true(sig.len > 0 && sig.data[sig.len] == '\0');
		assert_int_equal(cp_verify(algs[i], SM2_DEFAULT_ID, pub, msg, strlen(msg), sig.data,
					   sig.len),
				 0);
		assert_int_equal(cp_verify(algs[i], SM2_DEFAULT_ID, k, msg, strlen(msg) - 1,
					   sig.data, sig.len),
				 CP_ERR_INTEGRITY);
		if (algs[i] == CP_SIG_RSA_PSS) {
			assert_int_equal(sig.len, 384);
			assert_true(rsa_verifies(pub, 1, msg, &sig));
			assert_false(rsa_verifies(pub, 0, msg, &sig));
		}
		/* another key of the same kind does not verify it */
		{
			struct evp_pkey_st *k2 = NULL;

			assert_int_equal(cp_pkey_generate(algs[i], &k2), 0);
			assert_int_equal(cp_verify(algs[i], SM2_DEFAULT_ID, k2, msg, strlen(msg),
						   sig.data, sig.len),
					 CP_ERR_INTEGRITY);
			cp_pkey_free(k2);
		}
		/* a key of another kind is refused before signing */
		assert_int_equal(
			cp_sign(algs[(i + 1) % 3], SM2_DEFAULT_ID, k, msg, strlen(msg), &other),
			CP_ERR_INVALID);
		buf_release(&sig);
		buf_release(&pem);
		cp_pkey_free(pub);
		cp_pkey_free(back);
		cp_pkey_free(k);
	}
	assert_int_equal(rmdir(dir), 0);
}

/* A signing key file that is encrypted is refused with that reason, without a prompt for its
 * passphrase (a nightly run has no one to answer it): PKCS#8 and the traditional form. */
static void
test_encrypted_private_key(void **state)
{
	struct evp_pkey_st *key = NULL, *k = (struct evp_pkey_st *)&k;

	(void)state;
	assert_int_equal(cp_pkey_generate(CP_SIG_ECDSA_P256, &key), 0);
	for (int traditional = 0; traditional < 2; traditional++) {
		BIO *bio = BIO_new(BIO_s_mem());
		char *pem;
		long n;

		assert_non_null(bio);
		assert_int_equal(
			traditional
				? PEM_write_bio_PrivateKey_traditional(bio, key, EVP_aes_256_cbc(),
								       NULL, 0, NULL,
								       (void *)"passphrase")
				: PEM_write_bio_PKCS8PrivateKey(bio, key, EVP_aes_256_cbc(), NULL,
								0, NULL, (void *)"passphrase"),
			1);
		n = BIO_get_mem_data(bio, &pem);
		assert_true(n > 0);
		assert_non_null(
			strstr(pem, traditional ? "ENCRYPTED" : "BEGIN ENCRYPTED PRIVATE KEY"));
		assert_int_equal(cp_pkey_read_private_pem(pem, (size_t)n, &k), CP_ERR_FORMAT);
		assert_null(k);
		assert_non_null(strstr(cp_errmsg(), "an encrypted PEM private key"));
		BIO_free(bio);
	}
	cp_pkey_free(key);
}

static void
test_bad_input(void **state)
{
	static const char junk[] = "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n";
	struct evp_pkey_st *k = (struct evp_pkey_st *)&k;
	struct buf sig;
	FILE *f;

	(void)state;
	assert_int_equal(cp_pkey_read_public_pem(junk, strlen(junk), &k), CP_ERR_FORMAT);
	assert_null(k);
	assert_non_null(strstr(cp_errmsg(), "not a PEM public key"));
	assert_int_equal(cp_pkey_read_private_pem("", 0, &k), CP_ERR_FORMAT);
	assert_non_null(strstr(cp_errmsg(), "not a PEM private key"));
	assert_int_equal(cp_pkey_generate((enum cp_sig)9, &k), CP_ERR_INVALID);
	assert_int_equal(cp_sign((enum cp_sig)9, NULL, NULL, "x", 1, &sig), CP_ERR_INVALID);
	assert_int_equal(cp_sign(CP_SIG_SM2, SM2_DEFAULT_ID, NULL, "x", 1, &sig), CP_ERR_INVALID);

	/* the first public key of a file, and a file without one */
	assert_non_null(f = tmpfile());
	fputs("comment line\n", f);
	fputs(gm_pub, f);
	rewind(f);
	assert_int_equal(cp_pkey_read_public_pem_file(f, &k), 0);
	assert_true(cp_pkey_fits(k, CP_SIG_SM2));
	cp_pkey_free(k);
	assert_int_equal(cp_pkey_read_public_pem_file(f, &k), CP_ERR_FORMAT);
	fclose(f);
	cp_pkey_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sm2_published),
		cmocka_unit_test(test_sign_verify),
		cmocka_unit_test(test_encrypted_private_key),
		cmocka_unit_test(test_bad_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
