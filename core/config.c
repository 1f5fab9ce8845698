/* config.c - layered configuration over the one key table (see config.h). */
#include "core/config.h"

#include "core/err.h"
#include "core/mem.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

struct config {
	char **values; /* one per config_keys[] entry */
	enum config_source *sources;
	/* First problem met while parsing a file, reported after ini_parse returns. */
	int parse_error;
	char parse_msg[512];
};

static ptrdiff_t
key_index(const char *name)
{
	for (size_t i = 0; i < config_nkeys; i++)
		if (strcmp(config_keys[i].name, name) == 0)
			return (ptrdiff_t)i;
	return -1;
}

struct config *
config_new(void)
{
	struct config *cfg = xcalloc(1, sizeof(*cfg));

	cfg->values = xcalloc(config_nkeys, sizeof(char *));
	cfg->sources = xcalloc(config_nkeys, sizeof(enum config_source));
	for (size_t i = 0; i < config_nkeys; i++)
		cfg->values[i] = xstrdup(config_keys[i].def);
	return cfg;
}

void
config_free(struct config *cfg)
{
	if (!cfg)
		return;
	for (size_t i = 0; i < config_nkeys; i++)
		free(cfg->values[i]);
	free(cfg->values);
	free(cfg->sources);
	free(cfg);
}

/* Is value one of k->words? Whole numbers compare by value ("064" is 64). */
static int
in_words(const struct config_key *k, const char *value)
{
	for (const char *w = k->words; *w;) {
		size_t n = strcspn(w, "|");

		if (k->type == CFG_INT ? strtoll(w, NULL, 10) == strtoll(value, NULL, 10)
				       : (strlen(value) == n && strncmp(w, value, n) == 0))
			return 1;
		w += n + (w[n] == '|');
	}
	return 0;
}

void
config_allowed(const struct config_key *k, char *out, size_t outsz)
{
	size_t len = 0;

	out[0] = '\0';
	if (k->words) {
		for (const char *w = k->words; *w && len < outsz;) {
			size_t n = strcspn(w, "|");
			int last = w[n] == '\0';

			len += (size_t)snprintf(out + len, outsz - len, "%s%.*s",
						w == k->words ? ""
						: last	      ? " or "
							      : ", ",
						(int)n, w);
			w += n + !last;
		}
		return;
	}
	if (k->has_min && k->has_max)
		len = (size_t)snprintf(out, outsz, "%lld..%lld", k->min, k->max);
	else if (k->has_min)
		len = (size_t)snprintf(out, outsz, "%lld or more", k->min);
	else if (k->has_max)
		len = (size_t)snprintf(out, outsz, "at most %lld", k->max);
	if (len && len < outsz && k->unit)
		snprintf(out + len, outsz - len, " %s", k->unit);
}

/* The key's range or words (the type is already checked). */
static int
check_allowed(const struct config_key *k, const char *value)
{
	char allowed[256];
	int low = 0, high = 0;

	if (k->type == CFG_INT) {
		long long v = strtoll(value, NULL, 10);

		low = k->has_min && v < k->min;
		high = k->has_max && v > k->max;
	} else if (k->type == CFG_DOUBLE) {
		double v = strtod(value, NULL);

		low = k->has_min && v < (double)k->min;
		high = k->has_max && v > (double)k->max;
	}
	if (!low && !high && (!k->words || in_words(k, value)))
		return 0;
	config_allowed(k, allowed, sizeof(allowed));
	return cp_err(CP_ERR_CONFIG, "%s: '%s' is %s, expected %s", k->name, value,
		      low || high ? "out of range" : "not allowed", allowed);
}

/* The value's type; these texts are older than --set's prefix and stay without it. */
static int
check_type(const struct config_key *k, const char *value)
{
	char *end;

	switch (k->type) {
	case CFG_INT:
		errno = 0;
		(void)strtoll(value, &end, 10);
		if (errno || end == value || *end)
			return cp_err(CP_ERR_CONFIG, "%s: '%s' is not a whole number", k->name,
				      value);
		break;
	case CFG_DOUBLE:
		errno = 0;
		(void)strtod(value, &end);
		if (errno || end == value || *end)
			return cp_err(CP_ERR_CONFIG, "%s: '%s' is not a number", k->name, value);
		break;
	case CFG_BOOL:
		if (strcmp(value, "true") && strcmp(value, "false") && strcmp(value, "yes") &&
		    strcmp(value, "no") && strcmp(value, "1") && strcmp(value, "0"))
			return cp_err(CP_ERR_CONFIG, "%s: '%s' is not true or false", k->name,
				      value);
		break;
	case CFG_STR:
	case CFG_PATH: break;
	}
	return 0;
}

int
config_set(struct config *cfg, const char *name, const char *value, enum config_source src)
{
	ptrdiff_t i = key_index(name);
	int r;

	if (i < 0)
		return cp_err(CP_ERR_CONFIG, "unknown configuration key '%s'", name);
	if ((r = check_type(&config_keys[i], value)) < 0)
		return r;
	/* a file names its line and the environment its variable: see the callers */
	if ((r = check_allowed(&config_keys[i], value)) < 0)
		return src == CFG_CLI ? cp_err_wrap(r, "--set: ") : r;
	free(cfg->values[i]);
	cfg->values[i] = xstrdup(value);
	cfg->sources[i] = src;
	return 0;
}

static int
on_ini_entry(void *user, const char *section, const char *name, const char *value)
{
	struct config *cfg = user;
	char *full = xasprintf("%s.%s", section, name);
	int r = config_set(cfg, full, value, CFG_FILE);

	free(full);
	if (r < 0 && !cfg->parse_error) {
		cfg->parse_error = r;
		snprintf(cfg->parse_msg, sizeof(cfg->parse_msg), "%s", cp_errmsg());
	}
	return r == 0;
}

int
config_load_file(struct config *cfg, const char *path)
{
	FILE *f = fopen(path, "r");
	char text[4096];
	int line;

	if (!f)
		return cp_err(errno == ENOENT ? CP_ERR_NOTFOUND : CP_ERR_CONFIG,
			      "cannot read configuration '%s': %s", path, strerror(errno));
	/* libinih is built with 200-byte lines: say so rather than misread a longer one */
	for (int n = 1; fgets(text, sizeof(text), f); n++) {
		if (strlen(text) >= 199 && !strchr("#;", text[0])) {
			fclose(f);
			return cp_err(CP_ERR_CONFIG, "%s:%d: line longer than 198 bytes", path, n);
		}
	}
	rewind(f);
	cfg->parse_error = 0;
	line = ini_parse_file(f, on_ini_entry, cfg);
	fclose(f);
	if (line < 0)
		return cp_err(CP_ERR_CONFIG, "cannot read configuration '%s'", path);
	if (line > 0)
		return cp_err(CP_ERR_CONFIG, "%s:%d: %s", path, line,
			      cfg->parse_error ? cfg->parse_msg : "syntax error");
	return 0;
}

/* "photo.min_bytes" -> "CARDPIPE_PHOTO_MIN_BYTES" */
static void
env_name(const char *key, char *out, size_t outsz)
{
	size_t n = (size_t)snprintf(out, outsz, "CARDPIPE_%s", key);

	for (size_t i = 9; i < n && i < outsz; i++)
		out[i] = (out[i] == '.' || out[i] == '-') ? '_'
							  : (char)toupper((unsigned char)out[i]);
}

int
config_load_env(struct config *cfg)
{
	char name[128];
	int r;

	for (size_t i = 0; i < config_nkeys; i++) {
		const char *v;

		env_name(config_keys[i].name, name, sizeof(name));
		if ((v = getenv(name)) == NULL)
			continue;
		if ((r = config_set(cfg, config_keys[i].name, v, CFG_ENV)) < 0)
			return cp_err_wrap(r, "environment %s: ", name);
	}
	return 0;
}

static const char *
value_of(const struct config *cfg, const char *name)
{
	ptrdiff_t i = key_index(name);

	if (i < 0) {
		fprintf(stderr, "cardpipe: BUG: configuration key '%s' is not in the table\n",
			name);
		abort();
	}
	return cfg->values[i];
}

const char *
config_str(const struct config *cfg, const char *name)
{
	return value_of(cfg, name);
}

long long
config_int(const struct config *cfg, const char *name)
{
	return strtoll(value_of(cfg, name), NULL, 10);
}

double
config_double(const struct config *cfg, const char *name)
{
	return strtod(value_of(cfg, name), NULL);
}

int
config_bool(const struct config *cfg, const char *name)
{
	const char *v = value_of(cfg, name);

	return !strcmp(v, "true") || !strcmp(v, "yes") || !strcmp(v, "1");
}

char *
config_path(const struct config *cfg, const char *name, const char *home)
{
	const char *v = value_of(cfg, name);

	if (v[0] == '/' || !home || !home[0] || !v[0])
		return xstrdup(v);
	return xasprintf("%s/%s", home, v);
}

/* "allowed: 0..9 seconds", "unit: bytes" or "" (anything of its type) */
static void
constraint_text(const struct config_key *k, char *out, size_t outsz)
{
	char allowed[256];

	config_allowed(k, allowed, sizeof(allowed));
	if (allowed[0])
		snprintf(out, outsz, "allowed: %s", allowed);
	else if (k->unit)
		snprintf(out, outsz, "unit: %s", k->unit);
	else
		out[0] = '\0';
}

void
config_show(const struct config *cfg, void *file, int with_help, config_shown_fn shown)
{
	static const char *const src_names[] = {"default", "file", "environment", "command line"};
	FILE *out = file;
	char section[64] = "";

	for (size_t i = 0; i < config_nkeys; i++) {
		const char *name = config_keys[i].name, *dot = strchr(name, '.');
		size_t slen = (size_t)(dot - name);

		if (strlen(section) != slen || strncmp(section, name, slen) != 0) {
			snprintf(section, sizeof(section), "%.*s", (int)slen, name);
			fprintf(out, "%s[%s]\n", i ? "\n" : "", section);
		}
		if (with_help) {
			char c[300];

			fprintf(out, "# %s\n", config_keys[i].help);
			constraint_text(&config_keys[i], c, sizeof(c));
			if (c[0])
				fprintf(out, "# %s\n", c);
		}
		/* on its own line: libinih reads lines of at most 200 bytes */
		if (cfg->sources[i] != CFG_DEFAULT)
			fprintf(out, "; from %s\n", src_names[cfg->sources[i]]);
		fprintf(out, "%s = %s\n", dot + 1,
			shown ? shown(name, cfg->values[i]) : cfg->values[i]);
	}
}

/* Lines of cardpipe.conf stay under libinih's 200 bytes: a meaning is wrapped. */
#define TEMPLATE_WIDTH 88

static void
put_wrapped_comment(FILE *out, const char *text)
{
	while (*text) {
		size_t n = strlen(text), cut = n;

		if (n > TEMPLATE_WIDTH) {
			cut = TEMPLATE_WIDTH;
			while (cut > 0 && text[cut] != ' ')
				cut--;
			if (cut == 0) /* one long word: cut at the width, never inside UTF-8 */
				for (cut = TEMPLATE_WIDTH; cut < n && (text[cut] & 0xC0) == 0x80;)
					cut++;
		}
		fprintf(out, "# %.*s\n", (int)cut, text);
		text += cut;
		while (*text == ' ')
			text++;
	}
}

static const char *
type_name(enum config_type t)
{
	static const char *const names[] = {"text", "whole number", "true or false", "number",
					    "path"};

	return names[t];
}

void
config_write_template(void *file)
{
	FILE *out = file;
	char section[64] = "", c[300];

	fputs("; cardpipe configuration (cardpipe.conf(5)). Every key is listed, commented out, "
	      "at\n"
	      "; its default: remove the ';' before a key to change it. 'cardpipe config --show'\n"
	      "; prints the effective values and marks those that are not the default.\n"
	      "; Precedence: default < this file < CARDPIPE_<SECTION>_<KEY> environment < --set.\n",
	      out);
	for (size_t i = 0; i < config_nkeys; i++) {
		const char *name = config_keys[i].name, *dot = strchr(name, '.');
		size_t slen = (size_t)(dot - name);

		if (strlen(section) != slen || strncmp(section, name, slen) != 0) {
			snprintf(section, sizeof(section), "%.*s", (int)slen, name);
			fprintf(out, "\n[%s]\n", section);
		}
		put_wrapped_comment(out, config_keys[i].help);
		constraint_text(&config_keys[i], c, sizeof(c));
		if (c[0])
			put_wrapped_comment(out, c);
		fprintf(out, ";%s = %s\n", dot + 1, config_keys[i].def);
	}
}

/* Markdown text: every ASCII punctuation mark escaped, so pandoc reads it literally. */
static void
put_md(FILE *out, const char *text)
{
	for (; *text; text++) {
		if ((unsigned char)*text < 0x80 && ispunct((unsigned char)*text))
			fputc('\\', out);
		fputc(*text, out);
	}
}

#define MD_INLINE_DEFAULT 40

void
config_reference_markdown(void *file)
{
	FILE *out = file;
	char section[64] = "", c[300];

	fputs("% CARDPIPE.CONF(5) cardpipe | File Formats\n"
	      "\n"
	      "# NAME\n"
	      "\n"
	      "cardpipe.conf - configuration of cardpipe, the card bureau's production software\n"
	      "\n"
	      "# SYNOPSIS\n"
	      "\n"
	      "*$CARDPIPE_HOME/cardpipe.conf*\n"
	      "\n"
	      "# DESCRIPTION\n"
	      "\n"
	      "An INI file: `[section]` lines, then `key = value` lines; a line that starts with "
	      "`;` or `#` is a comment. A line may hold at most 198 bytes. An unknown key, a "
	      "malformed value or a value a key does not allow (its range or words, below) is a "
	      "configuration error (exit code 2) naming the file and line, or the environment "
	      "variable, with what the key allows.\n"
	      "\n"
	      "**cardpipe init** writes the file with every key commented out at its default; "
	      "remove the `;` before a key to change it. **cardpipe config \\-\\-show** prints "
	      "the effective value of every key and says where each value that is not the default "
	      "came from.\n"
	      "\n"
	      "Each key's value is, from lowest to highest precedence: the default below, the "
	      "file, the environment variable `CARDPIPE_<SECTION>_<KEY>` (upper case, dots and "
	      "dashes as `_`, e.g. `CARDPIPE_LOG_LEVEL`), and `--set section.key=value` on the "
	      "command line. `--config FILE` or `CARDPIPE_CONFIG` name another file.\n"
	      "\n"
	      "A relative path is taken under `CARDPIPE_HOME`.\n"
	      "\n"
	      "# KEYS\n",
	      out);
	for (size_t i = 0; i < config_nkeys; i++) {
		const struct config_key *k = &config_keys[i];
		const char *dot = strchr(k->name, '.');
		size_t slen = (size_t)(dot - k->name);

		if (strlen(section) != slen || strncmp(section, k->name, slen) != 0) {
			snprintf(section, sizeof(section), "%.*s", (int)slen, k->name);
			fprintf(out, "\n## [%s]\n", section);
		}
		fprintf(out, "\n**%s** (%s, default ", dot + 1, type_name(k->type));
		if (!k->def[0])
			fputs("empty)\n", out);
		else if (strlen(k->def) <= MD_INLINE_DEFAULT)
			fprintf(out, "`%s`)\n", k->def);
		else
			fputs("below)\n", out);
		fputs(":   ", out);
		put_md(out, k->help);
		constraint_text(k, c, sizeof(c));
		if (c[0]) { /* a paragraph of its own under the meaning */
			fputs("\n\n    ", out);
			c[0] = (char)toupper((unsigned char)c[0]);
			put_md(out, c);
		}
		/* a long default in a code block: troff cannot break or adjust it inline */
		if (strlen(k->def) > MD_INLINE_DEFAULT)
			fprintf(out, "\n\n        %s", k->def);
		fputs("\n", out);
	}
	fputs("\n# FILES\n"
	      "\n"
	      "*$CARDPIPE_HOME/cardpipe.conf*\n"
	      ":   the configuration (`CARDPIPE_HOME` defaults to */var/lib/cardpipe*)\n"
	      "\n"
	      "# SEE ALSO\n"
	      "\n"
	      "**cardpipe**(1), **cardpipe-config**(1), **cardpipe-init**(1)\n",
	      out);
}
