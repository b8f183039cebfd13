/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/**
 * @file spintly_sink.h
 * @brief Destinations for accepted events: files and piped programs.
 *
 * A destination is written as SpintlyLog DEST and follows CustomLog:
 * a path (relative to ServerRoot), "|prog" or "||prog" (run directly) or
 * "|$cmd" (run by the shell).  Every destination named anywhere in the
 * configuration is opened once, in the parent, by the open_logs hook.
 */

#ifndef SPINTLY_SINK_H
#define SPINTLY_SINK_H

#include <httpd.h>
#include <http_config.h>
#include <apr_time.h>

typedef enum {
    SPINTLY_DEST_FILE,
    SPINTLY_DEST_PIPE
} spintly_dest_kind_e;

typedef struct spintly_pipe_t spintly_pipe_t;
typedef struct spintly_group_commit_t spintly_group_commit_t;

/** Free space a file destination keeps: a write that would leave less is
 *  refused (503), so a full disk never tears a line. */
#define SPINTLY_FILE_RESERVE (1024 * 1024)

/** One destination, shared by every <Location> that names it. */
typedef struct spintly_dest_t {
    const char *spec;           /**< as written in the configuration */
    spintly_dest_kind_e kind;
    const char *path;           /**< file: absolute path */
    const char *command;        /**< pipe: the program and its arguments */
    int shell;                  /**< pipe: run by /bin/sh ("|$") */
    int fd;                     /**< where records are written; -1 closed */
    spintly_pipe_t *pipe;       /**< pipe: state kept across restarts */
    spintly_group_commit_t *commit; /**< file: shared fdatasync state */
    const char *defined_at;     /**< "file:line" of first SpintlyLog */
} spintly_dest_t;

/**
 * Find or add the destination named by spec in this configuration
 * generation.  Called by the SpintlyLog directive.
 * @return NULL on success, else a message for configtest
 */
const char *spintly_dest_declare(cmd_parms *cmd, const char *spec,
                                 spintly_dest_t **dest);

/** Forget the previous generation's destinations (pre_config). */
void spintly_dests_reset(apr_pool_t *pconf);

/** Open every declared destination (open_logs hook).  Pipes are kept in
 *  the process pool across graceful restarts. */
int spintly_dests_open(apr_pool_t *pconf, apr_pool_t *ptemp, server_rec *s);

/** Per-child set-up (child_init hook). */
void spintly_dests_child_init(apr_pool_t *pchild, server_rec *s);

/**
 * Write one record to one destination, whole or not at all as far as a
 * reader can tell: one write() for files (O_APPEND) and for pipe records up
 * to PIPE_BUF; larger pipe records exclude every other writer meanwhile.
 * @param deadline give up (APR_TIMEUP) rather than wait past this; a
 *        record already begun is finished, never torn
 * @param sync for files: return only once the record is on disk
 *        (fdatasync, shared by every writer waiting at the time)
 * @return APR_SUCCESS, or the error that kept the record out
 */
apr_status_t spintly_dest_write(spintly_dest_t *dest, const char *rec,
                                apr_size_t len, apr_time_t deadline,
                                int sync);

/** Is this process still there?  (For state a killed process left.) */
int spintly_process_alive(apr_uint32_t pid);

/* spintly_pipe.c */

/** Find or start the consumer for a pipe destination; reuse the one that
 *  survived a graceful restart when its command is unchanged. */
apr_status_t spintly_pipe_open(spintly_dest_t *dest, server_rec *s);

/** Called after every destination of a generation is open: stops the
 *  consumers no destination names any more, once they have drained. */
void spintly_pipes_retire_unused(server_rec *s);

/** Claim this child's slot for lock-free small pipe writes. */
void spintly_pipes_child_init(apr_pool_t *pchild, server_rec *s);

/** Write a pipe record (see spintly_dest_write). */
apr_status_t spintly_pipe_write(spintly_dest_t *dest, const char *rec,
                                apr_size_t len, apr_time_t deadline);

#endif /* SPINTLY_SINK_H */
