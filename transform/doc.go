// Package transform owns the transformation language and its execution over libvips; it knows nothing about HTTP or storage.
package transform
