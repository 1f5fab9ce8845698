/*
 * photo_store.h - where a stored photo lives.
 *
 * Ingest appends each photo to a pack file of its reader thread, spool/photos/packs/
 * <name>.pack (docs/photo-pack.md), and the application's row records where: photo_loc,
 * "NAME:OFFSET". A file per photo cost the kernel an inode each, and more after a mass
 * deletion on a file system without a journal, where ext4 scans past every inode freed in
 * the last minutes for each new one.
 *
 * Earlier releases stored each photo as a file spool/photos/<ab>/<sha256>.jpg (<ab> the
 * first two hex digits of the SHA-256 of its bytes), and before that spool/photos/
 * <sha256>.jpg. A row without photo_loc names such a file: the readers below find it.
 */
#ifndef CP_STAGE_PHOTO_STORE_H
#define CP_STAGE_PHOTO_STORE_H

#include <stddef.h>
#include <sys/types.h>

/* ---- packs ---- */

#define PHOTO_PACK_DIR "packs"	   /* under spool/photos */
#define PHOTO_PACK_ENTRY_HEAD 40   /* "cpph", the length (u32, little-endian), the SHA-256 */
#define PHOTO_PACK_MAX 0x7fffffffu /* a photo's length fits the entry's u32 */

struct photo_pack;

/* Create spool/photos/packs/<stem>.pack (the folder too) for appending, its name durable
 * before this returns: a commit may name it once its bytes are synced. dirfd is open on
 * spool/photos (named dir in messages). CP_ERR_EXISTS when the name is taken. */
int photo_pack_create(int dirfd, const char *dir, const char *stem, struct photo_pack **out);
/* Append one photo (sha: the SHA-256 of its bytes, hex) and give its place, "NAME:OFFSET",
 * newly allocated. Not durable until photo_pack_sync(). One thread appends to a pack. */
int photo_pack_append(struct photo_pack *pk, const char *sha, const void *data, size_t len,
		      char **loc);
/* Make every byte appended before the call durable (fdatasync); a no-op when nothing was
 * appended since the last sync. Any thread, while another appends. */
int photo_pack_sync(struct photo_pack *pk);
void photo_pack_close(struct photo_pack *pk); /* NULL-safe */

/* ---- reading ---- */

/* Read the photo with this hash (lower-case hex) stored at loc ("NAME:OFFSET"; NULL: the
 * file layouts of earlier releases, as photo_store_read()), at most max bytes, checked
 * against the hash: CP_ERR_NOTFOUND when the pack or file is missing, CP_ERR_LIMIT when
 * larger than max, CP_ERR_INTEGRITY when the entry is not that photo's (a damaged or
 * truncated pack, a wrong place), each with its reason. */
int photo_store_read_at(const char *dir, const char *loc, const char *sha, size_t max,
			unsigned char **data, size_t *len);
/* Whether the photo is stored at loc, without reading its bytes: the pack entry's head names
 * this hash and the pack holds its whole length (loc NULL: photo_store_present()). The
 * results are photo_store_read_at()'s. */
int photo_store_present_at(int dirfd, const char *dir, const char *loc, const char *sha);

/* The path of the photo with this hash under dir: the split layout, or the flat one of
 * older releases when only that exists. Newly allocated; the file may not exist. */
char *photo_store_find(const char *dir, const char *sha);
/* Read the photo with this hash (at most max bytes) as fs_read_file() does: the split
 * layout first, the flat one only when that is missing, so the common case costs one open.
 * CP_ERR_NOTFOUND when neither exists. */
int photo_store_read(const char *dir, const char *sha, size_t max, unsigned char **data,
		     size_t *len);
/* Whether the photo with this hash is stored under the folder open as dirfd (named dir in
 * messages), without reading it: 0 when it is a regular file (a symbolic link to one too,
 * as photo_store_read() follows links), CP_ERR_NOTFOUND when neither
 * layout has it, CP_ERR_IO when it is something else or cannot be looked at. */
int photo_store_present(int dirfd, const char *dir, const char *sha);

#endif
