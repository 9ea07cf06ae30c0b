//! Which uploaded documents are accepted: PDF, JPEG and PNG, recognised by their first
//! bytes, never by their name or the browser's claimed type.

use serde::Serialize;

/// At most this many documents per appointment.
pub const MAX_DOCUMENTS: usize = 5;
/// At most this many bytes per document.
pub const MAX_DOCUMENT_BYTES: u64 = 10 * 1024 * 1024;
/// Bytes needed to recognise a document.
pub const SNIFF_BYTES: usize = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DocumentKind {
    Pdf,
    Jpeg,
    Png,
}

impl DocumentKind {
    /// Recognises a document from its first bytes.
    pub fn sniff(head: &[u8]) -> Option<DocumentKind> {
        if head.starts_with(b"%PDF-") {
            Some(DocumentKind::Pdf)
        } else if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(DocumentKind::Jpeg)
        } else if head.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
            Some(DocumentKind::Png)
        } else {
            None
        }
    }

    pub fn mime(self) -> &'static str {
        match self {
            DocumentKind::Pdf => "application/pdf",
            DocumentKind::Jpeg => "image/jpeg",
            DocumentKind::Png => "image/png",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            DocumentKind::Pdf => "pdf",
            DocumentKind::Jpeg => "jpg",
            DocumentKind::Png => "png",
        }
    }

    pub fn as_str(self) -> &'static str {
        self.extension()
    }

    pub fn from_str_opt(s: &str) -> Option<DocumentKind> {
        match s {
            "pdf" => Some(DocumentKind::Pdf),
            "jpg" => Some(DocumentKind::Jpeg),
            "png" => Some(DocumentKind::Png),
            _ => None,
        }
    }
}

/// A file name safe to show and to put in a `Content-Disposition` header: the last path
/// component, printable ASCII letters, digits and `._-` only, at most 80 characters, with the
/// extension of the detected kind.
pub fn safe_file_name(original: &str, kind: DocumentKind) -> String {
    let base = original.rsplit(['/', '\\']).next().unwrap_or("");
    let stem = base.rsplit_once('.').map_or(base, |(s, _)| s);
    let mut clean: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .take(72)
        .collect();
    if clean.trim_matches('_').is_empty() {
        clean = "document".into();
    }
    format!("{clean}.{}", kind.extension())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_by_content() {
        assert_eq!(DocumentKind::sniff(b"%PDF-1.7\n"), Some(DocumentKind::Pdf));
        assert_eq!(
            DocumentKind::sniff(&[0xFF, 0xD8, 0xFF, 0xE0]),
            Some(DocumentKind::Jpeg)
        );
        assert_eq!(
            DocumentKind::sniff(b"\x89PNG\r\n\x1a\n...."),
            Some(DocumentKind::Png)
        );
        assert_eq!(DocumentKind::sniff(b"MZ\x90\x00"), None);
        assert_eq!(DocumentKind::sniff(b"<html>"), None);
        assert_eq!(DocumentKind::sniff(b""), None);
    }

    #[test]
    fn file_names_are_tamed() {
        assert_eq!(
            safe_file_name("../../etc/passwd", DocumentKind::Pdf),
            "passwd.pdf"
        );
        assert_eq!(
            safe_file_name("FIR copy (1).exe", DocumentKind::Png),
            "FIR_copy__1_.png"
        );
        assert_eq!(safe_file_name("", DocumentKind::Jpeg), "document.jpg");
        assert_eq!(
            safe_file_name("प्राथमिकी.pdf", DocumentKind::Pdf),
            "document.pdf"
        );
    }
}
