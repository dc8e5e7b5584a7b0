// Package httpapi serves cloudlet over HTTP with Cloudinary's wire format: the Upload API, the
// Admin API and delivery URLs. Handlers decode and validate input, call the store and the
// transform package, and encode the answer; they never build SQL and never call libvips directly.
package httpapi
