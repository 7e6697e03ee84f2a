-- As SQLite's migration 15. A key's aliases in name order, for the read that loads a key into the cache and for
-- ListAliases with a KeyId: an index on the target alone left the planner a choice between it
-- (then a sort) and the primary key's name order (then a filter over every alias in the
-- Region), and without statistics it took the second. This one serves the filter and the order.
CREATE INDEX aliases_by_target ON aliases (account, region, target, name);
DROP INDEX aliases_target;

-- As SQLite's migration 15: a record's time never decreases along the chain from now on, so
-- a lookup's time window is a range of sequence numbers, found by the time index in (time,
-- seq) order. Records written before are made so here.
UPDATE audit_events SET time = m.t
FROM (SELECT seq, MAX(time) OVER (ORDER BY seq) AS t FROM audit_events) AS m
WHERE audit_events.seq = m.seq AND audit_events.time < m.t;

CREATE INDEX audit_events_time_seq ON audit_events (time, seq);
DROP INDEX audit_events_time;
