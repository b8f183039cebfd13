/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * Pipe destinations that keep their consumer across graceful restarts.
 *
 * httpd's own piped logs belong to the configuration pool: a graceful
 * restart kills the logger and opens a new pipe, and whatever the old
 * logger had read or left in its pipe is gone.  Here the pipe and the
 * consumer's pid live in the process pool, which outlives every
 * generation; each generation finds them again by command and registers
 * the consumer as an "other child" of its own, so a consumer that dies is
 * started again on the same pipe (the parent holds the read end, so unread
 * records survive).  When httpd stops, the parent closes its write end
 * after the children are gone, and waits for the consumer to read to EOF.
 *
 * The DSO is unloaded and loaded again at every restart, so nothing that
 * outlives a generation points into this file's code: process-pool data
 * only, with cleanups and callbacks registered on pconf.
 *
 * Records up to PIPE_BUF go out in one lock-free write(), which the kernel
 * keeps whole.  A larger record is written in pieces, so its writer takes
 * a global mutex and waits until no process is in the middle of a small
 * write; small writers check for such a writer after announcing themselves
 * in their process's slot of a shared table (a Dekker-style handshake).
 */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <limits.h>
#include <poll.h>

#include <apr_atomic.h>
#include <apr_global_mutex.h>
#include <apr_shm.h>
#include <apr_strings.h>
#include <apr_thread_proc.h>

#include <httpd.h>
#include <http_config.h>
#include <http_core.h>
#include <http_log.h>
#include <http_main.h>
#include <ap_mpm.h>

#include "spintly.h"
#include "spintly_sink.h"

APLOG_USE_MODULE(spintly);

/* How long httpd's stop waits for consumers to read what is left. */
#define SPINTLY_DRAIN_TIMEOUT apr_time_from_sec(30)

#define SPINTLY_PIPES_KEY "mod_spintly.pipes"

struct spintly_pipe_t {
    spintly_pipe_t *next;
    const char *command;
    int shell;
    char **argv;            /* for direct programs */
    int read_fd;            /* held by the parent so unread data survives */
    int write_fd;           /* non-blocking: writers wait with poll() */
    int capacity;           /* of the pipe, in bytes */
    apr_proc_t proc;        /* proc.pid is 0 while no consumer runs */
    long generation;        /* last generation that named this pipe */
    int retired;            /* no longer named: closes once drained */
    int watched;            /* registered as an other child in pconf */
};

/* One slot per httpd child process: how many of its threads are in the
 * middle of a small pipe write right now. */
typedef struct {
    volatile apr_uint32_t pid;
    volatile apr_uint32_t busy;
} spintly_slot_t;

typedef struct {
    volatile apr_uint32_t large_writers;
    apr_uint32_t nslots;
    spintly_slot_t slot[1];
} spintly_shared_t;

/* Kept in the process pool, found again by every generation. */
typedef struct {
    apr_pool_t *pool;
    pid_t owner;            /* the parent; children never drain */
    spintly_pipe_t *pipes;
    spintly_shared_t *shared;
    apr_global_mutex_t *mutex;
} spintly_pipes_t;

static spintly_pipes_t *state;      /* this generation's view of it */
static apr_pool_t *generation_pool; /* pconf of this generation */
static spintly_slot_t *my_slot;     /* in a child: its slot, if any */

static void pipe_maintenance(int reason, void *data, apr_wait_t status);

static spintly_pipes_t *pipes_state(server_rec *s)
{
    apr_pool_t *proc_pool = s->process->pool;
    spintly_pipes_t *st = NULL;
    apr_status_t rv;
    apr_size_t size;
    apr_shm_t *shm;
    int limit = 0;

    apr_pool_userdata_get((void **)&st, SPINTLY_PIPES_KEY, proc_pool);
    if (st) {
        return st;
    }
    st = apr_pcalloc(proc_pool, sizeof(*st));
    st->pool = proc_pool;
    st->owner = getpid();

    ap_mpm_query(AP_MPMQ_HARD_LIMIT_DAEMONS, &limit);
    if (limit < 1) {
        limit = 16;
    }
    /* old and new generations overlap during a graceful restart */
    size = sizeof(spintly_shared_t) + 2 * limit * sizeof(spintly_slot_t);
    rv = apr_shm_create(&shm, size, NULL, proc_pool);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, SPINTLY_LOGNO(0010)
                     "cannot create shared memory for pipe writers");
        return NULL;
    }
    st->shared = apr_shm_baseaddr_get(shm);
    memset(st->shared, 0, size);
    st->shared->nslots = 2 * limit + 1;
    rv = apr_global_mutex_create(&st->mutex, NULL, APR_LOCK_DEFAULT,
                                 proc_pool);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, SPINTLY_LOGNO(0011)
                     "cannot create the pipe writers' mutex");
        return NULL;
    }
    apr_pool_userdata_set(st, SPINTLY_PIPES_KEY, apr_pool_cleanup_null,
                          proc_pool);
    return st;
}

static int pipe_has_data(spintly_pipe_t *pl)
{
    int pending = 0;

    return pl->read_fd >= 0 && ioctl(pl->read_fd, FIONREAD, &pending) == 0
           && pending > 0;
}

static apr_status_t unwatched(void *data)
{
    ((spintly_pipe_t *)data)->watched = 0;
    return APR_SUCCESS;
}

/* Have this generation's MPM tell us when the consumer dies.  The
 * registration ends with pconf; APR crashes on unregistering twice. */
static void watch(spintly_pipe_t *pl)
{
    apr_proc_other_child_register(&pl->proc, pipe_maintenance, pl, NULL,
                                  generation_pool);
    apr_pool_cleanup_register(generation_pool, pl, unwatched,
                              apr_pool_cleanup_null);
    pl->watched = 1;
}

static void unwatch(spintly_pipe_t *pl)
{
    if (pl->watched) {
        apr_proc_other_child_unregister(pl);
        pl->watched = 0;
    }
}

static apr_status_t spawn_consumer(spintly_pipe_t *pl, server_rec *s,
                                   int watched)
{
    pid_t pid = fork();

    if (pid < 0) {
        return errno;
    }
    if (pid == 0) {
        sigset_t none;
        int sig;

        /* Its own session: httpd's signals to its process group (stop,
         * restart) must not reach the consumer. */
        setsid();
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        for (sig = 1; sig < NSIG; sig++) {
            signal(sig, SIG_DFL);
        }
        if (dup2(pl->read_fd, STDIN_FILENO) < 0) {
            _exit(126);
        }
        /* keep stdout and stderr (httpd's error log) */
        for (sig = 3; sig < 1024; sig++) {
            close(sig);
        }
        if (pl->shell) {
            execl("/bin/sh", "sh", "-c", pl->command, (char *)NULL);
        }
        else {
            execvp(pl->argv[0], pl->argv);
        }
        _exit(127);
    }
    pl->proc.pid = pid;
    ap_log_error(APLOG_MARK, APLOG_INFO, 0, s, SPINTLY_LOGNO(0012)
                 "pipe consumer \"%s\" started as pid %d", pl->command,
                 (int)pid);
    if (watched) {
        watch(pl);
    }
    return APR_SUCCESS;
}

static void pipe_close(spintly_pipe_t *pl)
{
    if (pl->write_fd >= 0) {
        close(pl->write_fd);
        pl->write_fd = -1;
    }
}

static void pipe_maintenance(int reason, void *data, apr_wait_t status)
{
    spintly_pipe_t *pl = data;

    switch (reason) {
    case APR_OC_REASON_DEATH:
    case APR_OC_REASON_LOST:
        unwatch(pl);
        ap_log_error(APLOG_MARK, pl->retired ? APLOG_INFO : APLOG_WARNING,
                     0, ap_server_conf, SPINTLY_LOGNO(0013)
                     "pipe consumer \"%s\" (pid %d) exited (status %d)%s",
                     pl->command, (int)pl->proc.pid, (int)status,
                     pl->retired && !pipe_has_data(pl) ? ""
                     : "; starting it again on the same pipe");
        pl->proc.pid = 0;
        if (pl->retired && !pipe_has_data(pl)) {
            close(pl->read_fd);
            pl->read_fd = -1;
            break;
        }
        if (spawn_consumer(pl, ap_server_conf, 1) != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_ERR, errno, ap_server_conf,
                         SPINTLY_LOGNO(0014) "cannot start pipe consumer "
                         "\"%s\"", pl->command);
        }
        break;
    default:
        /* A restart keeps the consumer: that is the point. */
        break;
    }
}

/* Is the consumer gone?  Reaps it if so. */
static int consumer_exited(spintly_pipe_t *pl)
{
    int status;

    if (pl->proc.pid <= 0) {
        return 1;
    }
    if (waitpid(pl->proc.pid, &status, WNOHANG) == pl->proc.pid
        || (kill(pl->proc.pid, 0) < 0 && errno == ESRCH)) {
        pl->proc.pid = 0;
        return 1;
    }
    return 0;
}

/* httpd is stopping: every child is gone.  Close our write ends and let
 * the consumers read to EOF; start one again if it dies with data left. */
static void drain_all(spintly_pipes_t *st)
{
    apr_time_t deadline = apr_time_now() + SPINTLY_DRAIN_TIMEOUT;
    spintly_pipe_t *pl;
    int running;

    for (pl = st->pipes; pl; pl = pl->next) {
        unwatch(pl);
        pipe_close(pl);
    }
    do {
        running = 0;
        for (pl = st->pipes; pl; pl = pl->next) {
            if (pl->read_fd < 0 || !consumer_exited(pl)) {
                running += pl->read_fd >= 0;
                continue;
            }
            if (pipe_has_data(pl) && spawn_consumer(pl, ap_server_conf, 0)
                                     == APR_SUCCESS) {
                running++;
                continue;
            }
            close(pl->read_fd);
            pl->read_fd = -1;
        }
        if (running) {
            apr_sleep(apr_time_from_msec(10));
        }
    } while (running && apr_time_now() < deadline);

    for (pl = st->pipes; pl; pl = pl->next) {
        if (pl->proc.pid > 0) {
            ap_log_error(APLOG_MARK, APLOG_ERR, 0, ap_server_conf,
                         SPINTLY_LOGNO(0015) "pipe consumer \"%s\" did not "
                         "finish within %d s of stop; sending SIGTERM",
                         pl->command,
                         (int)apr_time_sec(SPINTLY_DRAIN_TIMEOUT));
            kill(pl->proc.pid, SIGTERM);
        }
    }
}

static apr_status_t generation_cleanup(void *data)
{
    spintly_pipes_t *st = data;

    /* Children run pool cleanups at exit too: only the parent, and only
     * when httpd stops rather than restarts. */
    if (getpid() == st->owner
        && ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_EXITING) {
        drain_all(st);
    }
    return APR_SUCCESS;
}

static spintly_pipe_t *pipe_create(spintly_pipes_t *st, spintly_dest_t *dest)
{
    spintly_pipe_t *pl = apr_pcalloc(st->pool, sizeof(*pl));
    int fds[2];

    pl->command = apr_pstrdup(st->pool, dest->command);
    pl->shell = dest->shell;
    if (!pl->shell
        && (apr_tokenize_to_argv(pl->command, &pl->argv, st->pool)
            != APR_SUCCESS || pl->argv[0] == NULL)) {
        errno = EINVAL;
        return NULL;
    }
    if (pipe2(fds, O_CLOEXEC) < 0) {
        return NULL;
    }
    /* More room rides out a consumer restart; a failure only means less. */
    (void)fcntl(fds[1], F_SETPIPE_SZ, 1024 * 1024);
    pl->capacity = fcntl(fds[1], F_GETPIPE_SZ);
    if (pl->capacity <= 0) {
        pl->capacity = 65536;
    }
    if (fcntl(fds[1], F_SETFL, fcntl(fds[1], F_GETFL) | O_NONBLOCK) < 0) {
        close(fds[0]);
        close(fds[1]);
        return NULL;
    }
    pl->read_fd = fds[0];
    pl->write_fd = fds[1];
    pl->next = st->pipes;
    st->pipes = pl;
    return pl;
}

apr_status_t spintly_pipe_open(spintly_dest_t *dest, server_rec *s)
{
    apr_pool_t *pconf = s->process->pconf;
    spintly_pipe_t *pl;

    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) {
        /* httpd reads its configuration twice at start and detaches in
         * between: start consumers only in the process that will run. */
        return APR_SUCCESS;
    }
    if (state == NULL || generation_pool != pconf) {
        state = pipes_state(s);
        if (state == NULL) {
            return APR_EGENERAL;
        }
        generation_pool = pconf;
        apr_pool_cleanup_register(pconf, state, generation_cleanup,
                                  apr_pool_cleanup_null);
    }
    for (pl = state->pipes; pl; pl = pl->next) {
        if (!pl->retired && pl->shell == dest->shell
            && !strcmp(pl->command, dest->command)) {
            break;
        }
    }
    if (pl == NULL && (pl = pipe_create(state, dest)) == NULL) {
        return errno;
    }
    pl->generation = ap_config_generation;
    dest->pipe = pl;
    dest->fd = pl->write_fd;
    if (consumer_exited(pl)) {
        return spawn_consumer(pl, s, 1);
    }
    /* Still running from the last generation: this generation takes it. */
    watch(pl);
    return APR_SUCCESS;
}

void spintly_pipes_retire_unused(server_rec *s)
{
    spintly_pipe_t *pl;

    if (state == NULL || generation_pool != s->process->pconf) {
        return;
    }
    for (pl = state->pipes; pl; pl = pl->next) {
        if (pl->generation == ap_config_generation || pl->retired) {
            continue;
        }
        /* The consumer sees EOF once the last old child exits. */
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, s, SPINTLY_LOGNO(0016)
                     "pipe consumer \"%s\" is no longer configured; it "
                     "stops once it has read what is left", pl->command);
        pl->retired = 1;
        pipe_close(pl);
        if (!consumer_exited(pl)) {
            watch(pl);
        }
    }
}

static apr_status_t release_slot(void *data)
{
    spintly_slot_t *slot = data;

    slot->busy = 0;
    apr_atomic_set32(&slot->pid, 0);
    return APR_SUCCESS;
}

void spintly_pipes_child_init(apr_pool_t *pchild, server_rec *s)
{
    apr_uint32_t me = (apr_uint32_t)getpid();
    apr_uint32_t i;

    if (state == NULL) {
        return;
    }
    apr_global_mutex_child_init(&state->mutex, NULL, pchild);
    for (i = 0; i < state->shared->nslots; i++) {
        spintly_slot_t *slot = &state->shared->slot[i];
        apr_uint32_t pid = apr_atomic_read32(&slot->pid);

        if (pid != 0 && spintly_process_alive(pid)) {
            continue;
        }
        if (apr_atomic_cas32(&slot->pid, me, pid) == pid) {
            apr_atomic_set32(&slot->busy, 0);
            my_slot = slot;
            apr_pool_cleanup_register(pchild, slot, release_slot,
                                      apr_pool_cleanup_null);
            return;
        }
    }
    ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, SPINTLY_LOGNO(0017)
                 "no free pipe-writer slot: this process takes the mutex "
                 "for every pipe write");
}

/* Wait until the pipe takes more, at most until the deadline (none if 0). */
static apr_status_t wait_writable(int fd, apr_time_t deadline)
{
    struct pollfd pfd;
    int timeout = -1, rc;

    if (deadline) {
        apr_time_t now = apr_time_now();

        if (now >= deadline) {
            return APR_TIMEUP;
        }
        timeout = (int)((deadline - now + 999) / 1000);
    }
    pfd.fd = fd;
    pfd.events = POLLOUT;
    pfd.revents = 0;
    rc = poll(&pfd, 1, timeout);
    if (rc == 0) {
        return APR_TIMEUP;
    }
    return rc < 0 && errno != EINTR ? errno : APR_SUCCESS;
}

/* A record up to PIPE_BUF: the kernel takes it whole or not at all. */
static apr_status_t write_small(int fd, const char *rec, apr_size_t len,
                                apr_time_t deadline)
{
    for (;;) {
        ssize_t n = write(fd, rec, len);
        apr_status_t rv;

        if (n == (ssize_t)len) {
            return APR_SUCCESS;
        }
        if (n >= 0) {
            return APR_EGENERAL;    /* cannot happen for len <= PIPE_BUF */
        }
        if (errno == EINTR) {
            continue;
        }
        if (errno != EAGAIN) {
            return errno;
        }
        if ((rv = wait_writable(fd, deadline)) != APR_SUCCESS) {
            return rv;
        }
    }
}

/* Finish a record once begun, however long the consumer takes: a torn
 * line is worse than a late one.  Only called when there was room. */
static apr_status_t write_whole(int fd, const char *rec, apr_size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, rec, len);

        if (n < 0) {
            if (errno == EAGAIN) {
                wait_writable(fd, 0);
                continue;
            }
            if (errno == EINTR) {
                continue;
            }
            return errno;
        }
        rec += n;
        len -= (apr_size_t)n;
    }
    return APR_SUCCESS;
}

/* Wait until the pipe has room for the whole record, so that a record
 * begun before the deadline never has to stop half-way.  The kernel counts
 * room in pages, and a record that does not fit the end of the last page
 * starts a new one: pages hold at least half their size, so the bytes
 * queued take at most twice their number of pages. */
static apr_status_t wait_for_room(spintly_pipe_t *pl, apr_size_t len,
                                  apr_time_t deadline)
{
    apr_size_t pages = (apr_size_t)pl->capacity / 4096;
    apr_size_t need = (len + 4095) / 4096 + 1;

    for (;;) {
        int queued = 0;

        if (ioctl(pl->write_fd, FIONREAD, &queued) < 0) {
            return errno;
        }
        if (2 * ((apr_size_t)(queued + 4095) / 4096) + 2 + need <= pages
            || (queued == 0 && need + 2 > pages)) {
            return APR_SUCCESS;
        }
        if (apr_time_now() >= deadline) {
            return APR_TIMEUP;
        }
        apr_sleep(1000);
    }
}

/* Wait until no process is inside a lock-free small write. */
static apr_status_t wait_for_small_writers(apr_time_t deadline)
{
    apr_uint32_t i;

    for (i = 0; i < state->shared->nslots; i++) {
        spintly_slot_t *slot = &state->shared->slot[i];

        while (apr_atomic_read32(&slot->busy) != 0) {
            apr_uint32_t pid = apr_atomic_read32(&slot->pid);

            if (!spintly_process_alive(pid)) {
                apr_atomic_set32(&slot->busy, 0);
                break;
            }
            if (apr_time_now() >= deadline) {
                return APR_TIMEUP;
            }
            apr_sleep(50);
        }
    }
    return APR_SUCCESS;
}

apr_status_t spintly_pipe_write(spintly_dest_t *dest, const char *rec,
                                apr_size_t len, apr_time_t deadline)
{
    apr_time_t now;
    apr_status_t rv;

    if (len <= PIPE_BUF && my_slot) {
        apr_atomic_inc32(&my_slot->busy);
        if (apr_atomic_read32(&state->shared->large_writers) == 0) {
            rv = write_small(dest->fd, rec, len, deadline);
            apr_atomic_dec32(&my_slot->busy);
            return rv;
        }
        apr_atomic_dec32(&my_slot->busy);
    }
    now = apr_time_now();
    if (now >= deadline) {
        return APR_TIMEUP;
    }
    rv = apr_global_mutex_timedlock(state->mutex, deadline - now);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    if (len > PIPE_BUF) {
        /* Wait for room before holding off the small writers, so that
         * they keep going meanwhile; check again once they are held off,
         * as they may have taken it. */
        for (;;) {
            rv = wait_for_room(dest->pipe, len, deadline);
            if (rv != APR_SUCCESS) {
                break;
            }
            apr_atomic_inc32(&state->shared->large_writers);
            rv = wait_for_small_writers(deadline);
            if (rv == APR_SUCCESS) {
                rv = wait_for_room(dest->pipe, len, apr_time_now());
                if (rv == APR_SUCCESS) {
                    rv = write_whole(dest->fd, rec, len);
                    apr_atomic_dec32(&state->shared->large_writers);
                    break;
                }
                rv = apr_time_now() < deadline ? APR_EAGAIN : APR_TIMEUP;
            }
            apr_atomic_dec32(&state->shared->large_writers);
            if (rv != APR_EAGAIN) {
                break;
            }
        }
    }
    else {
        rv = write_small(dest->fd, rec, len, deadline);
    }
    apr_global_mutex_unlock(state->mutex);
    return rv;
}
