/*
 * ceremony.c - LMK components and the TEST ONLY store (see ceremony.h).
 */
#include "personalization/keys/ceremony.h"

#include "core/config.h"
#include "core/err.h"
#include "core/fsutil.h"
#include "core/hex.h"
#include "core/mem.h"
#include "personalization/crypto/cipher.h"
#include "personalization/crypto/hash.h"
#include "personalization/crypto/kcv.h"
#include "personalization/crypto/secmem.h"
#include "personalization/keys/keystore.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

int
component_parse(const char *text, unsigned char *out)
{
	char hex[2 * LMK_LEN + 1];
	size_t n = 0;
	int comment = 0;

	for (const char *p = text; *p; p++) {
		if (*p == '#')
			comment = 1;
		if (*p == '\n') {
			comment = 0;
			continue;
		}
		if (comment || *p == ' ' || *p == '\t' || *p == '\r')
			continue;
		if (n >= 2 * LMK_LEN) {
			cp_memzero(hex, sizeof(hex));
			return cp_err(CP_ERR_FORMAT,
				      "a component has exactly %d hex digits, found more",
				      2 * LMK_LEN);
		}
		hex[n++] = *p;
	}
	hex[n] = '\0';
	if (n != 2 * LMK_LEN || hex_decode(hex, out, LMK_LEN) != LMK_LEN) {
		cp_memzero(hex, sizeof(hex));
		return cp_err(CP_ERR_FORMAT,
			      "a component has exactly %d hex digits (found %zu, or "
			      "not hex)",
			      2 * LMK_LEN, n);
	}
	cp_memzero(hex, sizeof(hex));
	return 0;
}

int
component_read_file(const char *path, unsigned char *out)
{
	unsigned char *data = NULL;
	size_t len = 0;
	struct stat st;
	int r;

	/* lstat: a symbolic link would let whoever can write its folder swap the component */
	if (lstat(path, &st) != 0)
		return cp_err(errno == ENOENT ? CP_ERR_NOTFOUND : CP_ERR_IO,
			      "component file '%s': %s", path, strerror(errno));
	if (S_ISLNK(st.st_mode) || !S_ISREG(st.st_mode))
		return cp_err(CP_ERR_PERM, "component file '%s' is %s", path,
			      S_ISLNK(st.st_mode) ? "a symbolic link; keep the file itself there"
						  : "not a regular file");
	if (st.st_mode & 077)
		return cp_err(CP_ERR_PERM, "component file '%s' is readable by others (mode %04o)",
			      path, (unsigned)(st.st_mode & 07777));
	if ((r = fs_read_file(path, 4096, &data, &len)) < 0)
		return r;
	r = component_parse((const char *)data, out);
	cp_freezero(data, len);
	if (r < 0)
		return cp_err_wrap(r, "component file '%s': ", path);
	return 0;
}

int
keys_read_secret(const char *prompt, char *line, size_t size)
{
	struct termios old, quiet;
	int fd = open("/dev/tty", O_RDWR | O_CLOEXEC), have_tty = fd >= 0, r = 0;
	FILE *in;
	size_t n;

	if (!have_tty)
		return cp_err(CP_ERR_USAGE,
			      "no terminal to prompt on; give the components as files");
	if (tcgetattr(fd, &old) != 0) {
		close(fd);
		return cp_err(CP_ERR_IO, "cannot read terminal settings");
	}
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	quiet.c_lflag |= ICANON;
	if (write(fd, prompt, strlen(prompt)) < 0 || tcsetattr(fd, TCSAFLUSH, &quiet) != 0) {
		close(fd);
		return cp_err(CP_ERR_IO, "cannot turn echo off");
	}
	in = fdopen(dup(fd), "r");
	if (!in || !fgets(line, (int)size, in))
		r = cp_err(CP_ERR_IO, "no component entered");
	if (in)
		fclose(in);
	tcsetattr(fd, TCSAFLUSH, &old);
	if (write(fd, "\n", 1) < 0)
		r = r ? r : cp_err(CP_ERR_IO, "terminal write failed");
	close(fd);
	n = strlen(line);
	if (n && line[n - 1] == '\n')
		line[n - 1] = '\0';
	return r;
}

int
component_prompt(int index, unsigned char *out)
{
	char line[256], prompt[96];
	unsigned char again[LMK_LEN];
	int r;

	snprintf(prompt, sizeof(prompt),
		 "Custodian %d, enter your component (64 hex digits): ", index);
	if ((r = keys_read_secret(prompt, line, sizeof(line))) < 0 ||
	    (r = component_parse(line, out)) < 0)
		goto out;
	snprintf(prompt, sizeof(prompt), "Custodian %d, enter it again: ", index);
	if ((r = keys_read_secret(prompt, line, sizeof(line))) < 0 ||
	    (r = component_parse(line, again)) < 0)
		goto out;
	if (memcmp(out, again, LMK_LEN) != 0)
		r = cp_err(CP_ERR_INVALID, "custodian %d: the two entries differ", index);
out:
	cp_memzero(line, sizeof(line));
	cp_memzero(again, sizeof(again));
	return r;
}

int
component_generate_file(const char *path, unsigned char *out)
{
	char hex[2 * LMK_LEN + 1], text[2 * LMK_LEN + 128];
	char *dir = xstrdup(path), *slash = strrchr(dir, '/');
	int r = 0;

	if (slash) {
		*slash = '\0';
		r = fs_mkdirs(dir, 0700);
	}
	free(dir);
	if (r < 0)
		return r;
	if (RAND_priv_bytes(out, LMK_LEN) != 1)
		return cp_err(CP_ERR_CRYPTO, "no random bytes for a component");
	hex_encode(out, LMK_LEN, hex);
	snprintf(text, sizeof(text),
		 "# cardpipe LMK component - TEST ONLY - not for production\n%s\n", hex);
	r = fs_write_atomic(path, text, strlen(text), 0600);
	cp_memzero(hex, sizeof(hex));
	cp_memzero(text, sizeof(text));
	return r;
}

int
test_key_value(const char *name, int tdes, unsigned char *out, size_t len)
{
	unsigned char md[64];
	char label[128];
	int r;

	if (len > 32)
		return cp_err(CP_ERR_INVALID, "test keys have at most 32 bytes");
	if (!strcmp(name, "kmc") || !strcmp(name, "kmc-emv")) {
		/* the public GlobalPlatform test key 40..4F, which test cards and the virtual
		 * card ship with */
		for (size_t i = 0; i < len; i++)
			out[i] = (unsigned char)(0x40 + i % 16);
		return 0;
	}
	snprintf(label, sizeof(label), "%s%s", TEST_KEY_LABEL, name);
	if ((r = cp_sm3(label, strlen(label), md)) < 0)
		return r;
	memcpy(out, md, len);
	if (tdes)
		cp_des_set_odd_parity(out, len);
	cp_memzero(md, sizeof(md));
	return 0;
}

/* Call fn("line.<N>.transport", ...) for each line in a comma list. */
static int
each_line(const char *list, int alg, size_t len, int (*fn)(const char *, int, size_t, void *),
	  void *arg)
{
	char *dup = xstrdup(list), *save = NULL, name[KEY_NAME_MAX + 1];
	int r = 0;

	for (char *t = strtok_r(dup, ", ", &save); t && r >= 0; t = strtok_r(NULL, ", ", &save)) {
		snprintf(name, sizeof(name), "line.%s.transport", t);
		r = fn(name, alg, len, arg);
	}
	free(dup);
	return r;
}

/* 1 when bank is named in keys.bank_sm4. */
static int
bank_is_sm4(const struct config *cfg, const char *bank)
{
	char *dup = xstrdup(config_str(cfg, "keys.bank_sm4")), *save = NULL;
	int yes = 0;

	for (char *t = strtok_r(dup, ", ", &save); t; t = strtok_r(NULL, ", ", &save))
		if (!strcmp(t, bank))
			yes = 1;
	free(dup);
	return yes;
}

int
keys_required(const struct config *cfg, int (*fn)(const char *, int, size_t, void *), void *arg)
{
	static const char *const ssse[] = {"ssse.ext-auth", "ssse.maint", "ssse.pin"};
	static const char *const transport[] = {"transport.purchase", "transport.load",
						"transport.tac"};
	char *banks = xstrdup(config_str(cfg, "banks.cooperating")), *save = NULL;
	char name[KEY_NAME_MAX + 1];
	int r;

	if ((r = fn("kmc", KEY_AES, 16, arg)) < 0 || (r = fn("kmc-emv", KEY_TDES, 16, arg)) < 0)
		goto out;
	for (size_t i = 0; i < 3; i++)
		if ((r = fn(ssse[i], KEY_SM4, 16, arg)) < 0 ||
		    (r = fn(transport[i], KEY_SM4, 16, arg)) < 0)
			goto out;
	for (char *b = strtok_r(banks, ", ", &save); b; b = strtok_r(NULL, ", ", &save)) {
		int alg = bank_is_sm4(cfg, b) ? KEY_SM4 : KEY_TDES;
		static const char *const mk[] = {"mk-ac", "mk-smi", "mk-smc"};

		for (size_t i = 0; i < 3; i++) {
			snprintf(name, sizeof(name), "bank.%s.%s", b, mk[i]);
			if ((r = fn(name, alg, 16, arg)) < 0)
				goto out;
		}
	}
	if ((r = each_line(config_str(cfg, "produce.lines"), KEY_AES, 32, fn, arg)) < 0 ||
	    (r = each_line(config_str(cfg, "produce.branch_lines"), KEY_AES, 32, fn, arg)) < 0)
		goto out;
	r = fn("report.sign", KEY_SM2, 0, arg);
out:
	free(banks);
	return r;
}

static int
populate_one(const char *name, int alg, size_t len, void *arg)
{
	struct keystore *ks = arg;
	unsigned char v[32];
	int r;

	if (keystore_has(ks, name))
		return 0;
	if (alg == KEY_SM2)
		return keystore_generate_sm2(ks, name);
	if ((r = test_key_value(name, alg == KEY_TDES, v, len)) < 0)
		return r;
	r = keystore_put(ks, name, (enum key_alg)alg, v, len);
	cp_memzero(v, sizeof(v));
	return r;
}

int
test_store_populate(struct keystore *ks, const struct config *cfg)
{
	if (!keystore_is_test(ks))
		return cp_err(CP_ERR_PERM, "refusing to put well-known test keys into a production "
					   "key store");
	return keys_required(cfg, populate_one, ks);
}
