/* apdu_script.c - plain APDU scripts in text (see apdu_script.h). */
#include "printer/encoder/apdu_script.h"

#include "core/err.h"
#include "core/fsutil.h"
#include "core/mem.h"
#include "personalization/chip/script_line.h"

#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#define MAX_COMMANDS 4096

struct apdu_script {
	struct perso_line *cmds;
	size_t n, next;
};

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
		if ((r = perso_line_parse(line, line + strlen(line), name, lineno,
					  &s->cmds[s->n])) == 0)
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

static int
next(void *ctx, struct encoder_cmd *ec)
{
	struct apdu_script *s = ctx;
	const struct perso_line *c;

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
