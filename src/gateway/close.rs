//! Why a client's bytes end its connection: the one mapping from tungstenite's
//! read errors to the RFC 6455 close code the client receives (PROTOCOL.md §15).
//!
//! What does not live here: closes decided for the server's own reasons (idle,
//! flood, slow consumer, shutdown: `session`, `writer`, the hub), writing the
//! close frame (`writer`), and closing the TCP connection without a reset
//! (`crate::linger`).

use agora_protocol::CloseCode;
use tungstenite::error::{Error as WsError, ProtocolError};

/// The close code for a failed read from the client, or `None` when the
/// connection is simply gone and there is nobody left to tell.
pub fn for_read_error(e: &axum::Error) -> Option<CloseCode> {
    match std::error::Error::source(e).and_then(|s| s.downcast_ref::<WsError>()) {
        Some(inner) => for_ws_error(inner),
        None => None,
    }
}

/// RFC 6455: a protocol violation fails the connection with 1002, text that is
/// not UTF-8 with 1007 (§8.1), a message over the size cap with 1009.
pub fn for_ws_error(e: &WsError) -> Option<CloseCode> {
    match e {
        WsError::Protocol(p) => match p {
            // The peer closed TCP without a close frame: nothing to answer.
            ProtocolError::ResetWithoutClosingHandshake => None,
            ProtocolError::NonZeroReservedBits
            | ProtocolError::UnmaskedFrameFromClient
            | ProtocolError::MaskedFrameFromServer
            | ProtocolError::FragmentedControlFrame
            | ProtocolError::ControlFrameTooBig
            | ProtocolError::UnknownControlFrameType(_)
            | ProtocolError::UnknownDataFrameType(_)
            | ProtocolError::UnexpectedContinueFrame
            | ProtocolError::ExpectedFragment(_)
            | ProtocolError::InvalidOpcode(_)
            | ProtocolError::InvalidCloseSequence
            | ProtocolError::ReceivedAfterClosing => Some(CloseCode::ProtocolError),
            // Handshake-time variants cannot reach a read on an open connection;
            // if one ever does, it is still the client breaking the protocol.
            _ => Some(CloseCode::ProtocolError),
        },
        // Invalid UTF-8 in a text message (whole or fragmented) or in a close reason.
        WsError::Utf8(_) => Some(CloseCode::InvalidPayload),
        // A frame or a reassembled message over `hard_frame_bytes`.
        WsError::Capacity(_) => Some(CloseCode::MessageTooBig),
        WsError::AttackAttempt => Some(CloseCode::ProtocolError),
        // The socket failed or is closed: no close frame can be delivered.
        WsError::ConnectionClosed | WsError::AlreadyClosed | WsError::Io(_) => None,
        // Write-side, TLS, URL and HTTP errors are not outcomes of reading a frame.
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tungstenite::error::CapacityError;
    use tungstenite::protocol::frame::coding::Data;

    #[test]
    fn protocol_violations_are_1002_bad_utf8_1007_too_big_1009_and_a_gone_socket_nothing() {
        for p in [
            ProtocolError::NonZeroReservedBits,
            ProtocolError::UnmaskedFrameFromClient,
            ProtocolError::FragmentedControlFrame,
            ProtocolError::ControlFrameTooBig,
            ProtocolError::UnknownControlFrameType(0xb),
            ProtocolError::UnknownDataFrameType(0x3),
            ProtocolError::UnexpectedContinueFrame,
            ProtocolError::ExpectedFragment(Data::Text),
            ProtocolError::InvalidCloseSequence,
        ] {
            assert_eq!(for_ws_error(&WsError::Protocol(p.clone())), Some(CloseCode::ProtocolError), "{p:?}");
        }
        assert_eq!(for_ws_error(&WsError::Utf8("bad".into())), Some(CloseCode::InvalidPayload));
        let big = CapacityError::MessageTooLong { size: 2, max_size: 1 };
        assert_eq!(for_ws_error(&WsError::Capacity(big)), Some(CloseCode::MessageTooBig));
        assert_eq!(for_ws_error(&WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake)), None);
        assert_eq!(for_ws_error(&WsError::ConnectionClosed), None);
        assert_eq!(for_ws_error(&WsError::Io(std::io::ErrorKind::ConnectionReset.into())), None);
    }
}
