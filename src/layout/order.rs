//! Steps 4–5 of the layout: the order of the nodes within each layer (barycenter
//! sweeps, down and up) and their x coordinates (each node pulled toward the mean of
//! its neighbours, order and spacing kept: isotonic regression per layer).

use super::layering::Graph;
use super::{H_GAP, ORDER_SWEEPS, PLACE_SWEEPS};

/// The nodes of each layer, left to right.
pub(super) fn order(g: &Graph) -> Vec<Vec<usize>> {
    let (n, n_layers) = (g.n, g.n_layers);
    let (node_layer, preds, succs, preorder) = (&g.node_layer, &g.preds, &g.succs, &g.preorder);
    let total = node_layer.len();
    // 4. Ordering: initial by DFS preorder (dummies after their source's position), then sweeps.
    let mut layers: Vec<Vec<usize>> = vec![Vec::new(); n_layers];
    let mut key: Vec<f64> = vec![0.0; total];
    for v in 0..n {
        key[v] = preorder[v] as f64;
    }
    for c in &g.chains {
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
    layers
}

/// The x coordinate (center) of every node, the leftmost box starting at 0.
pub(super) fn place(g: &Graph, layers: &[Vec<usize>]) -> Vec<i32> {
    let (width, preds, succs) = (&g.width, &g.preds, &g.succs);
    let total = g.node_layer.len();
    // 5. x coordinates (centers).
    let mut x = vec![0i32; total];
    for l in layers {
        let mut left = 0;
        for &v in l {
            x[v] = left + width[v] / 2;
            left += width[v] + H_GAP;
        }
    }
    for _ in 0..PLACE_SWEEPS {
        for layer_nodes in layers.iter().skip(1) {
            place_layer(layer_nodes, preds, width, &mut x);
        }
        for layer_nodes in layers.iter().rev().skip(1) {
            place_layer(layer_nodes, succs, width, &mut x);
        }
    }
    let min_left = (0..total).map(|v| x[v] - width[v] / 2).min().unwrap_or(0);
    for v in x.iter_mut() {
        *v -= min_left;
    }
    x
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
pub(super) fn place_toward(nodes: &[usize], desired: &[Option<f64>], width: &[i32], x: &mut [i32]) {
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
