-- Folders, per cloud: created through the Admin API, or recorded (with every parent) when an asset
-- is written with a folder or an asset_folder. As on Cloudinary, a folder outlives the assets in it
-- until it is deleted. parent is the path without its last segment ('' for a root folder).
CREATE TABLE folders (
    cloud_id    INTEGER NOT NULL REFERENCES clouds(id) ON DELETE CASCADE,
    path        TEXT    NOT NULL,
    parent      TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    external_id TEXT    NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (cloud_id, path)
) WITHOUT ROWID;
CREATE INDEX folders_by_parent ON folders (cloud_id, parent, name);

-- Deleting a folder asks whether any asset lies in it or below.
CREATE INDEX assets_cloud_folder ON assets (cloud_id, folder);
CREATE INDEX assets_cloud_asset_folder ON assets (cloud_id, asset_folder);

-- The folders of the assets stored before this migration: each folder and asset_folder (slashes
-- at either end trimmed, as new writes record them) and every prefix of them.
-- rtrim(p, replace(p, '/', '')) keeps p up to and including its last slash.
WITH RECURSIVE prefixes(cloud_id, path) AS (
    SELECT cloud_id, trim(folder, '/') FROM assets
    UNION
    SELECT cloud_id, trim(asset_folder, '/') FROM assets
    UNION
    SELECT cloud_id, substr(path, 1, length(rtrim(path, replace(path, '/', ''))) - 1)
    FROM prefixes WHERE instr(path, '/') > 0
)
INSERT OR IGNORE INTO folders (cloud_id, path, parent, name, external_id, created_at)
SELECT cloud_id, path,
       CASE WHEN instr(path, '/') > 0
            THEN substr(path, 1, length(rtrim(path, replace(path, '/', ''))) - 1) ELSE '' END,
       substr(path, length(rtrim(path, replace(path, '/', ''))) + 1),
       lower(hex(randomblob(16))),
       CAST(strftime('%s', 'now') AS INTEGER)
FROM prefixes WHERE path <> '';
