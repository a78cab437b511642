//! The ticket desk's settings admins edit at runtime (PROTOCOL.md §22, "Desk
//! settings"): custom ticket fields, custom statuses, saved (canned) replies and
//! macros. Stored as `desk_settings_set` events on the one `desk_settings`
//! stream; the server's configuration (`[desk]`) seeds them until the first edit.
//! The same types are the configuration's (`agora.toml`'s `[[desk.fields]]` ...).

use crate::ticket::{TicketChanges, TicketStatus};
use serde::{Deserialize, Serialize};

/// Every editable desk setting, as a whole (a `desk_settings_set` replaces them).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DeskSettings {
    /// Custom ticket fields agents may set (no others are accepted).
    #[serde(default)]
    pub fields: Vec<FieldDef>,
    /// Custom statuses, each shown under its own name and behaving as its category.
    #[serde(default)]
    pub statuses: Vec<StatusDef>,
    /// Saved replies, with placeholders `{{requester.name}}`, `{{agent.name}}`,
    /// `{{ticket.id}}`, `{{ticket.subject}}`.
    #[serde(default)]
    pub canned: Vec<CannedDef>,
    /// Several field changes and a reply (or note) in one action.
    #[serde(default)]
    pub macros: Vec<MacroDef>,
}

/// A custom ticket field: its name, its type and, for a choice, the choices.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct FieldDef {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: FieldKind,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    Text,
    Number,
    Choice,
}

/// A custom status: its name and the status category it behaves as.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct StatusDef {
    pub name: String,
    pub category: TicketStatus,
}

/// A saved reply of a team (`""`: every team).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct CannedDef {
    pub name: String,
    #[serde(default)]
    pub team: String,
    pub text: String,
}

/// A macro: field changes plus an optional public reply and internal note
/// (placeholders as in saved replies).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct MacroDef {
    pub name: String,
    #[serde(default)]
    pub changes: TicketChanges,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The reply to `desk_settings` and `set_desk_settings`: the settings in force
/// and the seq of the edit that set them (0: the configuration's, never edited).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DeskSettingsOk {
    pub settings: DeskSettings,
    pub version: u64,
}
