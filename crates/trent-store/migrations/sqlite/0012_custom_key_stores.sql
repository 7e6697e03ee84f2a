-- Custom key stores of type AWS_CLOUDHSM, and the keys that live in them. A store's name is
-- unique in its account and Region; its password is sealed under the root key.
CREATE TABLE custom_key_stores (
    account         TEXT NOT NULL,
    region          TEXT NOT NULL,
    id              TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    cluster_id      TEXT NOT NULL,
    trust_anchor    TEXT NOT NULL,
    sealed_password BLOB NOT NULL,
    state           TEXT NOT NULL,
    error_code      TEXT,
    created         INTEGER NOT NULL,
    UNIQUE (account, region, name)
);

ALTER TABLE keys ADD COLUMN custom_key_store_id TEXT;

CREATE INDEX keys_by_custom_key_store ON keys (custom_key_store_id)
    WHERE custom_key_store_id IS NOT NULL;
