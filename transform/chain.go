package transform

// A Chain is a parsed transformation: "/"-separated components, each applied to the previous
// one's output. Parse builds it from URL text; Canonical prints it back in one canonical form.
type Chain struct {
	Components []Component
}

// Component is one step of a chain: the comma-separated parameters between two slashes. A zero
// field means the parameter was not given.
type Component struct {
	Width       Length   // w_
	Height      Length   // h_
	AspectRatio float64  // ar_ (width / height), 0 = unset
	Crop        CropMode // c_
	Gravity     Gravity  // g_
	X, Y        Length   // x_, y_
	Zoom        float64  // z_, 0 = unset
	DPR         DPR      // dpr_
	Quality     Quality  // q_
	Format      string   // f_ (Cloudinary format name, or "auto")
	Radius      Radius   // r_
	Angle       Angle    // a_
	Effect      Effect   // e_
	Opacity     Percent  // o_
	Border      Border   // bo_
	Background  Color    // b_
	Color       Color    // co_
	Overlay     *Layer   // l_: this component declares a layer laid over the image
	Underlay    *Layer   // u_: this component declares a layer laid under the image
	Default     string   // d_: public id (with extension) served when the asset is missing
	Page        int      // pg_ (1-based), 0 = unset
	Flags       Flags    // fl_
	Named       []string // t_: named transformations, expanded before execution
}

// LengthKind says how a Length's Value is read.
type LengthKind uint8

const (
	LengthUnset   LengthKind = iota
	Pixels                   // Value pixels
	Fraction                 // Value × the reference dimension (w_0.5)
	InitialWidth             // Value × the source width (w_iw, w_iw_div_2)
	InitialHeight            // Value × the source height (h_ih, w_ih_mul_0.5)
)

// Length is a size or offset: pixels, a fraction of a reference, or a multiple of the source's
// initial width or height.
type Length struct {
	Kind  LengthKind
	Value float64
}

// Set says whether the length was given.
func (l Length) Set() bool { return l.Kind != LengthUnset }

// CropMode is a c_ value.
type CropMode string

const (
	CropScale   CropMode = "scale"
	CropFit     CropMode = "fit"
	CropLimit   CropMode = "limit"
	CropMFit    CropMode = "mfit"
	CropFill    CropMode = "fill"
	CropLFill   CropMode = "lfill"
	CropFillPad CropMode = "fill_pad"
	CropPad     CropMode = "pad"
	CropLPad    CropMode = "lpad"
	CropMPad    CropMode = "mpad"
	CropCrop    CropMode = "crop"
	CropThumb   CropMode = "thumb"
)

// Gravity is a g_ value.
type Gravity string

const (
	GravityNorthWest Gravity = "north_west"
	GravityNorth     Gravity = "north"
	GravityNorthEast Gravity = "north_east"
	GravityWest      Gravity = "west"
	GravityCenter    Gravity = "center"
	GravityEast      Gravity = "east"
	GravitySouthWest Gravity = "south_west"
	GravitySouth     Gravity = "south"
	GravitySouthEast Gravity = "south_east"
	GravityAuto      Gravity = "auto"  // libvips attention (smart crop)
	GravityFace      Gravity = "face"  // no face detector here: behaves as auto
	GravityFaces     Gravity = "faces" // no face detector here: behaves as auto
)

// DPR is a dpr_ value: a multiplier, or auto (from client hints).
type DPR struct {
	Value float64 // 0 = unset
	Auto  bool
}

// Quality is a q_ value: 1-100, or auto with a level ("good" when bare q_auto).
type Quality struct {
	Value int    // 0 = unset
	Auto  string // "", "good", "best", "eco", "low"
}

// Radius is an r_ value: rounded corners, or max for a circle/ellipse.
type Radius struct {
	Max     bool
	Corners [4]int // top-left, top-right, bottom-right, bottom-left
	Count   int    // how many values were given (1-4), 0 = unset
}

// Angle is an a_ value: rotation in degrees and/or modes, joined with "." in URLs.
type Angle struct {
	Degrees    float64
	HasDegrees bool
	AutoRight  bool
	AutoLeft   bool
	HFlip      bool
	VFlip      bool
	Ignore     bool // do not apply the EXIF orientation
}

// Effect is an e_ value: a name and its optional arguments (levels, colours).
type Effect struct {
	Name     string  // "" = unset; grayscale, sepia, blur, ...
	Level    float64 // the first numeric argument when HasLevel
	HasLevel bool
	Args     []string // every ":"-separated argument after the name, as given
}

// Percent is a 0-100 value that may be unset (o_).
type Percent struct {
	Value int
	Set   bool
}

// Color is an RGBA colour (b_, co_, border colours).
type Color struct {
	R, G, B, A uint8
	Set        bool
}

// Border is a bo_ value: Npx_solid_<color>.
type Border struct {
	Width int // 0 = unset
	Color Color
}

// Layer is an l_/u_ value: an image asset or a text.
type Layer struct {
	PublicID string     // image layer: public id with "/" (written ":" in URLs)
	Text     *TextLayer // text layer
}

// TextLayer is l_text:<font>_<size>[_bold][_italic]:<text>.
type TextLayer struct {
	Font   string
	Size   int
	Bold   bool
	Italic bool
	Text   string // decoded
}

// Flags are the fl_ values, joined with "." in URLs.
type Flags struct {
	Attachment           bool
	AttachmentName       string
	Progressive          bool
	Lossy                bool
	StripProfile         bool
	KeepIPTC             bool
	PreserveTransparency bool
	Animated             bool
	LayerApply           bool
	Relative             bool
}
