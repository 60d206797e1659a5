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

mod render;

use std::collections::HashMap;

use crate::model::{Process, Transition};

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

/// One original transition, through its dummy nodes.
struct Chain {
    from: usize,
    to: usize,
    transition: usize,
    back: bool,
    /// Forward: source, dummies..., target. Back: [source, target].
    nodes: Vec<usize>,
    out_x: i32,
    in_x: i32,
    lane_x: i32,
    label_text: Option<String>,
}

/// A piece of a route inside one gap between layers.
struct Seg {
    chain: usize,
    /// Which segment of the chain (forward) or 0 = leaving part, 1 = arriving part (back).
    part: usize,
    /// Columns where the piece enters from the top of the gap.
    tops: Vec<i32>,
    /// Columns where it leaves through the bottom.
    bottoms: Vec<i32>,
    x1: i32,
    x2: i32,
    track: Option<usize>,
}

/// Lay out a process.
pub fn layout(process: &Process) -> Layout {
    let acts = &process.activities;
    let n = acts.len();
    if n == 0 {
        return Layout::default();
    }
    let mut by_name: HashMap<&str, usize> = HashMap::with_capacity(n);
    for (i, a) in acts.iter().enumerate() {
        by_name.entry(a.name.as_str()).or_insert(i);
    }
    let mut dangling = Vec::new();
    // (from, to, transition index)
    let mut raw_edges: Vec<(usize, usize, usize)> = Vec::new();
    let mut out_edges: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, a) in acts.iter().enumerate() {
        for (t, tr) in a.transitions.iter().enumerate() {
            match by_name.get(tr.to.as_str()) {
                Some(&j) => {
                    out_edges[i].push(raw_edges.len());
                    raw_edges.push((i, j, t));
                }
                None => dangling.push((i, t)),
            }
        }
    }

    // 1. Back edges and a topological order, by DFS from start then from the rest.
    let start = acts.iter().position(|a| a.is_start()).unwrap_or(0);
    let mut state = vec![0u8; n]; // 0 new, 1 on stack, 2 done
    let mut back = vec![false; raw_edges.len()];
    let mut post: Vec<usize> = Vec::with_capacity(n);
    let mut preorder = vec![usize::MAX; n];
    let mut counter = 0;
    let roots = std::iter::once(start).chain(0..n);
    for root in roots {
        if state[root] != 0 {
            continue;
        }
        let mut stack: Vec<(usize, usize)> = vec![(root, 0)];
        state[root] = 1;
        preorder[root] = counter;
        counter += 1;
        while let Some(&mut (u, ref mut next)) = stack.last_mut() {
            if *next < out_edges[u].len() {
                let e = out_edges[u][*next];
                *next += 1;
                let v = raw_edges[e].1;
                match state[v] {
                    0 => {
                        state[v] = 1;
                        preorder[v] = counter;
                        counter += 1;
                        stack.push((v, 0));
                    }
                    1 => back[e] = true,
                    _ => {}
                }
            } else {
                state[u] = 2;
                post.push(u);
                stack.pop();
            }
        }
    }

    // 2. Longest-path layers over forward edges, in topological order.
    let mut layer = vec![0usize; n];
    for &u in post.iter().rev() {
        for &e in &out_edges[u] {
            if !back[e] {
                let v = raw_edges[e].1;
                layer[v] = layer[v].max(layer[u] + 1);
            }
        }
    }
    if let Some(end) = acts.iter().position(|a| a.is_end()) {
        let has_forward_out = out_edges[end].iter().any(|&e| !back[e]);
        let deepest_other = (0..n).filter(|&i| i != end).map(|i| layer[i]).max();
        if !has_forward_out
            && let Some(d) = deepest_other
            && d >= layer[end]
        {
            layer[end] = d + 1;
        }
    }
    let n_layers = layer.iter().max().map_or(0, |m| m + 1);

    // 3. Dummy nodes for long forward edges.
    let mut node_layer = layer.clone();
    let mut width: Vec<i32> = Vec::with_capacity(n);
    let mut labels: Vec<String> = Vec::with_capacity(n);
    for (a, outs) in acts.iter().zip(&out_edges) {
        let label = clamp_text(&a.name, MAX_NAME_CHARS);
        // Room for every port (one blank between), and the name with a blank each side.
        width.push(
            (label.chars().count() as i32 + 4)
                .max(2 * outs.len() as i32 + 1)
                .max(7),
        );
        labels.push(label);
    }
    let mut in_degree = vec![0usize; n];
    for &(_, v, _) in &raw_edges {
        in_degree[v] += 1;
    }
    for (v, d) in in_degree.iter().enumerate() {
        width[v] = width[v].max(2 * *d as i32 + 1);
    }
    let mut preds: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut succs: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut chains: Vec<Chain> = Vec::with_capacity(raw_edges.len());
    for (e, &(u, v, t)) in raw_edges.iter().enumerate() {
        let label_text = transition_label(&acts[u].transitions[t]);
        let mut nodes = vec![u];
        if !back[e] {
            for l in layer[u] + 1..layer[v] {
                let d = node_layer.len();
                node_layer.push(l);
                width.push(1);
                preds.push(Vec::new());
                succs.push(Vec::new());
                nodes.push(d);
            }
            nodes.push(v);
            for w in nodes.windows(2) {
                succs[w[0]].push(w[1]);
                preds[w[1]].push(w[0]);
            }
        } else {
            nodes.push(v);
        }
        chains.push(Chain {
            from: u,
            to: v,
            transition: t,
            back: back[e],
            nodes,
            out_x: 0,
            in_x: 0,
            lane_x: 0,
            label_text,
        });
    }
    let total = node_layer.len();

    // 4. Ordering: initial by DFS preorder (dummies after their source's position), then sweeps.
    let mut layers: Vec<Vec<usize>> = vec![Vec::new(); n_layers];
    let mut key: Vec<f64> = vec![0.0; total];
    for v in 0..n {
        key[v] = preorder[v] as f64;
    }
    for c in &chains {
        for (k, &d) in c.nodes.iter().enumerate().skip(1) {
            if d >= n {
                key[d] = key[c.nodes[0]] + k as f64 * 1e-3;
            }
        }
    }
    for v in 0..total {
        layers[node_layer[v]].push(v);
    }
    let mut pos = vec![0usize; total];
    let sort_layer = |layer_nodes: &mut Vec<usize>, key: &[f64], pos: &mut [usize]| {
        layer_nodes.sort_by(|a, b| key[*a].total_cmp(&key[*b]));
        for (i, &v) in layer_nodes.iter().enumerate() {
            pos[v] = i;
        }
    };
    for l in &mut layers {
        sort_layer(l, &key, &mut pos);
    }
    for _ in 0..ORDER_SWEEPS {
        for layer_nodes in layers.iter_mut().skip(1) {
            for &v in layer_nodes.iter() {
                key[v] = barycenter(&preds[v], &pos).unwrap_or(pos[v] as f64);
            }
            sort_layer(layer_nodes, &key, &mut pos);
        }
        for layer_nodes in layers.iter_mut().rev().skip(1) {
            for &v in layer_nodes.iter() {
                key[v] = barycenter(&succs[v], &pos).unwrap_or(pos[v] as f64);
            }
            sort_layer(layer_nodes, &key, &mut pos);
        }
    }

    // 5. x coordinates (centers).
    let mut x = vec![0i32; total];
    for l in &layers {
        let mut left = 0;
        for &v in l {
            x[v] = left + width[v] / 2;
            left += width[v] + H_GAP;
        }
    }
    for _ in 0..PLACE_SWEEPS {
        for layer_nodes in layers.iter().skip(1) {
            place_layer(layer_nodes, &preds, &width, &mut x);
        }
        for layer_nodes in layers.iter().rev().skip(1) {
            place_layer(layer_nodes, &succs, &width, &mut x);
        }
    }
    let min_left = (0..total).map(|v| x[v] - width[v] / 2).min().unwrap_or(0);
    for v in x.iter_mut() {
        *v -= min_left;
    }
    let left_of = |v: usize, x: &[i32]| x[v] - width[v] / 2;

    // 6a. Ports: outgoing on the bottom border ordered by where they go, incoming on the top.
    let mut outs: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut ins: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (c, ch) in chains.iter().enumerate() {
        outs[ch.from].push(c);
        ins[ch.to].push(c);
    }
    for u in 0..n {
        let sort_key = |c: &usize, toward: usize| {
            let ch = &chains[*c];
            if ch.back {
                (1, 0, *c)
            } else {
                (0, x[ch.nodes[toward]], *c)
            }
        };
        outs[u].sort_by_key(|c| sort_key(c, 1));
        ins[u].sort_by_key(|c| {
            let k = chains[*c].nodes.len() - 2;
            sort_key(c, k)
        });
        let (l, w) = (left_of(u, &x), width[u]);
        let k = outs[u].len() as i32;
        for (i, &c) in outs[u].iter().enumerate() {
            chains[c].out_x = l + (i as i32 + 1) * w / (k + 1);
        }
        let k = ins[u].len() as i32;
        for (i, &c) in ins[u].iter().enumerate() {
            chains[c].in_x = l + (i as i32 + 1) * w / (k + 1);
        }
    }

    // 6a'. Straighten: with several ports a box's ports are off its center, so
    // move each box (top down) to where its incoming lines would run straight,
    // as far as order and spacing allow; port offsets stay as assigned.
    let out_off: Vec<i32> = chains.iter().map(|c| c.out_x - x[c.from]).collect();
    let in_off: Vec<i32> = chains.iter().map(|c| c.in_x - x[c.to]).collect();
    let mut incoming: Vec<Vec<(usize, i32)>> = vec![Vec::new(); total];
    for (c, ch) in chains.iter().enumerate().filter(|(_, ch)| !ch.back) {
        let last = ch.nodes.len() - 2;
        for (i, w) in ch.nodes.windows(2).enumerate() {
            let upper = if i == 0 { out_off[c] } else { 0 };
            let lower = if i == last { in_off[c] } else { 0 };
            incoming[w[1]].push((w[0], upper - lower));
        }
    }
    for layer_nodes in layers.iter().skip(1) {
        let desired: Vec<Option<f64>> = layer_nodes
            .iter()
            .map(|&v| {
                let ins = &incoming[v];
                (!ins.is_empty()).then(|| {
                    ins.iter().map(|&(u, d)| (x[u] + d) as f64).sum::<f64>() / ins.len() as f64
                })
            })
            .collect();
        place_toward(layer_nodes, &desired, &width, &mut x);
    }
    let min_left = (0..total).map(|v| x[v] - width[v] / 2).min().unwrap_or(0);
    for v in x.iter_mut() {
        *v -= min_left;
    }
    for (c, ch) in chains.iter_mut().enumerate() {
        ch.out_x = x[ch.from] + out_off[c];
        ch.in_x = x[ch.to] + in_off[c];
    }

    // 6b. Lanes for back edges, right of everything; nested loops get inner lanes.
    // Room for back-edge labels between the diagram and the first lane.
    let label_room = chains
        .iter()
        .filter(|ch| ch.back)
        .filter_map(|ch| ch.label_text.as_ref())
        .map(|t| t.chars().count() as i32 + 2)
        .max()
        .unwrap_or(0);
    let right_edge = (0..total)
        .map(|v| left_of(v, &x) + width[v])
        .max()
        .unwrap_or(0)
        + label_room;
    let mut back_chains: Vec<usize> = (0..chains.len()).filter(|&c| chains[c].back).collect();
    back_chains.sort_by_key(|&c| {
        let ch = &chains[c];
        (layer[ch.from] - layer[ch.to], layer[ch.to], c)
    });
    let mut lanes: Vec<Vec<(usize, usize)>> = Vec::new();
    for &c in &back_chains {
        // Gaps touched: from the gap above the target to the gap below the source.
        let range = (layer[chains[c].to], layer[chains[c].from] + 1);
        let lane = lanes
            .iter()
            .position(|used| used.iter().all(|&(a, b)| range.1 < a || b < range.0))
            .unwrap_or_else(|| {
                lanes.push(Vec::new());
                lanes.len() - 1
            });
        lanes[lane].push(range);
        chains[c].lane_x = right_edge + 1 + 2 * lane as i32;
    }

    // 6c. Pieces per gap; gap g lies above layer g (gap n_layers below the last).
    let mut gaps: Vec<Vec<Seg>> = (0..=n_layers).map(|_| Vec::new()).collect();
    for (c, ch) in chains.iter().enumerate() {
        if ch.back {
            let (gu, gv) = (layer[ch.from] + 1, layer[ch.to]);
            gaps[gu].push(seg(c, 0, vec![ch.out_x, ch.lane_x], vec![]));
            gaps[gv].push(seg(c, 1, vec![], vec![ch.in_x, ch.lane_x]));
        } else {
            let last = ch.nodes.len() - 2;
            for (i, w) in ch.nodes.windows(2).enumerate() {
                let top = if i == 0 { ch.out_x } else { x[w[0]] };
                let bottom = if i == last { ch.in_x } else { x[w[1]] };
                gaps[node_layer[w[0]] + 1].push(seg(c, i, vec![top], vec![bottom]));
            }
        }
    }
    let mut tracks = vec![0usize; n_layers + 1];
    for (g, segs) in gaps.iter_mut().enumerate() {
        tracks[g] = assign_tracks(segs);
    }

    // 6d. Rows: label row when a labelled edge starts in the gap, tracks, one row before the layer.
    let has_label_row: Vec<bool> = gaps
        .iter()
        .map(|segs| {
            segs.iter()
                .any(|s| s.part == 0 && chains[s.chain].label_text.is_some())
        })
        .collect();
    let mut gap_top = vec![0i32; n_layers + 1];
    let mut layer_top = vec![0i32; n_layers];
    let mut y = 0;
    for g in 0..=n_layers {
        gap_top[g] = y;
        let busy = !gaps[g].is_empty();
        let inner = g > 0 && g < n_layers;
        let h = if busy || inner {
            has_label_row[g] as i32 + tracks[g] as i32 + 1
        } else {
            0
        };
        y += h;
        if g < n_layers {
            layer_top[g] = y;
            y += BOX_HEIGHT;
        }
    }
    let track_y = |g: usize, t: usize| gap_top[g] + has_label_row[g] as i32 + t as i32;

    // 6e. Polylines.
    let mut seg_track: HashMap<(usize, usize), i32> = HashMap::new();
    for (g, segs) in gaps.iter().enumerate() {
        for s in segs {
            if let Some(t) = s.track {
                seg_track.insert((s.chain, s.part), track_y(g, t));
            }
        }
    }
    let mut edges: Vec<EdgeRoute> = Vec::with_capacity(chains.len());
    for (c, ch) in chains.iter().enumerate() {
        let src_bottom = layer_top[layer[ch.from]] + BOX_HEIGHT - 1;
        let dst_top = layer_top[layer[ch.to]];
        let mut pts = vec![(ch.out_x, src_bottom)];
        if ch.back {
            // Both pieces of a back edge turn (port and lane differ), so both have tracks.
            let ya = seg_track.get(&(c, 0)).copied().unwrap_or(src_bottom + 1);
            let yb = seg_track.get(&(c, 1)).copied().unwrap_or(dst_top - 1);
            pts.extend([
                (ch.out_x, ya),
                (ch.lane_x, ya),
                (ch.lane_x, yb),
                (ch.in_x, yb),
            ]);
        } else {
            let last = ch.nodes.len() - 2;
            for (i, w) in ch.nodes.windows(2).enumerate() {
                let top = if i == 0 { ch.out_x } else { x[w[0]] };
                let bottom = if i == last { ch.in_x } else { x[w[1]] };
                if let Some(&ty) = seg_track.get(&(c, i)) {
                    pts.push((top, ty));
                    pts.push((bottom, ty));
                }
            }
        }
        pts.push((ch.in_x, dst_top));
        let points = simplify(pts);
        edges.push(EdgeRoute {
            from: ch.from,
            to: ch.to,
            transition: ch.transition,
            back: ch.back,
            bbox: points_bbox(&points),
            points,
            label_text: ch.label_text.clone(),
            label: None,
        });
    }

    // 7. Labels: beside the line just under the source (the gap's label row),
    // else just above the target, between the lines crossing that row.
    let mut taken: HashMap<i32, Vec<(i32, i32)>> = HashMap::new();
    for (g, segs) in gaps.iter().enumerate() {
        let passing: Vec<(i32, i32)> = chains
            .iter()
            .filter(|ch| ch.back && layer[ch.to] < g && g < layer[ch.from] + 1)
            .map(|ch| (ch.lane_x, ch.lane_x))
            .collect();
        if has_label_row[g] {
            let row = taken.entry(gap_top[g]).or_default();
            row.extend(segs.iter().flat_map(|s| s.tops.iter().map(|&c| (c, c))));
            row.extend(&passing);
        }
        if g < n_layers && layer_top[g] > gap_top[g] {
            let row = taken.entry(layer_top[g] - 1).or_default();
            row.extend(segs.iter().flat_map(|s| s.bottoms.iter().map(|&c| (c, c))));
            row.extend(&passing);
        }
    }
    let mut labelled: Vec<usize> = (0..chains.len())
        .filter(|&c| chains[c].label_text.is_some())
        .collect();
    labelled.sort_by_key(|&c| (layer[chains[c].from], chains[c].out_x));
    for c in labelled {
        let ch = &chains[c];
        let text = ch.label_text.as_deref().unwrap_or("");
        let src_row = gap_top[layer[ch.from] + 1];
        let dst_row = layer_top[layer[ch.to]] - 1;
        let at_source = taken
            .get(&src_row)
            .and_then(|t| place_label(ch.out_x, text, t))
            .map(|(x, s)| (x, src_row, s));
        let full = |p: &Option<(i32, i32, String)>| p.as_ref().is_some_and(|p| p.2 == text);
        let placed = if full(&at_source) {
            at_source
        } else {
            let at_target = taken
                .get(&dst_row)
                .and_then(|t| place_label(ch.in_x, text, t))
                .map(|(x, s)| (x, dst_row, s));
            let shown = |p: &Option<(i32, i32, String)>| p.as_ref().map_or(0, |p| p.2.len());
            if full(&at_target) || shown(&at_target) > shown(&at_source) {
                at_target
            } else {
                at_source
            }
        };
        if let Some((lx, row, shown)) = placed {
            let w = shown.chars().count() as i32;
            taken.entry(row).or_default().push((lx - 1, lx + w));
            let e = &mut edges[c];
            e.bbox = e.bbox.union(&Rect::new(lx, row, w, 1));
            e.label = Some(Label {
                x: lx,
                y: row,
                text: shown,
            });
        }
    }

    // Labels may hang left of the diagram: shift everything right to make room.
    let shift = -edges
        .iter()
        .filter_map(|e| e.label.as_ref().map(|l| l.x))
        .min()
        .unwrap_or(0)
        .min(0);
    if shift > 0 {
        for v in x.iter_mut() {
            *v += shift;
        }
        for e in &mut edges {
            for p in &mut e.points {
                p.0 += shift;
            }
            if let Some(l) = &mut e.label {
                l.x += shift;
            }
            e.bbox.x += shift;
        }
    }

    let boxes: Vec<NodeBox> = (0..n)
        .map(|v| NodeBox {
            activity: v,
            rect: Rect::new(left_of(v, &x), layer_top[layer[v]], width[v], BOX_HEIGHT),
            label: std::mem::take(&mut labels[v]),
            layer: layer[v],
            and_split: acts[v].and_split,
            and_join: acts[v].and_join,
            terminal: acts[v].is_start() || acts[v].is_end(),
        })
        .collect();
    let mut bounds = Rect::new(0, 0, 0, 0);
    for b in &boxes {
        bounds = bounds.union(&b.rect);
    }
    for e in &edges {
        bounds = bounds.union(&e.bbox);
    }
    let bounds = Rect::new(0, 0, bounds.right().max(0), bounds.bottom().max(0));
    Layout {
        boxes,
        edges,
        dangling,
        layers: n_layers,
        bounds,
    }
}

fn seg(chain: usize, part: usize, tops: Vec<i32>, bottoms: Vec<i32>) -> Seg {
    let all = tops.iter().chain(&bottoms);
    let x1 = all.clone().copied().min().unwrap_or(0);
    let x2 = all.copied().max().unwrap_or(0);
    Seg {
        chain,
        part,
        tops,
        bottoms,
        x1,
        x2,
        track: None,
    }
}

fn barycenter(neighbours: &[usize], pos: &[usize]) -> Option<f64> {
    if neighbours.is_empty() {
        None
    } else {
        Some(neighbours.iter().map(|&v| pos[v] as f64).sum::<f64>() / neighbours.len() as f64)
    }
}

/// Move a layer's nodes toward the mean x of their neighbours in the adjacent
/// layer, keeping their order and spacing: isotonic regression (pool adjacent
/// violators) on the desired positions minus the minimum offsets.
fn place_layer(nodes: &[usize], neighbours: &[Vec<usize>], width: &[i32], x: &mut [i32]) {
    let desired: Vec<Option<f64>> = nodes
        .iter()
        .map(|&v| {
            (!neighbours[v].is_empty()).then(|| {
                neighbours[v].iter().map(|&u| x[u] as f64).sum::<f64>() / neighbours[v].len() as f64
            })
        })
        .collect();
    place_toward(nodes, &desired, width, x);
}

/// Move a layer's nodes toward their desired centers (`None`: where they are),
/// keeping order and spacing.
fn place_toward(nodes: &[usize], desired: &[Option<f64>], width: &[i32], x: &mut [i32]) {
    if nodes.is_empty() {
        return;
    }
    let mut offset = Vec::with_capacity(nodes.len());
    let mut o = 0i64;
    for (i, &v) in nodes.iter().enumerate() {
        if i > 0 {
            let u = nodes[i - 1];
            o += ((width[u] - width[u] / 2) + width[v] / 2 + H_GAP) as i64;
        }
        offset.push(o);
    }
    // Blocks of (sum, count) over the targets y_i = desired_i - offset_i.
    let mut blocks: Vec<(f64, f64, usize)> = Vec::with_capacity(nodes.len());
    for (i, &v) in nodes.iter().enumerate() {
        let want = desired[i].unwrap_or(x[v] as f64);
        blocks.push((want - offset[i] as f64, 1.0, 1));
        while blocks.len() > 1 {
            let (s2, c2, k2) = blocks[blocks.len() - 1];
            let (s1, c1, k1) = blocks[blocks.len() - 2];
            if s1 / c1 > s2 / c2 {
                blocks.pop();
                let last = blocks.len() - 1;
                blocks[last] = (s1 + s2, c1 + c2, k1 + k2);
            } else {
                break;
            }
        }
    }
    let mut i = 0;
    for (s, c, k) in blocks {
        let y = (s / c).round() as i64;
        for _ in 0..k {
            x[nodes[i]] = (y + offset[i]) as i32;
            i += 1;
        }
    }
}

/// Channel routing of one gap: give every piece that turns a horizontal track
/// so that pieces on a track do not touch, and a piece entering a column from
/// the top is above a piece leaving that column through the bottom. Returns
/// the number of tracks.
fn assign_tracks(segs: &mut [Seg]) -> usize {
    let needs: Vec<usize> = (0..segs.len())
        .filter(|&i| segs[i].x1 != segs[i].x2)
        .collect();
    if needs.is_empty() {
        return 0;
    }
    // above[b] = pieces that must lie above b.
    let mut top_at: HashMap<i32, Vec<usize>> = HashMap::new();
    for &i in &needs {
        for &c in &segs[i].tops {
            top_at.entry(c).or_default().push(i);
        }
    }
    let mut above: HashMap<usize, Vec<usize>> = HashMap::new();
    for &i in &needs {
        for c in &segs[i].bottoms {
            if let Some(ts) = top_at.get(c) {
                for &t in ts {
                    if t != i {
                        above.entry(i).or_default().push(t);
                    }
                }
            }
        }
    }
    let mut remaining = needs;
    remaining.sort_by_key(|&i| (segs[i].x1, segs[i].x2));
    let mut placed = vec![false; segs.len()];
    let mut track = 0;
    while !remaining.is_empty() {
        let mut last_end = i32::MIN / 2;
        let mut now: Vec<usize> = Vec::new();
        for &i in &remaining {
            let ready = above.get(&i).is_none_or(|ts| ts.iter().all(|&t| placed[t]));
            if ready && segs[i].x1 > last_end + 1 {
                now.push(i);
                last_end = segs[i].x2;
            }
        }
        if now.is_empty() {
            // A cycle of constraints: break it with the leftmost piece.
            now.push(remaining[0]);
        }
        for &i in &now {
            segs[i].track = Some(track);
            placed[i] = true;
        }
        remaining.retain(|i| !placed[*i]);
        track += 1;
    }
    track
}

/// Drop points that do not turn.
fn simplify(pts: Vec<(i32, i32)>) -> Vec<(i32, i32)> {
    let mut out: Vec<(i32, i32)> = Vec::with_capacity(pts.len());
    for p in pts {
        if out.last() == Some(&p) {
            continue;
        }
        if out.len() >= 2 {
            let a = out[out.len() - 2];
            let b = out[out.len() - 1];
            if (a.0 == b.0 && b.0 == p.0) || (a.1 == b.1 && b.1 == p.1) {
                out.pop();
            }
        }
        out.push(p);
    }
    out
}

fn points_bbox(points: &[(i32, i32)]) -> Rect {
    let (mut x1, mut y1, mut x2, mut y2) = (i32::MAX, i32::MAX, i32::MIN, i32::MIN);
    for &(x, y) in points {
        x1 = x1.min(x);
        y1 = y1.min(y);
        x2 = x2.max(x);
        y2 = y2.max(y);
    }
    if points.is_empty() {
        Rect::default()
    } else {
        Rect::new(x1, y1, x2 - x1 + 1, y2 - y1 + 1)
    }
}

/// Where a label for the line at column `port` fits in its row: right of the
/// line if the whole text fits, else left, else the roomier side shortened.
fn place_label(port: i32, text: &str, taken: &[(i32, i32)]) -> Option<(i32, String)> {
    let len = text.chars().count() as i32;
    // Free cells right: from port+2 up to (next taken start) - 2.
    let next = taken
        .iter()
        .filter(|(a, _)| *a > port)
        .map(|(a, _)| *a)
        .min()
        .unwrap_or(i32::MAX / 2);
    let prev = taken
        .iter()
        .filter(|(_, b)| *b < port)
        .map(|(_, b)| *b)
        .max()
        .unwrap_or(i32::MIN / 2);
    let right_room = next - port - 3;
    let left_room = port - prev - 3;
    if right_room >= len {
        return Some((port + 2, text.to_string()));
    }
    if left_room >= len {
        return Some((port - 1 - len, text.to_string()));
    }
    let (room, right) = if right_room >= left_room {
        (right_room, true)
    } else {
        (left_room, false)
    };
    if room < 3 {
        return None;
    }
    let shown = clamp_text(text, room as usize);
    let w = shown.chars().count() as i32;
    Some((if right { port + 2 } else { port - 1 - w }, shown))
}

#[cfg(test)]
mod tests;
