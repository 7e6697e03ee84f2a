-- Trent schema on PostgreSQL, version 1: the SQLite schema at its version 8, in PostgreSQL's
-- types (BIGINT for integers and Unix milliseconds, BYTEA for sealed values, BOOLEAN for flags).
-- Names that are listed in order compare byte by byte (COLLATE "C"), as SQLite's do, whatever
-- the database's locale.
CREATE TABLE meta (
    name  TEXT PRIMARY KEY,
    value BYTEA NOT NULL
);

CREATE TABLE accounts (
    id      TEXT COLLATE "C" PRIMARY KEY,
    regions TEXT NOT NULL -- comma-separated region names
);

CREATE TABLE access_keys (
    id            TEXT COLLATE "C" CONSTRAINT access_keys_pkey PRIMARY KEY,
    account       TEXT NOT NULL REFERENCES accounts (id),
    user_name     TEXT,
    sealed_secret BYTEA NOT NULL,
    enabled       BOOLEAN NOT NULL,
    created       BIGINT NOT NULL
);

CREATE TABLE keys (
    account              TEXT NOT NULL,
    region               TEXT NOT NULL,
    id                   TEXT COLLATE "C" NOT NULL,
    created              BIGINT NOT NULL,
    description          TEXT NOT NULL,
    spec                 TEXT NOT NULL,
    usage                TEXT NOT NULL,
    origin               TEXT NOT NULL,
    manager              TEXT NOT NULL,
    state                TEXT NOT NULL,
    deletion_date        BIGINT,
    pending_window_days  BIGINT,
    current_material     BYTEA NOT NULL,
    multi_region         BOOLEAN NOT NULL,
    policy               TEXT NOT NULL,
    version              BIGINT NOT NULL,
    public_key           BYTEA,
    rotation_period_days BIGINT,
    next_rotation        BIGINT,
    on_demand_rotations  BIGINT NOT NULL DEFAULT 0,
    on_demand_started    BIGINT,
    valid_to             BIGINT,
    expiration_model     TEXT,
    primary_region       TEXT,
    CONSTRAINT keys_pkey PRIMARY KEY (account, region, id)
);

CREATE INDEX keys_pending_deletion ON keys (deletion_date) WHERE state = 'PendingDeletion';
CREATE INDEX keys_next_rotation ON keys (next_rotation) WHERE next_rotation IS NOT NULL;
CREATE INDEX keys_valid_to ON keys (valid_to) WHERE valid_to IS NOT NULL;
CREATE INDEX keys_by_id ON keys (account, id);

CREATE TABLE key_materials (
    account          TEXT NOT NULL,
    region           TEXT NOT NULL,
    key_id           TEXT NOT NULL,
    material_id      BYTEA NOT NULL,
    sealed           BYTEA NOT NULL,
    created          BIGINT NOT NULL,
    rotation_type    TEXT,
    description      TEXT,
    pending          BOOLEAN NOT NULL DEFAULT FALSE,
    valid_to         BIGINT,
    expiration_model TEXT,
    -- Insertion order, to list versions created in the same millisecond as they came.
    ord              BIGSERIAL NOT NULL,
    PRIMARY KEY (account, region, key_id, material_id),
    FOREIGN KEY (account, region, key_id) REFERENCES keys (account, region, id) ON DELETE CASCADE
);

CREATE TABLE aliases (
    account TEXT NOT NULL,
    region  TEXT NOT NULL,
    name    TEXT COLLATE "C" NOT NULL,
    target  TEXT NOT NULL,
    created BIGINT NOT NULL,
    updated BIGINT NOT NULL,
    CONSTRAINT aliases_pkey PRIMARY KEY (account, region, name),
    FOREIGN KEY (account, region, target) REFERENCES keys (account, region, id) ON DELETE CASCADE
);

CREATE INDEX aliases_target ON aliases (account, region, target);

CREATE TABLE tags (
    account   TEXT NOT NULL,
    region    TEXT NOT NULL,
    key_id    TEXT NOT NULL,
    tag_key   TEXT COLLATE "C" NOT NULL,
    tag_value TEXT NOT NULL,
    PRIMARY KEY (account, region, key_id, tag_key),
    FOREIGN KEY (account, region, key_id) REFERENCES keys (account, region, id) ON DELETE CASCADE
);

CREATE TABLE principals (
    account             TEXT NOT NULL REFERENCES accounts (id),
    kind                TEXT NOT NULL, -- 'user' or 'role'
    name                TEXT COLLATE "C" NOT NULL,
    id                  TEXT NOT NULL UNIQUE,
    tags                TEXT NOT NULL, -- JSON object
    policies            TEXT NOT NULL, -- JSON object: policy name -> document
    trust_policy        TEXT,
    max_session_seconds BIGINT NOT NULL,
    created             BIGINT NOT NULL,
    PRIMARY KEY (account, kind, name)
);

CREATE TABLE sessions (
    access_key_id TEXT COLLATE "C" PRIMARY KEY,
    sealed_secret BYTEA NOT NULL,
    sealed_token  BYTEA NOT NULL,
    account       TEXT NOT NULL,
    role_name     TEXT NOT NULL,
    role_id       TEXT NOT NULL,
    session_name  TEXT NOT NULL,
    tags          TEXT NOT NULL, -- JSON object
    expires       BIGINT NOT NULL
);

CREATE INDEX sessions_expires ON sessions (expires);

CREATE TABLE grants (
    account         TEXT NOT NULL,
    region          TEXT NOT NULL,
    key_id          TEXT NOT NULL,
    id              TEXT COLLATE "C" NOT NULL,
    name            TEXT,
    grantee         TEXT NOT NULL,
    retiring        TEXT,
    issuing_account TEXT NOT NULL,
    operations      TEXT NOT NULL, -- comma-separated
    context_equals  TEXT,          -- JSON object
    context_subset  TEXT,          -- JSON object
    created         BIGINT NOT NULL,
    PRIMARY KEY (account, region, key_id, id),
    FOREIGN KEY (account, region, key_id) REFERENCES keys (account, region, id) ON DELETE CASCADE
);

CREATE UNIQUE INDEX grants_id ON grants (id);
CREATE INDEX grants_retiring ON grants (retiring);
CREATE INDEX grants_name ON grants (account, region, key_id, name) WHERE name IS NOT NULL;

CREATE TABLE import_tokens (
    token              TEXT PRIMARY KEY,
    account            TEXT NOT NULL,
    region             TEXT NOT NULL,
    key_id             TEXT NOT NULL,
    sealed_private     BYTEA NOT NULL,
    wrapping_algorithm TEXT NOT NULL,
    wrapping_spec      TEXT NOT NULL,
    expires            BIGINT NOT NULL,
    FOREIGN KEY (account, region, key_id) REFERENCES keys (account, region, id) ON DELETE CASCADE
);

CREATE TABLE key_usage (
    account    TEXT NOT NULL,
    region     TEXT NOT NULL,
    key_id     TEXT NOT NULL,
    operation  TEXT NOT NULL,
    at         BIGINT NOT NULL,
    request_id TEXT NOT NULL,
    PRIMARY KEY (account, region, key_id),
    FOREIGN KEY (account, region, key_id) REFERENCES keys (account, region, id) ON DELETE CASCADE
);

-- One audit chain for the whole cluster: a node appends under a transaction-scoped advisory
-- lock, continuing from the tail, so the chain stays gapless whichever node writes.
CREATE TABLE audit_events (
    seq   BIGINT PRIMARY KEY,
    time  BIGINT NOT NULL,
    event TEXT NOT NULL,
    hash  BYTEA NOT NULL
);

CREATE INDEX audit_events_time ON audit_events (time);

CREATE TABLE audit_digests (
    last_seq  BIGINT CONSTRAINT audit_digests_pkey PRIMARY KEY,
    first_seq BIGINT NOT NULL,
    last_hash BYTEA NOT NULL,
    time      BIGINT NOT NULL,
    signature BYTEA NOT NULL
);

-- Leases for background work that must run once across the cluster.
CREATE TABLE leases (
    name    TEXT PRIMARY KEY,
    holder  TEXT NOT NULL,
    expires BIGINT NOT NULL
);
