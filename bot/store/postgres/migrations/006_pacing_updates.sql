-- Pacing shared by every process on this database: one GCRA timestamp per bot token
-- (`key` names the platform and a hash of the token, never the token).
CREATE TABLE pacing (
    key        text PRIMARY KEY,
    tat        double precision NOT NULL,  -- the next free slot, seconds since the epoch
    updated_at double precision NOT NULL
);
-- Webhook updates already answered, by bot and update_id (the first process answers).
CREATE TABLE handled_updates (
    bot        text NOT NULL,
    update_id  bigint NOT NULL,
    handled_at double precision NOT NULL,
    PRIMARY KEY (bot, update_id)
);
CREATE INDEX handled_updates_at ON handled_updates(handled_at);
