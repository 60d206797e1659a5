//! Diagram layout of a process (pure: no UI), in character cells.
//!
//! A layered ("Sugiyama") layout:
//! 1. back edges are found by a depth-first search from `start` (edges to an
//!    activity still on the search stack); the rest form a DAG;
//! 2. each activity's layer is its longest path from the roots over that DAG
//!    (`end` is kept below everything else);
//! 3. edges spanning several layers get one-cell "dummy" nodes per layer crossed;
//! 4. crossings are reduced by barycenter sweeps (down and up);
//! 5. x coordinates pull every node toward the mean of its neighbours while
//!    keeping the order (isotonic regression per layer), alternating sweeps;
//! 6. edges are routed orthogonally: each forward edge leaves its source's
//!    bottom border at a port, turns on a horizontal track in the gap below,
//!    and enters its target's top border. Each gap is channel-routed (left-edge
//!    algorithm with vertical constraints) so lines never run on top of each
//!    other. Back edges go around the right side on their own vertical lanes;
//! 7. transition labels (the comment, else the condition, shortened) sit beside
//!    the edge just under its source, where there is room.
//!
//! [`render`] draws a viewport of the result onto a character [`Canvas`].

mod layering;
mod order;
mod render;
mod route;

use crate::model::{Process, Transition};

use layering::Graph;

pub use render::{Canvas, Cell, CellClass, Glyphs, Owner, render};

/// Longest activity name shown in full; longer names end with an ellipsis.
pub const MAX_NAME_CHARS: usize = 24;
/// Longest transition label kept. Labels are placed in the free cells beside
/// their line and shortened (with `…`) only to the room there (`place_label`),
/// so a label uses the space the diagram has rather than a fixed 12 characters.
pub const MAX_LABEL_CHARS: usize = 40;
/// Height of an activity box: border, name, border.
pub const BOX_HEIGHT: i32 = 3;
/// Blank cells between neighbouring boxes of a layer.
const H_GAP: i32 = 2;
/// Barycenter sweeps (each down + up).
const ORDER_SWEEPS: usize = 4;
/// Coordinate sweeps (each down + up).
const PLACE_SWEEPS: usize = 4;

/// A rectangle in layout cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct Rect {
    pub x: i32,
    pub y: i32,
    pub width: i32,
    pub height: i32,
}

impl Rect {
    pub fn new(x: i32, y: i32, width: i32, height: i32) -> Rect {
        Rect {
            x,
            y,
            width,
            height,
        }
    }
    /// One past the last column.
    pub fn right(&self) -> i32 {
        self.x + self.width
    }
    /// One past the last row.
    pub fn bottom(&self) -> i32 {
        self.y + self.height
    }
    pub fn contains(&self, x: i32, y: i32) -> bool {
        x >= self.x && x < self.right() && y >= self.y && y < self.bottom()
    }
    pub fn intersects(&self, other: &Rect) -> bool {
        self.x < other.right()
            && other.x < self.right()
            && self.y < other.bottom()
            && other.y < self.bottom()
    }
    pub fn center(&self) -> (i32, i32) {
        (self.x + self.width / 2, self.y + self.height / 2)
    }
    fn union(&self, other: &Rect) -> Rect {
        if self.width <= 0 || self.height <= 0 {
            return *other;
        }
        let x = self.x.min(other.x);
        let y = self.y.min(other.y);
        Rect::new(
            x,
            y,
            self.right().max(other.right()) - x,
            self.bottom().max(other.bottom()) - y,
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    Up,
    Down,
    Left,
    Right,
}

/// One activity's box.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeBox {
    /// Index of the activity in `process.activities`.
    pub activity: usize,
    /// Outer rectangle, borders included (height [`BOX_HEIGHT`]).
    pub rect: Rect,
    /// The name as shown: clamped to [`MAX_NAME_CHARS`] with `…`.
    pub label: String,
    pub layer: usize,
    /// Drawn as a double bottom border.
    pub and_split: bool,
    /// Drawn as a double top border.
    pub and_join: bool,
    /// `start` and `end` (drawn with rounded corners).
    pub terminal: bool,
}

/// Where a transition label is drawn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    pub x: i32,
    pub y: i32,
    /// As drawn (possibly shortened further to fit).
    pub text: String,
}

/// One transition's route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EdgeRoute {
    /// Source activity index.
    pub from: usize,
    /// Target activity index.
    pub to: usize,
    /// Index of the transition within the source's transitions.
    pub transition: usize,
    /// A back edge (closes a loop): routed around the right side.
    pub back: bool,
    /// Orthogonal polyline: consecutive points share x or y. The first point is
    /// the port on the source's bottom border, the last the arrow on the
    /// target's top border.
    pub points: Vec<(i32, i32)>,
    /// Short form of the condition (or the comment); `None` when unconditional.
    pub label_text: Option<String>,
    /// Where the label is drawn; `None` when there is no label or no room.
    pub label: Option<Label>,
    /// Bounding box of the route and its label.
    pub bbox: Rect,
}

impl EdgeRoute {
    /// Every cell the route passes through, in order (ports and arrow included).
    pub fn cells(&self) -> impl Iterator<Item = (i32, i32)> + '_ {
        let first = self.points.first().copied();
        first
            .into_iter()
            .chain(self.points.windows(2).flat_map(|w| {
                let ((x1, y1), (x2, y2)) = (w[0], w[1]);
                let n = (x2 - x1).abs().max((y2 - y1).abs());
                let (dx, dy) = ((x2 - x1).signum(), (y2 - y1).signum());
                (1..=n).map(move |i| (x1 + dx * i, y1 + dy * i))
            }))
    }
}

/// A laid-out process.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Layout {
    /// One per activity, indexed like `process.activities`.
    pub boxes: Vec<NodeBox>,
    pub edges: Vec<EdgeRoute>,
    /// Transitions whose target names no activity: (activity, transition).
    pub dangling: Vec<(usize, usize)>,
    /// Number of layers.
    pub layers: usize,
    bounds: Rect,
}

impl Layout {
    /// The rectangle holding everything (boxes, edges, labels); origin (0, 0).
    pub fn bounds(&self) -> Rect {
        self.bounds
    }

    /// The box of an activity.
    pub fn box_of(&self, activity: usize) -> Option<&NodeBox> {
        self.boxes.get(activity)
    }

    /// The activity whose box covers a cell.
    pub fn activity_at(&self, x: i32, y: i32) -> Option<usize> {
        self.boxes
            .iter()
            .find(|b| b.rect.contains(x, y))
            .map(|b| b.activity)
    }

    /// Routes leaving / entering an activity (indices into `edges`).
    pub fn edges_of(&self, activity: usize) -> impl Iterator<Item = usize> + '_ {
        self.edges
            .iter()
            .enumerate()
            .filter(move |(_, e)| e.from == activity || e.to == activity)
            .map(|(i, _)| i)
    }

    /// The nearest box in a direction from an activity's box, for keyboard
    /// navigation: boxes roughly in line (within 45 degrees, counting a row as
    /// two columns) win over boxes off to the side.
    pub fn neighbour(&self, activity: usize, direction: Direction) -> Option<usize> {
        let (cx, cy) = self.boxes.get(activity)?.rect.center();
        self.boxes
            .iter()
            .filter(|b| b.activity != activity)
            .filter_map(|b| {
                let (x, y) = b.rect.center();
                let (dx, dy) = (x - cx, (y - cy) * 2);
                let (along, across) = match direction {
                    Direction::Up => (-dy, dx.abs()),
                    Direction::Down => (dy, dx.abs()),
                    Direction::Left => (-dx, dy.abs()),
                    Direction::Right => (dx, dy.abs()),
                };
                if along <= 0 {
                    return None;
                }
                let outside_cone = if across > along { 1_000_000 } else { 0 };
                Some((outside_cone + along + 2 * across, b.activity))
            })
            .min()
            .map(|(_, a)| a)
    }
}

/// Name clamped to `max` characters, ending with `…` when shortened.
pub fn clamp_text(text: &str, max: usize) -> String {
    let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= max {
        one_line
    } else {
        let mut s: String = one_line.chars().take(max.saturating_sub(1)).collect();
        s.push('…');
        s
    }
}

/// Short label of a transition: its comment, else its condition; none when unconditional.
pub fn transition_label(t: &Transition) -> Option<String> {
    let comment = t.comment.trim();
    if !comment.is_empty() {
        return Some(clamp_text(comment, MAX_LABEL_CHARS));
    }
    t.condition
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(|c| clamp_text(c, MAX_LABEL_CHARS))
}

/// Lay out a process: the phases of the module documentation, one file each —
/// [`layering`] (steps 1–3), [`order`] (4–5) and [`route`] (6–7).
pub fn layout(process: &Process) -> Layout {
    let acts = &process.activities;
    if acts.is_empty() {
        return Layout::default();
    }
    let graph = Graph::build(acts);
    let layers = order::order(&graph);
    let x = order::place(&graph, &layers);
    route::route(acts, graph, &layers, x)
}

#[cfg(test)]
mod tests;
