-- mod_spintly: one row per Spintly access event, for SQLite 3.24 or later.
--   sqlite3 /var/lib/spintly/events.sqlite < schema-sqlite.sql
-- The directory and the file must be writable by the user httpd's
-- children run as (www-data): SQLite writes -wal and -shm files beside it.

PRAGMA journal_mode = WAL;

CREATE TABLE IF NOT EXISTS spintly_events (
    id                 INTEGER PRIMARY KEY,
    org_id             INTEGER NOT NULL,
    event_id           INTEGER NOT NULL,
    request_id         TEXT    NOT NULL,
    site_id            INTEGER,
    org_user_id        INTEGER,
    integrator_id      INTEGER,
    event_time         TEXT    NOT NULL,  -- ISO 8601, UTC
    direction          TEXT    NOT NULL,
    access_type        TEXT    NOT NULL,
    access_point_id    INTEGER,
    access_point_name  TEXT,
    employee_code      TEXT,
    name               TEXT,
    mobile_access_mode TEXT,
    received_at        TEXT    NOT NULL,  -- ISO 8601, UTC, microseconds
    key_name           TEXT    NOT NULL,
    client_ip          TEXT,
    message            TEXT    NOT NULL,  -- the whole message, compact JSON
    UNIQUE (org_id, event_id)
);

CREATE INDEX IF NOT EXISTS spintly_events_time
    ON spintly_events (event_time);
