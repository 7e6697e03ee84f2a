-- What LookupEvents and `trent audit search` select by, kept beside each event so that a lookup
-- walks an index in sequence order and reads only the rows it returns (outside the hash chain:
-- a lookup re-checks each event it returns). Existing events are indexed from their JSON.
ALTER TABLE audit_events ADD COLUMN account TEXT;
ALTER TABLE audit_events ADD COLUMN event_name TEXT;

UPDATE audit_events
SET account = json_extract(event, '$.recipientAccountId'),
    event_name = json_extract(event, '$.eventName')
WHERE json_valid(event);

CREATE INDEX audit_events_account ON audit_events (account, seq);
CREATE INDEX audit_events_account_name ON audit_events (account, event_name, seq);

-- The keys among each event's resources.
CREATE TABLE audit_keys (
    key_id TEXT NOT NULL,
    seq    INTEGER NOT NULL,
    PRIMARY KEY (key_id, seq)
) WITHOUT ROWID;

INSERT OR IGNORE INTO audit_keys (key_id, seq)
SELECT substr(json_extract(r.value, '$.ARN'), instr(json_extract(r.value, '$.ARN'), ':key/') + 5),
       e.seq
FROM audit_events e, json_each(e.event, '$.resources') r
WHERE json_valid(e.event)
  AND json_type(e.event, '$.resources') = 'array'
  AND instr(json_extract(r.value, '$.ARN'), ':key/') > 0;
