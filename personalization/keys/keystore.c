/*
 * keystore.c - the wrapped key store (see keystore.h and docs/keys.md).
 *
 * File format (text, one record per line, 0600):
 *   cardpipe-keystore 1
 *   test-only yes|no
 *   components N
 *   component-kcv I KCV            (one per component, AES KCV of the component)
 *   lmk-kcv KCV
 *   key NAME ALG BITS KCV WRAPPED  (WRAPPED: hex of AES-256-WRAP-PAD(LMK, rec))
 *   mac HEX                        (AES-CMAC over every line above, key derived from the LMK)
 * rec = alg(1) || name_len(1) || name || value: the name and algorithm are inside the wrap,
 * so a wrapped value moved to another line no longer unwraps.
 */
#include "personalization/keys/keystore.h"

#include "core/buf.h"
#include "core/config.h"
#include "core/err.h"
#include "core/fsutil.h"
#include "core/hex.h"
#include "core/log.h"
#include "core/mem.h"
#include "personalization/crypto/hash.h"
#include "personalization/crypto/kcv.h"
#include "personalization/crypto/keywrap.h"
#include "personalization/crypto/mac.h"
#include "personalization/crypto/secmem.h"
#include "personalization/crypto/sign.h"
#include "personalization/keys/component.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#define KEYSTORE_MAX_BYTES (4 << 20)
#define MAX_KEYS 512
#define REC_MAX (2 + KEY_NAME_MAX + KEY_VALUE_MAX)

struct entry {
	struct key_info info;
	unsigned char *wrapped;
	size_t wrapped_len;
};

struct keystore {
	char *path;
	int test_only;
	size_t ncomp;
	char comp_kcv[KEYSTORE_MAX_COMPONENTS][7];
	unsigned char *lmk; /* secure heap, LMK_LEN */
	struct entry *e;
	size_t n;
};

const char *
key_alg_name(enum key_alg a)
{
	switch (a) {
	case KEY_AES: return "AES";
	case KEY_SM4: return "SM4";
	case KEY_TDES: return "3DES";
	case KEY_SM2: return "SM2";
	case KEY_RSA: return "RSA";
	case KEY_RSA_PUB: return "RSAPUB";
	case KEY_EMV_CERT: return "EMVCERT";
	}
	return "?";
}

int
key_alg_parse(const char *s, enum key_alg *a)
{
	if (!strcasecmp(s, "AES"))
		*a = KEY_AES;
	else if (!strcasecmp(s, "SM4"))
		*a = KEY_SM4;
	else if (!strcasecmp(s, "3DES") || !strcasecmp(s, "TDES") || !strcasecmp(s, "DES3"))
		*a = KEY_TDES;
	else if (!strcasecmp(s, "SM2"))
		*a = KEY_SM2;
	else if (!strcasecmp(s, "RSA"))
		*a = KEY_RSA;
	else if (!strcasecmp(s, "RSAPUB"))
		*a = KEY_RSA_PUB;
	else if (!strcasecmp(s, "EMVCERT"))
		*a = KEY_EMV_CERT;
	else
		return cp_err(CP_ERR_INVALID,
			      "unknown key algorithm '%s' (AES, SM4, 3DES, SM2, RSA, RSAPUB, "
			      "EMVCERT)",
			      s);
	return 0;
}

/* The cipher of a symmetric key alg (CP_ERR_INVALID for SM2). */
static int
key_alg_cipher(enum key_alg a, enum cp_alg *out)
{
	switch (a) {
	case KEY_AES: *out = CP_ALG_AES; return 0;
	case KEY_SM4: *out = CP_ALG_SM4; return 0;
	case KEY_TDES: *out = CP_ALG_TDES; return 0;
	case KEY_SM2:
	case KEY_RSA:
	case KEY_RSA_PUB:
	case KEY_EMV_CERT: break;
	}
	return cp_err(CP_ERR_INVALID, "%s is not a symmetric key algorithm", key_alg_name(a));
}

/* The DER public key of an asymmetric value (private key DER, or public key DER for
 * RSAPUB) into der; also the key's size in bits. */
static int
asym_public_der(enum key_alg alg, const unsigned char *v, size_t len, struct buf *der, size_t *bits)
{
	struct evp_pkey_st *pk = NULL;
	size_t used = 0;
	int r = cp_pkey_read_der(v, len, alg != KEY_RSA_PUB, &pk, &used);

	if (r < 0 || used != len || (alg != KEY_SM2 && !cp_pkey_is_a(pk, "RSA"))) {
		cp_pkey_free(pk);
		return cp_err(CP_ERR_CRYPTO, "%s key does not parse", key_alg_name(alg));
	}
	*bits = cp_pkey_bits(pk);
	r = cp_pkey_public_der(pk, der);
	cp_pkey_free(pk);
	if (r < 0)
		return cp_err(CP_ERR_CRYPTO, "%s public key does not encode", key_alg_name(alg));
	return 0;
}

/* KCV and size of an SM2, RSA, RSAPUB or EMVCERT value. */
static int
asym_info(enum key_alg alg, const unsigned char *v, size_t len, char kcv[7], size_t *bits)
{
	struct buf der = BUF_INIT(1 << 16);
	unsigned char md[32];
	int r;

	if (alg == KEY_EMV_CERT) {
		if ((r = cp_sha256(v, len, md)) < 0)
			return r;
		hex_encode(md, 3, kcv);
		/* the certificate's size: its length byte follows version, RID and index */
		*bits = len > 7 ? (size_t)v[7] * 8 : 0;
		return 0;
	}
	if ((r = asym_public_der(alg, v, len, &der, bits)) < 0)
		return r;
	/* the hash of the public key identifies the pair without revealing it */
	r = alg == KEY_SM2 ? cp_sm3(der.data, der.len, md) : cp_sha256(der.data, der.len, md);
	buf_release(&der);
	if (r < 0)
		return r;
	hex_encode(md, 3, kcv);
	return 0;
}

int
key_kcv_hex(enum key_alg alg, const unsigned char *v, size_t len, char out[7])
{
	enum cp_alg c = CP_ALG_AES;
	size_t bits;
	int r;

	if (alg == KEY_SM2 || alg == KEY_RSA || alg == KEY_RSA_PUB || alg == KEY_EMV_CERT)
		return asym_info(alg, v, len, out, &bits);
	if ((r = key_alg_cipher(alg, &c)) < 0)
		return r;
	return cp_kcv_hex(c, v, len, out);
}

int
keys_harden_process(void)
{
	struct rlimit rl = {0, 0};

	if (setrlimit(RLIMIT_CORE, &rl) != 0)
		return cp_err(CP_ERR_IO, "cannot disable core dumps: %s", strerror(errno));
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
		return cp_err(CP_ERR_IO, "cannot mark the process undumpable: %s", strerror(errno));
	if (cp_secmem_init(0) < 0)
		log_warn("keys", "%s; clear keys are kept in wiped ordinary memory", cp_errmsg());
	return 0;
}

/* ---- store ---- */

static int
check_name(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > KEY_NAME_MAX)
		return cp_err(CP_ERR_INVALID, "a key name has 1 to %d characters", KEY_NAME_MAX);
	for (size_t i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '-' || c == '_'))
			return cp_err(CP_ERR_INVALID,
				      "key name '%s': only letters, digits, '.', '-', '_'", name);
	}
	return 0;
}

static int
lmk_assemble(const unsigned char *const *comp, size_t n, unsigned char *lmk, char kcvs[][7])
{
	int r;

	if (n < 2 || n > KEYSTORE_MAX_COMPONENTS)
		return cp_err(CP_ERR_INVALID, "the master key needs 2 or 3 components, not %zu", n);
	memset(lmk, 0, LMK_LEN);
	for (size_t i = 0; i < n; i++) {
		if ((r = cp_kcv_hex(CP_ALG_AES, comp[i], LMK_LEN, kcvs[i])) < 0)
			return r;
		for (size_t j = 0; j < LMK_LEN; j++)
			lmk[j] ^= comp[i][j];
	}
	return 0;
}

static int
mac_key(const struct keystore *ks, unsigned char k[16])
{
	static const char label[] = "cardpipe keystore file MAC v1";

	return cp_cmac(CP_ALG_AES, ks->lmk, LMK_LEN, (const unsigned char *)label,
		       sizeof(label) - 1, k);
}

static struct keystore *
ks_new(const char *path)
{
	struct keystore *ks = xcalloc(1, sizeof(*ks));

	ks->path = xstrdup(path);
	ks->lmk = cp_secure_zalloc(LMK_LEN);
	return ks;
}

void
keystore_close(struct keystore *ks)
{
	if (!ks)
		return;
	for (size_t i = 0; i < ks->n; i++)
		free(ks->e[i].wrapped);
	free(ks->e);
	cp_secure_free(ks->lmk, LMK_LEN);
	free(ks->path);
	free(ks);
}

int
keystore_create(const char *path, const unsigned char *const *comp, size_t ncomp, int test_only,
		struct keystore **out)
{
	struct keystore *ks = ks_new(path);
	int r;

	*out = NULL;
	if ((r = lmk_assemble(comp, ncomp, ks->lmk, ks->comp_kcv)) < 0) {
		keystore_close(ks);
		return r;
	}
	ks->ncomp = ncomp;
	ks->test_only = test_only;
	*out = ks;
	return 0;
}

static int
wrap_entry(const struct keystore *ks, const char *name, enum key_alg alg,
	   const unsigned char *value, size_t len, struct entry *e)
{
	unsigned char *rec = NULL, *w;
	size_t nl = strlen(name), rn = 2 + nl + len, wn = 0;
	int r;

	if (len > KEY_VALUE_MAX)
		return cp_err(CP_ERR_LIMIT, "key '%s' of %zu bytes is too long", name, len);
	rec = cp_secure_zalloc(rn);
	rec[0] = (unsigned char)alg;
	rec[1] = (unsigned char)nl;
	memcpy(rec + 2, name, nl);
	memcpy(rec + 2 + nl, value, len);
	w = xmalloc(rn + 16);
	if ((r = cp_kwp_wrap(ks->lmk, LMK_LEN, rec, rn, w, &wn)) < 0) {
		free(w);
		goto out;
	}
	free(e->wrapped);
	e->wrapped = w;
	e->wrapped_len = wn;
out:
	cp_secure_free(rec, rn);
	return r;
}

/* Unwrap entry e into secure memory: *value (free with cp_secure_free(v, *len)). */
static int
unwrap_entry(const struct keystore *ks, const struct entry *e, unsigned char **value, size_t *len)
{
	unsigned char *rec = cp_secure_zalloc(e->wrapped_len);
	size_t rn = 0, nl;
	int r;

	*value = NULL;
	if ((r = cp_kwp_unwrap(ks->lmk, LMK_LEN, e->wrapped, e->wrapped_len, rec, &rn)) < 0) {
		r = cp_err_wrap(r, "key '%s': ", e->info.name);
		goto out;
	}
	nl = rn >= 2 ? rec[1] : 0;
	if (rn < 2 || 2 + nl > rn || rec[0] != (unsigned char)e->info.alg ||
	    nl != strlen(e->info.name) || memcmp(rec + 2, e->info.name, nl) != 0) {
		r = cp_err(CP_ERR_INTEGRITY, "key '%s': the wrapped record belongs to another key",
			   e->info.name);
		goto out;
	}
	*len = rn - 2 - nl;
	*value = cp_secure_zalloc(*len);
	memcpy(*value, rec + 2 + nl, *len);
out:
	cp_secure_free(rec, e->wrapped_len);
	return r;
}

static struct entry *
find(const struct keystore *ks, const char *name)
{
	for (size_t i = 0; i < ks->n; i++)
		if (!strcmp(ks->e[i].info.name, name))
			return &ks->e[i];
	return NULL;
}

static int
put_raw(struct keystore *ks, const char *name, enum key_alg alg, const unsigned char *v, size_t len)
{
	struct entry tmp = {0}, *e;
	int r;

	if ((r = check_name(name)) < 0)
		return r;
	if (alg == KEY_SM2 || alg == KEY_RSA || alg == KEY_RSA_PUB || alg == KEY_EMV_CERT) {
		if ((r = asym_info(alg, v, len, tmp.info.kcv, &tmp.info.bits)) < 0)
			return cp_err_wrap(r, "key '%s': ", name);
	} else {
		enum cp_alg c = CP_ALG_AES;

		if ((r = key_alg_cipher(alg, &c)) < 0 || (r = cp_check_key_len(c, len)) < 0 ||
		    (r = cp_kcv_hex(c, v, len, tmp.info.kcv)) < 0)
			return cp_err_wrap(r, "key '%s': ", name);
		tmp.info.bits = len * 8;
	}
	snprintf(tmp.info.name, sizeof(tmp.info.name), "%s", name);
	tmp.info.alg = alg;
	if ((r = wrap_entry(ks, name, alg, v, len, &tmp)) < 0)
		return r;
	if ((e = find(ks, name))) {
		free(e->wrapped);
		*e = tmp;
		return 0;
	}
	if (ks->n >= MAX_KEYS) {
		free(tmp.wrapped);
		return cp_err(CP_ERR_LIMIT, "the key store holds at most %d keys", MAX_KEYS);
	}
	ks->e = xrealloc(ks->e, (ks->n + 1) * sizeof(*ks->e));
	ks->e[ks->n++] = tmp;
	return 0;
}

int
keystore_put(struct keystore *ks, const char *name, enum key_alg alg, const unsigned char *v,
	     size_t len)
{
	if (alg == KEY_SM2 || alg == KEY_RSA || alg == KEY_RSA_PUB || alg == KEY_EMV_CERT)
		return cp_err(CP_ERR_INVALID,
			      "%s keys are generated (keystore_generate_sm2) or put with "
			      "keystore_put_blob",
			      key_alg_name(alg));
	return put_raw(ks, name, alg, v, len);
}

int
keystore_put_blob(struct keystore *ks, const char *name, enum key_alg alg, const unsigned char *v,
		  size_t len)
{
	if (alg != KEY_RSA && alg != KEY_RSA_PUB && alg != KEY_EMV_CERT)
		return cp_err(CP_ERR_INVALID, "keystore_put_blob takes RSA, RSAPUB or EMVCERT");
	return put_raw(ks, name, alg, v, len);
}

int
keystore_generate_sm2(struct keystore *ks, const char *name)
{
	struct evp_pkey_st *pk = NULL;
	unsigned char *der = NULL;
	size_t dn = 0;
	int r;

	if (cp_pkey_generate(CP_SIG_SM2, &pk) < 0)
		return cp_err(CP_ERR_CRYPTO, "SM2 key generation failed");
	r = cp_pkey_private_der(pk, &der, &dn);
	cp_pkey_free(pk);
	if (r < 0)
		return cp_err(CP_ERR_CRYPTO, "SM2 private key does not encode");
	r = put_raw(ks, name, KEY_SM2, der, dn);
	cp_secure_free(der, dn);
	return r;
}

int
keystore_remove(struct keystore *ks, const char *name)
{
	struct entry *e = find(ks, name);

	if (!e)
		return cp_err(CP_ERR_NOTFOUND, "no key '%s' in the key store", name);
	free(e->wrapped);
	memmove(e, e + 1, (size_t)(ks->e + ks->n - e - 1) * sizeof(*e));
	ks->n--;
	return 0;
}

int
keystore_get(const struct keystore *ks, const char *name, struct key **out)
{
	const struct entry *e = find(ks, name);
	struct key *k;
	unsigned char *v = NULL;
	size_t len = 0;
	char kcv[7];
	int r;

	*out = NULL;
	if (!e)
		return cp_err(CP_ERR_NOTFOUND, "no key '%s' in the key store '%s'", name, ks->path);
	if ((r = unwrap_entry(ks, e, &v, &len)) < 0)
		return r;
	if ((r = key_kcv_hex(e->info.alg, v, len, kcv)) < 0 || strcmp(kcv, e->info.kcv) != 0) {
		cp_secure_free(v, len);
		return r < 0 ? r
			     : cp_err(CP_ERR_INTEGRITY,
				      "key '%s': check value %s, the store says %s", name, kcv,
				      e->info.kcv);
	}
	k = cp_secure_zalloc(sizeof(*k));
	snprintf(k->name, sizeof(k->name), "%s", name);
	k->alg = e->info.alg;
	k->len = len;
	k->value = v;
	memcpy(k->kcv, kcv, 7);
	*out = k;
	return 0;
}

void
key_free(struct key *k)
{
	if (!k)
		return;
	cp_secure_free(k->value, k->len);
	cp_secure_free(k, sizeof(*k));
}

int
keystore_get_pkey(const struct keystore *ks, const char *name, struct evp_pkey_st **out)
{
	struct key *k = NULL;
	size_t used;
	int r;

	*out = NULL;
	if ((r = keystore_get(ks, name, &k)) < 0)
		return r;
	if (k->alg != KEY_SM2 && k->alg != KEY_RSA && k->alg != KEY_RSA_PUB) {
		r = cp_err(CP_ERR_INVALID, "key '%s' is %s, not a key pair", name,
			   key_alg_name(k->alg));
		key_free(k);
		return r;
	}
	r = cp_pkey_read_der(k->value, k->len, k->alg != KEY_RSA_PUB, out, &used);
	key_free(k);
	if (r < 0)
		return cp_err(CP_ERR_CRYPTO, "key '%s' does not parse as a private key", name);
	return 0;
}

int
keystore_rewrap(struct keystore *ks, const unsigned char *const *comp, size_t ncomp)
{
	struct keystore *nks = NULL;
	unsigned char *v;
	size_t len;
	int r;

	if ((r = keystore_create(ks->path, comp, ncomp, ks->test_only, &nks)) < 0)
		return r;
	for (size_t i = 0; i < ks->n; i++) {
		if ((r = unwrap_entry(ks, &ks->e[i], &v, &len)) < 0)
			goto out;
		r = put_raw(nks, ks->e[i].info.name, ks->e[i].info.alg, v, len);
		cp_secure_free(v, len);
		if (r < 0)
			goto out;
	}
	/* swap the contents in */
	{
		struct keystore t = *ks;

		*ks = *nks;
		*nks = t;
	}
out:
	keystore_close(nks);
	return r;
}

/* The text of the store without the mac line. */
static int
serialise(const struct keystore *ks, struct buf *b)
{
	char *hex = NULL;
	int r;

	if ((r = buf_appendf(b, "cardpipe-keystore 1\ntest-only %s\ncomponents %zu\n",
			     ks->test_only ? "yes" : "no", ks->ncomp)) < 0)
		return r;
	for (size_t i = 0; i < ks->ncomp; i++)
		if ((r = buf_appendf(b, "component-kcv %zu %s\n", i + 1, ks->comp_kcv[i])) < 0)
			return r;
	{
		char kcv[7];

		if ((r = cp_kcv_hex(CP_ALG_AES, ks->lmk, LMK_LEN, kcv)) < 0 ||
		    (r = buf_appendf(b, "lmk-kcv %s\n", kcv)) < 0)
			return r;
	}
	for (size_t i = 0; i < ks->n; i++) {
		const struct entry *e = &ks->e[i];

		hex = xmalloc(2 * e->wrapped_len + 1);
		hex_encode(e->wrapped, e->wrapped_len, hex);
		r = buf_appendf(b, "key %s %s %zu %s %s\n", e->info.name, key_alg_name(e->info.alg),
				e->info.bits, e->info.kcv, hex);
		free(hex);
		if (r < 0)
			return r;
	}
	return 0;
}

int
keystore_save(struct keystore *ks)
{
	struct buf b = BUF_INIT(KEYSTORE_MAX_BYTES);
	unsigned char mk[16], mac[16];
	char mh[33];
	char *dir = xstrdup(ks->path), *slash = strrchr(dir, '/');
	int r;

	if (slash) {
		*slash = '\0';
		if ((r = fs_mkdirs(dir, 0700)) < 0)
			goto out;
	}
	if ((r = serialise(ks, &b)) < 0 || (r = mac_key(ks, mk)) < 0 ||
	    (r = cp_cmac(CP_ALG_AES, mk, 16, b.data, b.len, mac)) < 0)
		goto out;
	hex_encode(mac, 16, mh);
	if ((r = buf_appendf(&b, "mac %s\n", mh)) < 0 ||
	    (r = fs_write_atomic(ks->path, b.data, b.len, 0600)) < 0)
		goto out;
out:
	cp_memzero(mk, sizeof(mk));
	buf_release(&b);
	free(dir);
	return r;
}

static int
check_private(const char *path, const char *what)
{
	struct stat st;

	/* lstat: a symbolic link would let whoever can write its folder swap the store */
	if (lstat(path, &st) != 0)
		return cp_err(errno == ENOENT ? CP_ERR_NOTFOUND : CP_ERR_IO, "%s '%s': %s", what,
			      path, strerror(errno));
	if (S_ISLNK(st.st_mode))
		return cp_err(CP_ERR_PERM,
			      "%s '%s' is a symbolic link; keep the store itself there "
			      "(mode 0600)",
			      what, path);
	if (!S_ISREG(st.st_mode))
		return cp_err(CP_ERR_PERM, "%s '%s' is not a regular file", what, path);
	if (st.st_mode & 077)
		return cp_err(CP_ERR_PERM,
			      "%s '%s' is readable or writable by others (mode %04o); "
			      "chmod 600 it",
			      what, path, (unsigned)(st.st_mode & 07777));
	if (st.st_uid != geteuid())
		return cp_err(CP_ERR_PERM, "%s '%s' belongs to another user", what, path);
	return 0;
}

static int
parse_line(struct keystore *ks, char *line, int lineno, unsigned char *mac_seen, int *have_mac,
	   char kcvs_rec[][7], size_t *nrec, char *lmk_kcv)
{
	char *f[7];
	int nf = 0;
	char *save = NULL;

	for (char *t = strtok_r(line, " ", &save); t && nf < 7; t = strtok_r(NULL, " ", &save))
		f[nf++] = t;
	if (nf == 0)
		return cp_err(CP_ERR_FORMAT, "line %d: empty", lineno);
	if (*have_mac)
		return cp_err(CP_ERR_INTEGRITY, "line %d: text after the mac line", lineno);
	if (!strcmp(f[0], "cardpipe-keystore") && nf == 2 && lineno == 1) {
		if (strcmp(f[1], "1"))
			return cp_err(CP_ERR_FORMAT, "key store format %s is not supported", f[1]);
	} else if (lineno == 1)
		return cp_err(CP_ERR_FORMAT, "not a cardpipe key store");
	else if (!strcmp(f[0], "test-only") && nf == 2)
		ks->test_only = !strcmp(f[1], "yes");
	else if (!strcmp(f[0], "components") && nf == 2)
		ks->ncomp = strtoul(f[1], NULL, 10);
	else if (!strcmp(f[0], "component-kcv") && nf == 3 && strlen(f[2]) == 6) {
		if (*nrec >= KEYSTORE_MAX_COMPONENTS)
			return cp_err(CP_ERR_FORMAT, "line %d: too many components", lineno);
		memcpy(kcvs_rec[(*nrec)++], f[2], 7);
	} else if (!strcmp(f[0], "lmk-kcv") && nf == 2 && strlen(f[1]) == 6)
		memcpy(lmk_kcv, f[1], 7);
	else if (!strcmp(f[0], "key") && nf == 6) {
		struct entry e = {0};
		size_t hl = strlen(f[5]);
		int n;

		if (check_name(f[1]) < 0 || key_alg_parse(f[2], &e.info.alg) < 0 ||
		    strlen(f[4]) != 6 || hl % 2 || hl / 2 > REC_MAX + 16)
			return cp_err(CP_ERR_FORMAT, "line %d: malformed key record", lineno);
		snprintf(e.info.name, sizeof(e.info.name), "%s", f[1]);
		e.info.bits = strtoul(f[3], NULL, 10);
		memcpy(e.info.kcv, f[4], 7);
		e.wrapped = xmalloc(hl / 2);
		if ((n = hex_decode(f[5], e.wrapped, hl / 2)) < 0) {
			free(e.wrapped);
			return cp_err(CP_ERR_FORMAT, "line %d: wrapped value is not hex", lineno);
		}
		e.wrapped_len = (size_t)n;
		if (find(ks, e.info.name) || ks->n >= MAX_KEYS) {
			free(e.wrapped);
			return cp_err(CP_ERR_FORMAT, "line %d: duplicate key '%s'", lineno,
				      e.info.name);
		}
		ks->e = xrealloc(ks->e, (ks->n + 1) * sizeof(*ks->e));
		ks->e[ks->n++] = e;
	} else if (!strcmp(f[0], "mac") && nf == 2 && strlen(f[1]) == 32) {
		/* only the upper-case form that save writes: the mac line is not under the MAC,
		 * so another spelling of the same value would be a change that goes unseen */
		if (strspn(f[1], "0123456789ABCDEF") != 32 || hex_decode(f[1], mac_seen, 16) != 16)
			return cp_err(CP_ERR_FORMAT, "line %d: mac is not 32 upper-case hex digits",
				      lineno);
		*have_mac = 1;
	} else
		return cp_err(CP_ERR_FORMAT, "line %d: unknown record '%s'", lineno, f[0]);
	return 0;
}

int
keystore_open(const char *path, const unsigned char *const *comp, size_t ncomp,
	      struct keystore **out)
{
	struct keystore *ks = NULL;
	unsigned char *data = NULL, *orig = NULL, mac_seen[16], mk[16], mac[16];
	char kcvs_rec[KEYSTORE_MAX_COMPONENTS][7], kcvs[KEYSTORE_MAX_COMPONENTS][7],
		lmk_kcv[7] = "";
	char kcv[7];
	size_t len = 0, nrec = 0, mac_off = 0;
	int have_mac = 0, lineno = 0, r;

	*out = NULL;
	if ((r = keys_harden_process()) < 0 || (r = check_private(path, "key store")) < 0 ||
	    (r = fs_read_file(path, KEYSTORE_MAX_BYTES, &data, &len)) < 0)
		return r;
	ks = ks_new(path);
	orig = xmalloc(len + 1); /* parsing cuts the text; the MAC covers the original */
	memcpy(orig, data, len);
	for (char *p = (char *)data, *nl; p < (char *)data + len; p = nl + 1) {
		if (!(nl = strchr(p, '\n'))) {
			r = cp_err(CP_ERR_INTEGRITY,
				   "key store '%s' is truncated (no final newline)", path);
			goto out;
		}
		*nl = '\0';
		lineno++;
		if (!strncmp(p, "mac ", 4))
			mac_off = (size_t)(p - (char *)data);
		if ((r = parse_line(ks, p, lineno, mac_seen, &have_mac, kcvs_rec, &nrec, lmk_kcv)) <
		    0) {
			r = cp_err_wrap(r, "key store '%s': ", path);
			goto out;
		}
	}
	if (!have_mac) {
		r = cp_err(CP_ERR_INTEGRITY, "key store '%s' has no mac line: truncated?", path);
		goto out;
	}
	if (ks->ncomp != nrec || ncomp != nrec) {
		r = cp_err(CP_ERR_CRYPTO, "key store '%s' was made from %zu components, %zu given",
			   path, nrec, ncomp);
		goto out;
	}
	if ((r = lmk_assemble(comp, ncomp, ks->lmk, kcvs)) < 0)
		goto out;
	for (size_t i = 0; i < ncomp; i++)
		if (strcmp(kcvs[i], kcvs_rec[i])) {
			r = cp_err(CP_ERR_CRYPTO,
				   "component %zu has check value %s, the ceremony recorded %s",
				   i + 1, kcvs[i], kcvs_rec[i]);
			goto out;
		}
	if ((r = cp_kcv_hex(CP_ALG_AES, ks->lmk, LMK_LEN, kcv)) < 0)
		goto out;
	if (strcmp(kcv, lmk_kcv)) {
		r = cp_err(CP_ERR_CRYPTO, "the assembled master key has check value %s, not %s",
			   kcv, lmk_kcv);
		goto out;
	}
	memcpy(ks->comp_kcv, kcvs, sizeof(kcvs));
	/* the MAC covers every byte before the mac line */
	if ((r = mac_key(ks, mk)) < 0 || (r = cp_cmac(CP_ALG_AES, mk, 16, orig, mac_off, mac)) < 0)
		goto out;
	if (cp_ct_memcmp(mac, mac_seen, 16) != 0) {
		r = cp_err(CP_ERR_INTEGRITY, "key store '%s' was changed: its MAC does not verify",
			   path);
		goto out;
	}
	*out = ks;
	ks = NULL;
out:
	cp_memzero(mk, sizeof(mk));
	free(data);
	free(orig);
	keystore_close(ks);
	return r;
}

int
keystore_open_cfg(const struct config *cfg, const char *home, struct keystore **out)
{
	char *path = config_path(cfg, "paths.keystore", home);
	const char *list = config_str(cfg, "keys.component_files");
	unsigned char *comp[KEYSTORE_MAX_COMPONENTS] = {NULL};
	size_t n = 0;
	char *dup = xstrdup(list), *save = NULL;
	int r;

	*out = NULL;
	/* before the components are read: no core dump may ever hold them */
	if ((r = keys_harden_process()) < 0)
		goto out;
	/* a home without its key store is not set up yet: a configuration error (exit 2) for
	 * every command, like a home without its registry */
	if (!fs_exists(path)) {
		r = cp_err(CP_ERR_CONFIG,
			   "no key store at '%s': run 'cardpipe keys ceremony' (or 'cardpipe keys "
			   "ceremony --test' for a TEST ONLY demo store)",
			   path);
		goto out;
	}
	for (char *t = strtok_r(dup, ":", &save); t; t = strtok_r(NULL, ":", &save)) {
		char *p;

		if (n >= KEYSTORE_MAX_COMPONENTS) {
			r = cp_err(CP_ERR_CONFIG, "keys.component_files names more than %d files",
				   KEYSTORE_MAX_COMPONENTS);
			goto out;
		}
		p = t[0] == '/' ? xstrdup(t) : fs_join(home, t);
		comp[n] = cp_secure_zalloc(LMK_LEN);
		r = component_read_file(p, comp[n]);
		free(p);
		n++;
		if (r < 0)
			goto out;
	}
	if (n < 2) {
		r = cp_err(CP_ERR_CONFIG, "keys.component_files must name 2 or 3 component files");
		goto out;
	}
	r = keystore_open(path, (const unsigned char *const *)comp, n, out);
out:
	for (size_t i = 0; i < n; i++)
		cp_secure_free(comp[i], LMK_LEN);
	free(dup);
	free(path);
	return r;
}

int
keystore_is_test(const struct keystore *ks)
{
	return ks->test_only;
}

const char *
keystore_path(const struct keystore *ks)
{
	return ks->path;
}

size_t
keystore_count(const struct keystore *ks)
{
	return ks->n;
}

void
keystore_info(const struct keystore *ks, size_t i, struct key_info *out)
{
	*out = ks->e[i].info;
}

int
keystore_has(const struct keystore *ks, const char *name)
{
	return find(ks, name) != NULL;
}
