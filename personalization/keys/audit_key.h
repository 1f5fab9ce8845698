/*
 * audit_key.h - the audit key: the HMAC-SHA-256 key of the registry's audit chain and row
 * seals (docs/audit.md).
 *
 * It is the key store's key 'audit.chain'. A home without a key store yet (before the first
 * ceremony) keeps it in keys.audit_key_file (0600, 64 hex digits), created at the first
 * registry use; the first command that finds a key store seals that key into the store
 * and deletes the file, so that the chain keeps one key for its whole life.
 */
#ifndef CP_AUDIT_KEY_H
#define CP_AUDIT_KEY_H

struct config;

#define AUDIT_KEY_NAME "audit.chain"
#define AUDIT_KEY_LEN 32

/* The audit key of the home (out, AUDIT_KEY_LEN bytes: the caller wipes it) and its check
 * value (AES KCV, 6 hex digits). Disables core dumps first. */
int audit_key_load(const struct config *cfg, const char *home, unsigned char *out, char kcv[7]);

#endif
