/*
 * photo_store.h - where a stored photo lives: spool/photos/<ab>/<sha256>.jpg, <ab> being
 * the first two hex digits of the SHA-256 of its bytes.
 *
 * The 256 sub-folders keep each directory small: ingest creates one file per applicant,
 * and a lookup or creation in one folder of a million entries costs the kernel several
 * times what it does in a folder of a few thousand. Releases before the split stored
 * <sha256>.jpg directly in spool/photos; photo_store_find() still finds those.
 */
#ifndef CP_STAGE_PHOTO_STORE_H
#define CP_STAGE_PHOTO_STORE_H

#include <stddef.h>

/* "<ab>/<sha>.jpg", relative to the photo folder. Newly allocated. */
char *photo_store_rel(const char *sha);
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
