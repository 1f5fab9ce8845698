/*
 * component.c - the custodians' LMK components: parsed, read from a private file, typed
 * without echo, or generated for a TEST ONLY store (see component.h).
 */
#include "personalization/keys/component.h"

#include "core/err.h"
#include "core/fsutil.h"
#include "core/hex.h"
#include "core/mem.h"
#include "personalization/crypto/random.h"

#include <errno.h>
#include <fcntl.h>
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
	if (cp_random_priv_bytes(out, LMK_LEN) < 0)
		return cp_err(CP_ERR_CRYPTO, "no random bytes for a component");
	hex_encode(out, LMK_LEN, hex);
	snprintf(text, sizeof(text),
		 "# cardpipe LMK component - TEST ONLY - not for production\n%s\n", hex);
	r = fs_write_atomic(path, text, strlen(text), 0600);
	cp_memzero(hex, sizeof(hex));
	cp_memzero(text, sizeof(text));
	return r;
}
