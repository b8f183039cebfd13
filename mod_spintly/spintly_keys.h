/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/**
 * @file spintly_keys.h
 * @brief API keys: parsing, fingerprints and a constant-time check.
 *
 * Needs APR and APR-util only (no httpd), so it is unit-tested and fuzzed
 * on its own.
 */

#ifndef SPINTLY_KEYS_H
#define SPINTLY_KEYS_H

#include <apr_pools.h>
#include <apr_tables.h>

/** Longest key accepted, in bytes.  Longer presented values are rejected
 *  without comparing: their length is the sender's, not a secret. */
#define SPINTLY_KEY_MAX 256
/** Shortest key accepted in configuration. */
#define SPINTLY_KEY_MIN 16
/** Longest key NAME. */
#define SPINTLY_KEY_NAME_MAX 64

/** One configured key.  The secret is held zero-padded to SPINTLY_KEY_MAX
 *  so that every comparison touches the same number of bytes. */
typedef struct spintly_key_t {
    unsigned char secret[SPINTLY_KEY_MAX];
    apr_size_t len;
    const char *name;       /**< non-secret, safe to log and record */
} spintly_key_t;

/**
 * Check a key as written in configuration.
 * @return NULL when acceptable, else a message that does not contain it.
 */
const char *spintly_key_check_syntax(const char *key);

/**
 * Check a key NAME: 1 to SPINTLY_KEY_NAME_MAX of [A-Za-z0-9._:-].
 * @return NULL when acceptable, else a message.
 */
const char *spintly_key_check_name(const char *name);

/**
 * The default NAME of a key: "sha1:" and the first 8 hex digits of the
 * SHA-1 of the key.  Identifies a key without revealing it.
 */
const char *spintly_key_fingerprint(apr_pool_t *p, const char *key);

/**
 * Add a key to an array of spintly_key_t.
 * @param name NAME, or NULL for the fingerprint
 * @return NULL on success, else a message that does not contain the key
 */
const char *spintly_keys_add(apr_pool_t *p, apr_array_header_t *keys,
                             const char *key, const char *name);

/**
 * Read keys from a file: one "KEY NAME" (NAME optional) a line, blank
 * lines and lines starting with '#' ignored.
 * @param world_readable set to 1 when others may read the file
 * @return NULL on success, else a message naming the file and line
 */
const char *spintly_keys_load_file(apr_pool_t *p, apr_array_header_t *keys,
                                   const char *path, int *world_readable);

/**
 * Compare a presented value against every key, in time that depends only
 * on the number of keys and never on where or whether they differ.
 * @param presented the header value (may contain anything)
 * @param len its length
 * @return the matching key, or NULL
 */
const spintly_key_t *spintly_keys_match(const apr_array_header_t *keys,
                                        const char *presented,
                                        apr_size_t len);

#endif /* SPINTLY_KEYS_H */
