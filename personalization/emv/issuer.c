/*
 * issuer.c - EMV CA keys, issuer key pairs and issuer certificates in the key store (see
 * issuer.h and docs/keys.md).
 *
 * An EMVCERT entry (the issuer certificate) is the record
 *   01 (version) || RID (5) || CA index (1) || Lc (1) || certificate (tag 90, Lc bytes)
 *   || Lr (1) || remainder (tag 92, Lr bytes) || Le (1) || exponent (tag 9F32, Le bytes)
 */
#include "personalization/emv/issuer.h"

#include "core/buf.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/err.h"
#include "core/fsutil.h"
#include "core/hex.h"
#include "core/log.h"
#include "core/mem.h"
#include "personalization/crypto/random.h"
#include "personalization/crypto/rsa.h"
#include "personalization/crypto/secmem.h"
#include "personalization/crypto/sign.h"
#include "personalization/keys/keystore.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CERT_REC_VERSION 1
#define CERT_FILE_MAX 8192
#define TEST_CERT_YEARS 10

/* ---- names and parsing ---- */

void
emv_ca_key_name(const unsigned char rid[EMV_RID_LEN], unsigned char index, char *out, size_t size)
{
	char h[2 * EMV_RID_LEN + 1];

	hex_encode(rid, EMV_RID_LEN, h);
	snprintf(out, size, "emv.ca.%s.%02X", h, index);
}

void
emv_issuer_key_name(const char *bank, char *out, size_t size)
{
	snprintf(out, size, "emv.issuer.%s", bank);
}

static void
emv_issuer_cert_name(const char *bank, char *out, size_t size)
{
	snprintf(out, size, "emv.issuer_cert.%s", bank);
}

static int
parse_hex_exact(const char *what, const char *s, unsigned char *out, size_t n)
{
	if (strlen(s) != 2 * n || strspn(s, "0123456789abcdefABCDEF") != 2 * n ||
	    hex_decode(s, out, n) != (int)n)
		return cp_err(CP_ERR_USAGE, "%s '%s': needs %zu hex digits", what, s, 2 * n);
	return 0;
}

int
emv_parse_rid(const char *s, unsigned char rid[EMV_RID_LEN])
{
	return parse_hex_exact("RID", s, rid, EMV_RID_LEN);
}

int
emv_parse_ca_index(const char *s, unsigned char *index)
{
	return parse_hex_exact("CA index", s, index, 1);
}

static int
check_bank(const char *bank)
{
	size_t n = strlen(bank);

	if (n == 0 || n > EMV_BANK_MAX)
		return cp_err(CP_ERR_USAGE, "bank name of 1 to %d characters", EMV_BANK_MAX);
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)bank[i]) && bank[i] != '-' && bank[i] != '_')
			return cp_err(CP_ERR_USAGE, "bank '%s': letters, digits, '-', '_' only",
				      bank);
	return 0;
}

int
emv_bank_bin(const struct config *cfg, const char *bank, char *out, size_t size)
{
	char *dup = xstrdup(config_str(cfg, "banks.bins")), *save = NULL;
	size_t bl = strlen(bank);
	int r = CP_ERR_NOTFOUND;

	for (char *t = strtok_r(dup, ", ", &save); t; t = strtok_r(NULL, ", ", &save))
		if (!strncmp(t, bank, bl) && t[bl] == ':') {
			size_t n = strlen(t + bl + 1);

			r = n >= 3 && n < size && strspn(t + bl + 1, "0123456789") == n
				    ? 0
				    : cp_err(CP_ERR_CONFIG,
					     "banks.bins, bank '%s': BIN '%s' is not 3 to %zu "
					     "digits",
					     bank, t + bl + 1, size - 1);
			if (r == 0)
				memcpy(out, t + bl + 1, n + 1);
			break;
		}
	free(dup);
	if (r == CP_ERR_NOTFOUND)
		return cp_err(CP_ERR_CONFIG, "banks.bins has no BIN for bank '%s'", bank);
	return r;
}

int
emv_bank_issuer_id(const struct config *cfg, const char *bank, unsigned char out[4])
{
	char bin[24];
	int r;

	if ((r = emv_bank_bin(cfg, bank, bin, sizeof(bin))) < 0)
		return r;
	if ((r = emv_issuer_id(bin, out)) < 0)
		return cp_err_wrap(r, "banks.bins, bank '%s': ", bank);
	return 0;
}

/* Book 2 §5.3 step 8: the digits of the issuer identifier up to its first F nibble (3 to
 * 8, then only F padding) must be the leftmost digits of digits (a PAN or a BIN). */
static int
id_prefix_check(const unsigned char id[4], const char *digits)
{
	char d[9];
	size_t n = 0, i;

	for (i = 0; i < 8; i++) {
		unsigned v = i % 2 ? id[i / 2] & 15u : id[i / 2] >> 4;

		if (v == 15)
			break;
		if (v > 9)
			return cp_err(
				CP_ERR_INVALID,
				"issuer identifier %02X%02X%02X%02X: nibble %zu is not a digit",
				id[0], id[1], id[2], id[3], i + 1);
		d[n++] = (char)('0' + v);
	}
	d[n] = '\0';
	for (; i < 8; i++)
		if ((i % 2 ? id[i / 2] & 15u : id[i / 2] >> 4) != 15)
			return cp_err(CP_ERR_INVALID,
				      "issuer identifier %02X%02X%02X%02X: a digit after the F "
				      "padding",
				      id[0], id[1], id[2], id[3]);
	if (n < 3)
		return cp_err(CP_ERR_INVALID,
			      "issuer identifier %02X%02X%02X%02X: fewer than 3 digits", id[0],
			      id[1], id[2], id[3]);
	if (strncmp(d, digits, n) != 0)
		return cp_err(CP_ERR_INVALID,
			      "issuer identifier %s is not a prefix of %s (EMV Book 2 5.3 step 8)",
			      d, digits);
	return 0;
}

int
emv_issuer_check_pan_prefix(const struct emv_issuer *is, const char *bin_or_pan)
{
	size_t n = strlen(bin_or_pan);

	if (n < 3 || n > 19 || strspn(bin_or_pan, "0123456789") != n)
		return cp_err(CP_ERR_INVALID,
			      "bank '%s': '%s' is not a BIN or PAN of 3 to 19 digits", is->bank,
			      bin_or_pan);
	if (id_prefix_check(is->issuer_id, bin_or_pan) < 0)
		return cp_err_wrap(
			CP_ERR_INVALID,
			"bank '%s': the issuer certificate does not cover this card: ", is->bank);
	return 0;
}

/* ---- certificate record ---- */

static size_t
cert_record(const unsigned char rid[EMV_RID_LEN], unsigned char index, const struct emv_cert *c,
	    unsigned char *out)
{
	size_t n = 0;

	out[n++] = CERT_REC_VERSION;
	memcpy(out + n, rid, EMV_RID_LEN);
	n += EMV_RID_LEN;
	out[n++] = index;
	out[n++] = (unsigned char)c->cert_len;
	memcpy(out + n, c->cert, c->cert_len);
	n += c->cert_len;
	out[n++] = (unsigned char)c->remainder_len;
	memcpy(out + n, c->remainder, c->remainder_len);
	n += c->remainder_len;
	out[n++] = (unsigned char)c->exponent_len;
	memcpy(out + n, c->exponent, c->exponent_len);
	return n + c->exponent_len;
}

/* One length-prefixed field of a record. */
static int
rec_field(const unsigned char *v, size_t len, size_t *off, unsigned char *out, size_t max,
	  size_t *outlen)
{
	size_t l;

	if (*off >= len)
		return -1;
	l = v[(*off)++];
	if (l > max || *off + l > len)
		return -1;
	memcpy(out, v + *off, l);
	*off += l;
	*outlen = l;
	return 0;
}

static int
cert_record_parse(const char *name, const unsigned char *v, size_t len,
		  unsigned char rid[EMV_RID_LEN], unsigned char *index, struct emv_cert *c)
{
	size_t off = 2 + EMV_RID_LEN;

	memset(c, 0, sizeof(*c));
	if (len < off || v[0] != CERT_REC_VERSION ||
	    rec_field(v, len, &off, c->cert, EMV_RSA_MAX_BYTES, &c->cert_len) < 0 ||
	    rec_field(v, len, &off, c->remainder, EMV_RSA_MAX_BYTES, &c->remainder_len) < 0 ||
	    rec_field(v, len, &off, c->exponent, EMV_EXP_MAX, &c->exponent_len) < 0 || off != len)
		return cp_err(CP_ERR_FORMAT, "key store entry '%s' is not an issuer certificate",
			      name);
	memcpy(rid, v + 1, EMV_RID_LEN);
	*index = v[1 + EMV_RID_LEN];
	return 0;
}

/* ---- CA keys ---- */

int
emv_ca_get(const struct keystore *ks, const unsigned char rid[EMV_RID_LEN], unsigned char index,
	   struct emv_pubkey *out)
{
	char name[KEY_NAME_MAX + 1];
	struct evp_pkey_st *pk = NULL;
	int r;

	emv_ca_key_name(rid, index, name, sizeof(name));
	if (!keystore_has(ks, name))
		return cp_err(CP_ERR_NOTFOUND,
			      "no CA key '%s' in the key store: import the scheme's CA public key "
			      "with 'cardpipe keys ca import'",
			      name);
	if ((r = keystore_get_pkey(ks, name, &pk)) < 0)
		return r;
	r = emv_pubkey_from_pkey(pk, out);
	cp_pkey_free(pk);
	return r < 0 ? cp_err_wrap(r, "CA key '%s': ", name) : 0;
}

static int
entry_alg(const struct keystore *ks, const char *name, enum key_alg *alg)
{
	for (size_t i = 0; i < keystore_count(ks); i++) {
		struct key_info ki;

		keystore_info(ks, i, &ki);
		if (!strcmp(ki.name, name)) {
			*alg = ki.alg;
			return 1;
		}
	}
	return 0;
}

int
emv_ca_put_public(struct keystore *ks, const unsigned char rid[EMV_RID_LEN], unsigned char index,
		  const struct evp_pkey_st *pub)
{
	char name[KEY_NAME_MAX + 1];
	struct emv_pubkey k;
	struct buf der = BUF_INIT(BUF_UNLIMITED);
	enum key_alg alg;
	int r;

	emv_ca_key_name(rid, index, name, sizeof(name));
	if (entry_alg(ks, name, &alg) && alg == KEY_RSA)
		return cp_err(CP_ERR_EXISTS,
			      "'%s' is the TEST ONLY CA's key pair; it is not replaced by an "
			      "imported public key",
			      name);
	if ((r = emv_pubkey_from_pkey(pub, &k)) < 0 ||
	    (r = emv_check_bits("CA", (unsigned)k.modulus_len * 8)) < 0)
		return cp_err_wrap(r, "CA key '%s': ", name);
	if (cp_pkey_public_der(pub, &der) < 0)
		r = cp_err_wrap(CP_ERR_CRYPTO, "CA key '%s': ", name);
	else
		r = keystore_put_blob(ks, name, KEY_RSA_PUB, der.data, der.len);
	buf_release(&der);
	return r;
}

/* ---- issuer key pair ---- */

#define KEY_FILE_MAX (64 * 1024)
#define PASS_MAX 1024

static int
put_pair(struct keystore *ks, const char *bank, struct evp_pkey_st *pk)
{
	char name[KEY_NAME_MAX + 1], cname[KEY_NAME_MAX + 1];
	unsigned char *der = NULL;
	size_t dn;
	int r;

	emv_issuer_key_name(bank, name, sizeof(name));
	emv_issuer_cert_name(bank, cname, sizeof(cname));
	if (cp_pkey_private_der(pk, &der, &dn) < 0)
		return cp_ossl_err(CP_ERR_CRYPTO, "issuer key of bank '%s' does not encode", bank);
	r = keystore_put_blob(ks, name, KEY_RSA, der, dn);
	cp_secure_free(der, dn);
	/* a new key pair makes the old certificate wrong */
	if (r == 0 && keystore_has(ks, cname)) {
		r = keystore_remove(ks, cname);
		log_warn("keys",
			 "issuer key of bank '%s' replaced: its certificate '%s' was removed", bank,
			 cname);
	}
	return r;
}

/* Before a key pair is made or read: the bank has none, or the caller replaces it. */
static int
pair_may_be_put(const struct keystore *ks, const char *bank, const struct emv_issuer_opts *o)
{
	char name[KEY_NAME_MAX + 1];
	int r;

	if ((r = check_bank(bank)) < 0)
		return r;
	emv_issuer_key_name(bank, name, sizeof(name));
	if (keystore_has(ks, name) && !(o && o->replace))
		return cp_err(CP_ERR_EXISTS,
			      "bank '%s' already has an issuer key pair ('%s'); replacing it also "
			      "removes its certificate: give --replace to do so",
			      bank, name);
	return 0;
}

/* The longest CA key of rid in the store (0 when there is none). */
static int
longest_ca(const struct keystore *ks, const unsigned char rid[EMV_RID_LEN], size_t *len)
{
	char prefix[KEY_NAME_MAX + 1];
	size_t pl;

	emv_ca_key_name(rid, 0, prefix, sizeof(prefix));
	pl = strlen(prefix) - 2; /* "emv.ca.<RID>." */
	*len = 0;
	for (size_t i = 0; i < keystore_count(ks); i++) {
		struct key_info ki;
		struct emv_pubkey k;
		struct evp_pkey_st *pk = NULL;
		int r;

		keystore_info(ks, i, &ki);
		if (strncmp(ki.name, prefix, pl) != 0 ||
		    (ki.alg != KEY_RSA && ki.alg != KEY_RSA_PUB))
			continue;
		if ((r = keystore_get_pkey(ks, ki.name, &pk)) < 0)
			return r;
		r = emv_pubkey_from_pkey(pk, &k);
		cp_pkey_free(pk);
		if (r < 0)
			return cp_err_wrap(r, "CA key '%s': ", ki.name);
		if (k.modulus_len > *len)
			*len = k.modulus_len;
	}
	return 0;
}

/* An issuer key of n bytes: some CA key of the RID (when the store has any) must be able
 * to certify it; below the default ICC size, DDA/CDA cards need shorter ICC keys. */
static int
issuer_size_check(const struct keystore *ks, const char *bank, size_t n,
		  const struct emv_issuer_opts *o)
{
	unsigned char rid[EMV_RID_LEN];
	size_t ca = 0;
	int r;

	if (o && o->rid)
		memcpy(rid, o->rid, EMV_RID_LEN);
	else if ((r = emv_parse_rid(EMV_RID_PBOC, rid)) < 0)
		return r;
	if ((r = emv_check_bits("issuer", (unsigned)n * 8)) < 0 ||
	    (r = longest_ca(ks, rid, &ca)) < 0)
		return r;
	if (ca && n > ca)
		return cp_err(CP_ERR_INVALID,
			      "issuer key of %zu bits is longer than every CA key of RID "
			      "%02X%02X%02X%02X%02X in the key store (the longest has %zu bits): "
			      "no such CA can certify it",
			      n * 8, rid[0], rid[1], rid[2], rid[3], rid[4], ca * 8);
	if (n * 8 < EMV_DEFAULT_ICC_BITS)
		log_warn("keys",
			 "issuer key of bank '%s' has %zu bits, less than the default ICC key "
			 "(%d bits): its DDA/CDA cards need ICC keys of at most %zu bits",
			 bank, n * 8, EMV_DEFAULT_ICC_BITS, n * 8);
	return 0;
}

int
emv_issuer_generate(struct keystore *ks, const char *bank, unsigned bits, unsigned long exponent,
		    const struct emv_issuer_opts *o)
{
	struct evp_pkey_st *pk = NULL;
	int r;

	if ((r = pair_may_be_put(ks, bank, o)) < 0 || (r = emv_check_bits("issuer", bits)) < 0 ||
	    (r = issuer_size_check(ks, bank, bits / 8, o)) < 0 ||
	    (r = emv_rsa_generate(bits, exponent, &pk)) < 0)
		return r;
	r = put_pair(ks, bank, pk);
	cp_pkey_free(pk);
	return r;
}

/* The passphrase source of one PEM read, and whether the PEM asked for it. */
struct pass_ctx {
	emv_pass_fn fn;
	void *arg;
	int asked;
	int r; /* the source's error, if it failed */
};

static int
pem_pass(char *buf, int size, void *u)
{
	struct pass_ctx *pc = u;
	char *p;
	size_t n;

	pc->asked = 1;
	if (!pc->fn) {
		pc->r = cp_err(CP_ERR_USAGE,
			       "the key file is encrypted and no passphrase was given");
		return -1;
	}
	p = cp_secure_zalloc(PASS_MAX);
	if ((pc->r = pc->fn(p, PASS_MAX, pc->arg)) < 0) {
		cp_secure_free(p, PASS_MAX);
		return -1;
	}
	n = strnlen(p, PASS_MAX);
	if (n == 0 || n >= (size_t)size) {
		pc->r = cp_err(CP_ERR_INVALID, "passphrase of %zu characters (1 to %d)", n,
			       size - 1);
		cp_secure_free(p, PASS_MAX);
		return -1;
	}
	memcpy(buf, p, n);
	cp_secure_free(p, PASS_MAX);
	return (int)n;
}

/* The key file, opened without following a link, checked as private to this user and
 * read into secure memory (*len bytes; cp_secure_free(*out, KEY_FILE_MAX + 1)). */
static int
read_private_file(const char *path, unsigned char **out, size_t *len)
{
	struct stat st;
	unsigned char *b;
	size_t n = 0;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY), r = 0;

	*out = NULL;
	if (fd < 0)
		return cp_err(errno == ENOENT  ? CP_ERR_NOTFOUND
			      : errno == ELOOP ? CP_ERR_PERM
					       : CP_ERR_IO,
			      "key file '%s': %s%s", path, strerror(errno),
			      errno == ELOOP ? " (a symbolic link is not followed)" : "");
	if (fstat(fd, &st) != 0) {
		r = cp_err(CP_ERR_IO, "key file '%s': %s", path, strerror(errno));
	} else if (!S_ISREG(st.st_mode) || (st.st_mode & 077) || st.st_uid != geteuid()) {
		r = cp_err(CP_ERR_PERM,
			   "key file '%s' must be a regular file private to you (owner uid %u, "
			   "mode 0600 or 0400), not uid %u mode %04o",
			   path, (unsigned)geteuid(), (unsigned)st.st_uid,
			   (unsigned)(st.st_mode & 07777));
	} else if (st.st_size > KEY_FILE_MAX) {
		r = cp_err(CP_ERR_LIMIT, "key file '%s' is larger than %d bytes", path,
			   KEY_FILE_MAX);
	}
	if (r < 0) {
		close(fd);
		return r;
	}
	b = cp_secure_zalloc(KEY_FILE_MAX + 1);
	for (ssize_t got; n < KEY_FILE_MAX; n += (size_t)got) {
		got = read(fd, b + n, KEY_FILE_MAX - n);
		if (got < 0 && errno == EINTR) {
			got = 0;
			continue;
		}
		if (got < 0) {
			r = cp_err(CP_ERR_IO, "key file '%s': %s", path, strerror(errno));
			break;
		}
		if (got == 0)
			break;
	}
	close(fd);
	if (r < 0) {
		cp_secure_free(b, KEY_FILE_MAX + 1);
		return r;
	}
	*out = b;
	*len = n;
	return 0;
}

/* Parse the PEM private key of a file already in memory. *encrypted says whether the PEM
 * asked for a passphrase. */
static int
parse_private_pem(const char *path, const unsigned char *data, size_t len, emv_pass_fn pass,
		  void *arg, struct evp_pkey_st **pk, int *encrypted)
{
	struct pass_ctx pc = {pass, arg, 0, 0};

	if (cp_pkey_read_private_pem_pass(data, len, pem_pass, &pc, pk) == CP_ERR_NOMEM)
		return cp_ossl_err(CP_ERR_NOMEM, "key file '%s'", path);
	*encrypted = pc.asked;
	if (*pk) {
		cp_ossl_clear();
		return 0;
	}
	if (pc.r < 0) {
		cp_ossl_clear();
		return cp_err_wrap(pc.r, "key file '%s': ", path);
	}
	return cp_ossl_err(pc.asked ? CP_ERR_CRYPTO : CP_ERR_FORMAT,
			   pc.asked ? "key file '%s': cannot decrypt the private key (wrong "
				      "passphrase?)"
				    : "key file '%s' holds no PEM private key (encrypted PKCS#8, "
				      "'BEGIN ENCRYPTED PRIVATE KEY')",
			   path);
}

/* Unencrypted key files: refused on a production store, a warning on a TEST ONLY one. */
static int
clear_file_check(const struct keystore *ks, const char *path)
{
	if (!keystore_is_test(ks))
		return cp_err(CP_ERR_PERM,
			      "key file '%s' holds the private key unencrypted: a production key "
			      "store takes only an encrypted PKCS#8 file (e.g. 'openssl pkcs8 "
			      "-topk8 -v2 aes-256-cbc'); destroy the clear copy",
			      path);
	log_warn("keys",
		 "key file '%s' holds the private key unencrypted: accepted only because the key "
		 "store is TEST ONLY",
		 path);
	return 0;
}

int
emv_issuer_import_pem(struct keystore *ks, const char *bank, const char *path,
		      const struct emv_issuer_opts *o, emv_pass_fn pass, void *pass_arg)
{
	struct emv_pubkey pub;
	unsigned char *data = NULL;
	struct evp_pkey_st *pk = NULL;
	size_t len = 0;
	int encrypted = 0, r;

	if ((r = pair_may_be_put(ks, bank, o)) < 0 ||
	    (r = read_private_file(path, &data, &len)) < 0)
		return r;
	r = parse_private_pem(path, data, len, pass, pass_arg, &pk, &encrypted);
	cp_secure_free(data, KEY_FILE_MAX + 1);
	if (r < 0 || (!encrypted && (r = clear_file_check(ks, path)) < 0))
		goto out;
	if (!cp_pkey_is_a(pk, "RSA")) {
		r = cp_err(CP_ERR_INVALID, "key file '%s': not an RSA key", path);
		goto out;
	}
	if ((r = emv_pubkey_from_pkey(pk, &pub)) < 0 ||
	    (r = issuer_size_check(ks, bank, pub.modulus_len, o)) < 0) {
		r = cp_err_wrap(r, "key file '%s': ", path);
		goto out;
	}
	if (cp_rsa_check(pk) < 0) {
		r = cp_ossl_err(CP_ERR_CRYPTO, "key file '%s': the RSA key pair is not consistent",
				path);
		goto out;
	}
	r = put_pair(ks, bank, pk);
out:
	cp_pkey_free(pk);
	return r;
}

int
emv_issuer_pubkey(const struct keystore *ks, const char *bank, struct evp_pkey_st **out)
{
	char name[KEY_NAME_MAX + 1];
	struct evp_pkey_st *pk = NULL;
	struct buf der = BUF_INIT(BUF_UNLIMITED);
	size_t used;
	int r;

	*out = NULL;
	emv_issuer_key_name(bank, name, sizeof(name));
	if (!keystore_has(ks, name))
		return cp_err(CP_ERR_NOTFOUND,
			      "no issuer key '%s': make it with 'cardpipe keys issuer create "
			      "--bank %s' or import it",
			      name, bank);
	if ((r = keystore_get_pkey(ks, name, &pk)) < 0)
		return r;
	r = cp_pkey_public_der(pk, &der);
	cp_pkey_free(pk);
	if (r < 0) {
		buf_release(&der);
		return cp_err_wrap(CP_ERR_CRYPTO, "issuer key '%s': ", name);
	}
	r = cp_pkey_read_der(der.data, der.len, 0, out, &used);
	buf_release(&der);
	return r == 0 ? 0 : cp_err_wrap(CP_ERR_CRYPTO, "issuer key '%s' does not decode: ", name);
}

/* ---- certificates ---- */

/* 1 when MMYY (BCD) is before the current month. */
static int
expired(const unsigned char e[2])
{
	time_t now = cp_now();
	struct tm tm;
	int m = (e[0] >> 4) * 10 + (e[0] & 15), y = 2000 + (e[1] >> 4) * 10 + (e[1] & 15);

	gmtime_r(&now, &tm);
	return y < tm.tm_year + 1900 || (y == tm.tm_year + 1900 && m < tm.tm_mon + 1);
}

/* Recover c with the CA of the store and check it certifies pub and issuer_id. */
static int
cert_check(const struct keystore *ks, const char *bank, const unsigned char rid[EMV_RID_LEN],
	   unsigned char index, const struct emv_cert *c, const struct emv_pubkey *pub,
	   const char *bin, struct emv_cert_fields *f, size_t *ca_len)
{
	struct emv_pubkey ca;
	int r;

	if ((r = emv_ca_get(ks, rid, index, &ca)) < 0)
		return r;
	*ca_len = ca.modulus_len;
	if ((r = emv_check_chain("issuer key", pub->modulus_len, ca.modulus_len)) < 0 ||
	    (r = emv_issuer_cert_recover(&ca, c, f)) < 0)
		return r;
	if (f->key.modulus_len != pub->modulus_len ||
	    memcmp(f->key.modulus, pub->modulus, pub->modulus_len) != 0 ||
	    f->key.exponent_len != pub->exponent_len ||
	    memcmp(f->key.exponent, pub->exponent, pub->exponent_len) != 0)
		return cp_err(CP_ERR_INVALID,
			      "the certificate certifies another key than the issuer key of bank "
			      "'%s'",
			      bank);
	if (bin && id_prefix_check(f->id, bin) < 0)
		return cp_err_wrap(CP_ERR_INVALID,
				   "the certificate does not fit bank '%s''s BIN "
				   "(banks.bins): ",
				   bank);
	if (expired(f->expiry))
		return cp_err(CP_ERR_INVALID,
			      "the issuer certificate of bank '%s' expired %02X/%02X", bank,
			      f->expiry[0], f->expiry[1]);
	return 0;
}

int
emv_issuer_cert_put(struct keystore *ks, const struct config *cfg, const char *bank,
		    const unsigned char rid[EMV_RID_LEN], unsigned char index,
		    const struct emv_cert *c)
{
	char name[KEY_NAME_MAX + 1], bin[24];
	unsigned char rec[4 * EMV_RSA_MAX_BYTES];
	struct emv_cert_fields f;
	struct emv_pubkey pub;
	struct evp_pkey_st *pk = NULL;
	size_t ca_len, n;
	int r;

	if ((r = check_bank(bank)) < 0 || (r = emv_bank_bin(cfg, bank, bin, sizeof(bin))) < 0 ||
	    (r = emv_issuer_pubkey(ks, bank, &pk)) < 0)
		return r;
	r = emv_pubkey_from_pkey(pk, &pub);
	cp_pkey_free(pk);
	if (r < 0 || (r = cert_check(ks, bank, rid, index, c, &pub, bin, &f, &ca_len)) < 0)
		return cp_err_wrap(r, "issuer certificate of bank '%s': ", bank);
	emv_issuer_cert_name(bank, name, sizeof(name));
	n = cert_record(rid, index, c, rec);
	return keystore_put_blob(ks, name, KEY_EMV_CERT, rec, n);
}

/* One "name value" line of a certificate file into the certificate. */
static int
cert_file_line(const char *path, int lineno, char *line, unsigned char rid[EMV_RID_LEN],
	       unsigned char *index, struct emv_cert *c, unsigned *seen)
{
	char *save = NULL, *key = strtok_r(line, " \t", &save);
	char *val = key ? strtok_r(NULL, " \t", &save) : NULL;
	char *extra = val ? strtok_r(NULL, " \t", &save) : NULL;
	int n;

	if (!key || key[0] == '#')
		return 0;
	if (!val || extra)
		return cp_err(CP_ERR_FORMAT, "%s:%d: expected 'NAME HEX'", path, lineno);
	if (!strcmp(key, "rid")) {
		n = emv_parse_rid(val, rid);
		*seen |= 1;
	} else if (!strcmp(key, "ca-index")) {
		n = emv_parse_ca_index(val, index);
		*seen |= 2;
	} else if (!strcmp(key, "certificate")) {
		n = hex_decode(val, c->cert, sizeof(c->cert));
		c->cert_len = n > 0 ? (size_t)n : 0;
		*seen |= 4;
	} else if (!strcmp(key, "remainder")) {
		n = hex_decode(val, c->remainder, sizeof(c->remainder));
		c->remainder_len = n > 0 ? (size_t)n : 0;
	} else if (!strcmp(key, "exponent")) {
		n = hex_decode(val, c->exponent, sizeof(c->exponent));
		c->exponent_len = n > 0 ? (size_t)n : 0;
		*seen |= 8;
	} else
		return cp_err(CP_ERR_FORMAT,
			      "%s:%d: unknown field '%s' (rid, ca-index, certificate, remainder, "
			      "exponent)",
			      path, lineno, key);
	if (n < 0) {
		cp_err_clear();
		return cp_err(CP_ERR_FORMAT, "%s:%d: field '%s': not hex, or too long", path,
			      lineno, key);
	}
	return 0;
}

int
emv_issuer_cert_import(struct keystore *ks, const struct config *cfg, const char *bank,
		       const char *path)
{
	unsigned char *data = NULL, rid[EMV_RID_LEN], index = 0;
	struct emv_cert *c = xcalloc(1, sizeof(*c));
	size_t len = 0;
	unsigned seen = 0;
	int lineno = 0, r;

	if ((r = fs_read_file(path, CERT_FILE_MAX, &data, &len)) < 0)
		goto out;
	if (memchr(data, '\0', len)) {
		r = cp_err(CP_ERR_FORMAT, "%s: not a text file", path);
		goto out;
	}
	for (char *p = (char *)data, *nl; p && *p; p = nl) {
		if ((nl = strchr(p, '\n')))
			*nl++ = '\0';
		lineno++;
		p[strcspn(p, "\r")] = '\0';
		if ((r = cert_file_line(path, lineno, p, rid, &index, c, &seen)) < 0)
			goto out;
	}
	if (seen != 15) {
		r = cp_err(CP_ERR_FORMAT,
			   "%s: needs the fields rid, ca-index, certificate and "
			   "exponent (remainder when there is one)",
			   path);
		goto out;
	}
	if ((r = emv_issuer_cert_put(ks, cfg, bank, rid, index, c)) < 0)
		r = cp_err_wrap(r, "%s: ", path);
out:
	free(data);
	free(c);
	return r;
}

/* ---- loading for perso ---- */

void
emv_issuer_free(struct emv_issuer *is)
{
	if (!is)
		return;
	cp_pkey_free(is->key);
	free(is);
}

int
emv_issuer_load(const struct keystore *ks, const char *bank, struct emv_issuer **out)
{
	struct emv_issuer *is = xcalloc(1, sizeof(*is));
	char name[KEY_NAME_MAX + 1];
	struct emv_cert_fields f;
	struct key *k = NULL;
	int r;

	*out = NULL;
	if ((r = check_bank(bank)) < 0)
		goto out;
	snprintf(is->bank, sizeof(is->bank), "%s", bank);
	emv_issuer_key_name(bank, name, sizeof(name));
	if (!keystore_has(ks, name)) {
		r = cp_err(CP_ERR_NOTFOUND,
			   "no issuer key '%s' in the key store: 'cardpipe keys issuer create "
			   "--bank %s' (or import), then its certificate",
			   name, bank);
		goto out;
	}
	if ((r = keystore_get_pkey(ks, name, &is->key)) < 0 ||
	    (r = emv_pubkey_from_pkey(is->key, &is->pub)) < 0)
		goto out;
	emv_issuer_cert_name(bank, name, sizeof(name));
	if (!keystore_has(ks, name)) {
		r = cp_err(CP_ERR_NOTFOUND,
			   "no issuer certificate '%s' in the key store: export the issuer key "
			   "('cardpipe keys issuer export --bank %s') for the scheme's CA, then "
			   "'cardpipe keys issuer import-cert'",
			   name, bank);
		goto out;
	}
	if ((r = keystore_get(ks, name, &k)) < 0 ||
	    (r = cert_record_parse(name, k->value, k->len, is->rid, &is->ca_index, &is->cert)) <
		    0 ||
	    (r = cert_check(ks, bank, is->rid, is->ca_index, &is->cert, &is->pub, NULL, &f,
			    &is->ca_len)) < 0)
		goto out;
	memcpy(is->issuer_id, f.id, 4);
	memcpy(is->expiry, f.expiry, 2);
	*out = is;
	is = NULL;
out:
	key_free(k);
	emv_issuer_free(is);
	return r < 0 ? cp_err_wrap(r, "bank '%s': ", bank) : 0;
}

/* ---- TEST ONLY hierarchy ---- */

static void
test_expiry(unsigned char e[2])
{
	time_t now = cp_now();
	struct tm tm;
	int y;

	gmtime_r(&now, &tm);
	y = (tm.tm_year + 1900 + TEST_CERT_YEARS) % 100;
	e[0] = 0x12; /* December */
	e[1] = (unsigned char)((y / 10) << 4 | (y % 10));
}

/* A certificate for bank's issuer key signed by the TEST ONLY CA key pair ca. */
static int
test_certify(struct keystore *ks, const struct config *cfg, const char *bank,
	     struct evp_pkey_st *ca, const unsigned char rid[EMV_RID_LEN])
{
	unsigned char id[4], expiry[2], serial[3];
	struct emv_cert c;
	struct emv_pubkey pub;
	struct evp_pkey_st *pk = NULL;
	int r;

	if ((r = emv_bank_issuer_id(cfg, bank, id)) < 0 ||
	    (r = emv_issuer_pubkey(ks, bank, &pk)) < 0)
		return r;
	r = emv_pubkey_from_pkey(pk, &pub);
	cp_pkey_free(pk);
	if (r < 0)
		return r;
	test_expiry(expiry);
	if (cp_random_bytes(serial, sizeof(serial)) < 0)
		return cp_ossl_err(CP_ERR_CRYPTO, "no random bytes for a certificate serial");
	if ((r = emv_issuer_cert_make(ca, &pub, id, expiry, serial, &c)) < 0)
		return r;
	return emv_issuer_cert_put(ks, cfg, bank, rid, EMV_TEST_CA_INDEX, &c);
}

static int
test_ca(struct keystore *ks, const unsigned char rid[EMV_RID_LEN], struct evp_pkey_st **ca,
	size_t *added)
{
	char name[KEY_NAME_MAX + 1];
	unsigned char *der = NULL;
	enum key_alg alg;
	size_t dn;
	int r;

	emv_ca_key_name(rid, EMV_TEST_CA_INDEX, name, sizeof(name));
	if (entry_alg(ks, name, &alg)) {
		if (alg != KEY_RSA)
			return cp_err(CP_ERR_INVALID,
				      "'%s' holds only a public key; the TEST ONLY CA needs its "
				      "key pair",
				      name);
		return keystore_get_pkey(ks, name, ca);
	}
	if ((r = emv_rsa_generate(EMV_TEST_CA_BITS, 3, ca)) < 0)
		return r;
	if (cp_pkey_private_der(*ca, &der, &dn) < 0)
		return cp_ossl_err(CP_ERR_CRYPTO, "TEST ONLY CA key does not encode");
	r = keystore_put_blob(ks, name, KEY_RSA, der, dn);
	cp_secure_free(der, dn);
	if (r == 0)
		(*added)++;
	return r;
}

int
emv_test_populate(struct keystore *ks, const struct config *cfg, size_t *added)
{
	unsigned char rid[EMV_RID_LEN];
	char *banks = xstrdup(config_str(cfg, "banks.cooperating")), *save = NULL;
	char name[KEY_NAME_MAX + 1];
	struct evp_pkey_st *ca = NULL;
	size_t n = 0;
	int r;

	if (!keystore_is_test(ks)) {
		r = cp_err(CP_ERR_PERM, "refusing to put a TEST ONLY CA into a production key "
					"store");
		goto out;
	}
	if ((r = emv_parse_rid(EMV_RID_PBOC, rid)) < 0 || (r = test_ca(ks, rid, &ca, &n)) < 0)
		goto out;
	for (char *b = strtok_r(banks, ", ", &save); b; b = strtok_r(NULL, ", ", &save)) {
		emv_issuer_key_name(b, name, sizeof(name));
		if (!keystore_has(ks, name)) {
			if ((r = emv_issuer_generate(ks, b, EMV_TEST_ISSUER_BITS, 3, NULL)) < 0)
				goto out;
			n++;
		}
		emv_issuer_cert_name(b, name, sizeof(name));
		if (!keystore_has(ks, name)) {
			if ((r = test_certify(ks, cfg, b, ca, rid)) < 0) {
				r = cp_err_wrap(r, "bank '%s': ", b);
				goto out;
			}
			n++;
		}
	}
out:
	if (added)
		*added = n;
	cp_pkey_free(ca);
	free(banks);
	return r;
}
