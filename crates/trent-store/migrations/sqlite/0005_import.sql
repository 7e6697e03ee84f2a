-- Imported key material: its expiry on the key, and the import tokens (wrapping private keys
-- sealed under the root key) that GetParametersForImport hands out.
ALTER TABLE keys ADD COLUMN valid_to INTEGER;
ALTER TABLE keys ADD COLUMN expiration_model TEXT;

CREATE INDEX keys_valid_to ON keys (valid_to) WHERE valid_to IS NOT NULL;

CREATE TABLE import_tokens (
    token              TEXT PRIMARY KEY,
    account            TEXT NOT NULL,
    region             TEXT NOT NULL,
    key_id             TEXT NOT NULL,
    sealed_private     BLOB NOT NULL,
    wrapping_algorithm TEXT NOT NULL,
    wrapping_spec      TEXT NOT NULL,
    expires            INTEGER NOT NULL,
    FOREIGN KEY (account, region, key_id) REFERENCES keys (account, region, id) ON DELETE CASCADE
);

-- The last successful cryptographic operation with each key (GetKeyLastUsage), written in
-- batches by the scheduler.
CREATE TABLE key_usage (
    account    TEXT NOT NULL,
    region     TEXT NOT NULL,
    key_id     TEXT NOT NULL,
    operation  TEXT NOT NULL,
    at         INTEGER NOT NULL,
    request_id TEXT NOT NULL,
    PRIMARY KEY (account, region, key_id),
    FOREIGN KEY (account, region, key_id) REFERENCES keys (account, region, id) ON DELETE CASCADE
);
