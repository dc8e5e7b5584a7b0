package httpapi

import (
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"hash"
	"net/url"
	"sort"
	"strings"
)

// unsignedParams are never part of an upload signature.
var unsignedParams = map[string]bool{
	"file": true, "cloud_name": true, "resource_type": true, "api_key": true, "signature": true,
}

// stringToSign builds the string an upload signature covers from the parameters exactly as the
// client sent them: array parameters (name[] or name[n]) joined with commas under their base
// name, empty values dropped, sorted by name, name=value pairs joined with &. Signature version 2
// (the SDKs' default) escapes & inside each pair as %26; version 1 does not.
func stringToSign(raw url.Values, version int) string {
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	// Lexicographic key order also orders name[0], name[1]... as cloudinary-go joins them.
	sort.Strings(keys)
	joined := map[string][]string{}
	for _, k := range keys {
		base := k
		if i := strings.IndexByte(k, '['); i > 0 && strings.HasSuffix(k, "]") {
			base = k[:i]
		}
		if unsignedParams[base] {
			continue
		}
		joined[base] = append(joined[base], raw[k]...)
	}
	names := make([]string, 0, len(joined))
	for name, vals := range joined {
		if strings.Join(vals, ",") != "" {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	pairs := make([]string, len(names))
	for i, name := range names {
		pair := name + "=" + strings.Join(joined[name], ",")
		if version >= 2 {
			pair = strings.ReplaceAll(pair, "&", "%26")
		}
		pairs[i] = pair
	}
	return strings.Join(pairs, "&")
}

// signatureAlgorithm picks the hash for a signature: the one named, else by the hex length.
func signatureAlgorithm(named, signature string) func() hash.Hash {
	switch {
	case named == "sha256", named == "" && len(signature) == 64:
		return sha256.New
	case named == "sha1", named == "" && len(signature) == 40:
		return sha1.New
	}
	return nil
}

// hexDigest is the lowercase hex hash of payload followed by the secret.
func hexDigest(newHash func() hash.Hash, payload, secret string) string {
	h := newHash()
	h.Write([]byte(payload))
	h.Write([]byte(secret))
	return hex.EncodeToString(h.Sum(nil))
}

// equalConstantTime compares two secrets-derived strings without leaking where they differ.
func equalConstantTime(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// responseSignature is the `signature` of an upload response: Cloudinary's version-1 signature of
// public_id and version, which SDKs verify with the api_secret.
func responseSignature(publicID string, version int64, secret string) string {
	return hexDigest(sha1.New, "public_id="+publicID+"&version="+itoa(version), secret)
}
