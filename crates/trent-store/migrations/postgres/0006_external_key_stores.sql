-- External key stores (EXTERNAL_KEY_STORE), as SQLite's migration 13: a store's type and its
-- proxy (the secret access key is the sealed `sealed_password`), and each external store key's
-- external key, unique in its store.
ALTER TABLE custom_key_stores ADD COLUMN store_type TEXT NOT NULL DEFAULT 'AWS_CLOUDHSM';
ALTER TABLE custom_key_stores ADD COLUMN xks_uri_endpoint TEXT;
ALTER TABLE custom_key_stores ADD COLUMN xks_uri_path TEXT;
ALTER TABLE custom_key_stores ADD COLUMN xks_connectivity TEXT;
ALTER TABLE custom_key_stores ADD COLUMN xks_access_key_id TEXT;

ALTER TABLE keys ADD COLUMN xks_key_id TEXT COLLATE "C";

CREATE UNIQUE INDEX keys_by_xks_key ON keys (custom_key_store_id, xks_key_id)
    WHERE xks_key_id IS NOT NULL;
