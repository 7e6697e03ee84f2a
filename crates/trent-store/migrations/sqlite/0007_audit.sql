-- The audit trail: one row per API call, hash-chained (each hash covers the previous one, the
-- sequence number and the event), and digests signed with the audit signing key.
CREATE TABLE audit_events (
    seq   INTEGER PRIMARY KEY,
    time  INTEGER NOT NULL,
    event TEXT NOT NULL,
    hash  BLOB NOT NULL
);

CREATE INDEX audit_events_time ON audit_events (time);

CREATE TABLE audit_digests (
    last_seq  INTEGER PRIMARY KEY,
    first_seq INTEGER NOT NULL,
    last_hash BLOB NOT NULL,
    time      INTEGER NOT NULL,
    signature BLOB NOT NULL
);
