//! Waveset XML import/export throughput.
//!
//! Budgets (release build, one core):
//! - `import_1000_definitions`: importing 1,000 TaskDefinitions (one `<Waveset>`
//!   document, each definition shaped like the sample repository's workflows)
//!   takes under 2 s.
//! - `export_1000_definitions`: exporting them back takes under 1 s.

use bpe::model::TaskDefinition;
use bpe::waveset;

fn main() {
    divan::main();
}

/// A realistic definition: the sample repository's largest workflow when present,
/// else the hand-written fixture.
fn template() -> TaskDefinition {
    let root = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/sample-repository/TaskDefinition"
    );
    let mut best: Option<TaskDefinition> = None;
    if let Ok(rd) = std::fs::read_dir(root) {
        for entry in rd.flatten() {
            let Ok(text) = std::fs::read_to_string(entry.path()) else {
                continue;
            };
            let Ok(def) = serde_json::from_str::<TaskDefinition>(&text) else {
                continue;
            };
            let size = def.process.activities.len();
            if best
                .as_ref()
                .is_none_or(|b| b.process.activities.len() < size)
            {
                best = Some(def);
            }
        }
    }
    best.unwrap_or_else(|| {
        let xml = include_str!("../tests/fixtures/waveset/create-user.xml");
        waveset::import(xml)
            .expect("fixture imports")
            .definitions
            .remove(0)
    })
}

fn thousand() -> Vec<TaskDefinition> {
    let base = template();
    (0..1000)
        .map(|i| {
            let mut d = base.clone();
            d.name = format!("{} {i}", base.name);
            d.id = format!("td-{i:016x}");
            d
        })
        .collect()
}

/// One `<Waveset>` document holding 1,000 definitions.
fn document(defs: &[TaskDefinition]) -> String {
    let mut xml = String::from("<?xml version='1.0' encoding='UTF-8'?>\n<Waveset>\n");
    for d in defs {
        let one = waveset::export_definition(d);
        // Drop the per-object prolog (declaration and DOCTYPE).
        let body = one.splitn(3, '\n').nth(2).unwrap_or("");
        xml.push_str(body);
    }
    xml.push_str("</Waveset>\n");
    xml
}

#[divan::bench(sample_count = 5)]
fn import_1000_definitions(bencher: divan::Bencher) {
    let xml = document(&thousand());
    bencher.bench(|| {
        let imported = waveset::import(divan::black_box(&xml)).expect("imports");
        assert_eq!(imported.definitions.len(), 1000);
        imported
    });
}

#[divan::bench(sample_count = 5)]
fn export_1000_definitions(bencher: divan::Bencher) {
    let defs = thousand();
    bencher.bench(|| {
        defs.iter()
            .map(|d| waveset::export_definition(divan::black_box(d)).len())
            .sum::<usize>()
    });
}
