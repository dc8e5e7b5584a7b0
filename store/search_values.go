package store

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// maxSearchInteger bounds numbers in expressions, far above any real size or dimension, so that
// arithmetic on them cannot overflow.
const maxSearchInteger = 1 << 53

// byteUnits are the size suffixes bytes values may carry (bytes>1m), in binary multiples.
var byteUnits = []struct {
	suffix string
	factor float64
}{{"kb", 1 << 10}, {"mb", 1 << 20}, {"gb", 1 << 30}, {"k", 1 << 10}, {"m", 1 << 20}, {"g", 1 << 30}}

// parseSearchInteger reads a whole number; with sizes, also a number with a k, m or g unit.
func parseSearchInteger(s string, sizes bool) (int64, error) {
	if sizes {
		lower := strings.ToLower(s)
		for _, u := range byteUnits {
			if num, ok := strings.CutSuffix(lower, u.suffix); ok {
				f, err := strconv.ParseFloat(num, 64)
				if err != nil || math.IsNaN(f) || math.Abs(f*u.factor) > maxSearchInteger {
					return 0, fmt.Errorf("invalid size %q", s)
				}
				return int64(f * u.factor), nil
			}
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n > maxSearchInteger || n < -maxSearchInteger {
		return 0, fmt.Errorf("expected a whole number, got %q", s)
	}
	return n, nil
}

// parseSearchReal reads a real number, or a ratio written w:h (aspect_ratio:"16:9").
func parseSearchReal(s string) (float64, error) {
	if w, h, ok := strings.Cut(s, ":"); ok {
		a, errA := strconv.ParseFloat(w, 64)
		b, errB := strconv.ParseFloat(h, 64)
		if errA != nil || errB != nil || b == 0 || isOdd(a) || isOdd(b) {
			return 0, fmt.Errorf("invalid ratio %q", s)
		}
		return a / b, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || isOdd(f) {
		return 0, fmt.Errorf("expected a number, got %q", s)
	}
	return f, nil
}

func isOdd(f float64) bool { return math.IsNaN(f) || math.IsInf(f, 0) }

var relativeDate = regexp.MustCompile(`^(\d{1,7})([hdw])$`)

// relativeUnits are the seconds of each relative date unit.
var relativeUnits = map[string]int64{"h": 3600, "d": 86400, "w": 7 * 86400}

// dateLayouts are the absolute forms a date may take; a bare day names all of that day (UTC).
var dateLayouts = []struct {
	layout string
	span   int64 // seconds the value covers
}{
	{"2006-01-02", 86400},
	{time.RFC3339, 1},
	{"2006-01-02T15:04:05", 1},
	{"2006-01-02 15:04:05", 1},
	{"2006-01-02T15:04", 60},
	{"2006-01-02 15:04", 60},
}

// parseSearchDate reads a date as the Unix seconds [start, end) it names: an absolute date or
// time (UTC unless it says otherwise), or a relative one, Nh, Nd or Nw, meaning that long before
// now (so created_at>1d is "created within the last day").
func parseSearchDate(s string, now time.Time) (start, end int64, relative bool, err error) {
	if m := relativeDate.FindStringSubmatch(s); m != nil {
		n, _ := strconv.ParseInt(m[1], 10, 64)
		t := now.Unix() - n*relativeUnits[m[2]]
		return t, t + 1, true, nil
	}
	for _, l := range dateLayouts {
		if t, err := time.Parse(l.layout, s); err == nil {
			return t.Unix(), t.Unix() + l.span, false, nil
		}
	}
	return 0, 0, false, errors.New("expected a date (2024-01-31, 2024-01-31T10:00:00Z) or a relative time (12h, 3d, 2w), got " + strconv.Quote(s))
}
