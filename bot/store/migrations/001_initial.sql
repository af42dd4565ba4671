-- Articles are keyed by canonical URL; every URL that led to one is kept.
CREATE TABLE articles (
    id            INTEGER PRIMARY KEY,
    canonical_url TEXT NOT NULL UNIQUE,
    title         TEXT NOT NULL,
    author        TEXT,
    published_at  TEXT,
    site          TEXT,
    language      TEXT,
    text          TEXT NOT NULL,
    words         INTEGER NOT NULL,
    fetched_at    TEXT NOT NULL
);

CREATE TABLE article_urls (
    url        TEXT PRIMARY KEY,
    article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX article_urls_article ON article_urls(article_id);

-- One analysis per article; --refresh replaces it in place (same id).
CREATE TABLE analyses (
    id                    INTEGER PRIMARY KEY,
    article_id            INTEGER NOT NULL UNIQUE REFERENCES articles(id) ON DELETE CASCADE,
    url                   TEXT NOT NULL,
    headline              TEXT NOT NULL,
    dek                   TEXT NOT NULL,
    category              TEXT NOT NULL,
    sections              TEXT NOT NULL,  -- JSON [{heading, paragraphs[]}]
    tags                  TEXT NOT NULL,  -- JSON [str]
    key_question          TEXT NOT NULL DEFAULT '',
    flags                 TEXT NOT NULL DEFAULT '[]',
    language              TEXT NOT NULL,
    reading_minutes       INTEGER NOT NULL,
    backend               TEXT NOT NULL,
    model                 TEXT NOT NULL,
    prompt_version        TEXT NOT NULL,
    input_tokens          INTEGER NOT NULL DEFAULT 0,
    output_tokens         INTEGER NOT NULL DEFAULT 0,
    cache_creation_tokens INTEGER NOT NULL DEFAULT 0,
    cache_read_tokens     INTEGER NOT NULL DEFAULT 0,
    requests              INTEGER NOT NULL DEFAULT 0,
    created_at            TEXT NOT NULL   -- ISO 8601 UTC
);
CREATE INDEX analyses_category_created ON analyses(category, created_at);
CREATE INDEX analyses_created ON analyses(created_at);

-- Full-text index over analyses, rowid = analyses.id, written in the same
-- transaction as the analysis (the related-articles ranking reads it).
CREATE VIRTUAL TABLE analyses_fts USING fts5(
    headline, tags, dek, body,
    tokenize = 'porter unicode61 remove_diacritics 2'
);

CREATE TABLE subscriptions (
    id         INTEGER PRIMARY KEY,
    channel    TEXT NOT NULL UNIQUE,   -- "platform:id"
    categories TEXT NOT NULL,          -- JSON [str], in configured order
    time       TEXT NOT NULL,          -- "HH:MM" local
    timezone   TEXT NOT NULL,          -- IANA
    active     INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- The delivery ledger: one row per (subscription, digest period).
CREATE TABLE deliveries (
    id              INTEGER PRIMARY KEY,
    subscription_id INTEGER NOT NULL REFERENCES subscriptions(id) ON DELETE CASCADE,
    period          TEXT NOT NULL,     -- the local date of the digest, YYYY-MM-DD
    due_at          TEXT NOT NULL,     -- ISO 8601 UTC
    status          TEXT NOT NULL,     -- pending | sent | failed | skipped | empty
    attempts        INTEGER NOT NULL DEFAULT 0,
    items           INTEGER NOT NULL DEFAULT 0,
    error           TEXT,
    since           TEXT,              -- analyses created after this went in
    until_at        TEXT,              -- ... and up to this
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    UNIQUE (subscription_id, period)
);
CREATE INDEX deliveries_status ON deliveries(status);

-- One row per handled request and per generation: budgets and `stats` read it.
CREATE TABLE usage (
    id                    INTEGER PRIMARY KEY,
    at                    TEXT NOT NULL,
    kind                  TEXT NOT NULL,  -- request | generation | failure
    user                  TEXT,
    channel               TEXT,
    analysis_id           INTEGER,
    backend               TEXT,
    model                 TEXT,
    input_tokens          INTEGER NOT NULL DEFAULT 0,
    output_tokens         INTEGER NOT NULL DEFAULT 0,
    cache_creation_tokens INTEGER NOT NULL DEFAULT 0,
    cache_read_tokens     INTEGER NOT NULL DEFAULT 0,
    detail                TEXT
);
CREATE INDEX usage_kind_at ON usage(kind, at);
CREATE INDEX usage_user_at ON usage(user, at) WHERE kind = 'generation';
