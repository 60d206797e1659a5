use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use crate::layout::{self, Glyphs};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Repository directory.
    pub repo: PathBuf,
    /// TaskDefinition name (exact).
    pub name: String,
    /// Plain ASCII instead of box-drawing characters.
    #[arg(long)]
    pub ascii: bool,
}

/// Print the whole diagram of a TaskDefinition: boxes, arrows, transition labels.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let repo = super::open_repository(&args.repo)?;
    let def = super::find_definition(&repo, &args.name)?;
    let glyphs = if args.ascii {
        Glyphs::Ascii
    } else {
        Glyphs::Unicode
    };
    let text = diagram_text(&def.value.process, glyphs);
    let mut out = std::io::stdout().lock();
    // Activity names are drawn as they are: escape each line (docs/security.md).
    for line in text.lines() {
        writeln!(out, "{}", crate::model::escape_name(line))?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// The whole diagram as text, one line per row, trailing blanks trimmed.
pub fn diagram_text(process: &crate::model::Process, glyphs: Glyphs) -> String {
    let l = layout::layout(process);
    let mut text = layout::render(&l, l.bounds(), glyphs).to_text();
    for &(a, t) in &l.dangling {
        let act = &process.activities[a];
        text.push_str(&format!(
            "(not drawn: {} -> {}: no such activity)\n",
            act.name, act.transitions[t].to
        ));
    }
    text
}
