//! What a key means: the target of the keymap. Serde names (`snake_case`) are
//! what `assets/keymap.json` and the user's keymap file use.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    // Everywhere
    Quit,
    Back,
    Help,
    Redraw,
    // Movement (lists, diagram, help)
    Up,
    Down,
    Left,
    Right,
    PageUp,
    PageDown,
    Top,
    Bottom,
    // Browser
    Open,
    Filter,
    JumpTo,
    Import,
    // Filter / text editing
    Accept,
    Cancel,
    Newline,
    // Editor
    FollowTransition,
    FollowBack,
    FocusNext,
    ToggleOutline,
    ToggleSource,
    ToggleSourceXml,
    WiderProperties,
    NarrowerProperties,
    Edit,
    AddActivity,
    AddAction,
    AddVariable,
    Connect,
    Delete,
    AddItem,
    RemoveItem,
    Rename,
    MoveEarlier,
    MoveLater,
    Undo,
    Redo,
    Save,
    Copy,
    Close,
    // Dialogs
    KeepMine,
    TakeTheirs,
    Restore,
    Discard,
    // Tasks, work items, debug view, debugger
    ShowWorkflows,
    ShowTasks,
    ShowWorkItems,
    ShowDebugView,
    ShowReports,
    CyclePeriod,
    CycleWorkflow,
    Recompute,
    ShowCases,
    NextList,
    ToggleAll,
    Approve,
    Reject,
    Forward,
    Comment,
    CycleStatus,
    Resume,
    Terminate,
    ClearCache,
    SaveCopy,
    SaveCopyRepoint,
    BreakLock,
    Diff,
    Migrate,
    Debug,
    Continue,
    Step,
    StepOver,
    StepInto,
    StepOut,
    RunToCursor,
    Restart,
    Stop,
    StepBack,
    ToggleBreakpoint,
    AddBreakpoint,
    SetVariable,
    AddWatch,
    ClearWatches,
    LeavePending,
    ToggleApply,
    Yes,
    No,
    Skip,
    // Rule tester and expression console
    RuleTester,
    RunRule,
    ToggleFold,
    Console,
    // Rule editor
    NextPane,
    AddArgument,
    DeleteArgument,
    RenameArgument,
    RenameRule,
    ToggleLocked,
    OpenCaller,
    SaveRule,
    CloseRule,
    NextRule,
}

impl Action {
    /// One line for the help screen and `docs/keys.md`.
    pub fn description(self) -> &'static str {
        match self {
            Action::Quit => "quit (asks first when there are unsaved changes)",
            Action::Back => "go back / close the popup",
            Action::Help => "show this help",
            Action::Redraw => "redraw the whole screen",
            Action::Up => "move up",
            Action::Down => "move down",
            Action::Left => "move left",
            Action::Right => "move right",
            Action::PageUp => "page up",
            Action::PageDown => "page down",
            Action::Top => "first item",
            Action::Bottom => "last item",
            Action::Open => "open the selected workflow",
            Action::Filter => "filter the list as you type",
            Action::JumpTo => "jump to an activity, action or variable by name",
            Action::Import => "import a Waveset XML file (asks before writing)",
            Action::Accept => "accept (keep the filter / apply the edit)",
            Action::Cancel => "cancel (clear the filter / drop the edit)",
            Action::Newline => "insert a line break (expressions, a template body)",
            Action::FollowTransition => "follow the next outgoing transition",
            Action::FollowBack => "go back along the followed transitions",
            Action::FocusNext => "switch focus: diagram / properties",
            Action::ToggleOutline => "show or hide the outline",
            Action::ToggleSource => "show or hide the JSON source",
            Action::ToggleSourceXml => "switch the source between JSON and Waveset XML",
            Action::WiderProperties => "widen the properties pane (remembered)",
            Action::NarrowerProperties => "narrow the properties pane (remembered)",
            Action::Edit => "edit the selected property, template field or preview value",
            Action::AddActivity => "add an activity after the selected one",
            Action::AddAction => "add an action from a template",
            Action::AddVariable => "add a variable in the selected scope",
            Action::Connect => "connect the selected activity to another",
            Action::Delete => "delete the selected element",
            Action::AddItem => {
                "add to the action: an argument (catalogue ones first), owner, exposed or editable variable, argv entry, return"
            }
            Action::RemoveItem => {
                "remove the list entry under the cursor (argument, owner, variable name, argv, return; a template preview value)"
            }
            Action::Rename => "rename (references are updated)",
            Action::MoveEarlier => "move the selected element earlier",
            Action::MoveLater => "move the selected element later",
            Action::Undo => "undo the last edit",
            Action::Redo => "redo the undone edit",
            Action::Save => "save the workflow",
            Action::Copy => "copy the selected element's JSON (OSC 52)",
            Action::Close => "close the workflow or email template (asks when modified)",
            Action::KeepMine => "keep my version",
            Action::TakeTheirs => "take the version on disk",
            Action::Restore => "restore the recovery copy",
            Action::Discard => "discard it",
            Action::ShowWorkflows => "show the workflows",
            Action::ShowTasks => "show the tasks (TaskInstances)",
            Action::ShowWorkItems => "show the work items",
            Action::ShowDebugView => "show the debug view (cache, locks)",
            Action::ShowReports => "show the reports (figures of the case journal)",
            Action::CyclePeriod => "reports over the next period: last 7 / 30 / 90 days / all time",
            Action::CycleWorkflow => "reports on the next workflow (then every workflow)",
            Action::Recompute => "compute the figures again from the journal now",
            Action::ShowCases => {
                "list the cases behind the selected figure; on a case, open it in the tasks screen"
            }
            Action::NextList => "move to the next list: workflows, approvers, failures, overdue",
            Action::ToggleAll => "show everyone's items / only mine",
            Action::Approve => "approve",
            Action::Reject => "reject",
            Action::Forward => "forward to another owner",
            Action::Comment => "write the comment",
            Action::CycleStatus => "filter by the next status",
            Action::Resume => "resume: apply due timeouts / continue an abandoned case",
            Action::Terminate => "terminate the selected instance",
            Action::ClearCache => "clear the definition cache (asks for pinned entries)",
            Action::SaveCopy => "save a timestamped copy of the selected version",
            Action::SaveCopyRepoint => "save a timestamped copy and re-point its instances",
            Action::BreakLock => "break the selected stale lock",
            Action::Diff => {
                "diff against… (last save, file on disk, a timestamped copy, a cached version)"
            }
            Action::Migrate => {
                "migrate the selected case to the current version (plan first, then asks)"
            }
            Action::Debug => "start a debug run of this workflow",
            Action::Continue => "continue to the next breakpoint",
            Action::Step => "step: the next action",
            Action::StepOver => "step over (a subprocess is one step)",
            Action::StepInto => "step into a subprocess",
            Action::StepOut => "step out of the current subprocess",
            Action::RunToCursor => "run to the selected activity",
            Action::Restart => "restart the debug run",
            Action::Stop => "stop the debug run",
            Action::StepBack => "step back one step",
            Action::ToggleBreakpoint => "toggle a breakpoint on the selected activity",
            Action::AddBreakpoint => {
                "add a breakpoint (activity, Activity#N action, A->B transition, optional 'if EXPR')"
            }
            Action::SetVariable => "set a variable (NAME = JSON or expression)",
            Action::AddWatch => "add a watch expression",
            Action::ClearWatches => "remove the watches and breakpoints",
            Action::LeavePending => "leave the work item pending (the case suspends)",
            Action::ToggleApply => "switch side effects: dry run / apply",
            Action::Yes => "yes",
            Action::No => "no",
            Action::Skip => "skip the existing ones, import the rest",
            Action::RuleTester => {
                "open the rule tester (run a rule with chosen arguments in dry run)"
            }
            Action::RunRule => "run the selected rule with its arguments in dry run",
            Action::ToggleFold => "fold or unfold the selected node of the trace",
            Action::Console => {
                "expression console: evaluate in the paused case's scope (Up/Down: history)"
            }
            Action::NextPane => "next pane: arguments, description, body, used by",
            Action::AddArgument => "add an argument after the selected one",
            Action::DeleteArgument => "delete the selected argument",
            Action::RenameArgument => "rename the selected argument",
            Action::RenameRule => "rename the rule (every calling workflow and rule is updated)",
            Action::ToggleLocked => {
                "lock or unlock the selected argument (its default always applies)"
            }
            Action::OpenCaller => {
                "open the selected caller (a workflow in the editor, a rule here; asks when modified)"
            }
            Action::SaveRule => "save the rule and the callers a rename updated",
            Action::CloseRule => "close the rule (asks when modified)",
            Action::NextRule => "a rule library's next rule (save this one first)",
        }
    }

    /// A word or two for the footer.
    pub fn short(self) -> &'static str {
        match self {
            Action::Quit => "quit",
            Action::Back => "back",
            Action::Help => "help",
            Action::Redraw => "redraw",
            Action::Up => "up",
            Action::Down => "down",
            Action::Left => "left",
            Action::Right => "right",
            Action::PageUp => "page up",
            Action::PageDown => "page down",
            Action::Top => "top",
            Action::Bottom => "bottom",
            Action::Open => "open",
            Action::Filter => "filter",
            Action::JumpTo => "jump",
            Action::Import => "import",
            Action::Accept => "apply",
            Action::Cancel => "cancel",
            Action::Newline => "newline",
            Action::FollowTransition => "follow",
            Action::FollowBack => "follow back",
            Action::FocusNext => "focus",
            Action::ToggleOutline => "outline",
            Action::ToggleSource => "source",
            Action::ToggleSourceXml => "JSON/XML",
            Action::WiderProperties => "wider",
            Action::NarrowerProperties => "narrower",
            Action::Edit => "edit",
            Action::AddActivity => "add activity",
            Action::AddAction => "add action",
            Action::AddVariable => "add var",
            Action::Connect => "connect",
            Action::Delete => "delete",
            Action::AddItem => "add entry",
            Action::RemoveItem => "remove entry",
            Action::Rename => "rename",
            Action::MoveEarlier => "earlier",
            Action::MoveLater => "later",
            Action::Undo => "undo",
            Action::Redo => "redo",
            Action::Save => "save",
            Action::Copy => "copy",
            Action::Close => "close",
            Action::KeepMine => "keep mine",
            Action::TakeTheirs => "take theirs",
            Action::Restore => "restore",
            Action::Discard => "discard",
            Action::ShowWorkflows => "workflows",
            Action::ShowTasks => "tasks",
            Action::ShowWorkItems => "items",
            Action::ShowDebugView => "debug view",
            Action::ShowReports => "reports",
            Action::CyclePeriod => "period",
            Action::CycleWorkflow => "workflow",
            Action::Recompute => "recompute",
            Action::ShowCases => "cases",
            Action::NextList => "next list",
            Action::ToggleAll => "all/mine",
            Action::Approve => "approve",
            Action::Reject => "reject",
            Action::Forward => "forward",
            Action::Comment => "comment",
            Action::CycleStatus => "status",
            Action::Resume => "resume",
            Action::Terminate => "terminate",
            Action::ClearCache => "clear cache",
            Action::SaveCopy => "save copy",
            Action::SaveCopyRepoint => "copy+repoint",
            Action::BreakLock => "break lock",
            Action::Diff => "diff",
            Action::Migrate => "migrate",
            Action::Debug => "debug",
            Action::Continue => "continue",
            Action::Step => "step",
            Action::StepOver => "step over",
            Action::StepInto => "step into",
            Action::StepOut => "step out",
            Action::RunToCursor => "run to",
            Action::Restart => "restart",
            Action::Stop => "stop",
            Action::StepBack => "back step",
            Action::ToggleBreakpoint => "breakpoint",
            Action::AddBreakpoint => "add bp",
            Action::SetVariable => "set var",
            Action::AddWatch => "watch",
            Action::ClearWatches => "clear",
            Action::LeavePending => "pending",
            Action::ToggleApply => "dry/apply",
            Action::Yes => "yes",
            Action::No => "no",
            Action::Skip => "skip existing",
            Action::RuleTester => "rule tester",
            Action::RunRule => "run",
            Action::ToggleFold => "fold",
            Action::Console => "console",
            Action::NextPane => "pane",
            Action::AddArgument => "add arg",
            Action::DeleteArgument => "delete arg",
            Action::RenameArgument => "rename arg",
            Action::RenameRule => "rename rule",
            Action::ToggleLocked => "locked",
            Action::OpenCaller => "open caller",
            Action::SaveRule => "save",
            Action::CloseRule => "close",
            Action::NextRule => "next rule",
        }
    }

    /// Movement keys are listed in help but left out of the footer to keep it short.
    /// Moves the focus between panes or views (the footer always lists these first).
    pub fn is_focus(self) -> bool {
        matches!(
            self,
            Action::FocusNext | Action::ToggleOutline | Action::ToggleSource | Action::NextPane
        )
    }

    pub fn is_movement(self) -> bool {
        matches!(
            self,
            Action::Up
                | Action::Down
                | Action::Left
                | Action::Right
                | Action::PageUp
                | Action::PageDown
                | Action::Top
                | Action::Bottom
                | Action::Redraw
        )
    }
}
