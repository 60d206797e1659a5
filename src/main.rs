//! `bpe`: argument parsing and dispatch; nothing else.

use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

use bpe::cli;

/// mimalloc instead of the system allocator: `bpe launch` runs many cases at once,
/// and glibc's malloc took about a quarter of their CPU time (arena locks, free-list
/// consolidation); see docs/launch.md.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A terminal Business Process Editor for identity workflows.
///
/// Without a subcommand, opens the TUI on REPOSITORY (default: the current directory).
#[derive(Parser)]
#[command(name = "bpe", version, about, long_about = None, args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    tui: cli::tui::Args,
}

#[derive(Subcommand)]
enum Command {
    /// List the TaskDefinitions of a repository.
    List(cli::list::Args),
    /// Check every file of a repository; exit 1 when any error is found.
    Validate(cli::validate::Args),
    /// Print a workflow's step diagram as text.
    Diagram(cli::diagram::Args),
    /// Run a workflow until it completes, suspends, terminates or fails.
    Run(cli::run::Args),
    /// Start one case of a workflow per row of an HR feed (CSV or JSON lines).
    Launch(cli::launch::Args),
    /// List TaskInstances.
    Tasks(cli::tasks::Args),
    /// List pending work items.
    Workitems(cli::workitems::Args),
    /// Complete a work item and resume its case.
    Complete(cli::proceed::CompleteArgs),
    /// Forward a work item to another owner.
    Forward(cli::forward::Args),
    /// Continue an interrupted TaskInstance (running, its runner gone).
    Resume(cli::proceed::ResumeArgs),
    /// Terminate an unfinished TaskInstance.
    Terminate(cli::terminate::Args),
    /// Show (or clear) the definition cache.
    Cache(cli::cache::Args),
    /// Save a timestamped copy of a TaskDefinition.
    Snapshot(cli::snapshot::Args),
    /// Show the repository's locks.
    Locks(cli::locks::Args),
    /// Figures on cases, approvals and failures from the case journal.
    Report(cli::report::Args),
    /// Import Waveset XML files into a repository.
    Import(cli::import::Args),
    /// Export a TaskDefinition as Waveset XML.
    Export(cli::export::Args),
    /// Semantic diff of two versions of a TaskDefinition; exit 1 when they differ.
    Diff(cli::diff::Args),
    /// Move a suspended TaskInstance to the current version of a definition.
    Migrate(cli::migrate::Args),
    /// Evaluate an expression against a repository's rules in dry run; exit 1 when it fails.
    Eval(cli::eval::Args),
    /// Call a repository rule with arguments in dry run; exit 1 when it fails.
    TestRule(cli::test_rule::Args),
    /// Print a shell completion script (bash, zsh or fish).
    Completions(cli::shell::CompletionsArgs),
    /// Print the man page (roff) of bpe or of one subcommand.
    Man(cli::shell::ManArgs),
    /// Internal: the background process of an `execMode: async` run.
    #[command(hide = true)]
    RunDetached(cli::detached::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        None => cli::tui::run(cli.tui),
        Some(Command::List(a)) => cli::list::run(a),
        Some(Command::Validate(a)) => cli::validate::run(a),
        Some(Command::Diagram(a)) => cli::diagram::run(a),
        Some(Command::Run(a)) => cli::run::run(a),
        Some(Command::Launch(a)) => cli::launch::run(a),
        Some(Command::Tasks(a)) => cli::tasks::run(a),
        Some(Command::Workitems(a)) => cli::workitems::run(a),
        Some(Command::Complete(a)) => cli::proceed::complete(a),
        Some(Command::Forward(a)) => cli::forward::run(a),
        Some(Command::Resume(a)) => cli::proceed::resume(a),
        Some(Command::Terminate(a)) => cli::terminate::run(a),
        Some(Command::Cache(a)) => cli::cache::run(a),
        Some(Command::Snapshot(a)) => cli::snapshot::run(a),
        Some(Command::Locks(a)) => cli::locks::run(a),
        Some(Command::Report(a)) => cli::report::run(a),
        Some(Command::Import(a)) => cli::import::run(a),
        Some(Command::Export(a)) => cli::export::run(a),
        Some(Command::Diff(a)) => cli::diff::run(a),
        Some(Command::Migrate(a)) => cli::migrate::run(a),
        Some(Command::Eval(a)) => cli::eval::run(a),
        Some(Command::TestRule(a)) => cli::test_rule::run(a),
        Some(Command::Completions(a)) => cli::shell::run_completions(a, Cli::command()),
        Some(Command::Man(a)) => cli::shell::run_man(a, Cli::command()),
        Some(Command::RunDetached(a)) => cli::detached::run(a),
    };
    match result {
        Ok(code) => code,
        // The reader of our output went away (`bpe tasks | head`): stop quietly,
        // with the status of a process ended by SIGPIPE, like other Unix tools.
        Err(err) if cli::is_broken_pipe(&err) => ExitCode::from(141),
        Err(err) => {
            eprintln!("bpe: {}", bpe::model::escape_name(&format!("{err:#}")));
            ExitCode::from(2)
        }
    }
}
