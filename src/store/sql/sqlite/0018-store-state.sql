-- Facts about the store itself, one value per key (src/fiscal/restore.c):
--   backup_taken_at  only in a copy written by `fiscalhub admin backup`: when it was taken. The
--                    first start on the copy (a restore) removes it and begins a recovery.
--   restored_at, restored_from
--                    when the last recovery began, and the backup's time (0 when unknown:
--                    `fiscalhub admin restored` after a restore by other means).
--   recovery_until   until then every new fiscal invoice is looked up at the V-SDC before it is
--                    posted (it starts uncertain), since it may have been signed after the backup.
CREATE TABLE store_state (
    key TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) STRICT;
