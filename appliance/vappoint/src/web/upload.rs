//! Reading a booking's multipart body: small text fields, and up to five documents that are
//! streamed to disk, recognised by their first bytes, size-limited while they arrive (a
//! 413 comes before the rest is read), and fsynced before the booking is acknowledged.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use axum::extract::Multipart;
use axum::extract::multipart::MultipartError;
use axum::http::{HeaderMap, StatusCode, header};
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;
use vappoint_domain::DocumentKind;
use vappoint_domain::document::{MAX_DOCUMENT_BYTES, MAX_DOCUMENTS, SNIFF_BYTES, safe_file_name};
use vappoint_store::NewDocument;

use super::Failure;

const MAX_TEXT_FIELD: usize = 8 * 1024;
const MAX_FIELDS: usize = 24;
/// The largest booking body: five full documents and room for the form around them.
pub const MAX_BOOKING_BODY: usize = MAX_DOCUMENTS * MAX_DOCUMENT_BYTES as usize + 256 * 1024;

struct StoredDoc {
    record: NewDocument,
    path: PathBuf,
}

/// Uploaded files on disk. Unless `keep` is called they are deleted when dropped, so every
/// error path cleans up after itself.
pub struct StoredDocs {
    docs: Vec<StoredDoc>,
    kept: bool,
}

impl StoredDocs {
    pub fn records(&self) -> Vec<NewDocument> {
        self.docs.iter().map(|d| d.record.clone()).collect()
    }

    /// The booking that names these files is committed: leave them.
    pub fn keep(mut self) {
        self.kept = true;
    }

    pub async fn discard(mut self) {
        self.kept = true;
        for d in std::mem::take(&mut self.docs) {
            let _ = tokio::fs::remove_file(&d.path).await;
        }
    }
}

impl Drop for StoredDocs {
    fn drop(&mut self) {
        if !self.kept {
            for d in &self.docs {
                let _ = std::fs::remove_file(&d.path);
            }
        }
    }
}

pub struct BookingUpload {
    pub fields: HashMap<String, String>,
    pub docs: StoredDocs,
}

fn multipart_failure(e: MultipartError) -> Failure {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        Failure::TooLarge
    } else {
        Failure::BadRequest("bad_request")
    }
}

/// Refuses a body that announces itself as too large before reading any of it.
pub fn check_length(headers: &HeaderMap) -> Result<(), Failure> {
    let len = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    match len {
        Some(n) if n > MAX_BOOKING_BODY as u64 => Err(Failure::TooLarge),
        _ => Ok(()),
    }
}

pub async fn read_booking(dir: &Path, mut multipart: Multipart) -> Result<BookingUpload, Failure> {
    let mut fields = HashMap::new();
    let mut docs = StoredDocs {
        docs: Vec::new(),
        kept: false,
    };
    let mut count = 0;
    while let Some(mut field) = multipart.next_field().await.map_err(multipart_failure)? {
        count += 1;
        if count > MAX_FIELDS {
            return Err(Failure::BadRequest("bad_request"));
        }
        let name = field.name().unwrap_or("").to_string();
        if name == "documents" {
            let original = field.file_name().unwrap_or("").to_string();
            let Some(first) = field.chunk().await.map_err(multipart_failure)? else {
                // Browsers send an empty part when no file was chosen.
                if original.is_empty() {
                    continue;
                }
                return Err(Failure::Unsupported);
            };
            if docs.docs.len() == MAX_DOCUMENTS {
                return Err(Failure::BadRequest("too_many_documents"));
            }
            let stored_name = uuid::Uuid::new_v4().simple().to_string();
            let path = dir.join(&stored_name);
            let mut file = tokio::fs::File::create(&path)
                .await
                .map_err(|e| Failure::Internal(e.into()))?;
            let index = docs.docs.len();
            docs.docs.push(StoredDoc {
                record: NewDocument {
                    file_name: String::new(),
                    kind: DocumentKind::Pdf,
                    size: 0,
                    sha256: String::new(),
                    stored_name,
                },
                path,
            });
            let mut head = Vec::with_capacity(SNIFF_BYTES);
            let mut hasher = Sha256::new();
            let mut size: u64 = 0;
            let mut kind = None;
            let mut chunk = Some(first);
            while let Some(bytes) = chunk {
                size += bytes.len() as u64;
                if size > MAX_DOCUMENT_BYTES {
                    return Err(Failure::TooLarge);
                }
                if kind.is_none() {
                    head.extend_from_slice(&bytes[..bytes.len().min(SNIFF_BYTES - head.len())]);
                    if head.len() == SNIFF_BYTES {
                        kind = Some(DocumentKind::sniff(&head).ok_or(Failure::Unsupported)?);
                    }
                }
                hasher.update(&bytes);
                file.write_all(&bytes)
                    .await
                    .map_err(|e| Failure::Internal(e.into()))?;
                chunk = field.chunk().await.map_err(multipart_failure)?;
            }
            let kind = match kind {
                Some(k) => k,
                None => DocumentKind::sniff(&head).ok_or(Failure::Unsupported)?,
            };
            file.sync_all()
                .await
                .map_err(|e| Failure::Internal(e.into()))?;
            let rec = &mut docs.docs[index].record;
            rec.file_name = safe_file_name(&original, kind);
            rec.kind = kind;
            rec.size = size;
            rec.sha256 = data_encoding::HEXLOWER.encode(&hasher.finalize());
        } else {
            let mut value = Vec::new();
            while let Some(bytes) = field.chunk().await.map_err(multipart_failure)? {
                if value.len() + bytes.len() > MAX_TEXT_FIELD {
                    return Err(Failure::TooLarge);
                }
                value.extend_from_slice(&bytes);
            }
            let value = String::from_utf8(value).map_err(|_| Failure::BadRequest("bad_request"))?;
            fields.insert(name, value);
        }
    }
    if !docs.docs.is_empty() {
        // The files' names must be durable too, not only their bytes.
        let dir = dir.to_path_buf();
        tokio::task::spawn_blocking(move || std::fs::File::open(&dir)?.sync_all())
            .await
            .map_err(|e| Failure::Internal(e.into()))?
            .map_err(|e| Failure::Internal(e.into()))?;
    }
    Ok(BookingUpload { fields, docs })
}
