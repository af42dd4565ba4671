-- News feeds and their polling state; `origin` says whether config or the CLI added it.
CREATE TABLE feeds (
    id             INTEGER PRIMARY KEY,
    url            TEXT NOT NULL UNIQUE,
    name           TEXT NOT NULL DEFAULT '',
    category       TEXT NOT NULL DEFAULT '',
    language       TEXT NOT NULL DEFAULT '',
    every_min      INTEGER NOT NULL DEFAULT 0,       -- 0 = [polling] every_min
    origin         TEXT NOT NULL DEFAULT 'cli' CHECK (origin IN ('config', 'cli')),
    status         TEXT NOT NULL DEFAULT 'new'
                   CHECK (status IN ('new', 'ok', 'failing', 'disabled')),
    etag           TEXT NOT NULL DEFAULT '',
    last_modified  TEXT NOT NULL DEFAULT '',
    next_poll_at   TEXT,                              -- NULL = due now (ISO 8601 UTC)
    last_polled_at TEXT,
    last_ok_at     TEXT,
    failing_since  TEXT,
    failures       INTEGER NOT NULL DEFAULT 0,
    items_seen     INTEGER NOT NULL DEFAULT 0,
    error          TEXT NOT NULL DEFAULT '',
    created_at     TEXT NOT NULL
);
CREATE INDEX feeds_due ON feeds(status, next_poll_at);

-- Items a feed has shown, known by GUID and by canonical link; analysis_id is set
-- when the item was analysed, error when its link was refused or failed.
CREATE TABLE feed_items (
    feed_id      INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
    guid         TEXT NOT NULL,
    link         TEXT NOT NULL,
    title        TEXT NOT NULL DEFAULT '',
    published_at TEXT,
    analysis_id  INTEGER REFERENCES analyses(id) ON DELETE SET NULL,
    error        TEXT NOT NULL DEFAULT '',
    seen_at      TEXT NOT NULL,
    PRIMARY KEY (feed_id, guid)
) WITHOUT ROWID;
CREATE INDEX feed_items_link ON feed_items(feed_id, link);
CREATE INDEX feed_items_analysed ON feed_items(seen_at) WHERE analysis_id IS NOT NULL;

-- Stories: analyses of the same event from different outlets. The signature (MinHash
-- values) lets the story index be rebuilt at start without recomputing anything.
CREATE TABLE stories (
    id         INTEGER PRIMARY KEY,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE story_members (
    analysis_id  INTEGER PRIMARY KEY REFERENCES analyses(id) ON DELETE CASCADE,
    story_id     INTEGER NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
    signature    BLOB NOT NULL,
    published_at TEXT NOT NULL,
    joined_at    TEXT NOT NULL
);
CREATE INDEX story_members_story ON story_members(story_id);
CREATE INDEX story_members_published ON story_members(published_at);
