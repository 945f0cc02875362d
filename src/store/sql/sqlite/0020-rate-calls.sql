-- Partner calls in flight (src/connectors/common/governor.c): a row from a call's reservation to
-- its end, so that every process sharing the store counts against the partner's limit of calls
-- in flight together. holder names the process ("<host> <pid namespace>:<pid>"); a row whose
-- process died before its end expires, or goes as soon as a process of the same host and PID
-- namespace sees that its holder is gone.
CREATE TABLE rate_calls (
    id INTEGER PRIMARY KEY,
    scope TEXT NOT NULL,
    holder TEXT NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT;
CREATE INDEX rate_calls_scope ON rate_calls (scope, expires_at);
