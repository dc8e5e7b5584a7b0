-- Upload presets, per cloud: named defaults for upload parameters. settings is a JSON object of
-- upload parameter name → the value as it would be sent on the wire (tags comma-joined, context
-- k=v|k2=v2, eager |-joined), so a preset applies exactly like request parameters.
CREATE TABLE upload_presets (
    cloud_id           INTEGER NOT NULL REFERENCES clouds(id) ON DELETE CASCADE,
    name               TEXT    NOT NULL,
    unsigned           INTEGER NOT NULL DEFAULT 0,
    disallow_public_id INTEGER NOT NULL DEFAULT 0,
    live               INTEGER NOT NULL DEFAULT 0,
    settings           TEXT    NOT NULL DEFAULT '{}',
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    PRIMARY KEY (cloud_id, name)
) WITHOUT ROWID;
