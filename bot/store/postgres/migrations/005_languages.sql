-- Analyses in each channel's language: one analysis per (article, language), and a
-- channel's settings (its language), as SQLite's migration 009.
ALTER TABLE analyses DROP CONSTRAINT analyses_article_id_key;
ALTER TABLE analyses ADD CONSTRAINT analyses_article_language_key UNIQUE (article_id, language);

CREATE TABLE channel_settings (
    channel    text PRIMARY KEY,   -- "platform:id"
    language   text NOT NULL,      -- a base code from bot.i18n.LANGUAGE_NAMES
    updated_at timestamptz NOT NULL
);
