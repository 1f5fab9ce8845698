/*
 * component.h - the custodians' components of the local master key (LMK): the LMK is the
 * XOR of two or three of them (keystore.h), each read from a file or typed at a prompt
 * without echo (docs/keys.md). Below the key store and the ceremony, which both read them.
 *
 * A component file holds 64 hex digits (32 bytes; spaces, newlines and '#' comment lines
 * allowed). It must be private to the service user (mode 0600 or 0400), like the store.
 */
#ifndef CP_COMPONENT_H
#define CP_COMPONENT_H

#include <stddef.h>

#define LMK_LEN 32

/* Read one component (LMK_LEN bytes) from a private file. */
int component_read_file(const char *path, unsigned char *out);
/* Parse one component from text (hex, as in a file). */
int component_parse(const char *text, unsigned char *out);
/* Ask for a component on the terminal without echo, twice, and check both agree. */
int component_prompt(int index, unsigned char *out);
/* Read one line from the terminal (/dev/tty) with echo off. */
int keys_read_secret(const char *prompt, char *line, size_t size);
/* Write a random component to path (0600) and return it; for TEST ONLY stores. */
int component_generate_file(const char *path, unsigned char *out);

#endif
