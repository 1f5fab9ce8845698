/*
 * money.h - amounts of money as whole fen (分, 1/100 yuan) in a long long: parsed from text
 * strictly and added with overflow checks. Used for the transport balance a damaged card's
 * replacement refunds (manual item 46) and for the sums the bank reports sign.
 * Pure functions.
 */
#ifndef CP_MONEY_H
#define CP_MONEY_H

/* Longest text money_parse_fen() reads: 18 digits hold any amount below 10^18. */
#define MONEY_MAX_DIGITS 18

/* Parse s as an amount in fen: one or more ASCII digits and nothing else (no sign, no
 * space, no decimal point, no exponent, no "0x"), at most MONEY_MAX_DIGITS digits, and at
 * most max (max >= 0). 0 with *out set; otherwise *out is 0 and CP_ERR_FORMAT (not an amount
 * in fen) or CP_ERR_LIMIT (more than max), cp_errmsg() saying what is wrong in English with
 * the value quoted (at most 40 bytes of it, control bytes escaped). */
int money_parse_fen(const char *s, long long max, long long *out);

/* *sum = a + b for a, b >= 0. CP_ERR_LIMIT when either is negative or the sum would pass
 * LLONG_MAX (*sum is left unchanged). */
int money_add(long long a, long long b, long long *sum);

#endif
