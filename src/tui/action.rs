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
            Action::Accept => "accept (keep the filter / apply the edit)",
            Action::Cancel => "cancel (clear the filter / drop the edit)",
            Action::Newline => "insert a line break (expressions)",
            Action::FollowTransition => "follow the next outgoing transition",
            Action::FollowBack => "go back along the followed transitions",
            Action::FocusNext => "switch focus: diagram / properties",
            Action::ToggleOutline => "show or hide the outline",
            Action::ToggleSource => "show or hide the JSON source",
            Action::Edit => "edit the selected property",
            Action::AddActivity => "add an activity after the selected one",
            Action::AddAction => "add an action from a template",
            Action::AddVariable => "add a variable in the selected scope",
            Action::Connect => "connect the selected activity to another",
            Action::Delete => "delete the selected element",
            Action::AddItem => {
                "add to the action: an argument (catalogue ones first), owner, exposed or editable variable, argv entry, return"
            }
            Action::RemoveItem => {
                "remove the list entry under the cursor (argument, owner, variable name, argv, return)"
            }
            Action::Rename => "rename (references are updated)",
            Action::MoveEarlier => "move the selected element earlier",
            Action::MoveLater => "move the selected element later",
            Action::Undo => "undo the last edit",
            Action::Redo => "redo the undone edit",
            Action::Save => "save the workflow",
            Action::Copy => "copy the selected element's JSON (OSC 52)",
            Action::Close => "close the workflow (asks when modified)",
            Action::KeepMine => "keep my version",
            Action::TakeTheirs => "take the version on disk",
            Action::Restore => "restore the recovery copy",
            Action::Discard => "discard it",
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
            Action::Accept => "apply",
            Action::Cancel => "cancel",
            Action::Newline => "newline",
            Action::FollowTransition => "follow",
            Action::FollowBack => "follow back",
            Action::FocusNext => "focus",
            Action::ToggleOutline => "outline",
            Action::ToggleSource => "source",
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
        }
    }

    /// Movement keys are listed in help but left out of the footer to keep it short.
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
