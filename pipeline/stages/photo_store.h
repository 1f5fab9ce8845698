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

/* "<ab>/<sha>.jpg", relative to the photo folder. Newly allocated. */
char *photo_store_rel(const char *sha);
/* The path of the photo with this hash under dir: the split layout, or the flat one of
 * older releases when only that exists. Newly allocated; the file may not exist. */
char *photo_store_find(const char *dir, const char *sha);

#endif
