//! Typed keys of editable things. A [`FieldKey`] names one property of a
//! workflow element: a named property ([`Prop`]) or one entry of an action's
//! list (an argument by name, an owner, argv entry, return … by index). The
//! properties pane lists rows by these keys and `set_field` accepts the same.
//!
//! Invariant: `Prop::as_str` is the property's name in the stored JSON (and
//! the label the pane shows); every key maps to at most one [`ItemList`] entry.

use std::fmt;

use crate::model::{Action, ActionKind};

macro_rules! props {
    ($($variant:ident = $name:literal),* $(,)?) => {
        /// A named property of a workflow element (by its JSON name).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Prop {
            $($variant),*
        }

        impl Prop {
            /// The property's name in the stored file and in the pane.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Prop::$variant => $name),*
                }
            }
        }
    };
}

props! {
    Name = "name",
    Id = "id",
    Description = "description",
    TaskType = "taskType",
    Executor = "executor",
    ExecMode = "execMode",
    Suspendable = "suspendable",
    SyncControlAllowed = "syncControlAllowed",
    ExecutionLimit = "executionLimit",
    ResultLimit = "resultLimit",
    ProgressInterval = "progressInterval",
    ResultTrace = "resultTrace",
    MaxSteps = "maxSteps",
    Comment = "comment",
    AndSplit = "andSplit",
    AndJoin = "andJoin",
    From = "from",
    To = "to",
    Condition = "condition",
    Value = "value",
    Input = "input",
    Output = "output",
    External = "external",
    Kind = "kind",
    Expression = "expression",
    Op = "op",
    Process = "process",
    Request = "request",
    Timeout = "timeout",
    ItemType = "itemType",
    ExposedVariables = "exposedVariables",
    EditableVariables = "editableVariables",
    OutputCap = "outputCap",
    ExitCodeTo = "exitCodeTo",
    OutputTo = "outputTo",
    Unsupported = "unsupported",
}

impl fmt::Display for Prop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The key of one editable property of a workflow element.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FieldKey {
    /// A named property (`condition`, `maxSteps`, …).
    Prop(Prop),
    /// The value expression of a service or subprocess action's argument, by name.
    Arg(String),
    /// Owner expression `n` of a manual action.
    Owner(usize),
    /// Exposed variable name `n` of a manual action.
    Exposed(usize),
    /// Editable variable name `n` of a manual action.
    Editable(usize),
    /// argv expression `n` of a command action.
    Argv(usize),
    /// Return `n` of any action (`from -> to`).
    Return(usize),
}

impl From<Prop> for FieldKey {
    fn from(p: Prop) -> FieldKey {
        FieldKey::Prop(p)
    }
}

impl fmt::Display for FieldKey {
    /// How notices name the field: `maxSteps`, `argument email`, `owner 1`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FieldKey::Prop(p) => f.write_str(p.as_str()),
            FieldKey::Arg(name) => write!(f, "argument {}", crate::model::escape_name(name)),
            FieldKey::Owner(n) => write!(f, "owner {}", n + 1),
            FieldKey::Exposed(n) => write!(f, "exposed {}", n + 1),
            FieldKey::Editable(n) => write!(f, "editable {}", n + 1),
            FieldKey::Argv(n) => write!(f, "argv[{n}]"),
            FieldKey::Return(n) => write!(f, "return {}", n + 1),
        }
    }
}

impl FieldKey {
    /// Whether this is the named property `p`.
    pub fn is(&self, p: Prop) -> bool {
        *self == FieldKey::Prop(p)
    }

    /// The list entry this key names in `action`, if it names one.
    pub fn item(&self, action: &Action) -> Option<(ItemList, usize)> {
        match self {
            FieldKey::Arg(name) => match &action.kind {
                ActionKind::Service { arguments, .. }
                | ActionKind::Subprocess { arguments, .. } => arguments
                    .iter()
                    .position(|a| &a.name == name)
                    .map(|i| (ItemList::Argument, i)),
                _ => None,
            },
            FieldKey::Owner(n) => Some((ItemList::Owner, *n)),
            FieldKey::Exposed(n) => Some((ItemList::Exposed, *n)),
            FieldKey::Editable(n) => Some((ItemList::Editable, *n)),
            FieldKey::Argv(n) => Some((ItemList::Argv, *n)),
            FieldKey::Return(n) => Some((ItemList::Return, *n)),
            FieldKey::Prop(_) => None,
        }
    }
}

/// A list inside an action whose entries can be added and removed one at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ItemList {
    /// Named arguments of a service or subprocess action (`name` = value expression).
    Argument,
    /// Owner expressions of a manual action.
    Owner,
    /// Variable names a manual action's work item shows.
    Exposed,
    /// Variable names a manual action's work item may change.
    Editable,
    /// argv expressions of a command action.
    Argv,
    /// `returns` of any action (`from` -> `to`).
    Return,
}

impl ItemList {
    /// A word for notices and the add picker.
    pub fn noun(self) -> &'static str {
        match self {
            ItemList::Argument => "argument",
            ItemList::Owner => "owner",
            ItemList::Exposed => "exposed variable",
            ItemList::Editable => "editable variable",
            ItemList::Argv => "argv entry",
            ItemList::Return => "return",
        }
    }

    /// The key of entry `at` after it is added (to edit it next).
    pub fn key(self, action: &Action, at: usize) -> Option<FieldKey> {
        Some(match self {
            ItemList::Argument => match &action.kind {
                ActionKind::Service { arguments, .. }
                | ActionKind::Subprocess { arguments, .. } => {
                    FieldKey::Arg(arguments.get(at)?.name.clone())
                }
                _ => return None,
            },
            ItemList::Owner => FieldKey::Owner(at),
            ItemList::Exposed => FieldKey::Exposed(at),
            ItemList::Editable => FieldKey::Editable(at),
            ItemList::Argv => FieldKey::Argv(at),
            ItemList::Return => FieldKey::Return(at),
        })
    }

    /// Which lists an action has.
    pub fn of_action(action: &Action) -> Vec<ItemList> {
        let mut out = match &action.kind {
            ActionKind::Service { .. } | ActionKind::Subprocess { .. } => vec![ItemList::Argument],
            ActionKind::Manual(_) => vec![ItemList::Owner, ItemList::Exposed, ItemList::Editable],
            ActionKind::Command(_) => vec![ItemList::Argv],
            ActionKind::Expression { .. } | ActionKind::Unsupported { .. } => Vec::new(),
        };
        out.push(ItemList::Return);
        out
    }
}
