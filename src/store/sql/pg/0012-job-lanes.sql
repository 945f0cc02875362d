-- Lanes of the job queue (src/jobs/queue.c): a job may name one (the fiscal jobs: their
-- organization), and at most a window of a lane's jobs are due or running at once; the others
-- wait held (run_at far in the future) until the lane's earlier jobs end. The index serves the
-- per-lane counts and the oldest held jobs of a lane.
ALTER TABLE jobs ADD COLUMN lane TEXT;
CREATE INDEX jobs_lane ON jobs (lane, state, run_at, id) WHERE lane IS NOT NULL;
