//! `desk_settings`: the ticket desk's settings admins edit at runtime (custom
//! ticket fields, custom statuses, saved replies, macros), one stream with id
//! `desk_settings`. Each edit is one `desk_settings_set` event replacing them as
//! a whole, decided on the version it was made from (a stale edit is a
//! `conflict` with the current settings), folded into [`DeskSettingsState`].
//! Until the first edit the server's configuration (`[desk]`) is in force
//! ([`current`]); the first edit creates the stream. Staff read it.
//!
//! What does not live here: checking a ticket change against the settings
//! (`ops/tickets.rs`) and the wire types (`agora_protocol::desk_settings`).

use crate::app::App;
use crate::error::{AppError, AppResult};
use crate::streams::kind::{Append, Cx, Decision, Kind, NameClaim};
use crate::streams::kinds::KindState;
use crate::streams::visibility::{Actor, Audience};
use crate::streams::{Action, StreamState};
use agora_protocol::desk_settings::{DeskSettings, DeskSettingsOk};
use agora_protocol::ops::Role;
use agora_protocol::{Event, EventBody, StreamId, StreamKind};
use serde::{Deserialize, Serialize};

/// The settings stream's id.
pub const DESK_SETTINGS_STREAM: &str = "desk_settings";

pub fn stream_id() -> StreamId {
    StreamId::from(DESK_SETTINGS_STREAM)
}

/// The settings stream's own state: the settings and the seq of the edit that set them.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DeskSettingsState {
    #[serde(default)]
    pub settings: DeskSettings,
    #[serde(default)]
    pub version: u64,
}

/// What may be asked of the settings stream.
#[derive(Clone, Debug)]
pub enum DeskSettingsAction {
    /// Replace the settings, decided on `version` (0: the configuration's).
    Set { version: u64, settings: Box<DeskSettings> },
}

/// The create action of the settings stream (made by the first edit).
pub fn create() -> Action {
    Action::Create {
        kind: StreamKind::DeskSettings,
        name: DESK_SETTINGS_STREAM.into(),
        topic: String::new(),
        members: Vec::new(),
    }
}

/// The settings in force: the last edit's, or the configuration's before any.
pub fn current(app: &App) -> DeskSettingsOk {
    if let Some(entry) = app.registry.get(&stream_id()) {
        if let KindState::DeskSettings(s) = &entry.read().ext {
            return DeskSettingsOk { settings: s.settings.clone(), version: s.version };
        }
    }
    DeskSettingsOk { settings: app.config.desk.settings(), version: 0 }
}

fn version_of(st: &StreamState) -> u64 {
    match &st.ext {
        KindState::DeskSettings(s) => s.version,
        _ => 0,
    }
}

pub struct DeskSettingsKind;

impl Kind for DeskSettingsKind {
    fn decide(&self, st: Option<&StreamState>, cx: &Cx<'_>, action: Action) -> AppResult<Decision> {
        let who = cx.actor;
        match (st, action) {
            (None, Action::Create { kind, name, topic, .. }) => {
                if who.role != Role::Admin && *who != Actor::system() {
                    return Err(AppError::Forbidden("admins only".into()));
                }
                Ok(Append::event(EventBody::StreamCreated { kind, name, topic, members: Vec::new() }).into())
            }
            (None, _) => Err(AppError::not_found_stream()),
            (Some(_), Action::Create { .. }) => Ok(Decision::AlreadySo),
            (Some(st), Action::DeskSettings(DeskSettingsAction::Set { version, settings })) => {
                if who.role != Role::Admin {
                    return Err(AppError::Forbidden("admins only".into()));
                }
                let now = version_of(st);
                if version != now {
                    let current = match &st.ext {
                        KindState::DeskSettings(s) => s.settings.clone(),
                        _ => DeskSettings::default(),
                    };
                    let details =
                        serde_json::to_value(DeskSettingsOk { settings: current, version: now }).unwrap_or_default();
                    return Err(AppError::conflict_with(
                        format!("the desk settings changed since version {version} (they are at {now})"),
                        details,
                    ));
                }
                Ok(Append::event(EventBody::DeskSettingsSet { settings }).into())
            }
            (Some(_), _) => Err(AppError::Forbidden("the desk settings take no posts".into())),
        }
    }

    fn fold(&self, st: &mut StreamState, ev: &Event) {
        if !matches!(st.ext, KindState::DeskSettings(_)) {
            st.ext = KindState::DeskSettings(Box::default());
        }
        if let (KindState::DeskSettings(s), EventBody::DeskSettingsSet { settings }) = (&mut st.ext, &ev.body) {
            s.settings = (**settings).clone();
            s.version = ev.seq.0;
        }
    }

    fn can_read(&self, _st: &StreamState, who: &Actor) -> bool {
        who.role.is_staff() || *who == Actor::system()
    }

    fn can_write(&self, _st: &StreamState, _who: &Actor) -> bool {
        false
    }

    fn audience(&self, _st: &StreamState, _ev: &Event) -> Audience {
        Audience::everyone()
    }

    fn name_claim(&self, _st: &StreamState) -> Option<NameClaim> {
        None
    }

    fn listed(&self) -> bool {
        false
    }
}
