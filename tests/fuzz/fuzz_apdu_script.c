/*
 * fuzz_apdu_script.c - libFuzzer target: the APDU-script line parser
 * (personalization/chip/script_line.h) on arbitrary bytes, directly and through its two
 * users, perso scripts (script.h) and the encoder's plain scripts (apdu_script.h).
 * Whatever one accepts must be a short APDU whose Lc matches its length, at most 4 status
 * words and a sens= range of whole blocks inside the data field; a refusal always says why.
 * Seeds: tests/fuzz/corpus/apdu_script/.
 */
#include "core/err.h"
#include "personalization/chip/script.h"
#include "personalization/chip/script_line.h"
#include "printer/encoder/apdu_script.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_cmd(const unsigned char *apdu, size_t len, size_t n_sw, size_t sens_off, size_t sens_len)
{
	size_t lc = len > 5 ? apdu[4] : 0;

	if (len < 4 || len > PERSO_LINE_APDU_MAX || n_sw > 4)
		abort();
	if (len > 5 && (lc == 0 || (len != 5 + lc && len != 6 + lc)))
		abort();
	if (sens_len && (sens_len % 16 || sens_off > lc || sens_len > lc - sens_off))
		abort();
}

static void
plain_script(const char *text)
{
	struct apdu_script *s = NULL;
	struct encoder_script it;
	struct encoder_cmd c;

	if (apdu_script_parse(text, "fuzz", &s) < 0) {
		if (s || !cp_errmsg()[0])
			abort();
		return;
	}
	it = apdu_script_iter(s);
	while (it.next(it.ctx, &c) == 1)
		check_cmd(c.apdu, c.len, c.n_sw, c.sens_off, c.sens_len);
	apdu_script_free(s);
}

static void
perso_script(const char *text, size_t size)
{
	struct perso_script *s = NULL;

	if (perso_script_parse(text, size, "fuzz", &s) < 0) {
		if (s || !cp_errmsg()[0])
			abort();
		return;
	}
	for (size_t i = 0; i < perso_script_count(s); i++) {
		const struct perso_cmd *c = perso_script_cmd(s, i);

		check_cmd(c->apdu, c->len, c->n_sw, c->sens_off, c->sens_len);
	}
	perso_script_free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	const char *nl;
	struct perso_line l;

	memcpy(text, data, size);
	text[size] = '\0';
	/* the first line alone, as both scripts hand it over */
	nl = memchr(text, '\n', size);
	if (perso_line_parse(text, nl ? nl : text + size, "fuzz", 1, &l) == 0)
		check_cmd(l.apdu, l.len, l.n_sw, l.sens_off, l.sens_len);
	else if (!cp_errmsg()[0])
		abort();
	plain_script(text);
	perso_script(text, size);
	free(text);
	return 0;
}
