//! Attachments over real HTTP and WebSockets (PROTOCOL.md "Attachments"): an
//! upload is stored by its SHA-256 and answered with its `Attachment`; a post
//! references it and `message_posted` carries it; a reader of the stream gets
//! the file with its type, `nosniff`, `Content-Disposition` and a CSP; anyone
//! else gets 404, the same as for a file that does not exist. Too large and
//! unsupported uploads are refused with their codes.

mod common;

use agora_protocol::EventBody;
use common::TestServer;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// A 3 x 2 PNG (header and IHDR are all that type checks and sizes read).
const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, b'I', b'H', b'D', b'R', 0, 0, 0, 3, 0, 0, 0, 2, 8, 6,
    0, 0, 0, 0x12, 0x34, 0x56, 0x78,
];

async fn upload(srv: &TestServer, token: &str, stream: &str, ty: &str, name: &str, body: Vec<u8>) -> (u16, Value) {
    let url = srv.url(&format!("/api/v1/streams/{stream}/attachments?name={name}"));
    srv.http_json(srv.http.post(url).bearer_auth(token).header("content-type", ty).body(body)).await
}

async fn download(srv: &TestServer, token: &str, hash: &str) -> reqwest::Response {
    srv.http.get(srv.url(&format!("/api/v1/attachments/{hash}"))).bearer_auth(token).send().await.unwrap()
}

#[tokio::test]
async fn a_posted_attachment_is_served_to_readers_of_the_stream_and_to_no_one_else() {
    let srv = TestServer::start().await;
    let (ann_t, bob_t, eve_t) = (srv.user("ann").await, srv.user("bob").await, srv.user("eve").await);
    let mut ann = srv.connect(&ann_t).await;
    let mut bob = srv.connect(&bob_t).await;
    let ch = ann.ok(json!({"op": "create_channel", "name": "pics", "private": true, "members": ["bob"]})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let (status, a) = upload(&srv, &ann_t, &ch, "image/png", "dot.png", PNG.to_vec()).await;
    assert_eq!(status, 201, "{a}");
    let hash = hex::encode(Sha256::digest(PNG));
    assert_eq!(a["hash"], hash);
    assert_eq!((a["type"].as_str(), a["size"].as_u64()), (Some("image/png"), Some(PNG.len() as u64)));
    assert_eq!((a["width"].as_u64(), a["height"].as_u64(), a["name"].as_str()), (Some(3), Some(2), Some("dot.png")));

    // Uploaded but not posted: nobody reads it yet, not even its uploader.
    assert_eq!(download(&srv, &ann_t, &hash).await.status(), 404);

    // The client's type and size claims are replaced by what the server stored.
    let claimed = json!({"hash": hash, "name": "../secret.png", "type": "text/html", "size": 1});
    bob.subscribe(&ch, None, None).await.unwrap();
    ann.ok(json!({"op": "post", "stream": ch, "text": "", "attachments": [claimed]})).await;
    let ev = bob.next_event().await;
    let EventBody::MessagePosted { attachments, .. } = &ev.body else { panic!("{ev:?}") };
    assert_eq!(attachments.len(), 1);
    assert_eq!((attachments[0].name.as_str(), attachments[0].mime.as_str()), ("secret.png", "image/png"));
    assert_eq!((attachments[0].size, attachments[0].width), (PNG.len() as u64, Some(3)));

    // A member of the stream gets the bytes, with the headers that keep them inert.
    let r = download(&srv, &bob_t, &hash).await;
    assert_eq!(r.status(), 200);
    let h = r.headers().clone();
    assert_eq!(h["content-type"], "image/png");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert!(h["content-disposition"].to_str().unwrap().starts_with("inline"), "{h:?}");
    assert!(h["content-security-policy"].to_str().unwrap().contains("default-src 'none'"), "{h:?}");
    assert_eq!(r.bytes().await.unwrap().as_ref(), PNG);

    // An outsider gets what a missing file gets; so does a request without a token.
    let r = download(&srv, &eve_t, &hash).await;
    assert_eq!(r.status(), 404);
    assert_eq!(r.json::<Value>().await.unwrap()["code"], "not_found");
    assert_eq!(download(&srv, &eve_t, &"0".repeat(64)).await.status(), 404);
    let anon = srv.http.get(srv.url(&format!("/api/v1/attachments/{hash}"))).send().await.unwrap();
    assert_eq!(anon.status(), 401);

    // Knowing the hash is not enough to share the file: eve never uploaded it and cannot read it.
    let mut eve = srv.connect(&eve_t).await;
    let own = eve.create_channel("eves").await;
    let err = eve
        .request(json!({"op": "post", "stream": own, "text": "mine now", "attachments": [{"hash": hash, "name": "x", "type": "image/png", "size": 1}]}))
        .await
        .unwrap_err();
    assert_eq!(err.code.as_str(), "not_found");
    assert_eq!(download(&srv, &eve_t, &hash).await.status(), 404);

    // Nor can she upload into a stream she cannot read.
    let (status, body) = upload(&srv, &eve_t, &ch, "image/png", "x.png", PNG.to_vec()).await;
    assert_eq!((status, body["code"].as_str()), (404, Some("not_found")));

    // Deleting the message ends access for everyone.
    let seq = ev.seq.0;
    ann.ok(json!({"op": "delete", "stream": ch, "target": seq})).await;
    assert_eq!(download(&srv, &bob_t, &hash).await.status(), 404);
}

#[tokio::test]
async fn non_images_are_served_as_downloads_and_text_as_utf8() {
    let srv = TestServer::start().await;
    let ann_t = srv.user("ann").await;
    let mut ann = srv.connect(&ann_t).await;
    let ch = ann.create_channel("docs").await;
    let (status, a) = upload(&srv, &ann_t, &ch, "text/plain", "notes.txt", b"<script>alert(1)</script>".to_vec()).await;
    assert_eq!(status, 201, "{a}");
    ann.ok(json!({"op": "post", "stream": ch, "text": "notes", "attachments": [a.clone()]})).await;
    let r = download(&srv, &ann_t, a["hash"].as_str().unwrap()).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "text/plain; charset=utf-8");
    assert!(r.headers()["content-disposition"].to_str().unwrap().starts_with("attachment"));
}

#[tokio::test]
async fn too_large_and_unsupported_uploads_are_refused_with_their_codes() {
    let srv = TestServer::start_with(|c| c.limits.max_attachment_bytes = 1024).await;
    let ann_t = srv.user("ann").await;
    let mut ann = srv.connect(&ann_t).await;
    let ch = ann.create_channel("files").await;

    let (status, body) = upload(&srv, &ann_t, &ch, "text/plain", "big.txt", vec![b'a'; 1025]).await;
    assert_eq!((status, body["code"].as_str()), (413, Some("too_large")), "{body}");
    // Without a Content-Length the store counts the bytes itself.
    let chunks = futures_util::stream::iter(vec![Ok::<_, std::io::Error>(vec![b'a'; 1000]), Ok(vec![b'a'; 1000])]);
    let r = srv
        .http
        .post(srv.url(&format!("/api/v1/streams/{ch}/attachments")))
        .bearer_auth(&ann_t)
        .header("content-type", "text/plain")
        .body(reqwest::Body::wrap_stream(chunks))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    assert_eq!(r.json::<Value>().await.unwrap()["code"], "too_large");

    let (status, body) = upload(&srv, &ann_t, &ch, "text/html", "page.html", b"<p>hi</p>".to_vec()).await;
    assert_eq!((status, body["code"].as_str()), (415, Some("unsupported_type")), "{body}");
    let (status, body) = upload(&srv, &ann_t, &ch, "image/svg+xml", "x.svg", b"<svg/>".to_vec()).await;
    assert_eq!((status, body["code"].as_str()), (415, Some("unsupported_type")), "{body}");
    // The bytes must be what the type says.
    let (status, body) = upload(&srv, &ann_t, &ch, "image/png", "fake.png", b"GIF89a not a png".to_vec()).await;
    assert_eq!((status, body["code"].as_str()), (415, Some("unsupported_type")), "{body}");

    // Nothing refused was kept: a post cannot reference it.
    let hash = hex::encode(Sha256::digest(b"<p>hi</p>"));
    let err = ann
        .request(json!({"op": "post", "stream": ch, "text": "x", "attachments": [{"hash": hash, "name": "x", "type": "text/plain", "size": 1}]}))
        .await
        .unwrap_err();
    assert_eq!(err.code.as_str(), "not_found");
}

#[tokio::test]
async fn a_posted_attachment_is_still_served_after_a_restart() {
    let srv = TestServer::start().await;
    let (ann_t, bob_t) = (srv.user("ann").await, srv.user("bob").await);
    let mut ann = srv.connect(&ann_t).await;
    let ch = ann.ok(json!({"op": "create_channel", "name": "keep", "private": true, "members": ["bob"]})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, a) = upload(&srv, &ann_t, &ch, "image/png", "dot.png", PNG.to_vec()).await;
    assert_eq!(status, 201, "{a}");
    ann.ok(json!({"op": "post", "stream": ch, "text": "kept", "attachments": [a.clone()]})).await;
    drop(ann);
    let hash = a["hash"].as_str().unwrap().to_owned();

    // The stream's state (which messages reference the file) and the registry's index
    // are rebuilt on start; the file and its .json were on disk before the upload answered.
    let dir = srv.stop().await;
    let srv = TestServer::start_in(dir, |_| {}).await;
    let r = download(&srv, &bob_t, &hash).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.bytes().await.unwrap().as_ref(), PNG);
    let eve_t = srv.user("eve").await;
    assert_eq!(download(&srv, &eve_t, &hash).await.status(), 404);
}
