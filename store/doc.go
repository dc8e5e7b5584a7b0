// Package store owns cloudlet's catalogue and bytes: the SQLite database (clouds, assets, tags,
// context) and the files in the data directory. It is the only package that speaks SQL or touches
// the data directory, and it knows nothing about HTTP or image processing.
package store
