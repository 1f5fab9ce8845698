/*
 * batch.c - sealed batches of perso scripts for one production line (see script.h;
 * docs/perso-script-format.md).
 *
 * File: one header line, then AES-256-GCM ciphertext, then the 16-byte tag.
 *   cardpipe-perso-batch 1 line=N batch=ID key=NAME kcv=KCV nonce=HEX24\n
 * The header is the GCM additional data, so the line, key and batch id cannot be edited.
 * The seal key is HKDF-SHA256(transport key, info "cardpipe perso batch seal v1"), so the
 * transport key itself never encrypts two kinds of data. Plaintext:
 *   manifest 1\nbatch ID\nline N\ncards COUNT\n
 *   card CARD_NO OFFSET LENGTH SHA256\n   (one per card; offsets into the scripts)
 *   end-manifest\n
 *   the scripts, back to back
 */
#include "personalization/chip/script.h"

#include "core/err.h"
#include "core/fsutil.h"
#include "core/hex.h"
#include "core/mem.h"
#include "personalization/crypto/cipher.h"
#include "personalization/crypto/hash.h"
#include "personalization/crypto/random.h"
#include "personalization/crypto/secmem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BATCH_MAX_BYTES ((size_t)1 << 30)
#define HEADER_MAX 512

struct batch_card {
	char card_no[16];
	size_t off, len;
	char sha[65];
	struct perso_script *script;
};

struct perso_batch_writer {
	int line;
	char id[64], tk_name[64], tk_kcv[7];
	unsigned char *seal_key; /* secure heap, 32 */
	struct buf scripts;
	struct batch_card *cards;
	size_t n, cap;
};

struct perso_batch {
	int line;
	char id[64];
	struct buf plain;
	size_t scripts_off;
	struct batch_card *cards;
	size_t n;
};

static int
seal_key(const unsigned char *tk, unsigned char out[32])
{
	static const char info[] = "cardpipe perso batch seal v1";

	if (cp_hkdf_sha256(tk, 32, NULL, 0, info, sizeof(info) - 1, out, 32) < 0)
		return cp_err(CP_ERR_CRYPTO, "HKDF for the batch seal key failed");
	return 0;
}

/* ---- writer ---- */

int
perso_batch_writer_new(int line, const unsigned char *tk, const char *tk_name, const char *tk_kcv,
		       struct perso_batch_writer **out)
{
	struct perso_batch_writer *w = xcalloc(1, sizeof(*w));
	int r;

	*out = NULL;
	if (strlen(tk_name) >= sizeof(w->tk_name) || strchr(tk_name, ' ')) {
		free(w);
		return cp_err(CP_ERR_INVALID, "key name '%s' unsuitable", tk_name);
	}
	w->line = line;
	snprintf(w->tk_name, sizeof(w->tk_name), "%s", tk_name);
	snprintf(w->tk_kcv, sizeof(w->tk_kcv), "%s", tk_kcv);
	buf_init(&w->scripts, BATCH_MAX_BYTES);
	w->seal_key = cp_secure_zalloc(32);
	if ((r = seal_key(tk, w->seal_key)) < 0) {
		perso_batch_writer_free(w);
		return r;
	}
	*out = w;
	return 0;
}

void
perso_batch_writer_free(struct perso_batch_writer *w)
{
	if (!w)
		return;
	cp_secure_free(w->seal_key, 32);
	buf_release(&w->scripts);
	free(w->cards);
	free(w);
}

int
perso_batch_writer_add(struct perso_batch_writer *w, const char *card_no,
		       const unsigned char *script, size_t len, char sha_hex[65])
{
	struct batch_card *c;
	unsigned char md[32];
	int r;

	if (strlen(card_no) >= sizeof(c->card_no) || strchr(card_no, ' '))
		return cp_err(CP_ERR_INVALID, "card number '%s' unsuitable", card_no);
	if ((r = cp_sha256(script, len, md)) < 0)
		return r;
	if (w->n == w->cap) {
		w->cap = w->cap ? 2 * w->cap : 256;
		w->cards = xrealloc(w->cards, w->cap * sizeof(*w->cards));
	}
	c = &w->cards[w->n];
	memset(c, 0, sizeof(*c));
	snprintf(c->card_no, sizeof(c->card_no), "%s", card_no);
	c->off = w->scripts.len;
	c->len = len;
	hex_encode(md, 32, c->sha);
	if ((r = buf_append(&w->scripts, script, len)) < 0)
		return r;
	if (sha_hex)
		memcpy(sha_hex, c->sha, 65);
	w->n++;
	return 0;
}

int
perso_batch_writer_commit(struct perso_batch_writer *w, const char *batch_id, const char *path,
			  char file_sha[65])
{
	struct buf plain = BUF_INIT(BATCH_MAX_BYTES), file = BUF_INIT(BATCH_MAX_BYTES + 1024);
	unsigned char nonce[12], tag[16], md[32];
	char nh[25], header[HEADER_MAX];
	int hl, r;

	if (!batch_id[0] || strlen(batch_id) >= sizeof(w->id) || strpbrk(batch_id, " \n"))
		return cp_err(CP_ERR_INVALID, "batch id '%s' unsuitable", batch_id);
	snprintf(w->id, sizeof(w->id), "%s", batch_id);
	if (cp_random_bytes(nonce, sizeof(nonce)) < 0)
		return cp_err(CP_ERR_CRYPTO, "no random nonce");
	hex_encode(nonce, 12, nh);
	hl = snprintf(header, sizeof(header),
		      "cardpipe-perso-batch 1 line=%d batch=%s key=%s kcv=%s nonce=%s\n", w->line,
		      w->id, w->tk_name, w->tk_kcv, nh);
	if ((r = buf_appendf(&plain, "manifest 1\nbatch %s\nline %d\ncards %zu\n", w->id, w->line,
			     w->n)) < 0)
		goto out;
	for (size_t i = 0; i < w->n; i++)
		if ((r = buf_appendf(&plain, "card %s %zu %zu %s\n", w->cards[i].card_no,
				     w->cards[i].off, w->cards[i].len, w->cards[i].sha)) < 0)
			goto out;
	if ((r = buf_appendf(&plain, "end-manifest\n")) < 0 ||
	    (w->scripts.len && (r = buf_append(&plain, w->scripts.data, w->scripts.len)) < 0))
		goto out;
	if ((r = buf_append(&file, header, (size_t)hl)) < 0 ||
	    (r = buf_append(&file, plain.data, plain.len)) < 0) /* room for the ciphertext */
		goto out;
	if ((r = cp_gcm_seal(w->seal_key, nonce, (unsigned char *)header, (size_t)hl, plain.data,
			     plain.len, file.data + hl, tag)) < 0 ||
	    (r = buf_append(&file, tag, 16)) < 0 || (r = cp_sha256(file.data, file.len, md)) < 0 ||
	    (r = fs_write_atomic(path, file.data, file.len, 0600)) < 0)
		goto out;
	if (file_sha)
		hex_encode(md, 32, file_sha);
out:
	buf_release_secret(&plain);
	buf_release(&file);
	return r;
}

/* ---- reader ---- */

int
perso_batch_peek(const char *path, int *line, char tk_name[64], char tk_kcv[7])
{
	char header[HEADER_MAX], id[64], nonce[32];
	FILE *f = fopen(path, "rb");
	int ok;

	if (!f)
		return cp_err(CP_ERR_NOTFOUND, "batch '%s': cannot open", path);
	ok = fgets(header, sizeof(header), f) != NULL;
	fclose(f);
	if (!ok ||
	    sscanf(header, "cardpipe-perso-batch 1 line=%d batch=%63s key=%63s kcv=%6s nonce=%31s",
		   line, id, tk_name, tk_kcv, nonce) != 5)
		return cp_err(CP_ERR_FORMAT, "'%s' is not a cardpipe perso batch (format 1)", path);
	return 0;
}

void
perso_batch_free(struct perso_batch *b)
{
	if (!b)
		return;
	for (size_t i = 0; i < b->n; i++)
		perso_script_free(b->cards[i].script);
	free(b->cards);
	buf_release_secret(&b->plain);
	free(b);
}

static int
parse_manifest(struct perso_batch *b, const char *path)
{
	char *p = (char *)b->plain.data, *end = p + b->plain.len, *nl;
	char id[64];
	size_t count = 0, total = 0;
	int line = -1;

	if (sscanf(p, "manifest 1\nbatch %63s\nline %d\ncards %zu\n", id, &line, &count) != 3 ||
	    count > 100000)
		return cp_err(CP_ERR_FORMAT, "batch '%s': manifest header malformed", path);
	if (strcmp(id, b->id) || line != b->line)
		return cp_err(CP_ERR_INTEGRITY,
			      "batch '%s': manifest names batch %s line %d, the "
			      "header %s line %d",
			      path, id, line, b->id, b->line);
	for (int i = 0; i < 4; i++) {
		if (!(nl = memchr(p, '\n', (size_t)(end - p))))
			return cp_err(CP_ERR_FORMAT, "batch '%s': manifest truncated", path);
		p = nl + 1;
	}
	b->cards = xcalloc(count ? count : 1, sizeof(*b->cards));
	for (size_t i = 0; i < count; i++) {
		struct batch_card *c = &b->cards[i];

		if (!(nl = memchr(p, '\n', (size_t)(end - p))))
			return cp_err(CP_ERR_FORMAT, "batch '%s': manifest truncated", path);
		*nl = '\0';
		if (sscanf(p, "card %15s %zu %zu %64s", c->card_no, &c->off, &c->len, c->sha) !=
			    4 ||
		    strlen(c->sha) != 64)
			return cp_err(CP_ERR_FORMAT, "batch '%s': manifest entry %zu malformed",
				      path, i + 1);
		*nl = '\n';
		p = nl + 1;
		b->n++;
	}
	if ((size_t)(end - p) < 13 || strncmp(p, "end-manifest\n", 13))
		return cp_err(CP_ERR_FORMAT, "batch '%s': manifest not closed", path);
	b->scripts_off = (size_t)(p + 13 - (char *)b->plain.data);
	for (size_t i = 0; i < b->n; i++) {
		struct batch_card *c = &b->cards[i];
		unsigned char md[32];
		char mh[65], nm[96];
		int r;

		if (c->off != total || c->len > b->plain.len - b->scripts_off - c->off)
			return cp_err(CP_ERR_INTEGRITY,
				      "batch '%s': card %s's script is out of place", path,
				      c->card_no);
		total += c->len;
		if ((r = cp_sha256(b->plain.data + b->scripts_off + c->off, c->len, md)) < 0)
			return r;
		hex_encode(md, 32, mh);
		if (strcasecmp(mh, c->sha))
			return cp_err(CP_ERR_INTEGRITY,
				      "batch '%s': card %s's script does not match "
				      "its hash in the manifest",
				      path, c->card_no);
		snprintf(nm, sizeof(nm), "%s[%s]", path, c->card_no);
		if ((r = perso_script_parse((const char *)b->plain.data + b->scripts_off + c->off,
					    c->len, nm, &c->script)) < 0)
			return r;
		if (strcmp(perso_script_card_no(c->script), c->card_no))
			return cp_err(CP_ERR_INTEGRITY, "batch '%s': script for %s names card %s",
				      path, c->card_no, perso_script_card_no(c->script));
	}
	if (b->scripts_off + total != b->plain.len)
		return cp_err(CP_ERR_INTEGRITY,
			      "batch '%s': %zu bytes beyond the manifest's %zu cards", path,
			      b->plain.len - b->scripts_off - total, b->n);
	return 0;
}

int
perso_batch_open(const char *path, const unsigned char *tk, struct perso_batch **out)
{
	struct perso_batch *b = xcalloc(1, sizeof(*b));
	unsigned char *data = NULL, *key = cp_secure_zalloc(32), nonce[12];
	char name[64], kcv[8], nh[32];
	size_t len = 0, hl;
	char *nl;
	int r;

	*out = NULL;
	buf_init(&b->plain, BATCH_MAX_BYTES);
	if ((r = fs_read_file(path, BATCH_MAX_BYTES, &data, &len)) < 0)
		goto out;
	if (!(nl = memchr(data, '\n', len < HEADER_MAX ? len : HEADER_MAX)) ||
	    sscanf((char *)data,
		   "cardpipe-perso-batch 1 line=%d batch=%63s key=%63s kcv=%6s nonce=%31s",
		   &b->line, b->id, name, kcv, nh) != 5 ||
	    strlen(nh) != 24 || hex_decode(nh, nonce, 12) != 12) {
		r = cp_err(CP_ERR_FORMAT, "'%s' is not a cardpipe perso batch (format 1)", path);
		goto out;
	}
	hl = (size_t)(nl + 1 - (char *)data);
	if (len < hl + 16) {
		r = cp_err(CP_ERR_INTEGRITY, "batch '%s' is truncated", path);
		goto out;
	}
	if ((r = seal_key(tk, key)) < 0)
		goto out;
	if ((r = buf_append(&b->plain, data + hl, len - hl - 16)) < 0)
		goto out;
	if (cp_gcm_open(key, nonce, data, hl, data + hl, len - hl - 16, b->plain.data,
			data + len - 16) < 0) {
		r = cp_err(CP_ERR_INTEGRITY,
			   "batch '%s': the batch's seal does not verify: the file was changed or "
			   "truncated, or it is sealed under another transport key",
			   path);
		goto out;
	}
	if ((r = parse_manifest(b, path)) < 0)
		goto out;
	*out = b;
	b = NULL;
out:
	cp_secure_free(key, 32);
	free(data);
	perso_batch_free(b);
	return r;
}

int
perso_batch_line(const struct perso_batch *b)
{
	return b->line;
}

const char *
perso_batch_id(const struct perso_batch *b)
{
	return b->id;
}

size_t
perso_batch_count(const struct perso_batch *b)
{
	return b->n;
}

const char *
perso_batch_card_no(const struct perso_batch *b, size_t i)
{
	return i < b->n ? b->cards[i].card_no : NULL;
}

int
perso_batch_find(const struct perso_batch *b, const char *card_no, const struct perso_script **out)
{
	for (size_t i = 0; i < b->n; i++)
		if (!strcmp(b->cards[i].card_no, card_no)) {
			*out = b->cards[i].script;
			return 0;
		}
	return cp_err(CP_ERR_NOTFOUND, "card %s is not in batch %s", card_no, b->id);
}

const char *
perso_batch_text(const struct perso_batch *b, size_t i, size_t *len)
{
	if (i >= b->n)
		return NULL;
	*len = b->cards[i].len;
	return (const char *)b->plain.data + b->scripts_off + b->cards[i].off;
}
