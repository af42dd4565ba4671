-- Related ranking reads each term's document frequency. `term_docs` keeps it, updated
-- by a trigger in the same transaction as the analysis it counts (save, refresh,
-- forget and the cascade from a forgotten article alike), so reading one costs an
-- index lookup, not a scan of every document (ts_stat).
CREATE TABLE term_docs (
    term text PRIMARY KEY,
    docs integer NOT NULL
);

-- Rows are touched in term order (INSERT … ORDER BY), so two saves sharing terms queue
-- on each other instead of deadlocking; a term whose count falls to 0 stays (readers
-- ignore it), which keeps every change an upsert.
CREATE FUNCTION prism_count_terms() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    old_terms text[] := '{}';
    new_terms text[] := '{}';
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        old_terms := tsvector_to_array(OLD.search);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        new_terms := tsvector_to_array(NEW.search);
    END IF;
    INSERT INTO term_docs(term, docs)
    SELECT term, delta FROM (
        SELECT t AS term, 1 AS delta FROM unnest(new_terms) t WHERE NOT t = ANY(old_terms)
        UNION ALL
        SELECT t, -1 FROM unnest(old_terms) t WHERE NOT t = ANY(new_terms)
    ) changed ORDER BY term
    ON CONFLICT (term) DO UPDATE SET docs = term_docs.docs + excluded.docs;
    RETURN NULL;
END $$;

CREATE TRIGGER analyses_count_terms AFTER INSERT OR DELETE OR UPDATE OF search ON analyses
FOR EACH ROW EXECUTE FUNCTION prism_count_terms();

INSERT INTO term_docs(term, docs) SELECT word, ndoc FROM ts_stat('SELECT search FROM analyses');
