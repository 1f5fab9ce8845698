/*
 * utf8.h - strict UTF-8 decoding for card text (names, labels, layout files).
 */
#ifndef CP_FACE_UTF8_H
#define CP_FACE_UTF8_H

/* Decode the code point at *p and advance *p past it. Returns 1 with *cp set, 0 at the
 * terminating NUL, CP_ERR_FORMAT for an invalid, overlong or surrogate sequence. */
int utf8_next(const char **p, unsigned *cp);

#endif
