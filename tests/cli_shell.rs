//! `bpe completions` and `bpe man` (README, "Shell habits"): generated from the
//! parser's own definitions, so every subcommand and option appears.

use std::process::Output;

mod common;
use common::bpe;

fn stdout(out: &Output) -> String {
    assert!(
        out.status.success(),
        "status {:?}, stderr {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

#[test]
fn completions_name_the_subcommands_and_their_options_per_shell() {
    let bash = stdout(&bpe(&["completions", "bash"]));
    assert!(
        bash.contains("complete -F _bpe"),
        "a bash completion function"
    );
    assert!(bash.contains("workitems") && bash.contains("--dry-run"));
    let zsh = stdout(&bpe(&["completions", "zsh"]));
    assert!(
        zsh.starts_with("#compdef bpe"),
        "{}",
        &zsh[..40.min(zsh.len())]
    );
    assert!(zsh.contains("'--allow-commands[") && zsh.contains("completions"));
    let fish = stdout(&bpe(&["completions", "fish"]));
    assert!(fish.contains("complete -c bpe"));
    assert!(fish.contains("-l dry-run"), "run's --dry-run for fish");
}

#[test]
fn completions_for_an_unknown_shell_are_refused_by_name() {
    let out = bpe(&["completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("tcsh") && err.contains("bash, zsh, fish"),
        "{err}"
    );
}

#[test]
fn man_page_of_bpe_lists_every_visible_subcommand() {
    let page = stdout(&bpe(&["man"]));
    assert!(page.contains(".TH bpe 1"), "a roff title line");
    assert!(page.contains(".SH SUBCOMMANDS"));
    for sub in ["list", "run", "workitems", "locks", "completions", "man"] {
        assert!(page.contains(&format!("bpe\\-{sub}(1)")), "{sub} missing");
    }
    assert!(
        !page.contains("run\\-detached"),
        "the hidden subcommand shows"
    );
    assert!(
        page.contains("\\-\\-poll"),
        "the TUI's options are documented"
    );
}

#[test]
fn man_page_of_a_subcommand_has_its_own_options_and_usage() {
    let page = stdout(&bpe(&["man", "run"]));
    assert!(
        page.contains(".TH bpe-run 1"),
        "{}",
        &page[..200.min(page.len())]
    );
    assert!(page.contains("\\fBbpe run\\fR"), "usage reads `bpe run`");
    assert!(page.contains("\\-\\-dry\\-run"));
    assert!(
        page.contains(env!("CARGO_PKG_VERSION")),
        "the version is named"
    );
    let out = bpe(&["man", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no subcommand \"nope\"") && err.contains("workitems"),
        "{err}"
    );
}
