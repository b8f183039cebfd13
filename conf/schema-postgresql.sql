-- mod_spintly: one row per Spintly access event, for PostgreSQL 12 or later.
--   psql -d spintly -f schema-postgresql.sql

CREATE TABLE IF NOT EXISTS spintly_events (
    id                 bigserial   PRIMARY KEY,
    org_id             bigint      NOT NULL,
    event_id           bigint      NOT NULL,
    request_id         text        NOT NULL,
    site_id            bigint,
    org_user_id        bigint,
    integrator_id      bigint,
    event_time         timestamptz NOT NULL,
    direction          text        NOT NULL,
    access_type        text        NOT NULL,
    access_point_id    bigint,
    access_point_name  text,
    employee_code      text,
    name               text,
    mobile_access_mode text,
    received_at        timestamptz NOT NULL,
    key_name           text        NOT NULL,
    client_ip          inet,
    message            jsonb       NOT NULL,
    UNIQUE (org_id, event_id)
);

CREATE INDEX IF NOT EXISTS spintly_events_time
    ON spintly_events (event_time);
