-- Clouds are tenants: one api_key/api_secret pair each.
CREATE TABLE clouds (
    id         INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL UNIQUE,
    api_key    TEXT    NOT NULL UNIQUE,
    api_secret TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);

-- An asset is keyed by (cloud, resource_type, type, public_id). Its bytes live in the file named
-- by blob (a path made of ids, never of the public_id).
CREATE TABLE assets (
    id                INTEGER PRIMARY KEY,
    cloud_id          INTEGER NOT NULL REFERENCES clouds(id) ON DELETE CASCADE,
    asset_id          TEXT    NOT NULL UNIQUE,
    resource_type     TEXT    NOT NULL,
    type              TEXT    NOT NULL,
    public_id         TEXT    NOT NULL,
    format            TEXT    NOT NULL,
    version           INTEGER NOT NULL,
    version_id        TEXT    NOT NULL,
    blob              TEXT    NOT NULL,
    bytes             INTEGER NOT NULL,
    width             INTEGER NOT NULL DEFAULT 0,
    height            INTEGER NOT NULL DEFAULT 0,
    pages             INTEGER NOT NULL DEFAULT 0,
    etag              TEXT    NOT NULL,
    original_filename TEXT    NOT NULL DEFAULT '',
    folder            TEXT    NOT NULL DEFAULT '',
    asset_folder      TEXT    NOT NULL DEFAULT '',
    display_name      TEXT    NOT NULL DEFAULT '',
    access_mode       TEXT    NOT NULL DEFAULT 'public',
    attributes        TEXT    NOT NULL DEFAULT '{}', -- JSON: other descriptive upload parameters
    exif              TEXT    NOT NULL DEFAULT '{}', -- JSON: flat EXIF tags read at upload
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    UNIQUE (cloud_id, resource_type, type, public_id)
);
CREATE INDEX assets_cloud_created ON assets (cloud_id, resource_type, type, created_at, id);

CREATE TABLE asset_tags (
    asset INTEGER NOT NULL REFERENCES assets(id) ON DELETE CASCADE,
    tag   TEXT    NOT NULL,
    PRIMARY KEY (asset, tag)
) WITHOUT ROWID;
CREATE INDEX asset_tags_by_tag ON asset_tags (tag, asset);

CREATE TABLE asset_context (
    asset INTEGER NOT NULL REFERENCES assets(id) ON DELETE CASCADE,
    key   TEXT    NOT NULL,
    value TEXT    NOT NULL,
    PRIMARY KEY (asset, key)
) WITHOUT ROWID;
