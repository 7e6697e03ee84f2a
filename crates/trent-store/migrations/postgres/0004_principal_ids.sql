-- Key policies and grants bind the IAM users and roles they name to their unique ids, so that
-- a principal deleted and re-created under the same name does not inherit them. Rows written
-- before this version have no binding and match by ARN, as they did.
ALTER TABLE keys ADD COLUMN policy_principals TEXT NOT NULL DEFAULT '{}'; -- JSON: ARN -> id
ALTER TABLE grants ADD COLUMN grantee_id TEXT;
ALTER TABLE grants ADD COLUMN retiring_id TEXT;
