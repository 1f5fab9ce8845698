/*
 * test_crypto_rsa.c - personalization/crypto/rsa.h on a generated 1024-bit key with e = 3:
 * the public operation is m^3 mod n (computed here by shift-and-add, without OpenSSL); the
 * private one undoes it, from the key or from its CRT numbers alone (as a card holds them);
 * a public key rebuilt from its numbers does the same; numbers come padded and are refused
 * when too long; cp_ossl_err() appends OpenSSL's reason; keys go to DER and back, and an
 * encrypted PEM opens with its passphrase only.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/buf.h"
#include "core/err.h"
#include "personalization/crypto/rsa.h"
#include "personalization/crypto/secmem.h"
#include "personalization/crypto/sign.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdlib.h>
#include <string.h>

/* acc -= n when acc (with carry, the bit above its top byte) is at least n: acc < 2n
 * comes back below n */
static void
reduce_once(unsigned char *acc, unsigned carry, const unsigned char *n, size_t len)
{
	int ge = 1;
	unsigned borrow = 0;

	for (size_t j = 0; j < len && !carry; j++)
		if (acc[j] != n[j]) {
			ge = acc[j] > n[j];
			break;
		}
	if (!carry && !ge)
		return;
	for (size_t j = len; j-- > 0;) {
		int v = acc[j] - n[j] - (int)borrow;

		borrow = v < 0;
		acc[j] = (unsigned char)v;
	}
}

/* x * y mod n on big-endian bytes, by shift and add (slow, independent of OpenSSL) */
static void
mulmod(const unsigned char *x, const unsigned char *y, const unsigned char *n, size_t len,
       unsigned char *out)
{
	unsigned char acc[256] = {0};

	for (size_t i = 0; i < len * 8; i++) {
		unsigned carry = 0;

		/* acc = 2 * acc mod n */
		for (size_t j = len; j-- > 0;) {
			unsigned v = (unsigned)acc[j] << 1 | carry;

			acc[j] = (unsigned char)v;
			carry = v >> 8;
		}
		reduce_once(acc, carry, n, len);
		/* acc += x when bit i of y (from the top) is set, mod n */
		if (y[i / 8] & (0x80 >> (i % 8))) {
			carry = 0;
			for (size_t j = len; j-- > 0;) {
				unsigned v = (unsigned)acc[j] + x[j] + carry;

				acc[j] = (unsigned char)v;
				carry = v >> 8;
			}
			reduce_once(acc, carry, n, len);
		}
	}
	memcpy(out, acc, len);
}

static void
test_raw(void **state)
{
	struct evp_pkey_st *k = NULL, *pub = NULL;
	unsigned char n[128], e[3], m[128], c[128], back[128], sq[128], cube[128], p[64];
	int bits, ebits;

	(void)state;
	assert_int_equal(cp_rsa_generate(1024, 3, &k), 0);
	assert_int_equal(cp_rsa_size(k), 128);
	assert_int_equal(cp_rsa_num(k, CP_RSA_N, NULL, 0, &bits), 0);
	assert_int_equal(bits, 1024);
	assert_int_equal(cp_rsa_num(k, CP_RSA_N, n, sizeof(n), &bits), 0);
	assert_true(n[0] & 0x80);
	assert_int_equal(cp_rsa_num(k, CP_RSA_E, e, 1, &ebits), 0);
	assert_int_equal(ebits, 2);
	assert_int_equal(e[0], 3);
	/* a number longer than the room given, a CRT part padded to half the modulus */
	assert_int_equal(cp_rsa_num(k, CP_RSA_N, n, 127, &bits), CP_ERR_LIMIT);
	assert_int_equal(cp_rsa_num(k, CP_RSA_P, p, sizeof(p), &bits), 0);
	assert_int_equal(bits, 512);
	assert_string_equal(cp_rsa_num_name(CP_RSA_QINV), "rsa-coefficient1");

	/* the public operation is m^3 mod n; the private one undoes it */
	for (size_t i = 0; i < sizeof(m); i++)
		m[i] = (unsigned char)(0x6A ^ i);
	m[0] = 0x00;
	assert_int_equal(cp_rsa_from_ne(n, sizeof(n), e, 1, &pub), 0);
	assert_true(cp_pkey_is_a(pub, "RSA"));
	assert_int_equal(cp_rsa_public_raw(pub, m, sizeof(m), c), 0);
	mulmod(m, m, n, sizeof(m), sq);
	mulmod(sq, m, n, sizeof(m), cube);
	assert_memory_equal(c, cube, sizeof(c));
	assert_int_equal(cp_rsa_private_raw(k, c, sizeof(c), back), 0);
	assert_memory_equal(back, m, sizeof(m));
	/* the CRT numbers alone (as a card holds them) do the same private operation */
	{
		static const enum cp_rsa_num w[5] = {CP_RSA_P, CP_RSA_Q, CP_RSA_DP, CP_RSA_DQ,
						     CP_RSA_QINV};
		unsigned char crt[5][64], crt_out[128];
		struct cp_rsa_crt ck;

		for (int i = 0; i < 5; i++)
			assert_int_equal(cp_rsa_num(k, w[i], crt[i], 64, &bits), 0);
		ck = (struct cp_rsa_crt){crt[0], crt[1], crt[2], crt[3], crt[4], 64};
		assert_int_equal(cp_rsa_crt_raw(&ck, c, crt_out), 0);
		assert_memory_equal(crt_out, m, sizeof(m));
		/* a wrong dP gives another result */
		crt[2][63] ^= 2;
		assert_int_equal(cp_rsa_crt_raw(&ck, c, crt_out), 0);
		assert_memory_not_equal(crt_out, m, sizeof(m));
		ck.half = 0;
		assert_int_equal(cp_rsa_crt_raw(&ck, c, crt_out), CP_ERR_CRYPTO);
	}
	/* a public key cannot do the private operation */
	assert_int_equal(cp_rsa_private_raw(pub, c, sizeof(c), back), CP_ERR_CRYPTO);
	assert_int_equal(cp_ossl_err(CP_ERR_CRYPTO, "RSA private operation %s", "failed"),
			 CP_ERR_CRYPTO);
	assert_non_null(strstr(cp_errmsg(), "RSA private operation failed: "));
	cp_pkey_free(pub);
	cp_pkey_free(k);
	/* without a queued reason, the text alone */
	assert_int_equal(cp_ossl_err(CP_ERR_INVALID, "plain %d", 1), CP_ERR_INVALID);
	assert_string_equal(cp_errmsg(), "plain 1");
}

/* A passphrase source: the text in arg, or giving up when it is NULL; counts its calls. */
static int pass_calls;

static int
pass_from(char *buf, int size, void *arg)
{
	const char *p = arg;

	pass_calls++;
	if (!p || (int)strlen(p) >= size)
		return -1;
	memcpy(buf, p, strlen(p));
	return (int)strlen(p);
}

static void
test_key_objects(void **state)
{
	struct evp_pkey_st *k = NULL, *back = NULL, *pub = NULL;
	unsigned char *der;
	struct buf pd = BUF_INIT(BUF_UNLIMITED);
	size_t dn, used;
	struct buf pem = BUF_INIT(1 << 16);
	EVP_PKEY *ek;
	BIO *bio;
	char *p;
	long n;

	(void)state;
	assert_int_equal(cp_rsa_generate(1024, 65537, &k), 0);
	assert_int_equal(cp_rsa_check(k), 0);
	/* private DER (secure memory) back to the key, public DER back to a public key */
	assert_int_equal(cp_pkey_private_der(k, &der, &dn), 0);
	assert_int_equal(cp_pkey_read_der(der, dn, 1, &back, &used), 0);
	assert_int_equal(used, dn);
	assert_int_equal(cp_rsa_check(back), 0);
	cp_secure_free(der, dn);
	assert_int_equal(cp_pkey_public_der(k, &pd), 0);
	assert_int_equal(cp_pkey_read_der(pd.data, pd.len, 0, &pub, &used), 0);
	assert_int_equal(used, pd.len);
	assert_int_equal(
		cp_pkey_read_der(pd.data, pd.len - 1, 0, &(struct evp_pkey_st *){0}, &used),
		CP_ERR_FORMAT);
	cp_ossl_clear();
	buf_release(&pd);
	cp_pkey_free(pub);
	cp_pkey_free(back);

	/* an encrypted PKCS#8 PEM: read with the right passphrase only */
	ek = (EVP_PKEY *)k;
	bio = BIO_new(BIO_s_mem());
	assert_int_equal(PEM_write_bio_PKCS8PrivateKey(bio, ek, EVP_aes_256_cbc(), NULL, 0, NULL,
						       (void *)"s3cret"),
			 1);
	n = BIO_get_mem_data(bio, &p);
	assert_int_equal(buf_append(&pem, p, (size_t)n), 0);
	BIO_free(bio);
	pass_calls = 0;
	assert_int_equal(cp_pkey_read_private_pem_pass(pem.data, pem.len, pass_from,
						       (void *)"s3cret", &back),
			 0);
	assert_int_equal(pass_calls, 1);
	assert_int_equal(cp_rsa_check(back), 0);
	cp_pkey_free(back);
	assert_int_equal(
		cp_pkey_read_private_pem_pass(pem.data, pem.len, pass_from, (void *)"wrong", &back),
		CP_ERR_FORMAT);
	assert_null(back);
	assert_int_equal(cp_pkey_read_private_pem_pass(pem.data, pem.len, pass_from, NULL, &back),
			 CP_ERR_FORMAT);
	assert_int_equal(cp_pkey_read_private_pem_pass("no key", 6, pass_from, NULL, &back),
			 CP_ERR_FORMAT);
	cp_ossl_clear();
	buf_release(&pem);
	cp_pkey_free(k);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_raw),
		cmocka_unit_test(test_key_objects),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
