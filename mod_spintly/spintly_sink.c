/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#ifdef __linux__
#include <linux/futex.h>
#include <sys/syscall.h>
#endif

#include <apr_atomic.h>
#include <apr_shm.h>

#include <apr_lib.h>
#include <apr_portable.h>
#include <apr_strings.h>

#include <httpd.h>
#include <http_config.h>
#include <http_log.h>

#include "spintly.h"
#include "spintly_sink.h"

APLOG_USE_MODULE(spintly);

/*
 * Group commit for SpintlySync: every writer counts its record in
 * `written` once its write() has returned; a record is on disk when
 * `synced` has reached its number.  One writer at a time (the one whose
 * pid is in `syncer`) runs fdatasync for everything written so far, while
 * the others wait for `epoch` to move, so many requests share one flush.
 * Lives in shared memory: httpd's children are separate processes.
 */
struct spintly_group_commit_t {
    volatile apr_uint64_t written;
    volatile apr_uint64_t synced;
    volatile apr_uint32_t syncer;
    volatile apr_uint32_t epoch;
};

/* The destinations of the configuration being read or run.  The parent
 * reads configuration in one thread, so a static is enough. */
static apr_array_header_t *spintly_dests;

void spintly_dests_reset(apr_pool_t *pconf)
{
    spintly_dests = apr_array_make(pconf, 4, sizeof(spintly_dest_t *));
}

const char *spintly_dest_declare(cmd_parms *cmd, const char *spec,
                                 spintly_dest_t **destp)
{
    spintly_dest_t *dest;
    int i;

    for (i = 0; i < spintly_dests->nelts; i++) {
        dest = APR_ARRAY_IDX(spintly_dests, i, spintly_dest_t *);
        if (!strcmp(dest->spec, spec)) {
            *destp = dest;
            return NULL;
        }
    }
    dest = apr_pcalloc(cmd->pool, sizeof(*dest));
    dest->spec = apr_pstrdup(cmd->pool, spec);
    dest->fd = -1;
    dest->defined_at = apr_psprintf(cmd->pool, "%s:%d",
                                    cmd->directive->filename,
                                    cmd->directive->line_num);
    if (*spec == '|') {
        const char *prog = spec + 1;

        dest->kind = SPINTLY_DEST_PIPE;
        if (*prog == '|') {
            prog++;
        }
        else if (*prog == '$') {
            prog++;
            dest->shell = 1;
        }
        while (apr_isspace(*prog)) {
            prog++;
        }
        if (!*prog) {
            return "SpintlyLog: a pipe needs a program after '|'";
        }
        dest->command = prog;
    }
    else {
        if (!*spec) {
            return "SpintlyLog: the destination is empty";
        }
        dest->kind = SPINTLY_DEST_FILE;
        dest->path = ap_server_root_relative(cmd->pool, spec);
        if (dest->path == NULL) {
            return apr_pstrcat(cmd->pool, "SpintlyLog: invalid path ",
                               spec, NULL);
        }
    }
    APR_ARRAY_PUSH(spintly_dests, spintly_dest_t *) = dest;
    *destp = dest;
    return NULL;
}

/* A process killed in the middle of a write can leave a partial line at
 * the end of the file; end it, so the next record starts a line of its
 * own rather than being glued to the fragment. */
static void end_last_line(int fd)
{
    struct stat st;
    char last;

    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0
        && pread(fd, &last, 1, st.st_size - 1) == 1 && last != '\n') {
        if (write(fd, "\n", 1) != 1) {
            /* the next write will find the trouble and answer 503 */
        }
    }
}

static apr_status_t open_file(spintly_dest_t *dest, apr_pool_t *pconf)
{
    apr_file_t *f;
    apr_os_file_t fd;
    apr_status_t rv;

    rv = apr_file_open(&f, dest->path,
                       APR_FOPEN_READ | APR_FOPEN_WRITE | APR_FOPEN_APPEND
                       | APR_FOPEN_CREATE,
                       APR_FPROT_UREAD | APR_FPROT_UWRITE | APR_FPROT_GREAD,
                       pconf);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    apr_os_file_get(&fd, f);
    dest->fd = fd;
    end_last_line(fd);
    return APR_SUCCESS;
}

int spintly_process_alive(apr_uint32_t pid)
{
    return pid != 0 && (kill((pid_t)pid, 0) == 0 || errno != ESRCH);
}

/* One shared group-commit record per file destination of this generation.
 * Anonymous shared memory: the parent's unmapping at a restart leaves the
 * old children's mapping intact. */
static apr_status_t share_commit_state(apr_pool_t *pconf)
{
    spintly_group_commit_t *gc;
    apr_shm_t *shm;
    apr_status_t rv;
    int i, files = 0;

    for (i = 0; i < spintly_dests->nelts; i++) {
        files += APR_ARRAY_IDX(spintly_dests, i, spintly_dest_t *)->kind
                 == SPINTLY_DEST_FILE;
    }
    if (files == 0) {
        return APR_SUCCESS;
    }
    rv = apr_shm_create(&shm, files * sizeof(*gc), NULL, pconf);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    gc = apr_shm_baseaddr_get(shm);
    memset(gc, 0, files * sizeof(*gc));
    for (i = 0; i < spintly_dests->nelts; i++) {
        spintly_dest_t *dest = APR_ARRAY_IDX(spintly_dests, i,
                                             spintly_dest_t *);
        if (dest->kind == SPINTLY_DEST_FILE) {
            dest->commit = gc++;
        }
    }
    return APR_SUCCESS;
}

int spintly_dests_open(apr_pool_t *pconf, apr_pool_t *ptemp, server_rec *s)
{
    apr_status_t rv;
    int i;

    (void)ptemp;
    if ((rv = share_commit_state(pconf)) != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, rv, s, SPINTLY_LOGNO(0004)
                     "cannot create shared memory for SpintlySync");
        return DONE;
    }
    for (i = 0; i < spintly_dests->nelts; i++) {
        spintly_dest_t *dest = APR_ARRAY_IDX(spintly_dests, i,
                                             spintly_dest_t *);
        apr_status_t rv;

        if (dest->kind == SPINTLY_DEST_FILE) {
            rv = open_file(dest, pconf);
        }
        else {
            rv = spintly_pipe_open(dest, s);
        }
        if (rv != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_EMERG, rv, s,
                         SPINTLY_LOGNO(0001) "SpintlyLog %s (%s): cannot "
                         "open the destination", dest->spec,
                         dest->defined_at);
            return DONE;
        }
    }
    spintly_pipes_retire_unused(s);
    return OK;
}

void spintly_dests_child_init(apr_pool_t *pchild, server_rec *s)
{
    spintly_pipes_child_init(pchild, s);
}

static void wait_for_epoch(volatile apr_uint32_t *epoch, apr_uint32_t seen,
                           apr_interval_time_t wait)
{
#ifdef __linux__
    struct timespec ts;

    ts.tv_sec = apr_time_sec(wait);
    ts.tv_nsec = apr_time_usec(wait) * 1000;
    syscall(SYS_futex, epoch, FUTEX_WAIT, seen, &ts, NULL, 0);
#else
    (void)epoch;
    (void)seen;
    apr_sleep(wait < 200 ? wait : 200);
#endif
}

static void wake_epoch(volatile apr_uint32_t *epoch)
{
    apr_atomic_inc32(epoch);
#ifdef __linux__
    syscall(SYS_futex, epoch, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
#endif
}

/* Return once this writer's record is on disk (see spintly_group_commit_t).
 * The waits are bounded by the deadline; a syncer killed mid-flush is
 * noticed by its pid. */
static apr_status_t group_commit(spintly_dest_t *dest, apr_time_t deadline)
{
    spintly_group_commit_t *gc = dest->commit;
    apr_uint64_t ticket = apr_atomic_inc64(&gc->written) + 1;
    apr_uint32_t me = (apr_uint32_t)getpid();

    for (;;) {
        apr_uint32_t seen = apr_atomic_read32(&gc->epoch);
        apr_uint32_t holder;
        apr_time_t now;

        if (apr_atomic_read64(&gc->synced) >= ticket) {
            return APR_SUCCESS;
        }
        holder = apr_atomic_cas32(&gc->syncer, me, 0);
        if (holder == 0) {
            apr_uint64_t target = apr_atomic_read64(&gc->written);
            int failed = fdatasync(dest->fd) != 0 ? errno : 0;

            if (!failed && target > apr_atomic_read64(&gc->synced)) {
                apr_atomic_set64(&gc->synced, target);
            }
            apr_atomic_set32(&gc->syncer, 0);
            wake_epoch(&gc->epoch);
            if (failed) {
                return failed;
            }
            continue;
        }
        if (!spintly_process_alive(holder)) {
            apr_atomic_cas32(&gc->syncer, 0, holder);
            continue;
        }
        now = apr_time_now();
        if (now >= deadline) {
            return APR_TIMEUP;
        }
        wait_for_epoch(&gc->epoch, seen, deadline - now < 50000
                                         ? deadline - now : 50000);
    }
}

static apr_status_t file_write(spintly_dest_t *dest, const char *rec,
                               apr_size_t len, apr_time_t deadline,
                               int sync)
{
    struct statvfs fs;
    ssize_t n;

    /* Refuse while there is room rather than tear a line when there is
     * none: a short write cannot be undone beside other appenders. */
    if (fstatvfs(dest->fd, &fs) == 0 && fs.f_blocks > 0
        && (apr_uint64_t)fs.f_bavail * fs.f_frsize
           < (apr_uint64_t)SPINTLY_FILE_RESERVE + len) {
        return APR_ENOSPC;
    }
    /* O_APPEND: one write() lands whole and after every other. */
    do {
        n = write(dest->fd, rec, len);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        return errno;
    }
    if ((apr_size_t)n != len) {
        return APR_ENOSPC;
    }
    return sync ? group_commit(dest, deadline) : APR_SUCCESS;
}

apr_status_t spintly_dest_write(spintly_dest_t *dest, const char *rec,
                                apr_size_t len, apr_time_t deadline,
                                int sync)
{
    if (dest->fd < 0) {
        return APR_EBADF;
    }
    if (dest->kind == SPINTLY_DEST_PIPE) {
        return spintly_pipe_write(dest, rec, len, deadline);
    }
    return file_write(dest, rec, len, deadline, sync);
}
