-- The transformation a derived file was asked for with (canonical, named references unexpanded),
-- kept with its row so that the statement that stores the row records the use as well
-- (transformation_uses): one statement per first-time request instead of a transaction of two.
ALTER TABLE derived ADD COLUMN requested TEXT NOT NULL DEFAULT '';

CREATE TRIGGER derived_inserted_records_use AFTER INSERT ON derived WHEN NEW.requested <> ''
BEGIN
    INSERT INTO transformation_uses (cloud_id, transformation, first_used_at)
    SELECT cloud_id, NEW.requested, NEW.created_at FROM assets WHERE id = NEW.asset
    ON CONFLICT (cloud_id, transformation) DO NOTHING;
END;

-- A variant made again (its file was lost) updates its row, and records its use as well.
CREATE TRIGGER derived_updated_records_use AFTER UPDATE OF blob ON derived WHEN NEW.requested <> ''
BEGIN
    INSERT INTO transformation_uses (cloud_id, transformation, first_used_at)
    SELECT cloud_id, NEW.requested, NEW.created_at FROM assets WHERE id = NEW.asset
    ON CONFLICT (cloud_id, transformation) DO NOTHING;
END;
