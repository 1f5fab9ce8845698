/*
 * luhn.h - the Luhn check digit (ISO/IEC 7812-1 Annex B, docs/domain-facts.md §7) of bank card
 * numbers (PANs). Pure functions.
 */
#ifndef CP_LUHN_H
#define CP_LUHN_H

/* The check digit ('0'..'9') to append to the digits of body, or 0 if body is empty or
 * holds anything but digits. */
char luhn_check_digit(const char *body);
/* 1 if number (check digit included) is all digits, at least 2 long, and its Luhn sum is
 * 0 mod 10; 0 otherwise. */
int luhn_valid(const char *number);

#endif
