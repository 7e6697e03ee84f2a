-- What LookupEvents and `trent audit search` select by, kept beside each event so that a lookup
-- walks an index in sequence order and reads only the rows it returns (outside the hash chain:
-- a lookup re-checks each event it returns). Existing events are indexed from their JSON.
ALTER TABLE audit_events ADD COLUMN account TEXT, ADD COLUMN event_name TEXT;

UPDATE audit_events
SET account = event::jsonb ->> 'recipientAccountId',
    event_name = event::jsonb ->> 'eventName';

CREATE INDEX audit_events_account ON audit_events (account, seq);
CREATE INDEX audit_events_account_name ON audit_events (account, event_name, seq);

-- The keys among each event's resources.
CREATE TABLE audit_keys (
    key_id TEXT NOT NULL,
    seq    BIGINT NOT NULL,
    CONSTRAINT audit_keys_pkey PRIMARY KEY (key_id, seq)
);

INSERT INTO audit_keys (key_id, seq)
SELECT DISTINCT split_part(r ->> 'ARN', ':key/', 2), e.seq
FROM audit_events e,
     jsonb_array_elements(
         CASE jsonb_typeof(e.event::jsonb -> 'resources')
             WHEN 'array' THEN e.event::jsonb -> 'resources'
             ELSE '[]'::jsonb
         END) r
WHERE strpos(r ->> 'ARN', ':key/') > 0
ON CONFLICT DO NOTHING;
