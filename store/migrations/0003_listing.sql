-- Listings across every delivery type of a resource type, newest first or by public id.
CREATE INDEX assets_cloud_rt_created ON assets (cloud_id, resource_type, created_at, id);
CREATE INDEX assets_cloud_rt_public_id ON assets (cloud_id, resource_type, public_id, type);
CREATE INDEX asset_context_by_key ON asset_context (key, value, asset);
