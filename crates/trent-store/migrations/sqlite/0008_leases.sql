-- Leases for background work that must run once (the same table PostgreSQL uses across nodes;
-- on SQLite there is one process, which takes them all).
CREATE TABLE leases (
    name    TEXT PRIMARY KEY,
    holder  TEXT NOT NULL,
    expires INTEGER NOT NULL
);
