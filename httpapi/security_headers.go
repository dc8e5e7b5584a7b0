package httpapi

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/labstack/echo/v4"
)

// deliveryCSP is the policy of every delivered file. A browser that opens an uploaded SVG or a
// raw HTML file directly from cloudlet's origin renders it in a sandbox with no scripts, no
// plugins and no network access; images and videos embedded elsewhere are unaffected.
const deliveryCSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; sandbox"

// securityHeaders sets the headers that keep uploaded content inert: nosniff everywhere (a
// browser never second-guesses the Content-Type), the sandboxing policy on delivery, and no
// framing of API answers (a page of this origin is never framable, whatever later serves it).
func securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("X-Content-Type-Options", "nosniff")
		if strings.HasPrefix(c.Request().URL.Path, "/v1_1/") {
			h.Set("X-Frame-Options", "DENY")
			h.Set("Content-Security-Policy", "frame-ancestors 'none'")
		} else {
			h.Set("Content-Security-Policy", deliveryCSP)
		}
		return next(c)
	}
}

// activeRawFormats are raw file types a browser would run as a document with scripts. They are
// delivered as downloads, never rendered inline from cloudlet's origin.
var activeRawFormats = map[string]bool{
	"html": true, "htm": true, "shtml": true, "xhtml": true, "xht": true, "svg": true, "svgz": true,
	"xml": true, "xsl": true, "xslt": true, "mht": true, "mhtml": true,
}

// attachmentHeader is a Content-Disposition that downloads a file called name. The quoted
// filename keeps to printable ASCII with nothing that could end the value or add a parameter;
// a name with other characters is also given exactly in RFC 5987's filename*.
func attachmentHeader(name string) string {
	ascii := strings.Map(func(r rune) rune {
		if r < 0x20 || r >= 0x7f || r == '"' || r == '\\' || r == ';' || r == '/' || r == '%' {
			return '_'
		}
		return r
	}, name)
	v := `attachment; filename="` + ascii + `"`
	if ascii != name {
		exact := strings.Map(func(r rune) rune {
			if unicode.IsControl(r) || isBidiControl(r) || r == '/' || r == '\\' {
				return '_'
			}
			return r
		}, name)
		v += "; filename*=UTF-8''" + rfc5987Escape(exact)
	}
	return v
}

// rfc5987Escape percent-encodes every byte of s but RFC 5987's attr-chars.
func rfc5987Escape(s string) string {
	const attrChars = "!#$&+-.^_`|~"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x80 && (unicode.IsLetter(rune(c)) || unicode.IsDigit(rune(c)) || strings.IndexByte(attrChars, c) >= 0) {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

// isBidiControl reports the invisible characters that reorder text: in a file or public id
// name they make "gpj.exe" display as "exe.jpg".
func isBidiControl(r rune) bool {
	return r == 0x061c || r == 0x200e || r == 0x200f || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069)
}
