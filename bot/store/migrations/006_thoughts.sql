-- Readers' Thoughts: one reaction per reader per analysis, changeable (the row is
-- replaced). `reader` is platform-qualified: telegram:42, discord:7, web:<cookie>.
CREATE TABLE thoughts (
    analysis_id INTEGER NOT NULL REFERENCES analyses(id) ON DELETE CASCADE,
    reader      TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('useful', 'inaccurate')),
    at          TEXT NOT NULL,  -- ISO 8601 UTC of the latest change
    PRIMARY KEY (analysis_id, reader)
);
CREATE INDEX thoughts_kind ON thoughts(kind, analysis_id);
