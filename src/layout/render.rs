//! Draw a viewport of a [`Layout`] onto a grid of character cells.
//!
//! Only the cells inside the viewport are touched: boxes and routes are skipped
//! by their bounding boxes and every line is clipped before it is walked, so the
//! cost depends on the viewport and the number of items, not on the diagram's
//! size. Each cell says what it shows ([`CellClass`]) and whose it is
//! ([`Owner`]), so a UI can style the selected box, the taken path and so on.

use super::{Layout, Rect};

/// Which characters to draw with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Glyphs {
    /// Box-drawing characters and `▼`.
    #[default]
    Unicode,
    /// Only `+ - | = v .` (and the names' own characters).
    Ascii,
}

/// What a cell shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum CellClass {
    #[default]
    Empty,
    /// An activity box's border or inside.
    Box,
    /// A character of an activity's name.
    Name,
    /// A forward transition's line (ports included).
    Edge,
    /// A back edge's line (a loop, routed around the right side).
    BackEdge,
    /// The arrow head where a transition enters its target.
    Arrow,
    /// A transition label.
    Label,
    /// An and-split / and-join border (double line).
    Marker,
}

/// Whose a cell is: an activity (index in `process.activities`) or a route (index in `Layout::edges`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum Owner {
    #[default]
    None,
    Activity(usize),
    Edge(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cell {
    pub ch: char,
    pub class: CellClass,
    pub owner: Owner,
}

impl Default for Cell {
    fn default() -> Self {
        Cell {
            ch: ' ',
            class: CellClass::Empty,
            owner: Owner::None,
        }
    }
}

/// The drawn viewport: `area` in layout coordinates, cells row by row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Canvas {
    pub area: Rect,
    cells: Vec<Cell>,
}

impl Canvas {
    fn new(area: Rect) -> Canvas {
        let area = Rect::new(area.x, area.y, area.width.max(0), area.height.max(0));
        Canvas {
            area,
            cells: vec![Cell::default(); (area.width * area.height) as usize],
        }
    }

    pub fn width(&self) -> i32 {
        self.area.width
    }

    pub fn height(&self) -> i32 {
        self.area.height
    }

    /// The cell at column `col`, row `row` of the canvas (0-based, viewport-relative).
    pub fn get(&self, col: i32, row: i32) -> Option<&Cell> {
        if col < 0 || row < 0 || col >= self.area.width || row >= self.area.height {
            return None;
        }
        self.cells.get((row * self.area.width + col) as usize)
    }

    /// The cell at layout coordinates (x, y), when inside the viewport.
    pub fn at(&self, x: i32, y: i32) -> Option<&Cell> {
        self.get(x - self.area.x, y - self.area.y)
    }

    fn index(&self, x: i32, y: i32) -> Option<usize> {
        if self.area.contains(x, y) {
            Some(((y - self.area.y) * self.area.width + (x - self.area.x)) as usize)
        } else {
            None
        }
    }

    /// Rows of cells, top to bottom.
    pub fn rows(&self) -> impl Iterator<Item = &[Cell]> {
        self.cells.chunks(self.area.width.max(1) as usize)
    }

    /// The canvas as text: one line per row, trailing blanks removed.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        if self.area.width > 0 {
            for row in self.rows() {
                let line: String = row.iter().map(|c| c.ch).collect();
                out.push_str(line.trim_end());
                out.push('\n');
            }
        }
        out
    }
}

const UP: u8 = 1;
const DOWN: u8 = 2;
const LEFT: u8 = 4;
const RIGHT: u8 = 8;

fn line_glyph(mask: u8, glyphs: Glyphs) -> char {
    let unicode = match mask {
        m if m == UP | DOWN || m == UP || m == DOWN => '│',
        m if m == LEFT | RIGHT || m == LEFT || m == RIGHT => '─',
        m if m == DOWN | RIGHT => '┌',
        m if m == DOWN | LEFT => '┐',
        m if m == UP | RIGHT => '└',
        m if m == UP | LEFT => '┘',
        m if m == UP | DOWN | RIGHT => '├',
        m if m == UP | DOWN | LEFT => '┤',
        m if m == DOWN | LEFT | RIGHT => '┬',
        m if m == UP | LEFT | RIGHT => '┴',
        _ => '┼',
    };
    match glyphs {
        Glyphs::Unicode => unicode,
        Glyphs::Ascii => match unicode {
            '│' => '|',
            '─' => '-',
            _ => '+',
        },
    }
}

/// Draw the part of `layout` inside `viewport` (layout coordinates).
pub fn render(layout: &Layout, viewport: Rect, glyphs: Glyphs) -> Canvas {
    let mut canvas = Canvas::new(viewport);
    let vp = canvas.area;
    if vp.width == 0 || vp.height == 0 {
        return canvas;
    }
    let mut masks = vec![0u8; canvas.cells.len()];

    // Lines, without their end cells (the port and the arrow are drawn on the borders).
    for (e, edge) in layout.edges.iter().enumerate() {
        if !edge.bbox.intersects(&vp) || edge.points.len() < 2 {
            continue;
        }
        let class = if edge.back {
            CellClass::BackEdge
        } else {
            CellClass::Edge
        };
        let first = edge.points[0];
        let last = edge.points[edge.points.len() - 1];
        for w in edge.points.windows(2) {
            let ((x1, y1), (x2, y2)) = (w[0], w[1]);
            let (lo_x, hi_x, lo_y, hi_y) = (x1.min(x2), x1.max(x2), y1.min(y2), y1.max(y2));
            if x1 == x2 {
                if x1 < vp.x || x1 >= vp.right() {
                    continue;
                }
                for y in lo_y.max(vp.y)..=hi_y.min(vp.bottom() - 1) {
                    if (x1, y) == first || (x1, y) == last {
                        continue;
                    }
                    let mut m = 0;
                    if y > lo_y {
                        m |= UP;
                    }
                    if y < hi_y {
                        m |= DOWN;
                    }
                    mark(&mut canvas, &mut masks, x1, y, m, class, e);
                }
            } else {
                if y1 < vp.y || y1 >= vp.bottom() {
                    continue;
                }
                for x in lo_x.max(vp.x)..=hi_x.min(vp.right() - 1) {
                    if (x, y1) == first || (x, y1) == last {
                        continue;
                    }
                    let mut m = 0;
                    if x > lo_x {
                        m |= LEFT;
                    }
                    if x < hi_x {
                        m |= RIGHT;
                    }
                    mark(&mut canvas, &mut masks, x, y1, m, class, e);
                }
            }
        }
    }
    for (i, m) in masks.iter().enumerate() {
        if *m != 0 {
            canvas.cells[i].ch = line_glyph(*m, glyphs);
        }
    }

    // Boxes.
    for b in &layout.boxes {
        if !b.rect.intersects(&vp) {
            continue;
        }
        let r = b.rect;
        let owner = Owner::Activity(b.activity);
        let (tl, tr, bl, br) = match (glyphs, b.terminal) {
            (Glyphs::Ascii, _) => ('+', '+', '+', '+'),
            (Glyphs::Unicode, true) => ('╭', '╮', '╰', '╯'),
            (Glyphs::Unicode, false) => ('┌', '┐', '└', '┘'),
        };
        let (h, v, dh) = match glyphs {
            Glyphs::Ascii => ('-', '|', '='),
            Glyphs::Unicode => ('─', '│', '═'),
        };
        let name: Vec<char> = b
            .label
            .chars()
            .map(|c| match (glyphs, c) {
                (Glyphs::Ascii, '…') => '.',
                (_, c) => c,
            })
            .collect();
        let inner = r.width - 2;
        let name_start = r.x + 1 + (inner - name.len() as i32).max(0) / 2;
        for y in r.y.max(vp.y)..r.bottom().min(vp.bottom()) {
            for x in r.x.max(vp.x)..r.right().min(vp.right()) {
                let top = y == r.y;
                let bottom = y == r.bottom() - 1;
                let left = x == r.x;
                let right = x == r.right() - 1;
                let double = (top && b.and_join) || (bottom && b.and_split);
                let (ch, class) = match (top, bottom, left, right) {
                    (true, _, true, _) if double && glyphs == Glyphs::Unicode => {
                        ('╒', CellClass::Marker)
                    }
                    (true, _, _, true) if double && glyphs == Glyphs::Unicode => {
                        ('╕', CellClass::Marker)
                    }
                    (_, true, true, _) if double && glyphs == Glyphs::Unicode => {
                        ('╘', CellClass::Marker)
                    }
                    (_, true, _, true) if double && glyphs == Glyphs::Unicode => {
                        ('╛', CellClass::Marker)
                    }
                    (true, _, true, _) => (tl, CellClass::Box),
                    (true, _, _, true) => (tr, CellClass::Box),
                    (_, true, true, _) => (bl, CellClass::Box),
                    (_, true, _, true) => (br, CellClass::Box),
                    (true, _, _, _) | (_, true, _, _) if double => (dh, CellClass::Marker),
                    (true, _, _, _) | (_, true, _, _) => (h, CellClass::Box),
                    (_, _, true, _) | (_, _, _, true) => (v, CellClass::Box),
                    _ => {
                        let k = x - name_start;
                        match name.get(k as usize) {
                            Some(&c) if k >= 0 && x < r.right() - 1 => (c, CellClass::Name),
                            _ => (' ', CellClass::Box),
                        }
                    }
                };
                if let Some(i) = canvas.index(x, y) {
                    canvas.cells[i] = Cell { ch, class, owner };
                }
            }
        }
    }

    // Ports, arrows and labels, over the borders.
    for (e, edge) in layout.edges.iter().enumerate() {
        if !edge.bbox.intersects(&vp) || edge.points.len() < 2 {
            continue;
        }
        let class = if edge.back {
            CellClass::BackEdge
        } else {
            CellClass::Edge
        };
        let (px, py) = edge.points[0];
        if let Some(i) = canvas.index(px, py) {
            let double = layout.boxes.get(edge.from).is_some_and(|b| b.and_split);
            let ch = match (glyphs, double) {
                (Glyphs::Ascii, _) => '+',
                (Glyphs::Unicode, true) => '╤',
                (Glyphs::Unicode, false) => '┬',
            };
            canvas.cells[i] = Cell {
                ch,
                class,
                owner: Owner::Edge(e),
            };
        }
        let (ax, ay) = edge.points[edge.points.len() - 1];
        if let Some(i) = canvas.index(ax, ay) {
            canvas.cells[i] = Cell {
                ch: if glyphs == Glyphs::Ascii { 'v' } else { '▼' },
                class: CellClass::Arrow,
                owner: Owner::Edge(e),
            };
        }
        if let Some(label) = &edge.label {
            if label.y < vp.y || label.y >= vp.bottom() {
                continue;
            }
            for (k, c) in label.text.chars().enumerate() {
                let c = if glyphs == Glyphs::Ascii && c == '…' {
                    '.'
                } else {
                    c
                };
                if let Some(i) = canvas.index(label.x + k as i32, label.y)
                    && canvas.cells[i].class == CellClass::Empty
                {
                    canvas.cells[i] = Cell {
                        ch: c,
                        class: CellClass::Label,
                        owner: Owner::Edge(e),
                    };
                }
            }
        }
    }
    canvas
}

fn mark(
    canvas: &mut Canvas,
    masks: &mut [u8],
    x: i32,
    y: i32,
    m: u8,
    class: CellClass,
    edge: usize,
) {
    if let Some(i) = canvas.index(x, y) {
        masks[i] |= m;
        canvas.cells[i].class = class;
        canvas.cells[i].owner = Owner::Edge(edge);
    }
}
