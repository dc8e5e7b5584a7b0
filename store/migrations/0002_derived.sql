-- Derived files: one per (asset, canonical transformation, output format). The blob is named
-- after the asset's version, so an overwrite drops exactly the old version's files (by row).
CREATE TABLE derived (
    id             TEXT    PRIMARY KEY, -- 32 hex, stable for (asset_id, transformation, format)
    asset          INTEGER NOT NULL REFERENCES assets(id) ON DELETE CASCADE,
    transformation TEXT    NOT NULL,    -- canonical form
    format         TEXT    NOT NULL,
    blob           TEXT    NOT NULL,
    bytes          INTEGER NOT NULL,
    width          INTEGER NOT NULL DEFAULT 0,
    height         INTEGER NOT NULL DEFAULT 0,
    etag           TEXT    NOT NULL,
    created_at     INTEGER NOT NULL,
    UNIQUE (asset, transformation, format)
);

-- Named transformations (t_<name>), per cloud.
CREATE TABLE named_transformations (
    cloud_id           INTEGER NOT NULL REFERENCES clouds(id) ON DELETE CASCADE,
    name               TEXT    NOT NULL,
    definition         TEXT    NOT NULL,
    allowed_for_strict INTEGER NOT NULL DEFAULT 0,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    PRIMARY KEY (cloud_id, name)
) WITHOUT ROWID;

ALTER TABLE clouds ADD COLUMN strict_transformations INTEGER NOT NULL DEFAULT 0;
ALTER TABLE assets ADD COLUMN has_alpha INTEGER NOT NULL DEFAULT 0;
