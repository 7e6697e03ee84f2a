-- Which of a role session's tags pass on when the session assumes another role (TransitiveTagKeys).
ALTER TABLE sessions ADD COLUMN transitive_tag_keys TEXT NOT NULL DEFAULT '[]'; -- JSON array
