-- Related articles: document frequencies for the query builder, and the sentence
-- embeddings of the optional [embeddings] extra.

-- One row per indexed term: how many analyses contain it (`doc`). The related
-- ranking picks a source's most distinctive terms from it (idf) without reading
-- any other analysis.
CREATE VIRTUAL TABLE analyses_fts_vocab USING fts5vocab(analyses_fts, 'row');

-- One vector per analysis (float32, L2-normalised), replaced when the analysis is
-- refreshed. `seq` only grows, so a reader can load what changed since it last looked.
CREATE TABLE analysis_embeddings (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    analysis_id INTEGER NOT NULL UNIQUE REFERENCES analyses(id) ON DELETE CASCADE,
    model       TEXT NOT NULL,
    dim         INTEGER NOT NULL,
    vector      BLOB NOT NULL
);
