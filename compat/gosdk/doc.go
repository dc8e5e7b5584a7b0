// Package gosdk holds the compatibility suite that runs the official cloudinary-go SDK (v2.16.1)
// as a real client against a real cloudlet process listening on a loopback port.
//
// The tests need CLOUDLET_BIN, the absolute path of a built cloudlet binary:
//
//	CLOUDLET_BIN=/abs/path/bin/cloudlet go test -count=1 ./...
package gosdk
