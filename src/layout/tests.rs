use std::collections::HashMap;

use super::*;
use crate::model::{Activity, Process, Transition};

/// (target, condition) of a transition.
type Arc<'a> = (&'a str, Option<&'a str>);

/// A process from (name, [(target, condition)]) rows.
fn process(rows: &[(&str, &[Arc])]) -> Process {
    Process {
        activities: rows
            .iter()
            .enumerate()
            .map(|(i, (name, ts))| Activity {
                id: i.to_string(),
                name: name.to_string(),
                transitions: ts
                    .iter()
                    .map(|(to, c)| Transition {
                        to: to.to_string(),
                        condition: c.map(str::to_string),
                        comment: String::new(),
                    })
                    .collect(),
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    }
}

/// A large process mixing chains, exclusive choices, parallel splits and loops.
pub(crate) fn generated(n: usize) -> Process {
    type Row = (String, Vec<(String, Option<String>)>);
    let mut rows: Vec<Row> = Vec::new();
    let name = |i: usize| format!("Step {i}");
    rows.push(("start".into(), vec![(name(1), None)]));
    for i in 1..n {
        let mut ts = Vec::new();
        let next = if i + 1 < n { name(i + 1) } else { "end".into() };
        match i % 7 {
            // A choice skipping ahead.
            2 if i + 3 < n => {
                ts.push((name(i + 3), Some(format!("(eq $x {i})"))));
                ts.push((next, None));
            }
            // A loop back.
            5 if i > 4 => {
                ts.push((name(i - 4), Some("(lt $n 3)".to_string())));
                ts.push((next, None));
            }
            // A parallel split of two branches.
            3 if i + 2 < n => {
                ts.push((next, None));
                ts.push((name(i + 2), None));
            }
            _ => ts.push((next, None)),
        }
        rows.push((name(i), ts));
    }
    rows.push(("end".into(), vec![]));
    Process {
        activities: rows
            .into_iter()
            .enumerate()
            .map(|(i, (name, ts))| Activity {
                id: i.to_string(),
                and_split: i % 7 == 3,
                name,
                transitions: ts
                    .into_iter()
                    .map(|(to, condition)| Transition {
                        to,
                        condition,
                        comment: String::new(),
                    })
                    .collect(),
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    }
}

/// Structural invariants every layout must satisfy.
fn check_invariants(p: &Process, l: &Layout) {
    assert_eq!(l.boxes.len(), p.activities.len());
    let bounds = l.bounds();
    for (i, a) in l.boxes.iter().enumerate() {
        assert!(
            a.rect.x >= 0 && a.rect.y >= 0,
            "box {i} at negative position"
        );
        assert!(a.rect.right() <= bounds.right() && a.rect.bottom() <= bounds.bottom());
        for b in &l.boxes[i + 1..] {
            assert!(
                !a.rect.intersects(&b.rect),
                "boxes {} and {} overlap",
                a.activity,
                b.activity
            );
        }
    }
    // Cells used by each orientation: no two routes run along the same cell.
    let mut vertical: HashMap<(i32, i32), usize> = HashMap::new();
    let mut horizontal: HashMap<(i32, i32), usize> = HashMap::new();
    for (e, r) in l.edges.iter().enumerate() {
        let src = l.boxes[r.from].rect;
        let dst = l.boxes[r.to].rect;
        let (fx, fy) = r.points[0];
        let (lx, ly) = *r.points.last().unwrap();
        assert_eq!(
            fy,
            src.bottom() - 1,
            "edge {e} does not leave the bottom border"
        );
        assert!(
            fx > src.x && fx < src.right() - 1,
            "edge {e} port outside the border"
        );
        assert_eq!(ly, dst.y, "edge {e} does not enter the top border");
        assert!(lx > dst.x && lx < dst.right() - 1);
        for w in r.points.windows(2) {
            assert!(
                w[0].0 == w[1].0 || w[0].1 == w[1].1,
                "edge {e} not orthogonal"
            );
            let map = if w[0].0 == w[1].0 {
                &mut vertical
            } else {
                &mut horizontal
            };
            let ((x1, y1), (x2, y2)) = (w[0], w[1]);
            let n = (x2 - x1).abs().max((y2 - y1).abs());
            for k in 1..n {
                let c = (x1 + (x2 - x1).signum() * k, y1 + (y2 - y1).signum() * k);
                if let Some(other) = map.insert(c, e) {
                    assert_eq!(other, e, "edges {other} and {e} overlap at {c:?}");
                }
            }
        }
        for (x, y) in r.cells() {
            assert!(
                bounds.contains(x, y),
                "edge {e} leaves the bounds at {x},{y}"
            );
            for b in &l.boxes {
                let inside = x > b.rect.x
                    && x < b.rect.right() - 1
                    && y > b.rect.y
                    && y < b.rect.bottom() - 1;
                assert!(!inside, "edge {e} crosses the inside of box {}", b.activity);
            }
        }
        if r.back {
            let right = l.boxes.iter().map(|b| b.rect.right()).max().unwrap();
            assert!(
                r.points.iter().any(|p| p.0 >= right),
                "back edge {e} not routed on the right"
            );
        }
    }
}

#[test]
fn a_line_is_one_column() {
    let p = process(&[
        ("start", &[("A", None)]),
        ("A", &[("B", None)]),
        ("B", &[("end", None)]),
        ("end", &[]),
    ]);
    let l = layout(&p);
    check_invariants(&p, &l);
    let layers: Vec<usize> = l.boxes.iter().map(|b| b.layer).collect();
    assert_eq!(layers, [0, 1, 2, 3]);
    let centers: Vec<i32> = l.boxes.iter().map(|b| b.rect.center().0).collect();
    assert!(centers.iter().all(|&c| c == centers[0]), "{centers:?}");
    // Straight edges: two points each.
    assert!(l.edges.iter().all(|e| e.points.len() == 2 && !e.back));
}

#[test]
fn loops_are_back_edges_on_the_right() {
    let p = process(&[
        ("start", &[("Try", None)]),
        ("Try", &[("Check", None)]),
        ("Check", &[("Try", Some("(lt $n 3)")), ("end", None)]),
        ("end", &[]),
    ]);
    let l = layout(&p);
    check_invariants(&p, &l);
    let back: Vec<&EdgeRoute> = l.edges.iter().filter(|e| e.back).collect();
    assert_eq!(back.len(), 1);
    assert_eq!((back[0].from, back[0].to), (2, 1));
    assert_eq!(back[0].label_text.as_deref(), Some("(lt $n 3)"));
    assert!(back[0].label.is_some());
    // end stays at the bottom.
    assert_eq!(l.boxes[3].layer, 3);
}

#[test]
fn self_loop_is_routed() {
    let p = process(&[
        ("start", &[("Wait", None)]),
        ("Wait", &[("Wait", Some("$again")), ("end", None)]),
        ("end", &[]),
    ]);
    let l = layout(&p);
    check_invariants(&p, &l);
    assert!(l.edges.iter().any(|e| e.back && e.from == 1 && e.to == 1));
}

#[test]
fn long_edges_skip_layers_without_crossing_boxes() {
    let p = process(&[
        ("start", &[("A", None), ("end", Some("$skip"))]),
        ("A", &[("B", None)]),
        ("B", &[("C", None)]),
        ("C", &[("end", None)]),
        ("end", &[]),
    ]);
    let l = layout(&p);
    check_invariants(&p, &l);
}

#[test]
fn dangling_transitions_are_listed_not_drawn() {
    let p = process(&[("start", &[("Nowhere", None), ("end", None)]), ("end", &[])]);
    let l = layout(&p);
    assert_eq!(l.dangling, vec![(0, 0)]);
    assert_eq!(l.edges.len(), 1);
}

#[test]
fn empty_and_unreachable() {
    assert_eq!(layout(&Process::default()).bounds(), Rect::default());
    let p = process(&[
        ("start", &[("end", None)]),
        ("Orphan", &[("end", None)]),
        ("end", &[]),
    ]);
    let l = layout(&p);
    check_invariants(&p, &l);
}

#[test]
fn generated_processes_keep_the_invariants() {
    for n in [10, 37, 120] {
        let p = generated(n);
        let l = layout(&p);
        check_invariants(&p, &l);
        assert!(l.edges.iter().any(|e| e.back));
    }
}

#[test]
fn long_names_are_clamped() {
    let long = "A very long activity name that goes on and on";
    let p = process(&[
        ("start", &[(long, None)]),
        (long, &[("end", None)]),
        ("end", &[]),
    ]);
    let l = layout(&p);
    assert_eq!(l.boxes[1].label.chars().count(), MAX_NAME_CHARS);
    assert!(l.boxes[1].label.ends_with('…'));
    assert_eq!(l.boxes[1].rect.width, MAX_NAME_CHARS as i32 + 4);
}

#[test]
fn neighbours() {
    let p = process(&[
        ("start", &[("Left", Some("$a")), ("Right", None)]),
        ("Left", &[("end", None)]),
        ("Right", &[("end", None)]),
        ("end", &[]),
    ]);
    let l = layout(&p);
    check_invariants(&p, &l);
    let left = if l.boxes[1].rect.x < l.boxes[2].rect.x {
        1
    } else {
        2
    };
    let right = 3 - left;
    assert_eq!(l.neighbour(left, Direction::Right), Some(right));
    assert_eq!(l.neighbour(right, Direction::Left), Some(left));
    assert_eq!(l.neighbour(left, Direction::Down), Some(3));
    assert_eq!(l.neighbour(right, Direction::Up), Some(0));
    assert_eq!(l.neighbour(0, Direction::Up), None);
    assert_eq!(l.neighbour(3, Direction::Down), None);
    assert_eq!(l.neighbour(9, Direction::Down), None);
}

#[test]
fn viewport_render_equals_the_same_slice_of_the_full_render() {
    let p = generated(60);
    let l = layout(&p);
    let full = render(&l, l.bounds(), Glyphs::Unicode);
    for vp in [
        Rect::new(3, 5, 40, 12),
        Rect::new(l.bounds().width - 10, 0, 30, 30),
        Rect::new(-5, -5, 20, 20),
    ] {
        let part = render(&l, vp, Glyphs::Unicode);
        for row in 0..vp.height {
            for col in 0..vp.width {
                let (x, y) = (vp.x + col, vp.y + row);
                let expected = full.at(x, y).copied().unwrap_or_default();
                assert_eq!(part.get(col, row).copied(), Some(expected), "at {x},{y}");
            }
        }
    }
}

#[test]
fn ascii_render_is_ascii_and_cells_know_their_owner() {
    let p = generated(30);
    let l = layout(&p);
    let c = render(&l, l.bounds(), Glyphs::Ascii);
    let text = c.to_text();
    assert!(text.is_ascii(), "{text}");
    // Every box's name cell is owned by its activity.
    for b in &l.boxes {
        let (x, y) = (b.rect.x, b.rect.y + 1);
        assert_eq!(c.at(x, y).unwrap().owner, Owner::Activity(b.activity));
    }
    // Each route's arrow cell is owned by the route.
    for (e, r) in l.edges.iter().enumerate() {
        let (x, y) = *r.points.last().unwrap();
        let cell = c.at(x, y).unwrap();
        assert_eq!(
            (cell.ch, cell.class, cell.owner),
            ('v', CellClass::Arrow, Owner::Edge(e))
        );
    }
}

#[test]
fn labels_do_not_overlap_lines_or_each_other() {
    let p = process(&[
        ("start", &[("Check", None)]),
        (
            "Check",
            &[
                ("A", Some("(eq $decision \"approve\")")),
                ("B", Some("(eq $decision \"reject\")")),
                ("C", None),
            ],
        ),
        ("A", &[("end", None)]),
        ("B", &[("end", None)]),
        ("C", &[("end", None)]),
        ("end", &[]),
    ]);
    let l = layout(&p);
    check_invariants(&p, &l);
    let c = render(&l, l.bounds(), Glyphs::Unicode);
    for (e, r) in l.edges.iter().enumerate() {
        if let Some(label) = &r.label {
            for k in 0..label.text.chars().count() as i32 {
                let cell = c.at(label.x + k, label.y).unwrap();
                assert_eq!((cell.class, cell.owner), (CellClass::Label, Owner::Edge(e)));
            }
        }
    }
    assert_eq!(l.edges.iter().filter(|e| e.label.is_some()).count(), 2);
}

/// Snapshots of small processes, drawn in full. Reviewed by eye: boxes closed,
/// every arrow on its target's top border, labels beside their own line.
mod snapshots {
    use super::*;

    fn draw(p: &Process, glyphs: Glyphs) -> String {
        let l = layout(p);
        render(&l, l.bounds(), glyphs).to_text()
    }

    fn split_join() -> Process {
        let mut p = process(&[
            ("start", &[("Fork", None)]),
            (
                "Fork",
                &[("Create Account", None), ("Notify Manager", None)],
            ),
            ("Create Account", &[("Join", None)]),
            ("Notify Manager", &[("Join", None)]),
            ("Join", &[("end", None)]),
            ("end", &[]),
        ]);
        p.activities[1].and_split = true;
        p.activities[4].and_join = true;
        p
    }

    #[test]
    fn line() {
        let p = process(&[
            ("start", &[("Create User", None)]),
            ("Create User", &[("Send Welcome", None)]),
            ("Send Welcome", &[("end", None)]),
            ("end", &[]),
        ]);
        insta::assert_snapshot!(draw(&p, Glyphs::Unicode));
        insta::assert_snapshot!("line_ascii", draw(&p, Glyphs::Ascii));
    }

    #[test]
    fn exclusive_choice_with_labels() {
        let mut p = process(&[
            ("start", &[("Approve", None)]),
            (
                "Approve",
                &[
                    ("Provision", Some("(eq $decision \"approve\")")),
                    ("Reject", None),
                ],
            ),
            ("Provision", &[("end", None)]),
            ("Reject", &[("end", None)]),
            ("end", &[]),
        ]);
        p.activities[1].transitions[1].comment = "otherwise".into();
        insta::assert_snapshot!(draw(&p, Glyphs::Unicode));
    }

    #[test]
    fn parallel_split_and_join() {
        insta::assert_snapshot!(draw(&split_join(), Glyphs::Unicode));
        insta::assert_snapshot!(
            "parallel_split_and_join_ascii",
            draw(&split_join(), Glyphs::Ascii)
        );
    }

    #[test]
    fn loop_back_edge() {
        let p = process(&[
            ("start", &[("Provision", None)]),
            ("Provision", &[("Check Result", None)]),
            (
                "Check Result",
                &[("Provision", Some("$WF_ACTION_ERROR")), ("end", None)],
            ),
            ("end", &[]),
        ]);
        insta::assert_snapshot!(draw(&p, Glyphs::Unicode));
    }
}
