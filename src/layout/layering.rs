//! Steps 1–3 of the layout: back edges and a topological order, longest-path layers,
//! and one-cell dummy nodes for forward edges that span several layers. The result,
//! [`Graph`], is what ordering and routing work on; node indices below
//! `acts.len()` are activities, the rest dummies.

use std::collections::HashMap;

use crate::model::Activity;

use super::{MAX_NAME_CHARS, clamp_text, transition_label};

/// One original transition, through its dummy nodes.
pub(super) struct Chain {
    pub(super) from: usize,
    pub(super) to: usize,
    pub(super) transition: usize,
    pub(super) back: bool,
    /// Forward: source, dummies..., target. Back: [source, target].
    pub(super) nodes: Vec<usize>,
    pub(super) out_x: i32,
    pub(super) in_x: i32,
    pub(super) lane_x: i32,
    pub(super) label_text: Option<String>,
}

/// The layered graph: activities and dummies with their layers, widths and neighbours.
pub(super) struct Graph {
    /// Number of activities (nodes `0..n`); dummies follow.
    pub(super) n: usize,
    /// Layer of each activity.
    pub(super) layer: Vec<usize>,
    pub(super) n_layers: usize,
    /// Layer of every node, dummies included.
    pub(super) node_layer: Vec<usize>,
    /// Box width of every node (1 for a dummy).
    pub(super) width: Vec<i32>,
    /// Each activity's name as shown (clamped).
    pub(super) labels: Vec<String>,
    pub(super) preds: Vec<Vec<usize>>,
    pub(super) succs: Vec<Vec<usize>>,
    pub(super) chains: Vec<Chain>,
    /// Depth-first preorder of each activity: the initial order within a layer.
    pub(super) preorder: Vec<usize>,
    /// Transitions to an activity that does not exist: (activity, transition index).
    pub(super) dangling: Vec<(usize, usize)>,
}

impl Graph {
    pub(super) fn build(acts: &[Activity]) -> Graph {
        let n = acts.len();
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

        Graph {
            n,
            layer,
            n_layers,
            node_layer,
            width,
            labels,
            preds,
            succs,
            chains,
            preorder,
            dangling,
        }
    }
}
