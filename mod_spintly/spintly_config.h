/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/**
 * @file spintly_config.h
 * @brief mod_spintly's directives and per-directory configuration.
 */

#ifndef SPINTLY_CONFIG_H
#define SPINTLY_CONFIG_H

#include <httpd.h>
#include <http_config.h>

/** Default SpintlyMaxBody: far above a Spintly event (under 1 KB). */
#define SPINTLY_DEFAULT_MAX_BODY 65536

/** Default SpintlyWriteTimeout. */
#define SPINTLY_DEFAULT_WRITE_TIMEOUT apr_time_from_sec(5)

/** Per-directory configuration.  NULL / -1 mean "not set here", so an
 *  inner <Location> overrides only what it sets. */
typedef struct spintly_dir_conf_t {
    apr_array_header_t *keys;         /**< spintly_key_t */
    apr_array_header_t *dests;        /**< spintly_dest_t * */
    struct spintly_dbd_insert_t *dbd_insert; /**< SpintlyDBDInsert */
    apr_array_header_t *accept_types; /**< const char * */
    apr_off_t max_body;
    apr_interval_time_t write_timeout; /**< SpintlyWriteTimeout */
    int sync;                         /**< SpintlySync: -1 unset, 0, 1 */
} spintly_dir_conf_t;

extern module AP_MODULE_DECLARE_DATA spintly_module;

/** The directive table. */
extern const command_rec spintly_directives[];

void *spintly_create_dir_conf(apr_pool_t *p, char *dir);
void *spintly_merge_dir_conf(apr_pool_t *p, void *basev, void *addv);

/** SpintlyMaxBody in effect. */
apr_off_t spintly_max_body(const spintly_dir_conf_t *conf);

/** SpintlyWriteTimeout in effect. */
apr_interval_time_t spintly_write_timeout(const spintly_dir_conf_t *conf);

/**
 * check_config hook: every section that sets "SetHandler spintly" must
 * have a key and a destination in effect, or configtest fails naming them.
 */
int spintly_check_config(apr_pool_t *pconf, apr_pool_t *plog,
                         apr_pool_t *ptemp, server_rec *s);

#endif /* SPINTLY_CONFIG_H */
