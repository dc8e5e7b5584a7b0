-- Derived files by transformation: the transformations listing, details and deletes look them up
-- by their canonical transformation across a cloud's assets.
CREATE INDEX derived_by_transformation ON derived (transformation, asset);

-- Settings of unnamed transformations (a canonical transformation string), per cloud: for now
-- only allowed_for_strict. Named transformations keep theirs in named_transformations.
CREATE TABLE transformation_settings (
    cloud_id           INTEGER NOT NULL REFERENCES clouds(id) ON DELETE CASCADE,
    transformation     TEXT    NOT NULL,
    allowed_for_strict INTEGER NOT NULL DEFAULT 0,
    updated_at         INTEGER NOT NULL,
    PRIMARY KEY (cloud_id, transformation)
) WITHOUT ROWID;

-- Delivery counters per cloud and UTC day (YYYY-MM-DD): bytes served and requests answered.
CREATE TABLE usage_days (
    cloud_id  INTEGER NOT NULL REFERENCES clouds(id) ON DELETE CASCADE,
    day       TEXT    NOT NULL,
    bandwidth INTEGER NOT NULL DEFAULT 0,
    requests  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (cloud_id, day)
) WITHOUT ROWID;

-- A cloud's plan and limits; a cloud without a row has the defaults of store.DefaultUsageLimits.
CREATE TABLE usage_limits (
    cloud_id        INTEGER PRIMARY KEY REFERENCES clouds(id) ON DELETE CASCADE,
    plan            TEXT    NOT NULL,
    objects         INTEGER NOT NULL,
    storage         INTEGER NOT NULL,
    bandwidth       INTEGER NOT NULL,
    transformations INTEGER NOT NULL
);
