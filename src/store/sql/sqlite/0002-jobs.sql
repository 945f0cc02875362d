-- Durable job queue (src/jobs/queue.c). Times are Unix ms passed from C. A job is 'ready' until
-- a worker claims it ('running', with lease_owner and lease_until), then 'done', back to 'ready'
-- after a failed attempt (run_at moved by the backoff), or 'dead' when its attempts are used up.
-- ukey makes enqueueing idempotent; NULL keys never conflict.
CREATE TABLE jobs (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    ukey TEXT UNIQUE,
    payload TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('ready', 'running', 'done', 'dead')),
    run_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL CHECK (max_attempts > 0),
    lease_owner TEXT,
    lease_until INTEGER,
    last_error TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;
-- Claiming reads the head of (state = 'ready', run_at, id) in order, and the few 'running'
-- rows for expired leases; counting by state for metrics uses it too.
CREATE INDEX jobs_claim ON jobs (state, run_at, id);

-- Periodic jobs (src/jobs/scheduler.c): due when next_run_at <= now.
CREATE TABLE schedules (
    name TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    interval_ms INTEGER NOT NULL CHECK (interval_ms > 0),
    next_run_at INTEGER NOT NULL
) STRICT;
CREATE INDEX schedules_due ON schedules (next_run_at);
