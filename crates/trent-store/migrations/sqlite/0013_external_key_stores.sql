-- External key stores (EXTERNAL_KEY_STORE): a store's type and its proxy; the proxy's secret
-- access key is the store's sealed secret (`sealed_password`). A key of an external store names
-- its external key, unique in its store.
ALTER TABLE custom_key_stores ADD COLUMN store_type TEXT NOT NULL DEFAULT 'AWS_CLOUDHSM';
ALTER TABLE custom_key_stores ADD COLUMN xks_uri_endpoint TEXT;
ALTER TABLE custom_key_stores ADD COLUMN xks_uri_path TEXT;
ALTER TABLE custom_key_stores ADD COLUMN xks_connectivity TEXT;
ALTER TABLE custom_key_stores ADD COLUMN xks_access_key_id TEXT;

ALTER TABLE keys ADD COLUMN xks_key_id TEXT;

CREATE UNIQUE INDEX keys_by_xks_key ON keys (custom_key_store_id, xks_key_id)
    WHERE xks_key_id IS NOT NULL;
