-- Costs that stay flat as a store grows. How many keys each account has in each Region, kept by
-- triggers in the transaction that adds or removes a key: the KMS-keys-per-Region quota reads
-- one row instead of counting a Region's keys on every CreateKey.
CREATE TABLE key_counts (
    account TEXT NOT NULL,
    region  TEXT NOT NULL,
    n       INTEGER NOT NULL,
    PRIMARY KEY (account, region)
) WITHOUT ROWID;

INSERT INTO key_counts (account, region, n)
    SELECT account, region, COUNT(*) FROM keys GROUP BY account, region;

CREATE TRIGGER key_counts_insert AFTER INSERT ON keys BEGIN
    INSERT INTO key_counts (account, region, n) VALUES (NEW.account, NEW.region, 1)
        ON CONFLICT (account, region) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER key_counts_delete AFTER DELETE ON keys BEGIN
    UPDATE key_counts SET n = n - 1 WHERE account = OLD.account AND region = OLD.region;
END;

-- A key's grants in creation order, for ListGrants' pages.
CREATE INDEX grants_by_key ON grants (account, region, key_id, created, id);
