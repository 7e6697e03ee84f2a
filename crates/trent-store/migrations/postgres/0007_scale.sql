-- Costs that stay flat as a store grows, as SQLite's migration 14. How many keys each account has
-- in each Region, kept by a trigger in the transaction that adds or removes a key, so the
-- KMS-keys-per-Region quota reads one row.
--
-- The row is one per account and Region, so CreateKeys in one Region take turns on it from the
-- trigger to their commit: that is what makes the quota exact across nodes, and AWS's own
-- CreateKey request quota is 5 a second per account.
--
-- Nodes of an older build may still be adding keys while this runs (a rolling upgrade): the
-- lock keeps every insert and delete out from the count below until the trigger is in place
-- and this transaction commits, so no key is missed or counted twice.
LOCK TABLE keys IN SHARE ROW EXCLUSIVE MODE;

CREATE TABLE key_counts (
    account TEXT NOT NULL,
    region  TEXT NOT NULL,
    n       BIGINT NOT NULL,
    PRIMARY KEY (account, region)
);

INSERT INTO key_counts (account, region, n)
    SELECT account, region, COUNT(*) FROM keys GROUP BY account, region;

CREATE FUNCTION key_counts_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO key_counts (account, region, n) VALUES (NEW.account, NEW.region, 1)
            ON CONFLICT (account, region) DO UPDATE SET n = key_counts.n + 1;
        RETURN NEW;
    END IF;
    UPDATE key_counts SET n = n - 1 WHERE account = OLD.account AND region = OLD.region;
    RETURN OLD;
END;
$$;

CREATE TRIGGER key_counts_change AFTER INSERT OR DELETE ON keys
    FOR EACH ROW EXECUTE FUNCTION key_counts_change();

-- A key's grants in creation order, for ListGrants' pages.
CREATE INDEX grants_by_key ON grants (account, region, key_id, created, id);
