-- Analyses in each channel's language: one analysis per (article, language), so the
-- one-per-article UNIQUE goes. SQLite cannot drop a constraint, so the table is rebuilt
-- (the runner turns foreign keys off around migrations: nothing cascades, ids stay).
CREATE TABLE analyses_new (
    id                    INTEGER PRIMARY KEY,
    article_id            INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    url                   TEXT NOT NULL,
    headline              TEXT NOT NULL,
    dek                   TEXT NOT NULL,
    category              TEXT NOT NULL,
    sections              TEXT NOT NULL,  -- JSON [{heading, paragraphs[]}]
    tags                  TEXT NOT NULL,  -- JSON [str]
    key_question          TEXT NOT NULL DEFAULT '',
    flags                 TEXT NOT NULL DEFAULT '[]',
    language              TEXT NOT NULL,  -- the variant's language (base code: en, de, ja)
    reading_minutes       INTEGER NOT NULL,
    backend               TEXT NOT NULL,
    model                 TEXT NOT NULL,
    prompt_version        TEXT NOT NULL,
    input_tokens          INTEGER NOT NULL DEFAULT 0,
    output_tokens         INTEGER NOT NULL DEFAULT 0,
    cache_creation_tokens INTEGER NOT NULL DEFAULT 0,
    cache_read_tokens     INTEGER NOT NULL DEFAULT 0,
    requests              INTEGER NOT NULL DEFAULT 0,
    created_at            TEXT NOT NULL,  -- ISO 8601 UTC
    UNIQUE (article_id, language)         -- --refresh replaces a variant in place
);
INSERT INTO analyses_new SELECT id, article_id, url, headline, dek, category, sections, tags,
    key_question, flags, language, reading_minutes, backend, model, prompt_version,
    input_tokens, output_tokens, cache_creation_tokens, cache_read_tokens, requests,
    created_at FROM analyses;
DROP TABLE analyses;
ALTER TABLE analyses_new RENAME TO analyses;
CREATE INDEX analyses_category_created ON analyses(category, created_at);
CREATE INDEX analyses_created ON analyses(created_at);
CREATE INDEX analyses_article ON analyses(article_id);

-- A channel's settings: its language (/language), which replies, labels and digests use.
CREATE TABLE channel_settings (
    channel    TEXT PRIMARY KEY,   -- "platform:id"
    language   TEXT NOT NULL,      -- a base code from bot.i18n.LANGUAGE_NAMES
    updated_at TEXT NOT NULL
) WITHOUT ROWID;
