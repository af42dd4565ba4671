-- Readers' Thoughts (SQLite's migration 006): one reaction per reader per analysis,
-- changeable. `reader` is platform-qualified: telegram:42, discord:7, web:<cookie>.
CREATE TABLE thoughts (
    analysis_id bigint NOT NULL REFERENCES analyses(id) ON DELETE CASCADE,
    reader      text NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('useful', 'inaccurate')),
    at          timestamptz NOT NULL,
    PRIMARY KEY (analysis_id, reader)
);
CREATE INDEX thoughts_kind ON thoughts(kind, analysis_id);
