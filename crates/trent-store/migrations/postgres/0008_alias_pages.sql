-- As SQLite's migration 15. A key's aliases in name order, for the read that loads a key into the cache and for
-- ListAliases with a KeyId: an index on the target alone left the planner a choice between it
-- (then a sort) and the primary key's name order (then a filter over every alias in the
-- Region), and without statistics it took the second. This one serves the filter and the order.
CREATE INDEX aliases_by_target ON aliases (account, region, target, name);
DROP INDEX aliases_target;
