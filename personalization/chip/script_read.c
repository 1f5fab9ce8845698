/*
 * script_read.c - parsing and checking a perso script (see script.h;
 * docs/perso-script-format.md).
 */
#include "personalization/chip/script.h"
#include "personalization/chip/script_line.h"

#include "core/err.h"
#include "core/hex.h"
#include "core/mem.h"
#include "personalization/crypto/hash.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CMDS 4096
#define MAX_SCRIPT_BYTES (1 << 20)

struct perso_script {
	char card_no[16];
	int line;
	char tk_name[64], tk_kcv[7];
	struct perso_cmd *cmds;
	size_t n;
	unsigned char *apdus; /* all APDUs back to back */
	char *labels;	      /* all labels, NUL-separated */
};

void
perso_script_free(struct perso_script *s)
{
	if (!s)
		return;
	free(s->cmds);
	free(s->apdus);
	free(s->labels);
	free(s);
}

const char *
perso_script_card_no(const struct perso_script *s)
{
	return s->card_no;
}

int
perso_script_line(const struct perso_script *s)
{
	return s->line;
}

const char *
perso_script_tk_name(const struct perso_script *s)
{
	return s->tk_name;
}

const char *
perso_script_tk_kcv(const struct perso_script *s)
{
	return s->tk_kcv;
}

size_t
perso_script_count(const struct perso_script *s)
{
	return s->n;
}

const struct perso_cmd *
perso_script_cmd(const struct perso_script *s, size_t i)
{
	return i < s->n ? &s->cmds[i] : NULL;
}

int
perso_script_parse(const char *text, size_t len, const char *name, struct perso_script **out)
{
	struct perso_script *s = xcalloc(1, sizeof(*s));
	struct buf apdus = BUF_INIT(MAX_SCRIPT_BYTES), labels = BUF_INIT(MAX_SCRIPT_BYTES);
	size_t *apos = NULL, *lpos = NULL, cap = 0;
	int ln = 0, have_end = 0, have_format = 0, r = 0;
	const char *p = text, *end = text + len;

	*out = NULL;
	if (len > MAX_SCRIPT_BYTES) {
		r = cp_err(CP_ERR_LIMIT, "%s: script larger than %d bytes", name, MAX_SCRIPT_BYTES);
		goto out;
	}
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *le;

		ln++;
		if (!nl) {
			r = cp_err(CP_ERR_INTEGRITY, "%s:%d: no newline at the end: truncated",
				   name, ln);
			goto out;
		}
		le = nl;
		if (le > p && le[-1] == '\r')
			le--;
		if (have_end) {
			r = cp_err(CP_ERR_FORMAT, "%s:%d: text after the end line", name, ln);
			goto out;
		}
		if (le - p >= 2 && p[0] == '#' && p[1] == '@') {
			char d[256], a[80], b[80], c[80];
			size_t dl = (size_t)(le - p);
			int nf;

			if (dl >= sizeof(d)) {
				r = cp_err(CP_ERR_FORMAT, "%s:%d: directive too long", name, ln);
				goto out;
			}
			memcpy(d, p, dl);
			d[dl] = '\0';
			nf = sscanf(d, "#@ %79s %79s %79s %79s", a, b, c, c);
			if (nf >= 2 && !strcmp(a, "format")) {
				if (strcmp(b, "1")) {
					r = cp_err(CP_ERR_FORMAT,
						   "%s:%d: script format %s is not supported", name,
						   ln, b);
					goto out;
				}
				have_format = 1;
			} else if (nf >= 2 && !strcmp(a, "card"))
				snprintf(s->card_no, sizeof(s->card_no), "%s", b);
			else if (nf >= 2 && !strcmp(a, "line"))
				s->line = atoi(b);
			else if (!strcmp(a, "transport-key") &&
				 sscanf(d, "#@ transport-key %63s %*s %6s", s->tk_name,
					s->tk_kcv) == 2)
				;
			else if (!strcmp(a, "end")) {
				unsigned char md[32], want[32];
				unsigned long cnt = strtoul(b, NULL, 10);

				if (nf < 3 || hex_decode(c, want, 32) != 32) {
					r = cp_err(CP_ERR_FORMAT, "%s:%d: malformed end line", name,
						   ln);
					goto out;
				}
				if ((r = cp_sha256(text, (size_t)(p - text), md)) < 0)
					goto out;
				if (cnt != s->n || cp_ct_memcmp(md, want, 32) != 0) {
					r = cp_err(
						CP_ERR_INTEGRITY,
						"%s:%d: the script was changed: %zu commands and "
						"its SHA-256 do not match the end line",
						name, ln, s->n);
					goto out;
				}
				have_end = 1;
			} else {
				r = cp_err(CP_ERR_FORMAT, "%s:%d: unknown directive '%s'", name, ln,
					   a);
				goto out;
			}
		} else if (le > p && p[0] != '#') {
			struct perso_line l;

			if (s->n >= MAX_CMDS) {
				r = cp_err(CP_ERR_LIMIT, "%s: more than %d commands", name,
					   MAX_CMDS);
				goto out;
			}
			if (s->n == cap) {
				cap = cap ? 2 * cap : 64;
				s->cmds = xrealloc(s->cmds, cap * sizeof(*s->cmds));
				apos = xrealloc(apos, cap * sizeof(*apos));
				lpos = xrealloc(lpos, cap * sizeof(*lpos));
			}
			/* an over-long APDU is a malformed perso script (CP_ERR_LIMIT only in
			 * the encoder's plain scripts, whose exit status tells them apart) */
			if ((r = perso_line_parse(p, le, name, ln, &l)) < 0) {
				if (r == CP_ERR_LIMIT)
					r = cp_err_wrap(CP_ERR_FORMAT, "%s", "");
				goto out;
			}
			apos[s->n] = apdus.len;
			lpos[s->n] = labels.len;
			if ((r = buf_append(&apdus, l.apdu, l.len)) < 0 ||
			    (r = buf_append(&labels, l.label, strlen(l.label) + 1)) < 0)
				goto out;
			s->cmds[s->n] = (struct perso_cmd){.len = l.len,
							   .n_sw = l.n_sw,
							   .sens_off = l.sens_off,
							   .sens_len = l.sens_len};
			memcpy(s->cmds[s->n].sw, l.sw, sizeof(l.sw));
			s->n++;
		}
		p = nl + 1;
	}
	if (!have_format || !have_end || !s->card_no[0]) {
		r = cp_err(CP_ERR_INTEGRITY, "%s: %s", name,
			   !have_end ? "no end line: the script is truncated"
				     : "format or card line missing");
		goto out;
	}
	s->apdus = buf_detach(&apdus, &cap);
	s->labels = (char *)buf_detach(&labels, &cap);
	for (size_t i = 0; i < s->n; i++) {
		s->cmds[i].apdu = s->apdus + apos[i];
		s->cmds[i].label = s->labels[lpos[i]] ? s->labels + lpos[i] : NULL;
	}
	*out = s;
	s = NULL;
out:
	buf_release(&apdus);
	buf_release(&labels);
	free(apos);
	free(lpos);
	perso_script_free(s);
	return r;
}
