-- Search across every resource type and type of a cloud, newest first (the Search API's default
-- order), read in index order instead of sorting every asset of the cloud.
CREATE INDEX assets_cloud_all_created ON assets (cloud_id, created_at, id);
