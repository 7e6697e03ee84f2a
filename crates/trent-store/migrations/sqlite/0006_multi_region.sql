-- Multi-Region keys: every key of a set (same account and `mrk-` id, one per Region) records
-- the Region of the primary.
ALTER TABLE keys ADD COLUMN primary_region TEXT;

CREATE INDEX keys_by_id ON keys (account, id);
