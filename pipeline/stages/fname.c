/* fname.c - names that fit for files named after untrusted names (see fname.h). */
#include "pipeline/stages/fname.h"

#include "core/escape.h"
#include "core/fsutil.h"
#include "core/mem.h"
#include "personalization/crypto/hash.h"

#include <string.h>

#define HASH_TAG 17 /* "~" and 16 hex digits */
#define EXT_MAX 8   /* the longest extension kept after the tag, with its dot */

/* The kept bytes of one character, or 0 if it becomes '_'. */
static size_t
keep_len(const char *s)
{
	uint32_t c;
	size_t n = esc_utf8_seq(s, &c);

	if (n == 0 || esc_unsafe_cp(c) || c == '/' || c == '\\')
		return 0;
	return n;
}

char *
fname_fit(const char *name, size_t max)
{
	size_t len = name ? strlen(name) : 0, o = 0, room, elen;
	char *out, hex[65], tail[EXT_MAX + 1], *ext;
	int changed = 0;

	if (!len)
		return xstrdup("unnamed");
	out = xmalloc(len + HASH_TAG + EXT_MAX + 1);
	for (const char *s = name; *s;) {
		size_t n = keep_len(s);

		if (n == 0 || (o == 0 && (*s == '.' || *s == '-'))) {
			out[o++] = '_';
			s += n ? n : 1;
			changed = 1;
		} else {
			memcpy(out + o, s, n);
			o += n;
			s += n;
		}
	}
	out[o] = '\0';
	/* a name like our temporary files (NAME.tmp.PID) would be deleted by the stale-tmp
	 * sweep: it gets the cut+hash form, which never looks like one */
	if (fs_tmp_writer_pid(out))
		changed = 1;
	if (!changed && o <= max)
		return out;
	/* keep a short extension last ("….xml"), so the file still shows what it is */
	ext = strrchr(out, '.');
	elen = ext && ext != out && strlen(ext) <= EXT_MAX ? strlen(ext) : 0;
	memcpy(tail, out + o - elen, elen);
	o -= elen;
	/* cut at a character boundary, leaving room for the tag and the extension */
	room = max - HASH_TAG - elen;
	if (o > room) {
		o = room;
		while (o > 0 && ((unsigned char)out[o] & 0xc0) == 0x80)
			o--;
	}
	if (cp_sha256_hex(name, len, hex) < 0)
		memset(hex, '0', 16); /* cannot happen short of a broken OpenSSL */
	out[o] = '~';
	memcpy(out + o + 1, hex, 16);
	memcpy(out + o + HASH_TAG, tail, elen);
	out[o + HASH_TAG + elen] = '\0';
	return out;
}
