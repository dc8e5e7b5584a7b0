package httpapi

import (
	"encoding/json"
	"strings"
)

// parseContext reads Cloudinary's context wire form, `k=v|k2=v2`, where a value may escape `=`
// and `|` with a backslash (and a backslash with another). A JSON object is accepted too, as
// JSON request bodies carry it.
func parseContext(s string) map[string]string {
	out := map[string]string{}
	if strings.HasPrefix(strings.TrimSpace(s), "{") {
		var obj map[string]any
		if json.Unmarshal([]byte(s), &obj) == nil {
			for k, v := range obj {
				out[k] = jsonScalar(v)
			}
			return out
		}
	}
	for _, pair := range splitUnescaped(s, '|') {
		kv := splitUnescaped(pair, '=')
		key := unescapeContext(kv[0])
		if key == "" {
			continue
		}
		value := ""
		if len(kv) > 1 {
			// Only the first unescaped '=' separates; later ones belong to the value.
			value = unescapeContext(pair[len(kv[0])+1:])
		}
		out[key] = value
	}
	return out
}

// splitUnescaped splits s at every sep not preceded by an escaping backslash, keeping escapes.
func splitUnescaped(s string, sep byte) []string {
	var parts []string
	start := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++ // skip the escaped byte
		case sep:
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	return append(parts, s[start:])
}

func unescapeContext(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
