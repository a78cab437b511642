//! The JS SDK's wire types (`clients/js/src/protocol.gen.ts`) are what this
//! crate generates (`agora_protocol::ts`): the test fails while the committed file
//! differs. `AGORA_WRITE_TS=1 cargo test -p agora-protocol --test typescript`
//! writes it instead.

use std::path::Path;

#[test]
fn the_committed_typescript_types_match_the_protocol_crate() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../clients/js/src/protocol.gen.ts");
    let generated = agora_protocol::ts::typescript();
    if std::env::var_os("AGORA_WRITE_TS").is_some() {
        std::fs::write(&path, &generated).expect("writing clients/js/src/protocol.gen.ts");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "clients/js/src/protocol.gen.ts differs from the protocol crate's types: run \
         `AGORA_WRITE_TS=1 cargo test -p agora-protocol --test typescript`, rebuild the bundles \
         (cd clients && node build.mjs) and commit the result"
    );
}
