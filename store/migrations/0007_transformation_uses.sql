-- The transformations derived files were ever made with, per cloud, as they were asked for:
-- canonical, named references unexpanded ("t_thumb", "t_thumb/e_sepia", "c_fill,w_100"). The
-- transformations listing shows each once, and a transformation stays "used" when its files go,
-- until the transformation itself is deleted.
CREATE TABLE transformation_uses (
    cloud_id       INTEGER NOT NULL REFERENCES clouds(id) ON DELETE CASCADE,
    transformation TEXT    NOT NULL,
    first_used_at  INTEGER NOT NULL,
    PRIMARY KEY (cloud_id, transformation)
) WITHOUT ROWID;

-- Derived files made before this migration were recorded by what they are keyed by.
INSERT OR IGNORE INTO transformation_uses (cloud_id, transformation, first_used_at)
SELECT a.cloud_id, d.transformation, min(d.created_at)
FROM derived d JOIN assets a ON a.id = d.asset
WHERE d.transformation <> ''
GROUP BY a.cloud_id, d.transformation;
