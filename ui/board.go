package ui

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"image"
	"image/color"
	_ "image/jpeg" // slides
	_ "image/png"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"qiao/classroom/relay"
	"qiao/i18n"
)

// Pen colours and widths of the board's toolbar (widths in CoordMax units
// of the page width).
var penColors = []string{"#d32f2f", "#1e5bd8", "#202020", "#2e8b3e"}

const (
	penThin    = 30
	penThick   = 80
	laserEvery = time.Second / 15 // at most this often a laser position goes out
	minStep    = 0.003            // of the page width: closer points are skipped
	minInkR    = 0.8              // pixels: the thinnest ink's half width, on a small board
)

// boardTool is what a drag on the host's board does.
type boardTool int

const (
	toolPen boardTool = iota
	toolLaser
)

// board is the lesson's board: the page (its slide, or a clean page) with
// its number in the corner, the page's ink and the laser dot. The host's board takes
// input (editable); the others show. Ink is painted into one cached raster,
// incrementally as strokes arrive and fully on resize, undo or clear.
type board struct {
	widget.BaseWidget

	slides func(hash string) []byte // a slide's image by content hash; nil when not (yet) here

	page    int
	hash    string         // the page's slide
	strokes []relay.Stroke // the page's strokes from the relay, in order
	pending []relay.Stroke // host: drawn here, not yet back from the relay
	cur     *relay.Stroke  // host: the stroke being drawn
	laserOn bool
	laserX  int
	laserY  int

	// Host input; send is nil on a read-only board.
	send      func(relay.Stroke) error
	sendLaser func(x, y int, hidden bool) error
	tool      boardTool
	color     string
	width     int
	idBase    string
	seq       int
	part      int
	last      fyne.Position // the last point kept of cur, in widget coordinates
	laserAt   time.Time     // when a laser position last went out

	// The raster cache: img holds strokes[:painted], pending and cur.
	img     *image.RGBA
	painted int
	dirty   bool
	paint   inkPainter
	// base holds the strokes baseIDs (all but the last baseKeep when it was
	// painted): undoing a recent stroke repaints from it, not from scratch.
	base    *image.RGBA
	baseIDs []string

	slideHash string // the slide decoded into slideImg
	slideImg  image.Image

	r *boardRenderer
}

// newBoard is a read-only board; editable makes it the host's.
func newBoard(slides func(hash string) []byte) *board {
	b := &board{slides: slides, color: penColors[0], width: penThin, page: 1}
	b.ExtendBaseWidget(b)
	return b
}

// editable lets the host draw (send each finished stroke) and point (send
// the laser).
func (b *board) editable(send func(relay.Stroke) error, laser func(x, y int, hidden bool) error) {
	var r [4]byte
	_, _ = rand.Read(r[:])
	b.send, b.sendLaser, b.idBase = send, laser, hex.EncodeToString(r[:])
}

// show sets the page, its slide and its strokes from the relay.
func (b *board) show(page int, hash string, strokes []relay.Stroke) {
	if page != b.page || hash != b.hash {
		b.page, b.hash, b.dirty = page, hash, true
		b.cur = nil
	}
	old := b.strokes
	b.strokes = strokes
	if b.img == nil || b.dirty || b.painted > len(strokes) || !sameIDs(old[:b.painted], strokes[:b.painted]) {
		b.dirty = true
	} else {
		for _, k := range strokes[b.painted:] {
			if i := slices.IndexFunc(b.pending, func(p relay.Stroke) bool { return p.ID == k.ID }); i >= 0 {
				b.pending = slices.Delete(b.pending, i, i+1) // painted while drawn
				continue
			}
			b.paint.stroke(b.img, k, 0)
		}
		b.painted = len(strokes)
	}
	b.Refresh()
}

func sameIDs(a, b []relay.Stroke) bool {
	for i := range a {
		if a[i].ID != b[i].ID {
			return false
		}
	}
	return true
}

// setLaser shows the laser dot at x,y (CoordMax units) or hides it.
func (b *board) setLaser(x, y int, on bool) {
	b.laserOn, b.laserX, b.laserY = on, x, y
	if b.r != nil {
		b.r.Layout(b.Size())
		b.r.laser.Refresh()
	}
}

// laserEvent shows a laser event from the relay.
func (b *board) laserEvent(e relay.Event) {
	if e.X != nil && e.Y != nil {
		b.setLaser(*e.X, *e.Y, true)
	} else {
		b.setLaser(0, 0, false)
	}
}

// setTool switches between pen and laser; leaving laser mode hides the dot.
func (b *board) setTool(t boardTool) {
	if b.tool == toolLaser && t != toolLaser {
		b.pointerGone()
	}
	b.tool = t
}

// undoIDs is the host's last stroke on this page (all parts of one drag),
// taken off the board at once; the caller sends the undo for each.
func (b *board) undoIDs() []string {
	all := append(slices.Clone(b.strokes), b.pagePending()...)
	if len(all) == 0 {
		return nil
	}
	stem := strokeStem(all[len(all)-1].ID)
	var ids []string
	for _, k := range all {
		if strokeStem(k.ID) == stem {
			ids = append(ids, k.ID)
		}
	}
	b.pending = slices.DeleteFunc(b.pending, func(k relay.Stroke) bool { return strokeStem(k.ID) == stem })
	b.dirty = true
	b.Refresh()
	return ids
}

// cleared takes this page's own strokes off at once (the relay's clear follows).
func (b *board) cleared() {
	b.pending = slices.DeleteFunc(b.pending, func(k relay.Stroke) bool { return k.Page == b.page })
	b.cur = nil
	b.dirty = true
	b.Refresh()
}

// strokeStem is a stroke id without its part: one drag split at
// MaxStrokePoints is undone as one.
func strokeStem(id string) string {
	if i := strings.LastIndexByte(id, '_'); i > 0 {
		return id[:i]
	}
	return id
}

func (b *board) pagePending() []relay.Stroke {
	var out []relay.Stroke
	for _, k := range b.pending {
		if k.Page == b.page {
			out = append(out, k)
		}
	}
	return out
}

// pageRect is where the page sits in a board of size: the slide's aspect
// (4:3 without one), as large as fits, centred.
func (b *board) pageRect(size fyne.Size) (fyne.Position, fyne.Size) {
	aspect := float32(4) / 3
	if b.slideImg != nil {
		if bs := b.slideImg.Bounds(); bs.Dx() > 0 && bs.Dy() > 0 {
			aspect = float32(bs.Dx()) / float32(bs.Dy())
		}
	}
	pad := theme.Padding()
	w, h := size.Width-2*pad, size.Height-2*pad
	if w <= 0 || h <= 0 {
		return fyne.NewPos(0, 0), fyne.NewSize(0, 0)
	}
	if w/h > aspect {
		w = h * aspect
	} else {
		h = w / aspect
	}
	return fyne.NewPos((size.Width-w)/2, (size.Height-h)/2), fyne.NewSize(w, h)
}

// toPage turns a widget position into page coordinates, clamped to the page.
func (b *board) toPage(p fyne.Position) (int, int) {
	at, sz := b.pageRect(b.Size())
	if sz.Width <= 0 {
		return 0, 0
	}
	c := func(v, o, n float32) int {
		return min(max(int(math.Round(float64((v-o)/n*relay.CoordMax))), 0), relay.CoordMax)
	}
	return c(p.X, at.X, sz.Width), c(p.Y, at.Y, sz.Height)
}

// Dragged draws with the pen, or moves the laser (host).
func (b *board) Dragged(e *fyne.DragEvent) {
	if b.send == nil {
		return
	}
	if b.tool == toolLaser {
		b.pointAt(e.Position)
		return
	}
	if b.cur == nil {
		b.seq++
		b.part = 0
		b.begin(e.Position.Subtract(e.Dragged))
	}
	_, sz := b.pageRect(b.Size())
	if d := e.Position.Subtract(b.last); math.Hypot(float64(d.X), float64(d.Y)) < minStep*float64(sz.Width) {
		return
	}
	x, y := b.toPage(e.Position)
	b.last = e.Position
	b.cur.Points = append(b.cur.Points, x, y)
	if b.img != nil && !b.dirty {
		b.paint.stroke(b.img, *b.cur, len(b.cur.Points)/2-2)
	}
	if len(b.cur.Points)+2 > relay.MaxStrokePoints {
		b.finish() // the drag goes on in a new part from this point
		b.begin(e.Position)
	}
	b.Refresh()
}

// begin starts a stroke part at p.
func (b *board) begin(p fyne.Position) {
	b.part++
	x, y := b.toPage(p)
	b.cur = &relay.Stroke{ID: b.idBase + "-" + strconv.Itoa(b.seq) + "_" + strconv.Itoa(b.part),
		Page: b.page, Color: b.color, Width: b.width, Points: []int{x, y}}
	b.last = p
}

// DragEnd sends the stroke.
func (b *board) DragEnd() {
	if b.cur != nil {
		b.finish()
		b.Refresh()
	}
}

// finish sends cur and keeps it on the board until the relay's copy comes.
func (b *board) finish() {
	k := *b.cur
	b.cur = nil
	b.pending = append(b.pending, k)
	if err := b.send(k); err != nil {
		fyne.LogError("classroom: send stroke", err)
		b.pending = slices.DeleteFunc(b.pending, func(p relay.Stroke) bool { return p.ID == k.ID })
		b.dirty = true
	}
}

// Tapped puts a dot (host, pen).
func (b *board) Tapped(e *fyne.PointEvent) {
	if b.send == nil || b.tool != toolPen {
		return
	}
	b.seq++
	b.part = 0
	b.begin(e.Position)
	b.finish()
	b.dirty = true
	b.Refresh()
}

// MouseIn, MouseMoved and MouseOut move the laser (host, laser mode).
func (b *board) MouseIn(e *desktop.MouseEvent) { b.MouseMoved(e) }

func (b *board) MouseMoved(e *desktop.MouseEvent) {
	if b.send != nil && b.tool == toolLaser {
		b.pointAt(e.Position)
	}
}

func (b *board) MouseOut() {
	if b.send != nil && b.tool == toolLaser {
		b.pointerGone()
	}
}

// pointAt shows the laser here and sends it, at most every laserEvery.
func (b *board) pointAt(p fyne.Position) {
	x, y := b.toPage(p)
	b.setLaser(x, y, true)
	if now := time.Now(); now.Sub(b.laserAt) >= laserEvery {
		b.laserAt = now
		_ = b.sendLaser(x, y, false)
	}
}

func (b *board) pointerGone() {
	if b.laserOn {
		b.setLaser(0, 0, false)
		b.laserAt = time.Time{}
		_ = b.sendLaser(0, 0, true)
	}
}

// Cursor is a crosshair on the host's board.
func (b *board) Cursor() desktop.Cursor {
	if b.send != nil {
		return desktop.CrosshairCursor
	}
	return desktop.DefaultCursor
}

// raster paints the ink at w×h pixels: the cache, repainted in full when
// the size changed or strokes went away.
func (b *board) raster(w, h int) image.Image {
	if b.img == nil || b.img.Bounds().Dx() != w || b.img.Bounds().Dy() != h || b.dirty {
		if b.img == nil || b.img.Bounds().Dx() != w || b.img.Bounds().Dy() != h {
			b.img = image.NewRGBA(image.Rect(0, 0, w, h))
		}
		from := 0
		if b.baseValid(w, h) {
			copy(b.img.Pix, b.base.Pix)
			from = len(b.baseIDs)
		} else {
			clear(b.img.Pix)
			b.baseIDs = nil
		}
		for i, k := range b.strokes[from:] {
			if n := from + i; n > 0 && n == len(b.strokes)-baseKeep && b.baseIDs == nil {
				b.keepBase(n)
			}
			b.paint.stroke(b.img, k, 0)
		}
		for _, k := range b.pagePending() {
			b.paint.stroke(b.img, k, 0)
		}
		if b.cur != nil {
			b.paint.stroke(b.img, *b.cur, 0)
		}
		b.painted, b.dirty = len(b.strokes), false
	}
	return b.img
}

// baseKeep is how many of the last strokes base leaves out.
const baseKeep = 64

// baseValid reports whether base can start a repaint: same size, and its
// strokes still the first of the page's.
func (b *board) baseValid(w, h int) bool {
	return b.base != nil && b.baseIDs != nil && b.base.Bounds().Dx() == w && b.base.Bounds().Dy() == h &&
		len(b.baseIDs) <= len(b.strokes) && slices.EqualFunc(b.baseIDs, b.strokes[:len(b.baseIDs)],
		func(id string, k relay.Stroke) bool { return id == k.ID })
}

// keepBase copies img, which holds strokes[:n], into base.
func (b *board) keepBase(n int) {
	if b.base == nil || b.base.Bounds() != b.img.Bounds() {
		b.base = image.NewRGBA(b.img.Bounds())
	}
	copy(b.base.Pix, b.img.Pix)
	b.baseIDs = make([]string, n)
	for i, k := range b.strokes[:n] {
		b.baseIDs[i] = k.ID
	}
}

// slide decodes the page's slide when the provider has it.
func (b *board) slide() image.Image {
	if b.hash == "" || b.slides == nil {
		return nil
	}
	if b.hash != b.slideHash || b.slideImg == nil {
		data := b.slides(b.hash)
		if data == nil {
			return nil
		}
		img, _, err := image.Decode(bytes.NewReader(data))
		if err != nil {
			return nil
		}
		b.slideHash, b.slideImg = b.hash, img
	}
	return b.slideImg
}

func (b *board) CreateRenderer() fyne.WidgetRenderer {
	r := &boardRenderer{b: b,
		bg:    canvas.NewRectangle(theme.Color(theme.ColorNameInputBackground)),
		paper: canvas.NewRectangle(color.White),
		img:   canvas.NewImageFromImage(nil),
		num:   canvas.NewText("", color.NRGBA{0x9e, 0x9e, 0x9e, 0xff}),
		halo:  canvas.NewCircle(color.NRGBA{0xff, 0x20, 0x20, 0x50}),
		laser: canvas.NewCircle(color.NRGBA{0xff, 0x10, 0x10, 0xff}),
	}
	r.bg.CornerRadius = 6
	r.paper.StrokeColor = color.NRGBA{0xcc, 0xcc, 0xcc, 0xff}
	r.paper.StrokeWidth = 1
	r.img.FillMode = canvas.ImageFillStretch
	r.num.TextStyle = fyne.TextStyle{Bold: true}
	r.ink = canvas.NewRaster(b.raster)
	b.r = r
	r.Refresh()
	return r
}

type boardRenderer struct {
	b           *board
	bg, paper   *canvas.Rectangle
	img         *canvas.Image
	num         *canvas.Text
	ink         *canvas.Raster
	halo, laser *canvas.Circle
}

func (r *boardRenderer) Layout(size fyne.Size) {
	r.bg.Resize(size)
	at, sz := r.b.pageRect(size)
	for _, o := range []fyne.CanvasObject{r.paper, r.img, r.ink} {
		o.Move(at)
		o.Resize(sz)
	}
	ns := r.num.MinSize()
	pad := theme.Padding() * 2
	r.num.Move(fyne.NewPos(at.X+sz.Width-ns.Width-pad, at.Y+pad/2))
	r.num.Resize(ns)
	d := max(sz.Width/90, 6)
	lp := fyne.NewPos(at.X+sz.Width*float32(r.b.laserX)/relay.CoordMax, at.Y+sz.Height*float32(r.b.laserY)/relay.CoordMax)
	r.laser.Move(lp.SubtractXY(d/2, d/2))
	r.laser.Resize(fyne.NewSquareSize(d))
	r.halo.Move(lp.SubtractXY(d*1.2, d*1.2))
	r.halo.Resize(fyne.NewSquareSize(d * 2.4))
	r.laser.Hidden, r.halo.Hidden = !r.b.laserOn, !r.b.laserOn
}

func (r *boardRenderer) MinSize() fyne.Size { return fyne.NewSize(320, 240) }

func (r *boardRenderer) Refresh() {
	r.bg.FillColor = theme.Color(theme.ColorNameInputBackground)
	s := r.b.slide()
	r.img.Image = s
	r.img.Hidden = s == nil
	r.num.Text = i18n.T("classroom.page", r.b.page)
	r.num.TextSize = theme.TextSize()
	r.Layout(r.b.Size())
	r.bg.Refresh()
	r.img.Refresh()
	r.num.Refresh()
	r.ink.Refresh()
}

func (r *boardRenderer) Objects() []fyne.CanvasObject {
	return []fyne.CanvasObject{r.bg, r.paper, r.img, r.num, r.ink, r.halo, r.laser}
}

func (r *boardRenderer) Destroy() {}

// inkPainter paints strokes into an RGBA image: each stroke's coverage
// (round caps and joins, anti-aliased) goes into a mask first, so a stroke
// crossing itself is painted once. The mask stays zero between strokes;
// each row's touched span is all that is composited and cleared.
type inkPainter struct {
	mask   []uint8
	lo, hi []int // per mask row: the touched columns [lo, hi)
}

// stroke paints k into img, from its segment from on (0: all of it).
func (p *inkPainter) stroke(img *image.RGBA, k relay.Stroke, from int) {
	n := len(k.Points) / 2
	if n == 0 {
		return
	}
	W, H := img.Bounds().Dx(), img.Bounds().Dy()
	sx, sy := float64(W)/relay.CoordMax, float64(H)/relay.CoordMax
	r := max(float64(k.Width)*sx/2, minInkR)
	pt := func(i int) (float64, float64) { return float64(k.Points[2*i]) * sx, float64(k.Points[2*i+1]) * sy }
	from = max(from, 0)
	// The bounding box of what is painted.
	x0, y0, x1, y1 := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for i := from; i < n; i++ {
		x, y := pt(i)
		x0, y0, x1, y1 = min(x0, x), min(y0, y), max(x1, x), max(y1, y)
	}
	bx0, by0 := max(int(x0-r-1), 0), max(int(y0-r-1), 0)
	bx1, by1 := min(int(x1+r+2), W), min(int(y1+r+2), H)
	if bx0 >= bx1 || by0 >= by1 {
		return
	}
	bw, bh := bx1-bx0, by1-by0
	if cap(p.mask) < bw*bh {
		p.mask = make([]uint8, bw*bh)
	}
	if cap(p.lo) < bh {
		p.lo, p.hi = make([]int, bh), make([]int, bh)
	}
	m, lo, hi := p.mask[:bw*bh], p.lo[:bh], p.hi[:bh]
	for i := range lo {
		lo[i], hi[i] = bw, 0
	}
	outer, inner := (r+0.5)*(r+0.5), max(r-0.5, 0)*max(r-0.5, 0)
	seg := func(ax, ay, bx, by float64) {
		dx, dy := bx-ax, by-ay
		l2 := dx*dx + dy*dy
		sx0, sy0 := max(int(min(ax, bx)-r-1), bx0), max(int(min(ay, by)-r-1), by0)
		sx1, sy1 := min(int(max(ax, bx)+r+2), bx1), min(int(max(ay, by)+r+2), by1)
		// A steep segment's capsule spans only part of each row: the centre
		// line's x there, ± R·(1+|dx/dy|) (the band, and the round caps).
		band := math.Abs(dy) > 0.5*math.Sqrt(l2)
		half := 0.0
		if band {
			half = (r+1)*(1+math.Abs(dx/dy)) + 1
		}
		for y := sy0; y < sy1; y++ {
			py := float64(y) + 0.5
			ry := y - by0
			row := m[ry*bw : (ry+1)*bw]
			rx0, rx1 := sx0, sx1
			if band {
				xc := ax + (py-ay)/dy*dx
				rx0, rx1 = max(rx0, int(xc-half)), min(rx1, int(xc+half)+1)
			}
			for x := rx0; x < rx1; x++ {
				px := float64(x) + 0.5
				t := 0.0
				if l2 > 0 {
					t = min(max(((px-ax)*dx+(py-ay)*dy)/l2, 0), 1)
				}
				ex, ey := px-ax-t*dx, py-ay-t*dy
				d2 := ex*ex + ey*ey
				if d2 >= outer {
					continue
				}
				v := uint8(255)
				if d2 > inner {
					v = uint8(min(r+0.5-math.Sqrt(d2), 1) * 255)
				}
				rx := x - bx0
				if v > row[rx] {
					row[rx] = v
				}
				lo[ry], hi[ry] = min(lo[ry], rx), max(hi[ry], rx+1)
			}
		}
	}
	ax, ay := pt(from)
	if n-from == 1 {
		seg(ax, ay, ax, ay)
	}
	for i := from + 1; i < n; i++ {
		bx, by := pt(i)
		seg(ax, ay, bx, by)
		ax, ay = bx, by
	}
	cr, cg, cb := inkColor(k.Color)
	for ry := range bh {
		if lo[ry] >= hi[ry] {
			continue
		}
		row := m[ry*bw+lo[ry] : ry*bw+hi[ry]]
		o := img.PixOffset(bx0+lo[ry], by0+ry)
		for i, o := 0, o; i < len(row); i, o = i+1, o+4 {
			a := uint32(row[i])
			if a == 0 {
				continue
			}
			row[i] = 0
			px := img.Pix[o : o+4 : o+4]
			na := 255 - a
			px[0] = uint8((uint32(cr)*a + uint32(px[0])*na) / 255)
			px[1] = uint8((uint32(cg)*a + uint32(px[1])*na) / 255)
			px[2] = uint8((uint32(cb)*a + uint32(px[2])*na) / 255)
			px[3] = uint8((255*a + uint32(px[3])*na) / 255)
		}
	}
}

// inkColor parses "#rrggbb"; anything else is black.
func inkColor(s string) (uint8, uint8, uint8) {
	if len(s) != 7 || s[0] != '#' {
		return 0, 0, 0
	}
	v, err := strconv.ParseUint(s[1:], 16, 32)
	if err != nil {
		return 0, 0, 0
	}
	return uint8(v >> 16), uint8(v >> 8), uint8(v)
}

// boardTools is the host's toolbar: pen colours, thin or thick, the laser,
// undo (the last stroke of this page) and clear page (after a confirm).
func boardTools(b *board, win fyne.Window, undo func(ids []string), clearPage func(page int)) fyne.CanvasObject {
	var pens []*widget.Button
	var thin, thick, laser *widget.Button
	mark := func() {
		for i, p := range pens {
			p.Importance = widget.LowImportance
			if b.tool == toolPen && b.color == penColors[i] {
				p.Importance = widget.HighImportance
			}
			p.Refresh()
		}
		for _, x := range []struct {
			btn *widget.Button
			on  bool
		}{{thin, b.width == penThin}, {thick, b.width == penThick}, {laser, b.tool == toolLaser}} {
			x.btn.Importance = widget.LowImportance
			if x.on {
				x.btn.Importance = widget.HighImportance
			}
			x.btn.Refresh()
		}
	}
	for _, c := range penColors {
		c := c
		icon := fyne.NewStaticResource("pen"+c[1:]+".svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg" width="24" height="24"><circle cx="12" cy="12" r="9" fill="`+c+`"/></svg>`))
		pens = append(pens, widget.NewButtonWithIcon("", icon, func() {
			b.setTool(toolPen)
			b.color = c
			mark()
		}))
	}
	width := func(w int) func() {
		return func() {
			b.setTool(toolPen)
			b.width = w
			mark()
		}
	}
	thin = widget.NewButton(i18n.T("classroom.board.thin"), width(penThin))
	thick = widget.NewButton(i18n.T("classroom.board.thick"), width(penThick))
	laser = widget.NewButtonWithIcon(i18n.T("classroom.board.laser"), theme.RadioButtonCheckedIcon(), func() {
		if b.tool == toolLaser {
			b.setTool(toolPen)
		} else {
			b.setTool(toolLaser)
		}
		mark()
	})
	undoB := widget.NewButtonWithIcon(i18n.T("classroom.board.undo"), theme.ContentUndoIcon(), func() {
		if ids := b.undoIDs(); len(ids) > 0 {
			undo(ids)
		}
	})
	clearB := widget.NewButtonWithIcon(i18n.T("classroom.board.clear"), theme.DeleteIcon(), func() {
		page := b.page
		d := dialog.NewConfirm(i18n.T("classroom.board.clear_title"), i18n.T("classroom.board.clear_ask", page), func(ok bool) {
			if ok {
				b.cleared()
				clearPage(page)
			}
		}, win)
		d.SetConfirmText(i18n.T("classroom.board.clear_do"))
		d.SetDismissText(i18n.T("research.cancel"))
		d.Show()
	})
	mark()
	row := container.NewHBox()
	for _, p := range pens {
		row.Add(p)
	}
	row.Add(widget.NewSeparator())
	row.Add(thin)
	row.Add(thick)
	row.Add(widget.NewSeparator())
	row.Add(laser)
	return container.NewBorder(nil, nil, row, container.NewHBox(undoB, clearB))
}

// lessonInk is what the live screens keep from the lesson's events beyond
// the session's view: every stroke with its points, and when each chat
// message came. Its fields are used on the UI goroutine.
type lessonInk struct {
	st     relay.State
	chatAt map[uint64]time.Time
	board  *board     // the live screen's board, once shown
	chat   *chatPanel // … and its chat
}

func (k *lessonInk) apply(e relay.Event) {
	k.st.Apply(e)
	if e.Type == relay.EvChat {
		if k.chatAt == nil {
			k.chatAt = map[uint64]time.Time{}
		}
		k.chatAt[e.Seq] = time.Now()
	}
}

// pageStrokes are the strokes of page, in order.
func (k *lessonInk) pageStrokes(page int) []relay.Stroke {
	var out []relay.Stroke
	for _, s := range k.st.Strokes {
		if s.Page == page {
			out = append(out, s)
		}
	}
	return out
}

// onLaser shows a laser position from the relay.
func (ll *liveLesson) onLaser(e relay.Event) {
	if ll.ink.board != nil {
		ll.ink.board.laserEvent(e)
	}
}

// showBoard shows page of view v on the screen's board.
func (ll *liveLesson) showBoard(v relay.View) {
	page := max(v.Page, 1)
	hash := ""
	if page <= len(v.Deck) {
		hash = v.Deck[page-1]
	}
	ll.ink.board.show(page, hash, ll.ink.pageStrokes(page))
}
