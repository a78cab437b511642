//! TypeScript declarations of the wire types, for the JS SDK (`clients/js/src/protocol.gen.ts`).
//!
//! Only with the `ts` feature. Every wire type derives `ts_rs::TS` with one line,
//!
//! ```text
//! #[cfg_attr(feature = "ts", derive(ts_rs::TS))]
//! ```
//!
//! under its serde derive; a catch-all `#[serde(other)]` variant also gets
//! `#[cfg_attr(feature = "ts", ts(skip))]` (ts-rs does not read `other`, and a
//! union member matching any tag would defeat narrowing in TypeScript; clients
//! treat an unknown tag as the protocol says). [`typescript`] walks every type
//! reachable from the roots below and writes each declaration once, sorted by
//! name, so the output is the same on every machine. A new type reached from a
//! root (a field of an op, an event, a push, an `ok` payload) needs nothing more;
//! `tests/typescript.rs` fails while the committed file differs from this output.
//!
//! What does not live here: anything the TypeScript SDK adds by hand (which op
//! replies which payload lives in `clients/js/src/types.ts`).

use crate::error::{CloseCode, ErrorBody, ErrorCode};
use crate::event::{Event, EventBody};
use crate::ops::{Op, Request};
use crate::push::{OkBody, Push};
use std::any::TypeId;
use std::collections::{BTreeMap, HashSet};
use ts_rs::{Config, TypeVisitor, TS};

/// The generated file's first lines.
const HEADER: &str = "\
// Generated from the agora-protocol crate (protocol/src/ts.rs) by ts-rs: do not edit.
// Regenerate: AGORA_WRITE_TS=1 cargo test -p agora-protocol --test typescript
";

/// Collects the declarations of a type and of everything it refers to.
struct Collect<'a> {
    cfg: &'a Config,
    seen: HashSet<TypeId>,
    decls: BTreeMap<String, String>,
}

impl Collect<'_> {
    fn add<T: TS + 'static + ?Sized>(&mut self) {
        // Primitives, `Vec`, `Option` and the like have no declaration of their own
        // (only derived types have an output path).
        if <T as TS>::output_path().is_none() {
            return;
        }
        if !self.seen.insert(TypeId::of::<T>()) {
            return;
        }
        let mut decl = <T as TS>::docs().unwrap_or_default();
        decl.push_str("export ");
        decl.push_str(&<T as TS>::decl(self.cfg));
        self.decls.insert(<T as TS>::ident(self.cfg), decl);
        <T as TS>::visit_dependencies(self);
    }
}

impl TypeVisitor for Collect<'_> {
    fn visit<T: TS + 'static + ?Sized>(&mut self) {
        self.add::<T>();
    }
}

/// The whole generated file: every wire type reachable from requests, pushes,
/// `ok` payloads and error bodies, then the close codes as a constant.
pub fn typescript() -> String {
    // Sequences and times are u64 on the wire but stay far below 2^53: plain numbers.
    let cfg = Config::new().with_large_int("number");
    let mut c = Collect { cfg: &cfg, seen: HashSet::new(), decls: BTreeMap::new() };
    // `Op` and `EventBody` are flattened into `Request` and `Event`; named too, for the SDK.
    c.add::<Request>();
    c.add::<Op>();
    c.add::<Push>();
    c.add::<Event>();
    c.add::<EventBody>();
    c.add::<OkBody>();
    c.add::<ErrorBody>();
    c.add::<ErrorCode>();
    let mut out = String::from(HEADER);
    for decl in c.decls.values() {
        out.push('\n');
        out.push_str(decl.trim_end());
        out.push('\n');
    }
    out.push_str("\n/** WebSocket close codes (PROTOCOL.md): 4000-4499 reconnect and resume, 4500-4999 do not. */\n");
    out.push_str("export const CloseCode = {\n");
    for code in CloseCode::ALL {
        out.push_str(&format!("  {:?}: {},\n", code, code.code()));
    }
    out.push_str("} as const;\n");
    out
}
