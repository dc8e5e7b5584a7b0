-- Derived files were first kept in a directory per asset version (derived/ab/<version>/<id>);
-- they are now named derived/ab/<version>-<id>, a name DerivedFile finds from the version and
-- the id alone. Derived files are a cache: rows of the earlier layout go, the start-up sweep that
-- follows the migrations removes their files, and each variant is made again when next asked for.
DELETE FROM derived WHERE blob LIKE 'derived/%/%/%';
