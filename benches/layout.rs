//! Layout and rendering of a large process (what the TUI does on every edit and redraw).

use bpe::layout::{self, Glyphs, Layout, Rect};
use bpe::model::{Activity, Process, Transition};

fn main() {
    divan::main();
}

/// `n` activities mixing chains, exclusive choices that skip ahead, parallel
/// splits and loops back.
fn generated(n: usize) -> Process {
    let name = |i: usize| format!("Activity number {i}");
    let mut activities = vec![Activity {
        id: "0".into(),
        name: "start".into(),
        transitions: vec![to(name(1), None)],
        ..Default::default()
    }];
    for i in 1..n - 1 {
        let next = if i + 1 < n - 1 {
            name(i + 1)
        } else {
            "end".into()
        };
        let transitions = match i % 7 {
            2 if i + 3 < n - 1 => vec![
                to(name(i + 3), Some(format!("(eq $x {i})"))),
                to(next, None),
            ],
            5 if i > 4 => vec![
                to(name(i - 4), Some("(lt $retries 3)".into())),
                to(next, None),
            ],
            3 if i + 2 < n - 1 => vec![to(next, None), to(name(i + 2), None)],
            _ => vec![to(next, None)],
        };
        activities.push(Activity {
            id: i.to_string(),
            name: name(i),
            and_split: i % 7 == 3,
            transitions,
            ..Default::default()
        });
    }
    activities.push(Activity {
        id: "end".into(),
        name: "end".into(),
        ..Default::default()
    });
    Process {
        activities,
        ..Default::default()
    }
}

fn to(target: String, condition: Option<String>) -> Transition {
    Transition {
        to: target,
        condition,
        comment: String::new(),
    }
}

/// Budget: under 50 ms for 1,000 activities.
#[divan::bench]
fn layout_1000(bencher: divan::Bencher) {
    let p = generated(1000);
    bencher.bench(|| layout::layout(divan::black_box(&p)));
}

/// Budget: under 5 ms for a 200x60 viewport of the 1,000-activity diagram.
#[divan::bench]
fn render_200x60_of_1000(bencher: divan::Bencher) {
    let p = generated(1000);
    let l: Layout = layout::layout(&p);
    let b = l.bounds();
    // A viewport in the middle of the diagram.
    let vp = Rect::new(b.width / 4, b.height / 2, 200, 60);
    bencher.bench(|| layout::render(divan::black_box(&l), vp, Glyphs::Unicode));
}

/// Budget: under 20 ms to re-check a 1,000-activity definition with its source
/// text (the editor re-validates after each edit).
#[divan::bench]
fn validate_1000(bencher: divan::Bencher) {
    let def = bpe::model::TaskDefinition {
        format_version: 1,
        id: "td-bench".into(),
        name: "Bench".into(),
        description: String::new(),
        task_type: "Workflow".into(),
        executor: "bpe.workflow".into(),
        exec_mode: Default::default(),
        suspendable: true,
        sync_control_allowed: true,
        execution_limit: 0,
        result_limit: 0,
        progress_interval: 5000,
        result_trace: false,
        process: generated(1000),
    };
    let text = serde_json::to_string_pretty(&def).expect("serialisable");
    let ctx = bpe::validate::RepoContext::default();
    bencher.bench(|| bpe::validate::validate_definition(divan::black_box(&def), Some(&text), &ctx));
}
