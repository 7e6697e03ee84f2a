-- Trent schema, version 1: accounts and access keys, keys with sealed material, aliases, tags.
CREATE TABLE meta (
    name  TEXT PRIMARY KEY,
    value BLOB NOT NULL
);

CREATE TABLE accounts (
    id      TEXT PRIMARY KEY,
    regions TEXT NOT NULL -- comma-separated region names
);

CREATE TABLE access_keys (
    id            TEXT PRIMARY KEY,
    account       TEXT NOT NULL REFERENCES accounts (id),
    user_name     TEXT,
    sealed_secret BLOB NOT NULL,
    enabled       INTEGER NOT NULL
);

CREATE TABLE keys (
    account             TEXT NOT NULL,
    region              TEXT NOT NULL,
    id                  TEXT NOT NULL,
    created             INTEGER NOT NULL,
    description         TEXT NOT NULL,
    spec                TEXT NOT NULL,
    usage               TEXT NOT NULL,
    origin              TEXT NOT NULL,
    manager             TEXT NOT NULL,
    state               TEXT NOT NULL,
    deletion_date       INTEGER,
    pending_window_days INTEGER,
    current_material    BLOB NOT NULL,
    multi_region        INTEGER NOT NULL,
    policy              TEXT NOT NULL,
    version             INTEGER NOT NULL,
    PRIMARY KEY (account, region, id)
);

CREATE INDEX keys_pending_deletion ON keys (deletion_date) WHERE state = 'PendingDeletion';

CREATE TABLE key_materials (
    account     TEXT NOT NULL,
    region      TEXT NOT NULL,
    key_id      TEXT NOT NULL,
    material_id BLOB NOT NULL,
    sealed      BLOB NOT NULL,
    created     INTEGER NOT NULL,
    PRIMARY KEY (account, region, key_id, material_id),
    FOREIGN KEY (account, region, key_id) REFERENCES keys (account, region, id) ON DELETE CASCADE
);

CREATE TABLE aliases (
    account TEXT NOT NULL,
    region  TEXT NOT NULL,
    name    TEXT NOT NULL,
    target  TEXT NOT NULL,
    created INTEGER NOT NULL,
    updated INTEGER NOT NULL,
    PRIMARY KEY (account, region, name),
    FOREIGN KEY (account, region, target) REFERENCES keys (account, region, id) ON DELETE CASCADE
);

CREATE INDEX aliases_target ON aliases (account, region, target);

CREATE TABLE tags (
    account   TEXT NOT NULL,
    region    TEXT NOT NULL,
    key_id    TEXT NOT NULL,
    tag_key   TEXT NOT NULL,
    tag_value TEXT NOT NULL,
    PRIMARY KEY (account, region, key_id, tag_key),
    FOREIGN KEY (account, region, key_id) REFERENCES keys (account, region, id) ON DELETE CASCADE
);
