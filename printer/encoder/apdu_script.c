/* apdu_script.c - plain APDU scripts in text (see apdu_script.h). */
#include "printer/encoder/apdu_script.h"

#include "core/err.h"
#include "core/fsutil.h"
#include "core/hex.h"
#include "core/mem.h"

#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#define MAX_COMMANDS 4096

struct cmd {
	unsigned char apdu[261];
	size_t len;
	uint16_t sw[4];
	size_t n_sw;
	size_t sens_off, sens_len;
	char label[48];
};

struct apdu_script {
	struct cmd *cmds;
	size_t n, next;
};

static int
parse_line(char *line, struct cmd *c, const char *name, int lineno)
{
	char hex[2 * 261 + 1];
	size_t hn = 0;
	char *p = line, *save = NULL, *w;
	int n;

	memset(c, 0, sizeof *c);
	/* The hex part: everything up to the first word containing '='. */
	for (w = strtok_r(p, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
		char *eq = strchr(w, '=');
		if (!eq) {
			size_t wl = strlen(w);
			if (hn + wl >= sizeof hex)
				return cp_err(CP_ERR_LIMIT, "%s:%d: APDU longer than 261 bytes",
					      name, lineno);
			memcpy(hex + hn, w, wl);
			hn += wl;
			continue;
		}
		*eq = '\0';
		if (strcmp(w, "sw") == 0) {
			char *s2 = NULL, *v;
			for (v = strtok_r(eq + 1, ",", &s2); v; v = strtok_r(NULL, ",", &s2)) {
				char *end;
				unsigned long sw = strtoul(v, &end, 16);
				if (*end || strlen(v) != 4 || c->n_sw >= 4)
					return cp_err(CP_ERR_FORMAT,
						      "%s:%d: sw '%s': up to 4 status words of 4 "
						      "hex digits",
						      name, lineno, v);
				c->sw[c->n_sw++] = (uint16_t)sw;
			}
		} else if (strcmp(w, "sens") == 0) {
			char *end;
			c->sens_off = strtoul(eq + 1, &end, 10);
			if (*end != ':' || (c->sens_len = strtoul(end + 1, &end, 10), *end) ||
			    !c->sens_len)
				return cp_err(CP_ERR_FORMAT, "%s:%d: sens: expected OFFSET:LENGTH",
					      name, lineno);
		} else if (strcmp(w, "label") == 0) {
			snprintf(c->label, sizeof c->label, "%s", eq + 1);
		} else {
			return cp_err(CP_ERR_FORMAT, "%s:%d: unknown field '%s' (sw, sens, label)",
				      name, lineno, w);
		}
	}
	hex[hn] = '\0';
	if ((n = hex_decode(hex, c->apdu, sizeof c->apdu)) < 0)
		return cp_err_wrap(n, "%s:%d: APDU: ", name, lineno);
	if (n < 4)
		return cp_err(CP_ERR_FORMAT, "%s:%d: an APDU has at least 4 bytes", name, lineno);
	c->len = (size_t)n;
	if (c->sens_len && (c->len < 5 || c->sens_off + c->sens_len > c->apdu[4] ||
			    5 + (size_t)c->apdu[4] > c->len))
		return cp_err(CP_ERR_FORMAT, "%s:%d: sens range outside the data field", name,
			      lineno);
	return 0;
}

int
apdu_script_parse(const char *text, const char *name, struct apdu_script **out)
{
	struct apdu_script *s = xcalloc(1, sizeof *s);
	char *copy = xstrdup(text), *save = NULL, *line;
	int lineno = 0, r = 0;
	size_t cap = 0;

	*out = NULL;
	for (line = copy; line && r == 0; line = save) {
		char *nl = strchr(line, '\n'), *hash;
		save = nl ? nl + 1 : NULL;
		if (nl)
			*nl = '\0';
		lineno++;
		if ((hash = strchr(line, '#')))
			*hash = '\0';
		line += strspn(line, " \t\r");
		if (!*line)
			continue;
		if (s->n >= MAX_COMMANDS) {
			r = cp_err(CP_ERR_LIMIT, "%s: more than %d commands", name, MAX_COMMANDS);
			break;
		}
		if (s->n == cap) {
			cap = cap ? 2 * cap : 32;
			s->cmds = xrealloc(s->cmds, cap * sizeof *s->cmds);
		}
		for (char *cr = line; *cr; cr++)
			if (*cr == '\r')
				*cr = ' ';
		if ((r = parse_line(line, &s->cmds[s->n], name, lineno)) == 0)
			s->n++;
	}
	cp_freezero(copy, strlen(text) + 1);
	if (r < 0) {
		apdu_script_free(s);
		return r;
	}
	*out = s;
	return 0;
}

int
apdu_script_load(const char *path, struct apdu_script **out)
{
	unsigned char *data = NULL;
	size_t len = 0;
	int r;

	*out = NULL;
	if ((r = fs_read_file(path, 4 << 20, &data, &len)) < 0)
		return cp_err_wrap(r, "script '%s': ", path);
	r = apdu_script_parse((const char *)data, path, out);
	cp_freezero(data, len);
	return r;
}

void
apdu_script_free(struct apdu_script *s)
{
	if (!s)
		return;
	if (s->cmds)
		cp_freezero(s->cmds, s->n * sizeof *s->cmds);
	free(s);
}

size_t
apdu_script_count(const struct apdu_script *s)
{
	return s->n;
}

static int
next(void *ctx, struct encoder_cmd *ec)
{
	struct apdu_script *s = ctx;
	const struct cmd *c;

	if (s->next >= s->n)
		return 0;
	c = &s->cmds[s->next++];
	memset(ec, 0, sizeof *ec);
	ec->apdu = c->apdu;
	ec->len = c->len;
	memcpy(ec->sw, c->sw, sizeof ec->sw);
	ec->n_sw = c->n_sw;
	ec->sens_off = c->sens_off;
	ec->sens_len = c->sens_len;
	ec->label = c->label[0] ? c->label : NULL;
	return 1;
}

struct encoder_script
apdu_script_iter(struct apdu_script *s)
{
	s->next = 0;
	return (struct encoder_script){.ctx = s, .next = next};
}
