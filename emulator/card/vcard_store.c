/* vcard_store.c - a virtual card's chip state file (see vcard_store.h). */
#include "emulator/card/vcard_store.h"

#include "core/buf.h"
#include "core/err.h"
#include "core/fsutil.h"
#include "core/hex.h"
#include "core/mem.h"
#include "personalization/crypto/cipher.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STATE_MAX (256 * 1024)

int
vcard_parse_serial(const char *s, unsigned char serial[VCARD_SERIAL_LEN])
{
	if (strlen(s) != 2 * VCARD_SERIAL_LEN || strspn(s, "0123456789abcdefABCDEF") != strlen(s))
		return cp_err(CP_ERR_FORMAT, "chip serial '%.40s': expected 16 hex digits", s);
	return hex_decode(s, serial, VCARD_SERIAL_LEN) == VCARD_SERIAL_LEN
		       ? 0
		       : cp_err(CP_ERR_FORMAT, "chip serial '%.40s': bad hex", s);
}

char *
vcard_store_path(const char *dir, const unsigned char serial[VCARD_SERIAL_LEN])
{
	char hex[2 * VCARD_SERIAL_LEN + 1];

	hex_encode(serial, VCARD_SERIAL_LEN, hex);
	return xasprintf("%s/%s.card", dir, hex);
}

/* Encrypt a secret under the test KMC and append it as hex. */
static int
append_secret(struct buf *b, const unsigned char *kmc, size_t kmc_len, const unsigned char *v,
	      size_t len)
{
	unsigned char pad[VCARD_MAX_RECORD + 16 + 96], enc[sizeof pad];
	size_t n;
	int r;

	if (len > VCARD_MAX_RECORD + 96)
		return cp_err(CP_ERR_LIMIT, "secret of %zu bytes", len);
	n = cp_pad80(v, len, 16, pad);
	r = cp_cbc_encrypt(CP_ALG_AES, kmc, kmc_len, NULL, pad, n, enc);
	cp_memzero(pad, sizeof pad);
	if (r < 0)
		return r;
	return buf_append_hex(b, enc, n);
}

static int
decode_secret(const char *hex, const unsigned char *kmc, size_t kmc_len, unsigned char *out,
	      size_t outsz, size_t *len)
{
	unsigned char enc[VCARD_MAX_RECORD + 16 + 96], pad[sizeof enc];
	int n, r;

	if ((n = hex_decode(hex, enc, sizeof enc)) < 0)
		return n;
	if (n == 0 || n % 16)
		return cp_err(CP_ERR_FORMAT, "secret value of %d bytes", n);
	if ((r = cp_cbc_decrypt(CP_ALG_AES, kmc, kmc_len, NULL, enc, (size_t)n, pad)) < 0)
		return r;
	if ((r = cp_unpad80(pad, (size_t)n, len)) < 0 || *len > outsz) {
		cp_memzero(pad, sizeof pad);
		return cp_err(CP_ERR_INTEGRITY,
			      "secret value does not decrypt under this KMC (another KMC?)");
	}
	memcpy(out, pad, *len);
	cp_memzero(pad, sizeof pad);
	return 0;
}

int
vcard_store_save(const struct vcard *vc, const char *dir, const unsigned char *kmc, size_t kmc_len)
{
	const struct vcard_chip *c = &vc->chip;
	struct buf b = BUF_INIT(STATE_MAX);
	char *path = vcard_store_path(dir, c->serial);
	int r = 0;

	r |= buf_appendf(&b,
			 "# cardpipe virtual card: chip state (TEST DEVICE)\nversion 1\nserial ");
	r |= buf_append_hex(&b, c->serial, VCARD_SERIAL_LEN);
	r |= buf_appendf(&b, "\nstock %s", vc->stock.name);
	r |= buf_appendf(&b, "\nlifecycle %02X\nseq %u\nauth_failures %u\n", c->card_lc,
			 (unsigned)c->seq, c->auth_failures);
	if (c->keys_replaced) {
		unsigned char k[96];
		size_t kl = c->keys.key_len;
		memcpy(k, c->keys.enc, kl);
		memcpy(k + kl, c->keys.mac, kl);
		memcpy(k + 2 * kl, c->keys.dek, kl);
		r |= buf_appendf(&b, "keys %02X %zu ", c->keys.kvn, kl);
		if (r == 0)
			r = append_secret(&b, kmc, kmc_len, k, 3 * kl);
		cp_memzero(k, sizeof k);
		r |= buf_putc(&b, '\n');
	}
	if (c->emv.atc || c->emv.last_online_atc || c->emv.pin_tries >= 0 || c->emv.offline_count ||
	    c->emv.flags)
		r |= buf_appendf(&b, "emv %04X %04X %d %u %02X\n", c->emv.atc,
				 c->emv.last_online_atc, c->emv.pin_tries, c->emv.offline_count,
				 c->emv.flags);
	for (int i = 0; i < VCARD_EF05_RECORDS + VCARD_EF06_RECORDS && r == 0; i++) {
		const struct vcard_rec *rec =
			i < VCARD_EF05_RECORDS ? &c->ef05[i] : &c->ef06[i - VCARD_EF05_RECORDS];
		if (!rec->len)
			continue;
		r |= buf_appendf(&b, "rec %s %d ", i < VCARD_EF05_RECORDS ? "EF05" : "EF06",
				 i < VCARD_EF05_RECORDS ? i + 1 : i - VCARD_EF05_RECORDS + 1);
		r |= buf_append_hex(&b, rec->data, rec->len);
		r |= buf_putc(&b, '\n');
	}
	for (int a = 0; a < VCARD_NAPPS && r == 0; a++) {
		const struct vcard_app *ap = &c->apps[a];
		r |= buf_appendf(&b, "app %s %02X\n", vcard_app_name(a), ap->lc);
		for (size_t i = 0; i < ap->ndgis && r == 0; i++) {
			const struct vcard_dgi *d = &ap->dgis[i];
			r |= buf_appendf(&b, "dgi %s %04X %s ", vcard_app_name(a), d->tag,
					 d->secret ? "secret" : "plain");
			if (r == 0)
				r = d->secret ? append_secret(&b, kmc, kmc_len, d->v.data, d->v.len)
					      : buf_append_hex(&b, d->v.data, d->v.len);
			r |= buf_putc(&b, '\n');
		}
	}
	if (r < 0)
		r = cp_err(CP_ERR_LIMIT, "chip state too large");
	else
		r = fs_write_atomic(path, b.data, b.len, 0600);
	if (r < 0)
		r = cp_err_wrap(r, "chip state '%s': ", path);
	buf_release_secret(&b);
	free(path);
	return r;
}

static int
app_by_name(const char *name)
{
	for (int i = 0; i < VCARD_NAPPS; i++)
		if (strcmp(name, vcard_app_name(i)) == 0)
			return i;
	return -1;
}

/* "emv ATC LAST-ONLINE-ATC PIN-TRIES OFFLINE-COUNT FLAGS": the debit application's
 * counters (hex, hex, decimal or -1, decimal, hex). */
static int
apply_emv(struct vcard_chip *c, const char *atc, const char *last, const char *tries,
	  const char *offline, const char *flags)
{
	unsigned long v[5];
	const char *f[5] = {atc, last, tries, offline, flags};
	const int base[5] = {16, 16, 10, 10, 16};
	const unsigned long max[5] = {0xFFFF, 0xFFFF, 15, 0xFFFF, 0xFF};
	char *end;

	for (int i = 0; i < 5; i++) {
		if (!f[i])
			return cp_err(CP_ERR_FORMAT, "emv: expected ATC LAST-ONLINE PIN-TRIES "
						     "OFFLINE FLAGS");
		if (i == 2 && strcmp(f[i], "-1") == 0) {
			v[i] = (unsigned long)-1;
			continue;
		}
		v[i] = strtoul(f[i], &end, base[i]);
		if (*end || v[i] > max[i])
			return cp_err(CP_ERR_FORMAT, "emv: field %d '%s'", i + 1, f[i]);
	}
	c->emv.atc = (uint16_t)v[0];
	c->emv.last_online_atc = (uint16_t)v[1];
	c->emv.pin_tries = v[2] == (unsigned long)-1 ? -1 : (int)v[2];
	c->emv.offline_count = (unsigned)v[3];
	c->emv.flags = (unsigned char)v[4];
	return 0;
}

/* Apply one line "key args..." of a state file. */
static int
apply_line(struct vcard *vc, char *line, const unsigned char *kmc, size_t kmc_len)
{
	struct vcard_chip *c = &vc->chip;
	char *save = NULL, *key = strtok_r(line, " ", &save);
	char *a1 = strtok_r(NULL, " ", &save), *a2 = strtok_r(NULL, " ", &save);
	char *a3 = strtok_r(NULL, " ", &save), *a4 = strtok_r(NULL, " ", &save);
	unsigned long v;
	char *end;
	int n;

	if (!key || !a1)
		return cp_err(CP_ERR_FORMAT, "expected 'key value'");
	if (strcmp(key, "version") == 0)
		return strcmp(a1, "1") == 0 ? 0 : cp_err(CP_ERR_FORMAT, "unknown version '%s'", a1);
	if (strcmp(key, "serial") == 0) {
		unsigned char s[VCARD_SERIAL_LEN];
		if (vcard_parse_serial(a1, s) < 0 || memcmp(s, c->serial, sizeof s) != 0)
			return cp_err(CP_ERR_INTEGRITY, "serial '%s' is not this chip's", a1);
		return 0;
	}
	if (strcmp(key, "stock") == 0)
		return strcmp(a1, vc->stock.name) == 0
			       ? 0
			       : cp_err(CP_ERR_INTEGRITY, "stock '%s' is not this chip's", a1);
	if (strcmp(key, "lifecycle") == 0 || strcmp(key, "seq") == 0 ||
	    strcmp(key, "auth_failures") == 0) {
		v = strtoul(a1, &end, key[0] == 'l' ? 16 : 10);
		if (*end || v > 0xFFFFFF)
			return cp_err(CP_ERR_FORMAT, "%s '%s'", key, a1);
		if (key[0] == 'l')
			c->card_lc = (unsigned char)v;
		else if (key[0] == 's')
			c->seq = (uint32_t)v;
		else
			c->auth_failures = (unsigned)v;
		return 0;
	}
	if (strcmp(key, "keys") == 0) {
		unsigned char k[96];
		size_t len = 0, kl;
		int r;
		if (!a2 || !a3)
			return cp_err(CP_ERR_FORMAT, "keys: expected KVN LENGTH VALUE");
		kl = strtoul(a2, &end, 10);
		if (*end || (kl != 16 && kl != 24 && kl != 32))
			return cp_err(CP_ERR_FORMAT, "keys: length '%s'", a2);
		if ((r = decode_secret(a3, kmc, kmc_len, k, sizeof k, &len)) < 0)
			return r;
		if (len != 3 * kl) {
			cp_memzero(k, sizeof k);
			return cp_err(CP_ERR_FORMAT, "keys: %zu bytes for 3 keys of %zu", len, kl);
		}
		memcpy(c->keys.enc, k, kl);
		memcpy(c->keys.mac, k + kl, kl);
		memcpy(c->keys.dek, k + 2 * kl, kl);
		cp_memzero(k, sizeof k);
		c->keys.key_len = kl;
		c->keys.kvn = (unsigned char)strtoul(a1, NULL, 16);
		c->keys_replaced = 1;
		return 0;
	}
	if (strcmp(key, "emv") == 0)
		return apply_emv(c, a1, a2, a3, a4, strtok_r(NULL, " ", &save));
	if (strcmp(key, "rec") == 0) {
		struct vcard_rec *rec;
		unsigned long no = a2 ? strtoul(a2, &end, 10) : 0;
		int ef05 = strcmp(a1, "EF05") == 0;
		if (!a2 || *end || !a3 || (!ef05 && strcmp(a1, "EF06") != 0) || no < 1 ||
		    no > (ef05 ? VCARD_EF05_RECORDS : VCARD_EF06_RECORDS))
			return cp_err(CP_ERR_FORMAT, "rec: expected EF05|EF06 N HEX");
		rec = ef05 ? &c->ef05[no - 1] : &c->ef06[no - 1];
		if ((n = hex_decode(a3, rec->data, sizeof rec->data)) < 0)
			return n;
		rec->len = (size_t)n;
		if (vcard_fs_check_record(ef05 ? 0xEF05 : 0xEF06, (unsigned)no, rec->data,
					  rec->len) != 0x9000)
			return cp_err(CP_ERR_FORMAT, "rec %s %lu: not a valid record", a1, no);
		return 0;
	}
	if (strcmp(key, "app") == 0) {
		int app = app_by_name(a1);
		if (app < 0 || !a2)
			return cp_err(CP_ERR_FORMAT, "app '%s'", a1);
		c->apps[app].lc = (unsigned char)strtoul(a2, NULL, 16);
		return 0;
	}
	if (strcmp(key, "dgi") == 0) {
		unsigned char val[VCARD_MAX_RECORD];
		size_t len = 0;
		int app = app_by_name(a1), secret = a3 && strcmp(a3, "secret") == 0, r;
		unsigned long tag = a2 ? strtoul(a2, &end, 16) : 0;
		if (app < 0 || !a2 || *end || tag > 0xFFFF || !a3 || !a4 ||
		    (!secret && strcmp(a3, "plain") != 0))
			return cp_err(CP_ERR_FORMAT, "dgi: expected APP TAG plain|secret HEX");
		if (secret) {
			if ((r = decode_secret(a4, kmc, kmc_len, val, sizeof val, &len)) < 0)
				return r;
		} else {
			if ((n = hex_decode(a4, val, sizeof val)) < 0)
				return n;
			len = (size_t)n;
		}
		r = vcard_fs_store_dgi(vc, app, (uint16_t)tag, val, len, secret) == 0x9000
			    ? 0
			    : cp_err(CP_ERR_LIMIT, "too many DGIs");
		cp_memzero(val, sizeof val);
		return r;
	}
	return cp_err(CP_ERR_FORMAT, "unknown key '%s'", key);
}

/* The "stock NAME" line of a state file, or "" (a chip made before stocks: the default). */
static void
stock_of(const char *text, char *name, size_t sz)
{
	const char *p = text;

	name[0] = '\0';
	while (p && *p) {
		if (strncmp(p, "stock ", 6) == 0) {
			size_t n = strcspn(p + 6, "\r\n");
			snprintf(name, sz, "%.*s", (int)n, p + 6);
			return;
		}
		if ((p = strchr(p, '\n')))
			p++;
	}
}

int
vcard_store_load_stock(struct vcard *vc, const char *dir,
		       const unsigned char serial[VCARD_SERIAL_LEN],
		       const struct vcard_stock *stocks, size_t nstocks)
{
	char *path = vcard_store_path(dir, serial), *p, *nl, *save = NULL, name[64];
	unsigned char *data = NULL;
	const struct vcard_stock *st = NULL;
	struct chip_profile def;
	size_t len = 0;
	int r, lineno = 0;

	if (!fs_exists(path)) {
		r = cp_err(CP_ERR_NOTFOUND, "no chip with serial %.16s (no '%s')",
			   path + strlen(dir) + 1, path);
		free(path);
		return r;
	}
	if ((r = fs_read_file(path, STATE_MAX, &data, &len)) < 0)
		goto out;
	stock_of((const char *)data, name, sizeof name);
	vcard_default_stock(&def);
	for (size_t i = 0; i < nstocks; i++)
		if (strcmp(stocks[i].profile->name, name[0] ? name : def.name) == 0)
			st = &stocks[i];
	if (!st) {
		r = cp_err(CP_ERR_NOTFOUND,
			   "%s: the chip is of stock '%s', which this virtual "
			   "card was not started with",
			   path, name[0] ? name : def.name);
		goto out;
	}
	if ((r = vcard_init_blank_stock(vc, st->profile, serial, st->kmc, st->kmc_len)) < 0)
		goto out;
	/* The blank chip's EF05 record 1 stays; the file says everything else. */
	for (p = strtok_r((char *)data, "\n", &save); p; p = strtok_r(NULL, "\n", &save)) {
		lineno++;
		if ((nl = strchr(p, '\r')))
			*nl = '\0';
		if (*p == '#' || *p == '\0')
			continue;
		if ((r = apply_line(vc, p, st->kmc, st->kmc_len)) < 0) {
			r = cp_err_wrap(r, "%s:%d: ", path, lineno);
			vcard_release(vc); /* the secret DGIs decrypted so far */
			goto out;
		}
	}
	vc->dirty = 0;
out:
	if (data)
		cp_freezero(data, len);
	free(path);
	return r;
}
