-- Key rotation: the automatic schedule and on-demand count on the key, and how each material
-- version came to be.
ALTER TABLE keys ADD COLUMN rotation_period_days INTEGER;
ALTER TABLE keys ADD COLUMN next_rotation INTEGER;
ALTER TABLE keys ADD COLUMN on_demand_rotations INTEGER NOT NULL DEFAULT 0;
ALTER TABLE keys ADD COLUMN on_demand_started INTEGER;
ALTER TABLE key_materials ADD COLUMN rotation_type TEXT; -- NULL for the first material

CREATE INDEX keys_next_rotation ON keys (next_rotation) WHERE next_rotation IS NOT NULL;
