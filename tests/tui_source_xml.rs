//! The editor's source view switches between the JSON file and Waveset XML.

mod tui_common;

use bpe::tui::editor_view::source_lines;
use tui_common::*;

#[test]
fn x_switches_the_source_between_json_and_waveset_xml() {
    let dir = copy_repo(&sample_repository());
    let mut app = app(dir.path());
    open(&mut app, "Onboard Employee");
    press(&mut app, "v");
    let ed = app.editor.as_ref().unwrap();
    assert!(ed.show_source && !ed.source_xml);
    let (json, _) = source_lines(ed);
    assert_eq!(json.first().map(String::as_str), Some("{"), "{json:?}");

    press(&mut app, "X");
    let ed = app.editor.as_ref().unwrap();
    assert!(ed.show_source && ed.source_xml);
    let (xml, range) = source_lines(ed);
    let text = xml.join("\n");
    assert_eq!(text, bpe::waveset::export_definition(&ed.def).trim_end());
    assert!(text.contains("<TaskDefinition"), "{text}");
    assert!(text.contains("Onboard Employee"));
    assert!(range.is_empty());
    // The XML is the workflow itself: it imports back to the same process.
    let back = bpe::waveset::import(&bpe::waveset::export_definition(&ed.def)).unwrap();
    assert_eq!(back.definitions[0].process, ed.def.process);

    press(&mut app, "X");
    let ed = app.editor.as_ref().unwrap();
    assert!(ed.show_source && !ed.source_xml, "back to JSON");
    press(&mut app, "v");
    assert!(!app.editor.as_ref().unwrap().show_source);
    // From the diagram, X opens the source straight in XML.
    press(&mut app, "X");
    let ed = app.editor.as_ref().unwrap();
    assert!(ed.show_source && ed.source_xml);
}
