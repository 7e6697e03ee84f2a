-- IAM users and roles with their tags and inline policies, role sessions, and grants.

ALTER TABLE access_keys ADD COLUMN created INTEGER NOT NULL DEFAULT 0;

CREATE TABLE principals (
    account              TEXT NOT NULL REFERENCES accounts (id),
    kind                 TEXT NOT NULL, -- 'user' or 'role'
    name                 TEXT NOT NULL,
    id                   TEXT NOT NULL UNIQUE,
    tags                 TEXT NOT NULL, -- JSON object
    policies             TEXT NOT NULL, -- JSON object: policy name -> document
    trust_policy         TEXT,
    max_session_seconds  INTEGER NOT NULL,
    created              INTEGER NOT NULL,
    PRIMARY KEY (account, kind, name)
);

CREATE TABLE sessions (
    access_key_id TEXT PRIMARY KEY,
    sealed_secret BLOB NOT NULL,
    sealed_token  BLOB NOT NULL,
    account       TEXT NOT NULL,
    role_name     TEXT NOT NULL,
    role_id       TEXT NOT NULL, -- the role's unique id: a recreated role does not inherit
    session_name  TEXT NOT NULL,
    tags          TEXT NOT NULL, -- JSON object
    expires       INTEGER NOT NULL
);

CREATE INDEX sessions_expires ON sessions (expires);

CREATE TABLE grants (
    account          TEXT NOT NULL,
    region           TEXT NOT NULL,
    key_id           TEXT NOT NULL,
    id               TEXT NOT NULL,
    name             TEXT,
    grantee          TEXT NOT NULL,
    retiring         TEXT,
    issuing_account  TEXT NOT NULL,
    operations       TEXT NOT NULL, -- comma-separated
    context_equals   TEXT,          -- JSON object
    context_subset   TEXT,          -- JSON object
    created          INTEGER NOT NULL,
    PRIMARY KEY (account, region, key_id, id),
    FOREIGN KEY (account, region, key_id) REFERENCES keys (account, region, id) ON DELETE CASCADE
);

CREATE UNIQUE INDEX grants_id ON grants (id);
CREATE INDEX grants_retiring ON grants (retiring);
