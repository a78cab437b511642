//! The media types an attachment may have, and the check that an upload's bytes
//! are what its declared type says. Only types whose bytes can be checked are
//! allowed: images (PNG, JPEG, GIF, WebP; not SVG, which can carry scripts),
//! PDF, ZIP and UTF-8 text.

use crate::error::AppError;

/// An allowed type: the name clients send (and aliases), what we store and serve.
struct Allowed {
    names: &'static [&'static str],
    /// The stored and served media type.
    mime: &'static str,
    /// Do the first bytes of the file have this type's signature?
    check: fn(&[u8]) -> bool,
}

const ALLOWED: &[Allowed] = &[
    Allowed { names: &["image/png"], mime: "image/png", check: infer::image::is_png },
    Allowed { names: &["image/jpeg", "image/jpg"], mime: "image/jpeg", check: infer::image::is_jpeg },
    Allowed { names: &["image/gif"], mime: "image/gif", check: infer::image::is_gif },
    Allowed { names: &["image/webp"], mime: "image/webp", check: infer::image::is_webp },
    Allowed { names: &["application/pdf"], mime: "application/pdf", check: infer::archive::is_pdf },
    Allowed {
        names: &["application/zip", "application/x-zip-compressed"],
        mime: "application/zip",
        check: infer::archive::is_zip,
    },
    Allowed { names: &["text/plain"], mime: "text/plain", check: is_text },
    Allowed { names: &["text/markdown"], mime: "text/markdown", check: is_text },
    Allowed { names: &["text/csv"], mime: "text/csv", check: is_text },
];

/// The media types clients may upload, for error messages and docs.
pub fn allowed_list() -> String {
    ALLOWED.iter().map(|a| a.mime).collect::<Vec<_>>().join(", ")
}

/// The stored type for a declared `Content-Type` (parameters such as `charset`
/// ignored), or `unsupported_type`.
pub fn declared(content_type: &str) -> Result<&'static str, AppError> {
    let essence = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    find(&essence).map(|a| a.mime).ok_or_else(|| {
        AppError::UnsupportedType(format!("{essence:?} is not an allowed attachment type ({})", allowed_list()))
    })
}

fn find(mime: &str) -> Option<&'static Allowed> {
    ALLOWED.iter().find(|a| a.names.contains(&mime))
}

/// Check the first bytes of an upload (`head`, the whole file when it is short)
/// against its stored type `mime`; `unsupported_type` when they do not match.
pub fn check_bytes(mime: &str, head: &[u8]) -> Result<(), AppError> {
    match find(mime) {
        Some(a) if (a.check)(head) => Ok(()),
        _ => Err(AppError::UnsupportedType(format!("the file's bytes are not {mime}"))),
    }
}

/// Text: UTF-8 without NUL bytes. `head` may end inside a character (it is a prefix).
fn is_text(head: &[u8]) -> bool {
    if head.contains(&0) {
        return false;
    }
    match std::str::from_utf8(head) {
        Ok(_) => true,
        // Cut off inside a multi-byte character at the end of the prefix: fine.
        Err(e) => e.error_len().is_none(),
    }
}

/// How the file is served: text as UTF-8.
pub fn content_type(mime: &str) -> String {
    if mime.starts_with("text/") {
        format!("{mime}; charset=utf-8")
    } else {
        mime.to_owned()
    }
}

/// Pixel size of an image, from its first bytes (`None` for other types or an unreadable header).
pub fn dimensions(mime: &str, head: &[u8]) -> Option<(u32, u32)> {
    if !mime.starts_with("image/") {
        return None;
    }
    let size = imagesize::blob_size(head).ok()?;
    Some((u32::try_from(size.width).ok()?, u32::try_from(size.height).ok()?))
}

/// A file name as shown and offered when saving: the last path component, no
/// control characters, at most 255 characters; `file` when nothing is left.
pub fn clean_name(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = last.chars().filter(|c| !c.is_control()).take(255).collect();
    let trimmed = cleaned.trim();
    if trimmed.is_empty() || trimmed == "." || trimmed == ".." {
        "file".to_owned()
    } else {
        trimmed.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG_1X1: &[u8] = &[
        0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, b'I', b'H', b'D', b'R', 0, 0, 0, 3, 0, 0, 0, 2, 8,
        6, 0, 0, 0,
    ];

    #[test]
    fn a_declared_type_must_be_allowed_and_match_the_bytes() {
        assert_eq!(declared("image/PNG; x=y").unwrap(), "image/png");
        assert_eq!(declared("application/x-zip-compressed").unwrap(), "application/zip");
        assert!(matches!(declared("image/svg+xml"), Err(AppError::UnsupportedType(_))));
        assert!(matches!(declared("text/html"), Err(AppError::UnsupportedType(_))));
        assert!(check_bytes("image/png", PNG_1X1).is_ok());
        assert!(check_bytes("image/jpeg", PNG_1X1).is_err());
        assert!(check_bytes("text/plain", b"<html>hi</html>").is_ok(), "served as text/plain with nosniff");
        assert!(check_bytes("text/plain", PNG_1X1).is_err());
        assert!(check_bytes("text/plain", "caf\u{e9}".as_bytes().split_at(4).0).is_ok(), "cut inside a character");
        assert!(check_bytes("application/pdf", b"%PDF-1.7\n").is_ok());
        assert_eq!(dimensions("image/png", PNG_1X1), Some((3, 2)));
        assert_eq!(dimensions("text/plain", PNG_1X1), None);
    }

    #[test]
    fn file_names_lose_paths_and_control_characters() {
        assert_eq!(clean_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_name("C:\\x\\report.pdf"), "report.pdf");
        assert_eq!(clean_name("a\u{0}b\nc.txt"), "abc.txt");
        assert_eq!(clean_name(" .. "), "file");
        assert_eq!(clean_name(&"x".repeat(300)).len(), 255);
    }
}
