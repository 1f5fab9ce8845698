/*
 * suggest.h - "did you mean": the closest of a list of known words (command names, long
 * options) to a word the operator typed, by Damerau-Levenshtein distance.
 */
#ifndef CP_SUGGEST_H
#define CP_SUGGEST_H

#include <stddef.h>

/* Edit distance in bytes, counting an insertion, a deletion, a substitution or a swap of
 * two adjacent characters as one edit (optimal string alignment). */
size_t cp_edit_distance(const char *a, const char *b);
/* The candidate closest to word when it is close enough to be a typing slip (at most 2
 * edits, and fewer than half the word's length), else the only candidate word is a
 * prefix of; NULL when none fits. On a tie the first candidate wins. */
const char *cp_suggest(const char *word, const char *const *cands, size_t n);

#endif
