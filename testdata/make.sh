#!/usr/bin/env bash
# Regenerates the project's test images in this directory from nothing but the
# vips and exiftool CLIs. Every input is fixed (noise has a seed, EXIF values are
# literals), so a rerun rewrites the same files.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

for tool in vips exiftool; do
	command -v "$tool" >/dev/null || { echo "make.sh: $tool not found" >&2; exit 1; }
done

# rgb_gradient OUT W H: a smooth three-channel ramp (red across, green down,
# blue from a zone plate) so every image has real structure, not flat colour.
rgb_gradient() {
	local out=$1 w=$2 h=$3
	vips xyz "$work/xy.v" "$w" "$h"
	vips extract_band "$work/xy.v" "$work/x.v" 0
	vips extract_band "$work/xy.v" "$work/y.v" 1
	vips linear "$work/x.v" "$work/r.v" "$(awk "BEGIN{print 230/$w}")" 15
	vips linear "$work/y.v" "$work/g.v" "$(awk "BEGIN{print 200/$h}")" 30
	vips zone "$work/z.v" "$w" "$h"
	vips linear "$work/z.v" "$work/b.v" 70 120
	vips bandjoin "$work/r.v $work/g.v $work/b.v" "$work/rgb.v"
	vips cast "$work/rgb.v" "$work/rgb8.v" uchar
	vips copy "$work/rgb8.v" "$out" --interpretation srgb
}

# photo.jpg: 640x427 gradient + seeded noise, with camera-like EXIF.
rgb_gradient "$work/base.v" 640 427
vips gaussnoise "$work/noise1.v" 640 427 --mean 0 --sigma 14 --seed 42
vips bandjoin "$work/noise1.v $work/noise1.v $work/noise1.v" "$work/noise.v"
vips add "$work/base.v" "$work/noise.v" "$work/noisy.v"
vips cast "$work/noisy.v" "$work/noisy8.v" uchar
vips copy "$work/noisy8.v" "$work/photo.v" --interpretation srgb
vips jpegsave "$work/photo.v" "$work/photo.jpg" --Q 82 --strip
exiftool -q -overwrite_original \
	-Make=Cloudlet \
	-Model="Testcam 640" \
	-DateTimeOriginal="2024:05:17 14:32:09" \
	-Orientation#=6 \
	-GPSLatitude=48.858370 -GPSLatitudeRef=N \
	-GPSLongitude=2.294481 -GPSLongitudeRef=E \
	"$work/photo.jpg"
mv "$work/photo.jpg" "$here/photo.jpg"

# alpha.png: 200x150 RGBA. Opaque disc in the centre (r < 50), a half
# transparent ring (50 <= r < 65), fully transparent outside, corners included.
rgb_gradient "$work/argb.v" 200 150
vips xyz "$work/axy.v" 200 150
vips linear -- "$work/axy.v" "$work/centred.v" "1 1" "-100 -75"
vips multiply "$work/centred.v" "$work/centred.v" "$work/sq.v"
vips extract_band "$work/sq.v" "$work/sqx.v" 0
vips extract_band "$work/sq.v" "$work/sqy.v" 1
vips add "$work/sqx.v" "$work/sqy.v" "$work/d2.v"
vips relational_const "$work/d2.v" "$work/inner.v" less 2500
vips relational_const "$work/d2.v" "$work/outer.v" less 4225
vips add "$work/inner.v" "$work/outer.v" "$work/ab.v"
vips linear "$work/ab.v" "$work/af.v" 0.5 0
vips cast "$work/af.v" "$work/a8.v" uchar
vips bandjoin "$work/argb.v $work/a8.v" "$work/rgba.v"
vips copy "$work/rgba.v" "$work/rgba-srgb.v" --interpretation srgb
vips pngsave "$work/rgba-srgb.v" "$work/alpha.png" --compression 9 --strip
mv "$work/alpha.png" "$here/alpha.png"

# animated.gif: 120x80, 4 frames of a square moving across a gradient.
# gifsave writes one frame per page-height rows of a tall image.
rgb_gradient "$work/gbg.v" 120 80
vips black "$work/sq0.v" 20 20 --bands 3
vips linear "$work/sq0.v" "$work/sqc.v" "1 1 1" "250 40 40"
vips cast "$work/sqc.v" "$work/square.v" uchar
# The frames are stacked with join, not arrayjoin: the vips 8.14.1 CLI
# segfaults in arrayjoin.
vips insert "$work/gbg.v" "$work/square.v" "$work/strip.v" 10 30
for i in 1 2 3; do
	vips insert "$work/gbg.v" "$work/square.v" "$work/f.v" $((10 + 25 * i)) 30
	vips join "$work/strip.v" "$work/f.v" "$work/strip2.v" vertical
	mv "$work/strip2.v" "$work/strip.v"
done
vips copy "$work/strip.v" "$work/strip-srgb.v" --interpretation srgb
vips gifsave "$work/strip-srgb.v" "$work/animated.gif" --page-height 80 --strip
mv "$work/animated.gif" "$here/animated.gif"

# photo.webp: 320x200 lossy WebP of the same kind of picture.
rgb_gradient "$work/wbase.v" 320 200
vips gaussnoise "$work/wn1.v" 320 200 --mean 0 --sigma 10 --seed 7
vips bandjoin "$work/wn1.v $work/wn1.v $work/wn1.v" "$work/wn.v"
vips add "$work/wbase.v" "$work/wn.v" "$work/wnoisy.v"
vips cast "$work/wnoisy.v" "$work/wnoisy8.v" uchar
vips copy "$work/wnoisy8.v" "$work/wphoto.v" --interpretation srgb
vips webpsave "$work/wphoto.v" "$work/photo.webp" --Q 80 --strip
# webpsave in vips 8.14 writes an EXIF chunk (with an improper "Exif\0\0"
# prefix) even with --strip; this fixture is meant to carry no metadata.
exiftool -q -q -overwrite_original -all= "$work/photo.webp"
mv "$work/photo.webp" "$here/photo.webp"

# note.txt: a raw (non-image) upload.
printf 'cloudlet raw upload fixture\n' >"$here/note.txt"

for f in photo.jpg alpha.png animated.gif photo.webp note.txt; do
	size=$(stat -c %s "$here/$f")
	if ((size > 200 * 1024)); then
		echo "make.sh: $f is $size bytes, over the 200 KB budget" >&2
		exit 1
	fi
done
