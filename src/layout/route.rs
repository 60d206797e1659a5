//! Steps 6–7 of the layout: ports on the box borders, straightening, lanes for back
//! edges, channel routing of each gap between layers (left-edge algorithm with
//! vertical constraints, so lines never run on top of each other), rows, polylines,
//! and the transition labels placed beside their lines where there is room.

use std::collections::HashMap;

use crate::model::Activity;

use super::layering::Graph;
use super::order::place_toward;
use super::{BOX_HEIGHT, EdgeRoute, Label, Layout, NodeBox, Rect, clamp_text};

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

/// Route every edge of `g` and assemble the layout; `x` comes from [`super::order::place`].
pub(super) fn route(acts: &[Activity], g: Graph, layers: &[Vec<usize>], mut x: Vec<i32>) -> Layout {
    let Graph {
        n,
        layer,
        n_layers,
        node_layer,
        width,
        mut labels,
        mut chains,
        dangling,
        ..
    } = g;
    let total = node_layer.len();
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
