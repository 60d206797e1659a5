//! The step diagram as the editor shows it: a character canvas with a class
//! per cell (from `crate::layout`), the rectangle of every activity's box, and
//! spatial navigation between boxes. Drawing copies only the visible window
//! of the canvas into the frame, styled by cell class.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use crate::model::TaskDefinition;

use super::theme::Theme;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    Up,
    Down,
    Left,
    Right,
}

/// What a canvas cell shows, for styling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CellClass {
    #[default]
    Empty,
    BoxBorder,
    BoxText,
    Edge,
    BackEdge,
    Label,
    /// Split/join markers.
    Marker,
}

#[derive(Debug, Clone, Default)]
pub struct Diagram {
    width: u16,
    height: u16,
    chars: Vec<char>,
    classes: Vec<CellClass>,
    /// Box of each activity (by index), in canvas coordinates.
    boxes: Vec<Option<Rect>>,
}

impl Diagram {
    /// Lay out `def` (see `crate::layout`).
    pub fn build(def: &TaskDefinition) -> Diagram {
        fallback_layout(def)
    }

    /// Canvas size in cells.
    pub fn size(&self) -> (u16, u16) {
        (self.width, self.height)
    }

    pub fn box_rect(&self, activity: usize) -> Option<Rect> {
        self.boxes.get(activity).copied().flatten()
    }

    pub fn cell(&self, x: u16, y: u16) -> Option<(char, CellClass)> {
        if x >= self.width || y >= self.height {
            return None;
        }
        let i = usize::from(y) * usize::from(self.width) + usize::from(x);
        Some((self.chars[i], self.classes[i]))
    }

    /// The nearest box in a direction: the box whose centre lies in that
    /// direction's quarter-plane, closest by weighted distance.
    pub fn neighbour(&self, from: usize, dir: Dir) -> Option<usize> {
        let r = self.box_rect(from)?;
        let (cx, cy) = centre(r);
        let mut best: Option<(i64, usize)> = None;
        for (i, b) in self.boxes.iter().enumerate() {
            let Some(b) = b else { continue };
            if i == from {
                continue;
            }
            let (x, y) = centre(*b);
            let (dx, dy) = (x - cx, y - cy);
            let (along, across) = match dir {
                Dir::Up => (-dy, dx),
                Dir::Down => (dy, dx),
                Dir::Left => (-dx, dy),
                Dir::Right => (dx, dy),
            };
            if along <= 0 || across.abs() > along * 3 + 2 {
                continue;
            }
            let score = along + across.abs() * 2;
            if best.is_none_or(|(s, _)| score < s) {
                best = Some((score, i));
            }
        }
        best.map(|(_, i)| i)
    }

    /// Draw the window starting at `scroll` into `area`; the selected box is
    /// reverse video and marked with `▶`.
    pub fn render(
        &self,
        buf: &mut Buffer,
        area: Rect,
        scroll: (u16, u16),
        selected: Option<usize>,
        theme: &Theme,
    ) {
        let sel = selected.and_then(|a| self.box_rect(a));
        for row in 0..area.height {
            let y = scroll.1 + row;
            for col in 0..area.width {
                let x = scroll.0 + col;
                let Some((ch, class)) = self.cell(x, y) else {
                    continue;
                };
                if class == CellClass::Empty {
                    continue;
                }
                let mut style = match class {
                    CellClass::Empty => theme.normal(),
                    CellClass::BoxBorder => theme.border(),
                    CellClass::BoxText => theme.normal(),
                    CellClass::Edge => theme.edge(),
                    CellClass::BackEdge => theme.back_edge(),
                    CellClass::Label => theme.edge_label(),
                    CellClass::Marker => theme.marker(),
                };
                if sel.is_some_and(|r| {
                    x >= r.x && x < r.x + r.width && y >= r.y && y < r.y + r.height
                }) {
                    style = theme.selected();
                }
                if let Some(cell) = buf.cell_mut((area.x + col, area.y + row)) {
                    cell.set_char(ch).set_style(style);
                }
            }
        }
        if let Some(r) = sel {
            let (mx, my) = (r.x, r.y + r.height / 2);
            if mx > scroll.0
                && my >= scroll.1
                && my < scroll.1 + area.height
                && mx - 1 - scroll.0 < area.width
                && let Some(cell) =
                    buf.cell_mut((area.x + mx - 1 - scroll.0, area.y + my - scroll.1))
            {
                cell.set_char('▶').set_style(theme.selected());
            }
        }
    }
}

fn centre(r: Rect) -> (i64, i64) {
    (
        i64::from(r.x) + i64::from(r.width) / 2,
        i64::from(r.y) + i64::from(r.height) / 2,
    )
}

/// Until `crate::layout` lands: one box per activity, stacked in file order.
fn fallback_layout(def: &TaskDefinition) -> Diagram {
    let acts = &def.process.activities;
    let box_w = acts
        .iter()
        .map(|a| a.name.chars().count())
        .max()
        .unwrap_or(5) as u16
        + 4;
    let width = box_w + 4;
    let height = (acts.len() as u16) * 4 + 1;
    let mut d = Diagram {
        width,
        height,
        chars: vec![' '; usize::from(width) * usize::from(height)],
        classes: vec![CellClass::Empty; usize::from(width) * usize::from(height)],
        boxes: Vec::new(),
    };
    for (i, a) in acts.iter().enumerate() {
        let r = Rect {
            x: 2,
            y: (i as u16) * 4,
            width: box_w,
            height: 3,
        };
        d.put_box(r, &a.name);
        if i + 1 < acts.len() {
            d.put(r.x + r.width / 2, r.y + 3, '│', CellClass::Edge);
        }
        d.boxes.push(Some(r));
    }
    d
}

impl Diagram {
    fn put(&mut self, x: u16, y: u16, ch: char, class: CellClass) {
        if x < self.width && y < self.height {
            let i = usize::from(y) * usize::from(self.width) + usize::from(x);
            self.chars[i] = ch;
            self.classes[i] = class;
        }
    }

    fn put_box(&mut self, r: Rect, text: &str) {
        for x in r.x..r.x + r.width {
            self.put(x, r.y, '─', CellClass::BoxBorder);
            self.put(x, r.y + r.height - 1, '─', CellClass::BoxBorder);
        }
        for y in r.y..r.y + r.height {
            self.put(r.x, y, '│', CellClass::BoxBorder);
            self.put(r.x + r.width - 1, y, '│', CellClass::BoxBorder);
        }
        self.put(r.x, r.y, '┌', CellClass::BoxBorder);
        self.put(r.x + r.width - 1, r.y, '┐', CellClass::BoxBorder);
        self.put(r.x, r.y + r.height - 1, '└', CellClass::BoxBorder);
        self.put(
            r.x + r.width - 1,
            r.y + r.height - 1,
            '┘',
            CellClass::BoxBorder,
        );
        for (k, ch) in text.chars().enumerate() {
            self.put(r.x + 2 + k as u16, r.y + 1, ch, CellClass::BoxText);
        }
    }
}
