-- Multi-Region keys: every key of a set (same account and `mrk-` id, one per Region) records
-- the Region of the primary.
ALTER TABLE keys ADD COLUMN primary_region TEXT;

CREATE INDEX keys_by_id ON keys (account, id);

-- Imported key material versions: a description, and whether the version waits for an
-- on-demand rotation to become current (NEW_KEY_MATERIAL imported into a key that has some).
ALTER TABLE key_materials ADD COLUMN description TEXT;
ALTER TABLE key_materials ADD COLUMN pending INTEGER NOT NULL DEFAULT 0;
ALTER TABLE key_materials ADD COLUMN valid_to INTEGER;
ALTER TABLE key_materials ADD COLUMN expiration_model TEXT;
