-- A key's aliases in name order, for the read that loads a key into the cache and for
-- ListAliases with a KeyId: an index on the target alone left the planner a choice between it
-- (then a sort) and the primary key's name order (then a filter over every alias in the
-- Region), and without statistics it took the second. This one serves the filter and the order.
CREATE INDEX aliases_by_target ON aliases (account, region, target, name);
DROP INDEX aliases_target;

-- A key's grants of one name in creation order, for CreateGrant's name idempotency (as
-- PostgreSQL's grants_name), instead of a filter over all the key's grants.
CREATE INDEX grants_name ON grants (account, region, key_id, name, created, id)
    WHERE name IS NOT NULL;

-- A record's time never decreases along the chain from now on (the writer takes the tail's if
-- the clock is behind it), so a lookup's time window is a range of sequence numbers, found by
-- the time index, instead of a walk over every record after the window. Records written
-- before are made so here: each takes the latest time before it. The time is the store's
-- index column, outside the hash chain and the event's own eventTime.
UPDATE audit_events SET time = m.t
FROM (SELECT seq, MAX(time) OVER (ORDER BY seq) AS t FROM audit_events) AS m
WHERE audit_events.seq = m.seq AND audit_events.time < m.t;
