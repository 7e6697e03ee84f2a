-- Custom key stores of type AWS_CLOUDHSM, and the keys that live in them (SQLite's migration
-- 12). A store's name is unique in its account and Region; its password is sealed under the
-- root key.
CREATE TABLE custom_key_stores (
    account         TEXT NOT NULL,
    region          TEXT NOT NULL,
    id              TEXT COLLATE "C" CONSTRAINT custom_key_stores_pkey PRIMARY KEY,
    name            TEXT COLLATE "C" NOT NULL,
    cluster_id      TEXT NOT NULL,
    trust_anchor    TEXT NOT NULL,
    sealed_password BYTEA NOT NULL,
    state           TEXT NOT NULL,
    error_code      TEXT,
    created         BIGINT NOT NULL,
    CONSTRAINT custom_key_stores_name UNIQUE (account, region, name)
);

ALTER TABLE keys ADD COLUMN custom_key_store_id TEXT;

CREATE INDEX keys_by_custom_key_store ON keys (custom_key_store_id)
    WHERE custom_key_store_id IS NOT NULL;
