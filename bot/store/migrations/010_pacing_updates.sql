-- Pacing shared by every process on this database: one GCRA timestamp per bot token
-- (`key` names the platform and a hash of the token, never the token), so several
-- schedulers together stay under the platform's limit.
CREATE TABLE pacing (
    key        TEXT PRIMARY KEY,
    tat        REAL NOT NULL,  -- the next free slot, seconds since the epoch
    updated_at REAL NOT NULL
);
-- Webhook updates already answered, by bot and update_id: behind a load balancer
-- the same update may reach two processes (a retry); the first one answers it.
CREATE TABLE handled_updates (
    bot        TEXT NOT NULL,
    update_id  INTEGER NOT NULL,
    handled_at REAL NOT NULL,
    PRIMARY KEY (bot, update_id)
);
CREATE INDEX handled_updates_at ON handled_updates(handled_at);
