package store

import (
	"crypto/rand"
	"encoding/hex"
)

// randomHex returns n random bytes as 2n lowercase hex characters.
func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error()) // the OS has no randomness left: nothing safe to do
	}
	return hex.EncodeToString(b)
}

// NewAssetID returns a new 32-hex asset id.
func NewAssetID() string { return randomHex(16) }

// originalBlobName names the file of one upload: its version id, unique per upload, so an
// overwrite writes a new file beside the old one and swaps the row over in one commit.
func originalBlobName(versionID string) string {
	return "originals/" + versionID[:2] + "/" + versionID
}
