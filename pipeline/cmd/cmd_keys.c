/* cmd_keys.c - `cardpipe keys`: key ceremonies, import, list, check values,
 * diversification (docs/keys.md). Never prints a key value except with --reveal for a
 * TEST ONLY key. */
#include "pipeline/cmd/cmd.h"

#include "core/buf.h"
#include "core/err.h"
#include "core/fsutil.h"
#include "core/hex.h"
#include "core/log.h"
#include "core/mem.h"
#include "personalization/chip/bank_profile.h"
#include "personalization/crypto/cipher.h"
#include "personalization/crypto/derive.h"
#include "personalization/crypto/emv_ac.h"
#include "personalization/crypto/kcv.h"
#include "personalization/crypto/hash.h"
#include "personalization/crypto/random.h"
#include "personalization/crypto/secmem.h"
#include "personalization/crypto/sign.h"
#include "personalization/emv/issuer.h"
#include "personalization/emv/oda.h"
#include "personalization/keys/ceremony.h"
#include "personalization/keys/keystore.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

static const char usage[] =
	"usage: cardpipe keys ceremony [--test] [--component-file FILE]... [--components N]\n"
	"       cardpipe keys import NAME --alg AES|SM4|3DES (--file FILE | --prompt | "
	"--generate)\n"
	"                                 [--kcv HEX]\n"
	"       cardpipe keys list [--missing]\n"
	"       cardpipe keys kcv --alg AES|SM4|3DES (--hex HEX | --key NAME)\n"
	"       cardpipe keys diversify --scheme kdf3|emv|visa2|option-a|sm4\n"
	"                               (--key NAME | --test-key HEX)\n"
	"                               (--data HEX | --pan PAN --psn NN) [--reveal]\n"
	"       cardpipe keys public NAME\n"
	"       cardpipe keys arqc-verify --bank BANK --pan PAN --psn NN --atc HHHH --data HEX\n"
	"                                 --arqc HEX [--arc HEX] [--session-key emv|pboc]\n"
	"       cardpipe keys issuer create --bank B [--bits N] [--exponent 3|65537] [--rid R]\n"
	"                                       [--replace]\n"
	"       cardpipe keys issuer import --bank B --file PEM [--pass-fd N] [--rid R] "
	"[--replace]\n"
	"       cardpipe keys issuer export --bank B [--out FILE]\n"
	"       cardpipe keys issuer import-cert --bank B --file FILE\n"
	"       cardpipe keys ca import --rid R --index II --file PEM [--hash SHA1]\n"
	"       cardpipe keys ca export --rid R --index II [--out FILE]\n"
	"\n"
	"The key store (paths.keystore) holds every master key wrapped (AES key wrap with\n"
	"padding) under a local master key that exists only in memory: the XOR of two or three\n"
	"custodians' components, each checked by its check value. At run time the components are\n"
	"read from the files named by keys.component_files (private to the service user).\n"
	"See docs/keys.md.\n"
	"\n"
	"ceremony              create the store, or re-wrap it under new components.\n"
	"  --component-file F  a custodian's component (64 hex digits; file mode 0600); give 2 or "
	"3\n"
	"  --components N      prompt for N components (2 or 3) without echo instead\n"
	"  --test              create a TEST ONLY store: random components written to the\n"
	"                      keys.component_files paths and well-known test master keys for\n"
	"                      every key the configuration needs (adds missing keys when the\n"
	"                      TEST ONLY store exists). Never for production.\n"
	"import NAME           add or replace a master key; prints its check value.\n"
	"  --alg A             AES (16/24/32 bytes), SM4 (16) or 3DES (16/24)\n"
	"  --file F            the value as hex in a private file\n"
	"  --prompt            type the value (hex) without echo\n"
	"  --generate          a random value (SM2 generates a key pair)\n"
	"  --kcv HEX           refuse unless the value has this check value\n"
	"list                  names, algorithms, sizes and check values; never values.\n"
	"  --missing           also list the keys the configuration needs that are missing\n"
	"kcv                   the check value: 3DES(key, 00*8), AES(key, 01*16), SM4(key, "
	"00*16).\n"
	"  --alg A, --hex HEX  a key typed on the command line, or --key NAME from the store\n"
	"diversify             derived keys' check values, to compare with a bank or card vendor.\n"
	"  --scheme S          kdf3 (SCP03, AES KMC), emv or visa2 (3DES KMC): ENC, MAC, DEK from\n"
	"                      the 10-byte KDD in --data; option-a (EMV, 3DES IMK) from --pan and\n"
	"                      --psn; sm4: SM4(master, f || ~f) for an 8-byte factor in --data,\n"
	"                      or SM4(master, Y || ~Y) from --pan/--psn\n"
	"  --key NAME          the master key from the store\n"
	"  --test-key HEX      a test master key given in hex\n"
	"  --reveal            print the derived values too: only for --test-key or a TEST ONLY\n"
	"                      store\n"
	"public NAME           the public key of a key pair (report.sign) in PEM, for the banks.\n"
	"arqc-verify           the issuer's check of a card's ARQC: MK-AC from the bank profile's\n"
	"                      imk_ac (default bank.BANK.mk-ac; EMV Option A; SM4 for banks in\n"
	"                      keys.bank_sm4), the session key\n"
	"                      from the ATC, the cryptogram over --data (the 37-byte input of\n"
	"                      docs/pboc-data.md: amount .. unpredictable number, AIP,\n"
	"                      ATC, CVR); prints 'ARQC OK ARPC=...' (ARPC method 1 with --arc,\n"
	"                      default 3030) and exits 0, or 'ARQC MISMATCH' and exits 1\n"
	"  --atc HHHH          the ATC (9F36), 4 hex digits\n"
	"  --arqc HEX          the card's cryptogram (9F26), 8 bytes\n"
	"  --session-key K     emv (EMV Book 2 A1.3.1) or pboc (00*6||ATC, 00*6||~ATC, 3DES\n"
	"                      only); default: [keys] session_key of the bank's profile\n"
	"                      (perso.bank_profiles; emv for a bank without one), what perso\n"
	"                      wrote into its cards\n"
	"issuer, ca            EMV offline data authentication (SDA/DDA) keys, see docs/keys.md:\n"
	"  issuer create       make bank B's issuer RSA key pair (default 1152 bits, exponent 3;\n"
	"                      multiples of 8 bits, 848 to 1984, not above every CA key of the\n"
	"                      RID in the store; a warning below the 1024-bit ICC default)\n"
	"  issuer import       take it from an encrypted PKCS#8 PEM file ('BEGIN ENCRYPTED\n"
	"                      PRIVATE KEY') of yours with mode 0600 or 0400; the passphrase is\n"
	"                      typed without echo, or read as one line from --pass-fd N. A file\n"
	"                      in the clear is refused (accepted with a warning in a TEST ONLY\n"
	"                      store)\n"
	"  --rid R             the RID of the CA that is to certify it (default A000000333)\n"
	"  --replace           replace the bank's existing key pair (prints the old and new\n"
	"                      SHA-256; its certificate is removed); refused without it\n"
	"  issuer export       its public key in PEM with what the scheme's CA needs to certify\n"
	"                      it (issuer identifier from banks.bins, exponent, modulus)\n"
	"  issuer import-cert  the issuer certificate the CA returned (lines 'rid', 'ca-index',\n"
	"                      'certificate', 'remainder', 'exponent', values in hex); accepted\n"
	"                      only when it recovers with that CA's public key from the store\n"
	"                      and certifies exactly the bank's issuer key, with an issuer\n"
	"                      identifier that begins the bank's BIN (banks.bins)\n"
	"  ca import           the scheme's CA public key (PEM SubjectPublicKeyInfo, 800 to 1984\n"
	"                      bits) for RID R (10 hex digits) and index II; --hash refuses it\n"
	"                      unless its EMV hash (SHA-1 over RID, index, modulus, exponent) is\n"
	"                      SHA1; a production store requires --hash (the published hash)\n"
	"  ca export           a CA public key in PEM, for terminals and tests\n"
	"  --out FILE          write to FILE instead of standard output\n"
	"  -h, --help          this text\n"
	"\n"
	"The TEST ONLY store of --test also holds a TEST ONLY CA (RID A000000333, index F1)\n"
	"and, for every bank of banks.cooperating, an issuer key pair and its certificate.\n"
	"\n"
	"Exit codes: 0 done; 1 arqc-verify: the ARQC does not match; 2 bad usage or no key\n"
	"store (run the ceremony first), ca import without --hash in production, an encrypted\n"
	"key file and no way to ask its passphrase; 3 failure (wrong component, changed store,\n"
	"missing key, existing issuer key without --replace, refused key, key file or\n"
	"certificate, wrong passphrase).\n";

static int
open_store(struct cp_ctx *ctx, struct keystore **ks)
{
	return keystore_open_cfg(ctx->cfg, ctx->home, ks);
}

static int test_store_populate_oda(struct keystore *ks, struct cp_ctx *ctx);
static int list_oda(const struct keystore *ks);
static int oda_cmd(int argc, char **argv, struct cp_ctx *ctx);

/* ---- ceremony ---- */

static int
ceremony_test(struct cp_ctx *ctx)
{
	char *path = ctx_path(ctx, "paths.keystore");
	char *list = xstrdup(config_str(ctx->cfg, "keys.component_files")), *save = NULL;
	unsigned char *comp[KEYSTORE_MAX_COMPONENTS] = {NULL};
	struct keystore *ks = NULL;
	size_t n = 0;
	int r = 0;

	if (fs_exists(path)) {
		if ((r = open_store(ctx, &ks)) < 0)
			goto out;
		if (!keystore_is_test(ks)) {
			r = cp_err(CP_ERR_PERM,
				   "'%s' is a production key store; --test refuses to "
				   "touch it",
				   path);
			goto out;
		}
		fprintf(stderr, "keys: TEST ONLY store '%s' exists; adding missing keys\n", path);
	} else {
		for (char *t = strtok_r(list, ":", &save); t; t = strtok_r(NULL, ":", &save)) {
			char *p = t[0] == '/' ? xstrdup(t) : fs_join(ctx->home, t);

			if (n >= KEYSTORE_MAX_COMPONENTS) {
				free(p);
				r = cp_err(CP_ERR_CONFIG,
					   "keys.component_files names more than 3 files");
				goto out;
			}
			comp[n] = cp_secure_zalloc(LMK_LEN);
			r = component_generate_file(p, comp[n++]);
			free(p);
			if (r < 0)
				goto out;
		}
		if ((r = keystore_create(path, (const unsigned char *const *)comp, n, 1, &ks)) < 0)
			goto out;
	}
	if ((r = test_store_populate(ks, ctx->cfg)) < 0 ||
	    (r = test_store_populate_oda(ks, ctx)) < 0 || (r = keystore_save(ks)) < 0)
		goto out;
	printf("TEST ONLY key store '%s': %zu keys (well-known test values; never use in "
	       "production)\n",
	       path, keystore_count(ks));
	log_info("keys", "TEST ONLY key store ready (%zu keys)", keystore_count(ks));
out:
	for (size_t i = 0; i < n; i++)
		cp_secure_free(comp[i], LMK_LEN);
	keystore_close(ks);
	free(list);
	free(path);
	return r;
}

static int
ceremony(struct cp_ctx *ctx, const char **files, size_t nfiles, int nprompt)
{
	char *path = ctx_path(ctx, "paths.keystore");
	unsigned char *comp[KEYSTORE_MAX_COMPONENTS] = {NULL};
	struct keystore *ks = NULL;
	size_t n = nfiles ? nfiles : (size_t)nprompt;
	char kcv[7];
	int r = 0;

	if (n < 2 || n > 3) {
		r = cp_err(CP_ERR_USAGE, "a ceremony takes 2 or 3 components (--component-file or "
					 "--components N)");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		comp[i] = cp_secure_zalloc(LMK_LEN);
		r = nfiles ? component_read_file(files[i], comp[i])
			   : component_prompt((int)i + 1, comp[i]);
		if (r < 0)
			goto out;
		if ((r = cp_kcv_hex(CP_ALG_AES, comp[i], LMK_LEN, kcv)) < 0)
			goto out;
		printf("component %zu: check value %s\n", i + 1, kcv);
	}
	if (fs_exists(path)) {
		/* a new ceremony: the current components (configuration) open the store */
		if ((r = open_store(ctx, &ks)) < 0 ||
		    (r = keystore_rewrap(ks, (const unsigned char *const *)comp, n)) < 0)
			goto out;
		printf("re-wrapped %zu keys under the new master key\n", keystore_count(ks));
	} else if ((r = keystore_create(path, (const unsigned char *const *)comp, n, 0, &ks)) < 0)
		goto out;
	if ((r = keystore_save(ks)) < 0)
		goto out;
	{
		unsigned char lmk[LMK_LEN] = {0};

		for (size_t i = 0; i < n; i++)
			for (size_t j = 0; j < LMK_LEN; j++)
				lmk[j] ^= comp[i][j];
		r = cp_kcv_hex(CP_ALG_AES, lmk, LMK_LEN, kcv);
		cp_memzero(lmk, sizeof(lmk));
		if (r < 0)
			goto out;
	}
	printf("master key check value %s; key store '%s' written.\n"
	       "Point keys.component_files at the custodians' component files for unattended "
	       "runs.\n",
	       kcv, path);
	log_info("keys", "key ceremony: %zu components, master key check value %s", n, kcv);
out:
	for (size_t i = 0; i < n && i < KEYSTORE_MAX_COMPONENTS; i++)
		cp_secure_free(comp[i], LMK_LEN);
	keystore_close(ks);
	free(path);
	return r;
}

/* ---- import ---- */

static int
read_hex_value(const char *file, int prompt, unsigned char *out, size_t *len)
{
	unsigned char *data = NULL;
	size_t dl = 0;
	char line[256];
	int n, r = 0;

	if (file) {
		struct stat st;

		if (stat(file, &st) != 0)
			return cp_err(CP_ERR_NOTFOUND, "key file '%s': %s", file, strerror(errno));
		if (st.st_mode & 077)
			return cp_err(CP_ERR_PERM,
				      "key file '%s' is readable by others (mode %04o)", file,
				      (unsigned)(st.st_mode & 07777));
		if ((r = fs_read_file(file, 4096, &data, &dl)) < 0)
			return r;
		for (size_t i = dl; i > 0 && (data[i - 1] == '\n' || data[i - 1] == '\r'); i--)
			data[i - 1] = '\0';
		n = hex_decode((const char *)data, out, 64);
		cp_freezero(data, dl);
	} else if (prompt) {
		if ((r = keys_read_secret("key value in hex (no echo): ", line, sizeof(line))) < 0)
			return r;
		n = hex_decode(line, out, 64);
		cp_memzero(line, sizeof(line));
	} else
		return cp_err(CP_ERR_USAGE, "give --file, --prompt or --generate");
	if (n <= 0)
		return cp_err(CP_ERR_FORMAT, "the key value is not hex");
	*len = (size_t)n;
	return 0;
}

static int
import(struct cp_ctx *ctx, const char *name, const char *alg_s, const char *file, int prompt,
       int generate, const char *want_kcv)
{
	struct keystore *ks = NULL;
	unsigned char *v = cp_secure_zalloc(64);
	size_t len = 0;
	enum key_alg alg;
	char kcv[7] = "";
	int r;

	if (!alg_s) {
		r = cp_err(CP_ERR_USAGE, "import needs --alg");
		goto out;
	}
	if ((r = key_alg_parse(alg_s, &alg)) < 0 || (r = open_store(ctx, &ks)) < 0)
		goto out;
	if (alg == KEY_RSA || alg == KEY_RSA_PUB || alg == KEY_EMV_CERT) {
		r = cp_err(CP_ERR_USAGE,
			   "EMV RSA keys and certificates are made with 'keys issuer' "
			   "and 'keys ca'");
		goto out;
	}
	if (alg == KEY_SM2) {
		if (!generate) {
			r = cp_err(CP_ERR_USAGE, "SM2 key pairs are made with --generate");
			goto out;
		}
		r = keystore_generate_sm2(ks, name);
	} else {
		if (generate) {
			len = alg == KEY_AES ? 32 : 16;
			if (cp_random_priv_bytes(v, len) < 0)
				r = cp_err(CP_ERR_CRYPTO, "no random bytes");
			if (alg == KEY_TDES)
				cp_des_set_odd_parity(v, len);
		} else
			r = read_hex_value(file, prompt, v, &len);
		if (r < 0 || (r = key_kcv_hex(alg, v, len, kcv)) < 0)
			goto out;
		if (want_kcv && strncasecmp(want_kcv, kcv, strlen(want_kcv)) != 0) {
			r = cp_err(CP_ERR_CRYPTO,
				   "key '%s' has check value %s, not %s: not imported", name, kcv,
				   want_kcv);
			goto out;
		}
		r = keystore_put(ks, name, alg, v, len);
	}
	if (r < 0 || (r = keystore_save(ks)) < 0)
		goto out;
	for (size_t i = 0; i < keystore_count(ks); i++) {
		struct key_info ki;

		keystore_info(ks, i, &ki);
		if (!strcmp(ki.name, name))
			printf("%s %s %zu check value %s\n", ki.name, key_alg_name(ki.alg), ki.bits,
			       ki.kcv);
	}
	log_info("keys", "key '%s' imported", name);
out:
	cp_secure_free(v, 64);
	keystore_close(ks);
	return r;
}

/* ---- list ---- */

struct missing_ctx {
	struct keystore *ks;
	int n;
};

static int
print_missing(const char *name, int alg, size_t len, void *arg)
{
	struct missing_ctx *m = arg;

	if (!keystore_has(m->ks, name)) {
		printf("%-32s %-4s %4zu %s\n", name, key_alg_name((enum key_alg)alg),
		       alg == KEY_SM2 ? (size_t)256 : len * 8, "MISSING");
		m->n++;
	}
	return 0;
}

static int
list(struct cp_ctx *ctx, int missing)
{
	struct keystore *ks = NULL;
	struct missing_ctx m = {NULL, 0};
	int r;

	if ((r = open_store(ctx, &ks)) < 0)
		return r;
	printf("# key store %s%s\n", keystore_path(ks), keystore_is_test(ks) ? " (TEST ONLY)" : "");
	printf("%-32s %-4s %4s %s\n", "name", "alg", "bits", "kcv");
	for (size_t i = 0; i < keystore_count(ks); i++) {
		struct key_info ki;

		keystore_info(ks, i, &ki);
		printf("%-32s %-4s %4zu %s\n", ki.name, key_alg_name(ki.alg), ki.bits, ki.kcv);
	}
	r = list_oda(ks);
	if (r >= 0 && missing) {
		m.ks = ks;
		r = keys_required(ctx->cfg, print_missing, &m);
		if (r >= 0 && m.n)
			r = cp_err(CP_ERR_NOTFOUND, "%d keys the configuration needs are missing",
				   m.n);
	}
	keystore_close(ks);
	return r;
}

/* ---- kcv and diversify ---- */

/* The master key from --key NAME or --test-key/--hex HEX into secure memory. */
static int
get_master(struct cp_ctx *ctx, const char *name, const char *hex, struct key **out, int *is_test)
{
	struct keystore *ks = NULL;
	struct key *k;
	int n, r;

	*out = NULL;
	if ((name != NULL) == (hex != NULL))
		return cp_err(CP_ERR_USAGE, "give exactly one of --key NAME or --test-key HEX");
	if (name) {
		if ((r = open_store(ctx, &ks)) < 0)
			return r;
		r = keystore_get(ks, name, out);
		*is_test = keystore_is_test(ks);
		keystore_close(ks);
		return r;
	}
	k = cp_secure_zalloc(sizeof(*k));
	k->value = cp_secure_zalloc(64);
	if ((n = hex_decode(hex, k->value, 64)) <= 0) {
		k->len = 64;
		key_free(k);
		return cp_err(CP_ERR_USAGE, "the test key is not hex (up to 32 bytes)");
	}
	k->len = (size_t)n;
	snprintf(k->name, sizeof(k->name), "test-key");
	*is_test = 1;
	*out = k;
	return 0;
}

static int
print_key(const char *label, enum cp_alg alg, const unsigned char *v, size_t len, int reveal)
{
	char kcv[7], hex[65];
	int r;

	if ((r = cp_kcv_hex(alg, v, len, kcv)) < 0)
		return r;
	if (reveal) {
		hex_encode(v, len, hex);
		printf("%-4s KCV=%s KEY=%s\n", label, kcv, hex);
		cp_memzero(hex, sizeof(hex));
	} else
		printf("%-4s KCV=%s\n", label, kcv);
	return 0;
}

static int
kcv_cmd(struct cp_ctx *ctx, const char *alg_s, const char *hex, const char *name)
{
	struct key *k = NULL;
	enum cp_alg alg;
	int is_test = 0, r;
	char kcv[7];

	if ((r = get_master(ctx, name, hex, &k, &is_test)) < 0)
		return r;
	if (name)
		r = key_kcv_hex(k->alg, k->value, k->len, kcv); /* the store knows the algorithm */
	else if (!alg_s)
		r = cp_err(CP_ERR_USAGE, "kcv needs --alg for a key given in hex");
	else if ((r = cp_alg_parse(alg_s, &alg)) >= 0)
		r = cp_kcv_hex(alg, k->value, k->len, kcv);
	if (r >= 0)
		printf("%s\n", kcv);
	key_free(k);
	return r;
}

static int
diversify(struct cp_ctx *ctx, const char *scheme, const char *name, const char *hex,
	  const char *data_hex, const char *pan, const char *psn, int reveal)
{
	struct key *k = NULL;
	unsigned char data[32], *out = cp_secure_zalloc(3 * 32);
	int is_test = 0, n = 0, r;
	enum cp_gp_scheme gs;
	size_t kl = 0;

	if ((r = get_master(ctx, name, hex, &k, &is_test)) < 0)
		goto out;
	if (reveal && !is_test) {
		r = cp_err(CP_ERR_PERM, "--reveal is refused: '%s' is a production key", k->name);
		goto out;
	}
	if (data_hex && (n = hex_decode(data_hex, data, sizeof(data))) < 0) {
		r = cp_err(CP_ERR_USAGE, "--data is not hex");
		goto out;
	}
	if (!strcmp(scheme, "option-a") || (!strcmp(scheme, "sm4") && pan)) {
		if (!pan || data_hex) {
			r = cp_err(CP_ERR_USAGE, "%s takes --pan and --psn, not --data", scheme);
			goto out;
		}
		if (!strcmp(scheme, "option-a")) {
			if (k->len != 16) {
				r = cp_err(CP_ERR_USAGE,
					   "option-a needs a 16-byte 3DES master key");
				goto out;
			}
			if ((r = cp_emv_option_a(k->value, pan, psn ? psn : "", out)) < 0)
				goto out;
			r = print_key("MK", CP_ALG_TDES, out, 16, reveal);
		} else {
			if (k->len != 16) {
				r = cp_err(CP_ERR_USAGE, "sm4 needs a 16-byte SM4 master key");
				goto out;
			}
			if ((r = cp_sm4_option_a(k->value, pan, psn ? psn : "", out)) < 0)
				goto out;
			r = print_key("MK", CP_ALG_SM4, out, 16, reveal);
		}
	} else if (!strcmp(scheme, "sm4")) {
		if (n != 8 || k->len != 16) {
			r = cp_err(CP_ERR_USAGE,
				   "sm4 takes a 16-byte master key and an 8-byte --data "
				   "factor (or --pan/--psn)");
			goto out;
		}
		if ((r = cp_sm4_diversify(k->value, data, out)) < 0)
			goto out;
		r = print_key("KEY", CP_ALG_SM4, out, 16, reveal);
	} else {
		if ((r = cp_gp_scheme_parse(scheme, &gs)) < 0) {
			r = cp_err(CP_ERR_USAGE,
				   "unknown scheme '%s' (kdf3, emv, visa2, option-a, sm4)", scheme);
			goto out;
		}
		if (n != 10 || pan) {
			r = cp_err(CP_ERR_USAGE, "%s takes the card's 10-byte KDD in --data",
				   scheme);
			goto out;
		}
		if ((r = cp_gp_diversify(gs, k->value, k->len, data, out, out + 32, out + 64,
					 &kl)) < 0)
			goto out;
		{
			enum cp_alg a = gs == CP_GP_KDF3 ? CP_ALG_AES : CP_ALG_TDES;

			if ((r = print_key("ENC", a, out, kl, reveal)) < 0 ||
			    (r = print_key("MAC", a, out + 32, kl, reveal)) < 0 ||
			    (r = print_key("DEK", a, out + 64, kl, reveal)) < 0)
				goto out;
		}
	}
out:
	cp_secure_free(out, 3 * 32);
	key_free(k);
	return r;
}

static int
public_cmd(struct cp_ctx *ctx, const char *name)
{
	struct keystore *ks = NULL;
	struct buf pem = BUF_INIT(1 << 16);
	struct evp_pkey_st *pk = NULL;
	int r;

	if ((r = open_store(ctx, &ks)) < 0 || (r = keystore_get_pkey(ks, name, &pk)) < 0)
		goto out;
	if (cp_pkey_public_pem(pk, &pem) < 0 || fwrite(pem.data, 1, pem.len, stdout) != pem.len)
		r = cp_err(CP_ERR_CRYPTO, "cannot write the public key");
out:
	buf_release(&pem);
	cp_pkey_free(pk);
	keystore_close(ks);
	return r;
}

/* ---- arqc-verify ---- */

struct arqc_args {
	const char *bank, *pan, *psn, *atc, *data, *arqc, *arc, *skd;
};

/* Exactly n bytes of hex from option opt. */
static int
hex_arg(const char *opt, const char *v, unsigned char *out, size_t n)
{
	unsigned char tmp[64];
	int got;

	if (!v)
		return cp_err(CP_ERR_USAGE, "arqc-verify needs %s", opt);
	got = hex_decode(v, tmp, sizeof(tmp));
	if (got != (int)n)
		return cp_err(CP_ERR_USAGE, "%s '%.40s': expected %zu bytes of hex", opt, v, n);
	memcpy(out, tmp, n);
	return 0;
}

/* The cryptogram the card should have made; *match 1 when it is the ARQC given. */
static int
arqc_compute(const struct key *k, const struct arqc_args *a, enum emv_ac_skd skd,
	     const unsigned char *data, size_t len, const unsigned char atc[2],
	     const unsigned char arqc[8], const unsigned char arc[2], int *match,
	     unsigned char arpc[8])
{
	enum emv_ac_alg alg = k->alg == KEY_SM4 ? EMV_AC_SM4 : EMV_AC_TDES;
	unsigned char *mk = cp_secure_zalloc(16), *sk = cp_secure_zalloc(16), ac[8];
	int r;

	if (k->len != 16)
		r = cp_err(CP_ERR_CONFIG, "'%s' is not a 16-byte key", k->name);
	else if ((r = alg == EMV_AC_SM4 ? cp_sm4_option_a(k->value, a->pan, a->psn, mk)
					: cp_emv_option_a(k->value, a->pan, a->psn, mk)) < 0 ||
		 (r = emv_ac_session_key_by(skd, alg, mk, atc, sk)) < 0 ||
		 (r = emv_ac_mac(alg, sk, data, len, ac)) < 0)
		r = cp_err_wrap(r, "arqc-verify: ");
	else {
		*match = cp_ct_memcmp(ac, arqc, 8) == 0;
		r = emv_ac_arpc1(alg, sk, arqc, arc, arpc);
	}
	cp_secure_free(mk, 16);
	cp_secure_free(sk, 16);
	return r;
}

/* What the bank's cards were made with: the key store name of its MK-AC issuer master
 * (the profile's, else bank.BANK.mk-ac for a bank that is not in banks.cooperating) and
 * the session key derivation (--session-key, else the profile's, else emv). */
static int
arqc_profile(struct cp_ctx *ctx, const struct arqc_args *a, char *imk, size_t imk_size,
	     enum emv_ac_skd *out)
{
	struct bank_profiles set;
	const struct bank_profile *p;
	int r;

	*out = EMV_AC_SKD_EMV;
	snprintf(imk, imk_size, "bank.%s.mk-ac", a->bank);
	if (a->skd && emv_ac_skd_parse(a->skd, out) < 0)
		return cp_err(CP_ERR_USAGE, "--session-key '%s': emv or pboc", a->skd);
	if ((r = bank_profiles_load_config(ctx->cfg, ctx->home, &set)) < 0)
		return cp_err_wrap(r == CP_ERR_FORMAT ? CP_ERR_CONFIG : r,
				   "arqc-verify: bank profile: ");
	if ((p = bank_profiles_find(&set, a->bank))) {
		if (!a->skd)
			*out = p->session_key;
		snprintf(imk, imk_size, "%s", p->imk[0]);
	}
	bank_profiles_release(&set);
	return 0;
}

/* 0 and "ARQC OK ARPC=..." when the card's ARQC is right, 1 and "ARQC MISMATCH" when not. */
static int
arqc_verify(struct cp_ctx *ctx, const struct arqc_args *a)
{
	unsigned char data[256], atc[2], arqc[8], arc[2], arpc[8];
	char name[96], hex[17];
	struct keystore *ks = NULL;
	struct key *k = NULL;
	enum emv_ac_skd skd;
	int n, match = 0, r;

	if (!a->bank || !a->pan || !a->psn)
		return cp_err(CP_ERR_USAGE, "arqc-verify needs --bank, --pan and --psn");
	if ((r = arqc_profile(ctx, a, name, sizeof(name), &skd)) < 0)
		return r;
	if ((r = hex_arg("--atc", a->atc, atc, 2)) < 0 ||
	    (r = hex_arg("--arqc", a->arqc, arqc, 8)) < 0 ||
	    (r = hex_arg("--arc", a->arc ? a->arc : "3030", arc, 2)) < 0)
		return r;
	if (!a->data || (n = hex_decode(a->data, data, sizeof(data))) <= 0)
		return cp_err(CP_ERR_USAGE, "arqc-verify needs --data HEX (the cryptogram input)");
	/* the input of docs/pboc-data.md carries the ATC at bytes 32-33: they must agree */
	if (n == EMV_AC_INPUT_LEN && memcmp(data + 31, atc, 2) != 0)
		return cp_err(CP_ERR_USAGE,
			      "--data holds ATC %02X%02X (bytes 32-33), --atc says %s", data[31],
			      data[32], a->atc);
	if ((r = open_store(ctx, &ks)) < 0)
		return r;
	if ((r = keystore_get(ks, name, &k)) >= 0)
		r = arqc_compute(k, a, skd, data, (size_t)n, atc, arqc, arc, &match, arpc);
	key_free(k);
	keystore_close(ks);
	if (r < 0)
		return r;
	if (!match) {
		printf("ARQC MISMATCH\n");
		return 1;
	}
	hex_encode(arpc, 8, hex);
	printf("ARQC OK ARPC=%s ARC=%02X%02X\n", hex, arc[0], arc[1]);
	return 0;
}

/* ---- EMV offline data authentication: issuer and CA keys (docs/keys.md) ---- */

static int
test_store_populate_oda(struct keystore *ks, struct cp_ctx *ctx)
{
	size_t added = 0;
	int r = emv_test_populate(ks, ctx->cfg, &added);

	if (r >= 0 && added)
		log_info("keys", "TEST ONLY EMV hierarchy: %zu keys and certificates added", added);
	return r;
}

/* Write text to --out FILE (0644: public data) or standard output. */
static int
emit(const char *out, const char *text, size_t len)
{
	if (out)
		return fs_write_atomic(out, text, len, 0644);
	if (fwrite(text, 1, len, stdout) != len || fflush(stdout) != 0)
		return cp_err(CP_ERR_IO, "cannot write to standard output");
	return 0;
}

/* A public key in PEM, appended to b. */
static int
pem_public(const struct evp_pkey_st *pk, struct buf *b)
{
	if (cp_pkey_public_pem(pk, b) < 0)
		return cp_err(CP_ERR_CRYPTO, "cannot write the public key in PEM");
	return 0;
}

/* SHA-1 and SHA-256 (hex) over the DER SubjectPublicKeyInfo of pk. */
static int
pubkey_hashes(const struct evp_pkey_st *pk, char sha1[41], char sha256[65])
{
	struct buf der = BUF_INIT(1 << 16);
	unsigned char md[20];
	int r;

	if ((r = cp_pkey_public_der(pk, &der)) < 0)
		return r;
	if ((r = cp_sha1(der.data, der.len, md)) == 0) {
		/* lower case, as sha1sum and sha256sum print them */
		hex_encode(md, 20, sha1);
		for (char *c = sha1; *c; c++)
			*c = (char)tolower((unsigned char)*c);
		r = cp_sha256_hex(der.data, der.len, sha256);
	}
	buf_release(&der);
	return r;
}

/* The SHA-256 (hex, over the DER public key) of bank's issuer key; "" when it has none. */
static int
issuer_hash(const struct keystore *ks, const char *bank, char sha256[65])
{
	char name[KEY_NAME_MAX + 1], s1[41];
	struct evp_pkey_st *pk = NULL;
	int r;

	sha256[0] = '\0';
	emv_issuer_key_name(bank, name, sizeof(name));
	if (!keystore_has(ks, name))
		return 0;
	if ((r = emv_issuer_pubkey(ks, bank, &pk)) < 0)
		return r;
	r = pubkey_hashes(pk, s1, sha256);
	cp_pkey_free(pk);
	return r;
}

/* After a new key pair was put: say which key it is and, when it replaced one, which. */
static int
issuer_report(const struct keystore *ks, const char *bank, const char *what, const char *old)
{
	char now[65];
	int r;

	if ((r = issuer_hash(ks, bank, now)) < 0)
		return r;
	printf("issuer key pair of bank %s %s (emv.issuer.%s), sha256 %s\n", bank, what, bank, now);
	if (old[0]) {
		printf("replaced the key pair with sha256 %s; its certificate was removed: export "
		       "the new key for the scheme's CA\n",
		       old);
		log_warn("keys",
			 "issuer key pair of bank %s replaced: old sha256 %s, new sha256 %s", bank,
			 old, now);
	} else
		log_info("keys", "issuer key pair of bank %s %s, sha256 %s", bank, what, now);
	return 0;
}

static int
oda_issuer_create(struct cp_ctx *ctx, const char *bank, unsigned bits, unsigned long e,
		  const struct emv_issuer_opts *o)
{
	struct keystore *ks = NULL;
	char old[65];
	int r;

	if ((r = open_store(ctx, &ks)) < 0 || (r = issuer_hash(ks, bank, old)) < 0 ||
	    (r = emv_issuer_generate(ks, bank, bits, e, o)) < 0 || (r = keystore_save(ks)) < 0 ||
	    (r = issuer_report(ks, bank, "generated", old)) < 0)
		goto out;
	printf("%u bits, exponent %lu. Next: 'keys issuer export --bank %s' for the scheme's "
	       "CA.\n",
	       bits, e, bank);
out:
	keystore_close(ks);
	return r;
}

/* The passphrase of an encrypted key file: one line from --pass-fd N, else typed without
 * echo on the terminal. */
static int
read_passphrase(char *buf, size_t size, void *arg)
{
	int fd = *(const int *)arg;
	size_t n = 0;

	if (fd < 0) {
		int tty = open("/dev/tty", O_RDWR | O_CLOEXEC);

		if (tty < 0)
			return cp_err(CP_ERR_USAGE, "the key file is encrypted and there is no "
						    "terminal to ask for its passphrase: give "
						    "--pass-fd N");
		close(tty);
		return keys_read_secret("passphrase of the issuer key file (no echo): ", buf, size);
	}
	while (n + 1 < size) {
		ssize_t got = read(fd, buf + n, 1);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return cp_err(CP_ERR_IO, "--pass-fd %d: %s", fd, strerror(errno));
		if (got == 0 || buf[n] == '\n')
			break;
		n++;
	}
	buf[n] = '\0';
	if (n && buf[n - 1] == '\r')
		buf[--n] = '\0';
	return n ? 0 : cp_err(CP_ERR_USAGE, "--pass-fd %d gave no passphrase", fd);
}

static int
oda_issuer_import(struct cp_ctx *ctx, const char *bank, const char *file,
		  const struct emv_issuer_opts *o, int pass_fd)
{
	struct keystore *ks = NULL;
	char old[65];
	int r;

	if (!file)
		return cp_err(CP_ERR_USAGE, "issuer import needs --file PEM");
	if ((r = open_store(ctx, &ks)) < 0 || (r = issuer_hash(ks, bank, old)) < 0 ||
	    (r = emv_issuer_import_pem(ks, bank, file, o, read_passphrase, &pass_fd)) < 0 ||
	    (r = keystore_save(ks)) < 0 || (r = issuer_report(ks, bank, "imported", old)) < 0)
		goto out;
out:
	keystore_close(ks);
	return r;
}

static int
oda_issuer_export(struct cp_ctx *ctx, const char *bank, const char *out)
{
	struct keystore *ks = NULL;
	struct buf b = BUF_INIT(64 * 1024);
	struct emv_pubkey pub;
	struct evp_pkey_st *pk = NULL;
	unsigned char id[4];
	char idh[9], mh[2 * EMV_RSA_MAX_BYTES + 1], eh[7], s1[41], s256[65];
	int r;

	if ((r = emv_bank_issuer_id(ctx->cfg, bank, id)) < 0 || (r = open_store(ctx, &ks)) < 0 ||
	    (r = emv_issuer_pubkey(ks, bank, &pk)) < 0 ||
	    (r = emv_pubkey_from_pkey(pk, &pub)) < 0 || (r = pubkey_hashes(pk, s1, s256)) < 0)
		goto out;
	hex_encode(id, 4, idh);
	hex_encode(pub.modulus, pub.modulus_len, mh);
	hex_encode(pub.exponent, pub.exponent_len, eh);
	if ((r = buf_appendf(&b,
			     "# cardpipe issuer public key, for certification by the scheme's CA\n"
			     "bank %s\nissuer-identifier %s\nmodulus-bits %zu\nexponent %s\n"
			     "modulus %s\nsha1 %s\nsha256 %s\n",
			     bank, idh, pub.modulus_len * 8, eh, mh, s1, s256)) < 0 ||
	    (r = pem_public(pk, &b)) < 0 || (r = emit(out, (const char *)b.data, b.len)) < 0)
		goto out;
	if (out)
		printf("issuer public key of bank %s written to '%s'\n", bank, out);
out:
	buf_release(&b);
	cp_pkey_free(pk);
	keystore_close(ks);
	return r;
}

static int
oda_issuer_import_cert(struct cp_ctx *ctx, const char *bank, const char *file)
{
	struct keystore *ks = NULL;
	struct emv_issuer *is = NULL;
	int r;

	if (!file)
		return cp_err(CP_ERR_USAGE, "issuer import-cert needs --file FILE");
	if ((r = open_store(ctx, &ks)) < 0 ||
	    (r = emv_issuer_cert_import(ks, ctx->cfg, bank, file)) < 0 ||
	    (r = emv_issuer_load(ks, bank, &is)) < 0 || (r = keystore_save(ks)) < 0)
		goto out;
	printf("issuer certificate of bank %s accepted: CA %02X%02X%02X%02X%02X index %02X, "
	       "expires %02X/%02X\n",
	       bank, is->rid[0], is->rid[1], is->rid[2], is->rid[3], is->rid[4], is->ca_index,
	       is->expiry[0], is->expiry[1]);
	log_info("keys", "issuer certificate of bank %s imported (CA index %02X)", bank,
		 is->ca_index);
out:
	emv_issuer_free(is);
	keystore_close(ks);
	return r;
}

static int
oda_ca_import(struct cp_ctx *ctx, const unsigned char rid[EMV_RID_LEN], unsigned char index,
	      const char *file, const char *want_hash)
{
	struct keystore *ks = NULL;
	struct emv_pubkey ca;
	struct evp_pkey_st *pk = NULL;
	unsigned char h[20];
	char hh[41], name[KEY_NAME_MAX + 1];
	FILE *f;
	int r;

	if (!file)
		return cp_err(CP_ERR_USAGE, "ca import needs --file PEM");
	if (!(f = fopen(file, "r")))
		return cp_err(CP_ERR_NOTFOUND, "CA key file '%s': %s", file, strerror(errno));
	r = cp_pkey_read_public_pem_file(f, &pk);
	fclose(f);
	if (r < 0)
		return cp_err(CP_ERR_FORMAT,
			      "CA key file '%s' holds no PEM public key ('BEGIN PUBLIC KEY')",
			      file);
	if ((r = emv_pubkey_from_pkey(pk, &ca)) < 0 || (r = emv_ca_hash(rid, index, &ca, h)) < 0) {
		r = cp_err_wrap(r, "CA key file '%s': ", file);
		goto out;
	}
	hex_encode(h, 20, hh);
	if ((r = open_store(ctx, &ks)) < 0)
		goto out;
	/* a production CA key is trusted only as the scheme published it */
	if (!want_hash && !keystore_is_test(ks)) {
		r = cp_err(CP_ERR_USAGE,
			   "CA key file '%s': a production key store needs --hash, the CA key hash "
			   "the scheme published (this file's is %s); compare it out of band",
			   file, hh);
		goto out;
	}
	if (want_hash && strcasecmp(want_hash, hh) != 0) {
		r = cp_err(CP_ERR_CRYPTO,
			   "CA key file '%s': its EMV hash is %s, not %s: not imported", file, hh,
			   want_hash);
		goto out;
	}
	if ((r = emv_ca_put_public(ks, rid, index, pk)) < 0 || (r = keystore_save(ks)) < 0)
		goto out;
	emv_ca_key_name(rid, index, name, sizeof(name));
	printf("%s: %zu bits, CA hash %s\n", name, ca.modulus_len * 8, hh);
	log_info("keys", "CA public key '%s' imported (hash %s)", name, hh);
out:
	cp_pkey_free(pk);
	keystore_close(ks);
	return r;
}

static int
oda_ca_export(struct cp_ctx *ctx, const unsigned char rid[EMV_RID_LEN], unsigned char index,
	      const char *out)
{
	struct keystore *ks = NULL;
	struct buf b = BUF_INIT(64 * 1024);
	struct emv_pubkey ca;
	struct evp_pkey_st *pk = NULL;
	int r;

	if ((r = open_store(ctx, &ks)) < 0 || (r = emv_ca_get(ks, rid, index, &ca)) < 0 ||
	    (r = emv_pubkey_to_pkey(&ca, &pk)) < 0 || (r = pem_public(pk, &b)) < 0 ||
	    (r = emit(out, (const char *)b.data, b.len)) < 0)
		goto out;
	if (out)
		printf("CA public key written to '%s'\n", out);
out:
	buf_release(&b);
	cp_pkey_free(pk);
	keystore_close(ks);
	return r;
}

/* One line of `keys list` for an EMV entry: key sizes, exponents and public key hashes. */
static int
list_oda_key(const struct keystore *ks, const struct key_info *ki)
{
	struct evp_pkey_st *pk = NULL;
	struct emv_pubkey pub;
	char s1[41], s256[65], eh[7];
	unsigned char rid[EMV_RID_LEN], index, h[20];
	int r;

	if ((r = keystore_get_pkey(ks, ki->name, &pk)) < 0 ||
	    (r = emv_pubkey_from_pkey(pk, &pub)) < 0 || (r = pubkey_hashes(pk, s1, s256)) < 0)
		goto out;
	hex_encode(pub.exponent, pub.exponent_len, eh);
	printf("%s %s %zu exponent %s sha1 %s sha256 %s", ki->name,
	       ki->alg == KEY_RSA ? "key-pair" : "public", pub.modulus_len * 8, eh, s1, s256);
	/* emv.ca.<RID>.<II>: the hash terminals are given */
	if (!strncmp(ki->name, "emv.ca.", 7) && strlen(ki->name) == 7 + 10 + 1 + 2 &&
	    ki->name[17] == '.') {
		char rid_s[11];

		memcpy(rid_s, ki->name + 7, 10);
		rid_s[10] = '\0';
		if ((r = emv_parse_rid(rid_s, rid)) < 0 ||
		    (r = emv_parse_ca_index(ki->name + 18, &index)) < 0)
			goto out;
		if ((r = emv_ca_hash(rid, index, &pub, h)) < 0)
			goto out;
		hex_encode(h, 20, s1);
		printf(" ca-hash %s", s1);
	}
	printf("\n");
out:
	cp_pkey_free(pk);
	return r;
}

static int
list_oda(const struct keystore *ks)
{
	int header = 0, r;

	for (size_t i = 0; i < keystore_count(ks); i++) {
		struct key_info ki;
		struct emv_issuer *is = NULL;

		keystore_info(ks, i, &ki);
		if (ki.alg != KEY_RSA && ki.alg != KEY_RSA_PUB && ki.alg != KEY_EMV_CERT)
			continue;
		if (!header++)
			printf("# EMV offline data authentication (hashes over the DER public key; "
			       "ca-hash: SHA-1 over RID, index, modulus, exponent)\n");
		if (ki.alg != KEY_EMV_CERT) {
			if ((r = list_oda_key(ks, &ki)) < 0)
				return r;
			continue;
		}
		/* a certificate: loaded and checked as perso would */
		if (emv_issuer_load(ks, ki.name + strlen("emv.issuer_cert."), &is) < 0) {
			printf("%s INVALID: %s\n", ki.name, cp_errmsg());
			cp_err_clear();
			continue;
		}
		printf("%s CA %02X%02X%02X%02X%02X index %02X, issuer %02X%02X%02X%02X, expires "
		       "%02X/%02X, %zu-byte certificate, %zu-byte remainder\n",
		       ki.name, is->rid[0], is->rid[1], is->rid[2], is->rid[3], is->rid[4],
		       is->ca_index, is->issuer_id[0], is->issuer_id[1], is->issuer_id[2],
		       is->issuer_id[3], is->expiry[0], is->expiry[1], is->cert.cert_len,
		       is->cert.remainder_len);
		emv_issuer_free(is);
	}
	return 0;
}

/* `keys issuer ...` and `keys ca ...`, with their own options. */
static int
oda_cmd(int argc, char **argv, struct cp_ctx *ctx)
{
	static const struct option opts[] = {
		{"help", no_argument, NULL, 'h'},
		{"bank", required_argument, NULL, 'b'},
		{"bits", required_argument, NULL, 'B'},
		{"exponent", required_argument, NULL, 'e'},
		{"file", required_argument, NULL, 'F'},
		{"out", required_argument, NULL, 'o'},
		{"rid", required_argument, NULL, 'R'},
		{"index", required_argument, NULL, 'I'},
		{"hash", required_argument, NULL, 'H'},
		{"replace", no_argument, NULL, 'X'},
		{"pass-fd", required_argument, NULL, 'P'},
		{0},
	};
	static const char *const issuer_subs[] = {"create", "import", "export", "import-cert"};
	static const char *const ca_subs[] = {"import", "export"};
	const char *verb = argv[1], *sub, *bank = NULL, *file = NULL, *out = NULL;
	const char *rid_s = NULL, *index_s = NULL, *hash = NULL;
	unsigned long bits = EMV_DEFAULT_ISSUER_BITS, e = 3;
	unsigned char rid[EMV_RID_LEN], index = 0;
	struct emv_issuer_opts o = {0, NULL};
	long pass_fd = -1;
	char *end;
	int c, r;

	optind = 1;
	while ((c = cmd_getopt(argc - 1, argv + 1, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'h': return cmd_usage(usage, 0);
		case 'b': bank = optarg; break;
		case 'B':
			bits = strtoul(optarg, &end, 10);
			if (*end || !*optarg)
				return cmd_exit("keys", cp_err(CP_ERR_USAGE,
							       "--bits '%s' is not a "
							       "number",
							       optarg));
			break;
		case 'e':
			e = strtoul(optarg, &end, 10);
			if (*end || (e != 3 && e != 65537))
				return cmd_exit("keys", cp_err(CP_ERR_USAGE,
							       "--exponent is 3 or 65537, not '%s'",
							       optarg));
			break;
		case 'F': file = optarg; break;
		case 'o': out = optarg; break;
		case 'R': rid_s = optarg; break;
		case 'I': index_s = optarg; break;
		case 'H': hash = optarg; break;
		case 'X': o.replace = 1; break;
		case 'P':
			pass_fd = strtol(optarg, &end, 10);
			if (*end || !*optarg || pass_fd < 0 || pass_fd > 1024)
				return cmd_exit("keys", cp_err(CP_ERR_USAGE,
							       "--pass-fd '%s' is not a file "
							       "descriptor",
							       optarg));
			break;
		default: return cmd_usage(usage, 1);
		}
	}
	if (optind + 1 >= argc)
		return cmd_usage(usage, 1);
	sub = argv[optind + 1];
	if ((r = keys_harden_process()) < 0)
		return cmd_exit("keys", r);
	if (!strcmp(verb, "issuer")) {
		if (!bank)
			return cmd_exit("keys", cp_err(CP_ERR_USAGE, "keys issuer needs --bank B"));
		if (rid_s) {
			if ((r = emv_parse_rid(rid_s, rid)) < 0)
				return cmd_exit("keys", r);
			o.rid = rid;
		}
		if (!strcmp(sub, "create"))
			r = bits > 4096 ? cp_err(CP_ERR_USAGE, "--bits %lu is too large", bits)
					: oda_issuer_create(ctx, bank, (unsigned)bits, e, &o);
		else if (!strcmp(sub, "import"))
			r = oda_issuer_import(ctx, bank, file, &o, (int)pass_fd);
		else if (!strcmp(sub, "export"))
			r = oda_issuer_export(ctx, bank, out);
		else if (!strcmp(sub, "import-cert"))
			r = oda_issuer_import_cert(ctx, bank, file);
		else
			return cmd_unknown_word("subcommand", sub, issuer_subs, 4);
		return cmd_exit("keys", r);
	}
	if (strcmp(sub, "import") && strcmp(sub, "export"))
		return cmd_unknown_word("subcommand", sub, ca_subs, 2);
	if (!rid_s || !index_s)
		return cmd_exit("keys",
				cp_err(CP_ERR_USAGE, "keys ca needs --rid R and --index II"));
	if ((r = emv_parse_rid(rid_s, rid)) < 0 || (r = emv_parse_ca_index(index_s, &index)) < 0)
		return cmd_exit("keys", r);
	r = !strcmp(sub, "import") ? oda_ca_import(ctx, rid, index, file, hash)
				   : oda_ca_export(ctx, rid, index, out);
	return cmd_exit("keys", r);
}

int
cmd_keys(int argc, char **argv, struct cp_ctx *ctx)
{
	static const struct option opts[] = {
		{"help", no_argument, NULL, 'h'},
		{"test", no_argument, NULL, 't'},
		{"component-file", required_argument, NULL, 'f'},
		{"components", required_argument, NULL, 'n'},
		{"alg", required_argument, NULL, 'a'},
		{"file", required_argument, NULL, 'F'},
		{"prompt", no_argument, NULL, 'p'},
		{"generate", no_argument, NULL, 'g'},
		{"kcv", required_argument, NULL, 'K'},
		{"missing", no_argument, NULL, 'm'},
		{"hex", required_argument, NULL, 'x'},
		{"key", required_argument, NULL, 'k'},
		{"test-key", required_argument, NULL, 'x'},
		{"scheme", required_argument, NULL, 's'},
		{"data", required_argument, NULL, 'd'},
		{"pan", required_argument, NULL, 'P'},
		{"psn", required_argument, NULL, 'S'},
		{"reveal", no_argument, NULL, 'r'},
		{"bank", required_argument, NULL, 'B'},
		{"atc", required_argument, NULL, 'T'},
		{"arqc", required_argument, NULL, 'Q'},
		{"arc", required_argument, NULL, 'C'},
		{"session-key", required_argument, NULL, 'Y'},
		{0},
	};
	const char *files[KEYSTORE_MAX_COMPONENTS + 1], *alg = NULL, *file = NULL, *want = NULL;
	const char *hex = NULL, *name = NULL, *scheme = NULL, *data = NULL, *pan = NULL;
	const char *psn = NULL, *verb;
	struct arqc_args aq = {0};
	size_t nfiles = 0;
	int c, test = 0, nprompt = 0, prompt = 0, gen = 0, missing = 0, reveal = 0, r;

	if (argc < 2)
		return cmd_usage(usage, 1);
	verb = argv[1];
	if (!strcmp(verb, "--help") || !strcmp(verb, "-h"))
		return cmd_usage(usage, 0);
	if (!strcmp(verb, "issuer") || !strcmp(verb, "ca"))
		return oda_cmd(argc, argv, ctx); /* their own options */
	optind = 1;
	while ((c = cmd_getopt(argc - 1, argv + 1, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'h': return cmd_usage(usage, 0);
		case 't': test = 1; break;
		case 'f':
			if (nfiles >= KEYSTORE_MAX_COMPONENTS)
				return cmd_exit("keys",
						cp_err(CP_ERR_USAGE, "at most 3 components"));
			files[nfiles++] = optarg;
			break;
		case 'n': nprompt = atoi(optarg); break;
		case 'a': alg = optarg; break;
		case 'F': file = optarg; break;
		case 'p': prompt = 1; break;
		case 'g': gen = 1; break;
		case 'K': want = optarg; break;
		case 'm': missing = 1; break;
		case 'x': hex = optarg; break;
		case 'k': name = optarg; break;
		case 's': scheme = optarg; break;
		case 'd': data = optarg; break;
		case 'P': pan = optarg; break;
		case 'S': psn = optarg; break;
		case 'r': reveal = 1; break;
		case 'B': aq.bank = optarg; break;
		case 'T': aq.atc = optarg; break;
		case 'Q': aq.arqc = optarg; break;
		case 'C': aq.arc = optarg; break;
		case 'Y': aq.skd = optarg; break;
		default: return cmd_usage(usage, 1);
		}
	}
	/* key material is handled below: no core dumps, secure heap */
	if ((r = keys_harden_process()) < 0)
		return cmd_exit("keys", r);
	if (!strcmp(verb, "ceremony"))
		r = test ? ceremony_test(ctx) : ceremony(ctx, files, nfiles, nprompt);
	else if (!strcmp(verb, "import")) {
		if (optind + 1 >= argc)
			return cmd_usage(usage, 1);
		r = import(ctx, argv[optind + 1], alg, file, prompt, gen, want);
	} else if (!strcmp(verb, "list"))
		r = list(ctx, missing);
	else if (!strcmp(verb, "kcv"))
		r = kcv_cmd(ctx, alg, hex, name);
	else if (!strcmp(verb, "diversify")) {
		if (!scheme)
			return cmd_exit("keys", cp_err(CP_ERR_USAGE, "diversify needs --scheme"));
		r = diversify(ctx, scheme, name, hex, data, pan, psn, reveal);
	} else if (!strcmp(verb, "public")) {
		if (optind + 1 >= argc)
			return cmd_usage(usage, 1);
		r = public_cmd(ctx, argv[optind + 1]);
	} else if (!strcmp(verb, "arqc-verify")) {
		aq.pan = pan;
		aq.psn = psn;
		aq.data = data;
		if ((r = arqc_verify(ctx, &aq)) == 1)
			return EXIT_REJECTS; /* the ARQC does not match */
	} else {
		fprintf(stderr, "cardpipe keys: unknown subcommand '%s'\n\n", verb);
		return cmd_usage(usage, 1);
	}
	return cmd_exit("keys", r);
}
