-- The delivery lease: a pending row belongs to the process that claimed it until
-- lease_until; after that any process may take it over (a claim left by a dead one).
ALTER TABLE deliveries ADD COLUMN claimed_by TEXT;
ALTER TABLE deliveries ADD COLUMN lease_until TEXT;
