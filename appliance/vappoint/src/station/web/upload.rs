//! Reading a booking's multipart body: small text fields, and up to five documents that are
//! streamed to disk as they arrive (`station::documents` writes and checks them), so a 413
//! comes before the rest is read, and all are fsynced before the booking is acknowledged.
//! The form puts its file inputs last: when the first file's bytes arrive, every field is in,
//! and the request is checked (form, officer, time, limits) before a byte is written. A client
//! that sends fields after its files is refused as having left them out.

use std::collections::HashMap;
use std::pin::Pin;

use axum::body::Bytes;
use axum::extract::Multipart;
use axum::extract::multipart::{Field, MultipartError};
use axum::http::{HeaderMap, StatusCode, header};
use vappoint_domain::document::{MAX_DOCUMENT_BYTES, MAX_DOCUMENTS};
use vappoint_wire::ErrorCode;

use super::Failure;
use crate::station::documents::{DocumentError, StoredDocs};

const MAX_TEXT_FIELD: usize = 8 * 1024;
const MAX_FIELDS: usize = 24;
/// The largest booking body: five full documents and room for the form around them.
pub const MAX_BOOKING_BODY: usize = MAX_DOCUMENTS * MAX_DOCUMENT_BYTES as usize + 256 * 1024;

/// The check run before the first document is written, on the fields read so far.
pub type Check<T> = Pin<Box<dyn Future<Output = Result<T, Failure>> + Send>>;

pub struct BookingUpload<T> {
    pub fields: HashMap<String, String>,
    pub docs: StoredDocs,
    /// What `before_documents` gave, when a document came (else the caller checks now).
    pub checked: Option<T>,
    /// The first thing in the body that was refused. The rest of the body was still read, so
    /// `fields` holds everything the citizen typed and the form can be shown again; no
    /// document is kept.
    pub refused: Option<Refused>,
}

/// A part of the booking that was refused, with the name of the file when it was a document.
pub struct Refused {
    pub failure: Failure,
    pub file_name: Option<String>,
}

fn multipart_failure(e: MultipartError) -> Failure {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        Failure::Refused(ErrorCode::TooLarge)
    } else {
        Failure::Refused(ErrorCode::BadRequest)
    }
}

/// Refuses a body that announces itself as too large before reading any of it.
pub fn check_length(headers: &HeaderMap) -> Result<(), Failure> {
    let len = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    match len {
        Some(n) if n > MAX_BOOKING_BODY as u64 => Err(Failure::Refused(ErrorCode::TooLarge)),
        _ => Ok(()),
    }
}

/// What to do with the rest of the body once something in it is refused.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum OnRefusal {
    /// Answer at once (the API: a client is told before it sends 40 MB more).
    Stop,
    /// Read on, skipping the refused document's bytes, to collect the form's other fields (the
    /// page: the form comes back filled in, and a browser shows an answer that arrives
    /// after its upload more reliably than one that cuts it off).
    ReadOn,
}

/// Reads a booking body into `docs`. `before_documents` is called once with the fields read so
/// far when the first document's bytes arrive; if it refuses, no document is written. A
/// document that is too large, of the wrong kind, one too many or over the day's quota is
/// refused and never kept; with `OnRefusal::ReadOn` the read goes on (the rest of that file is
/// skipped, not stored) so the answer can give back the form as it was filled in. A body that
/// is not multipart at all, or larger than the route allows, always ends the read.
pub async fn read_booking<T>(
    mut docs: StoredDocs,
    mut multipart: Multipart,
    on_refusal: OnRefusal,
    mut before_documents: impl FnMut(&HashMap<String, String>) -> Check<T>,
) -> Result<BookingUpload<T>, Failure> {
    let mut fields = HashMap::new();
    let mut checked: Option<T> = None;
    let mut refused: Option<Refused> = None;
    let mut count = 0;
    loop {
        if refused.is_some() && on_refusal == OnRefusal::Stop {
            break;
        }
        let mut field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => {
                note(&mut refused, multipart_failure(e));
                break;
            }
        };
        count += 1;
        if count > MAX_FIELDS {
            note(&mut refused, Failure::Refused(ErrorCode::BadRequest));
            break;
        }
        let name = field.name().unwrap_or("").to_string();
        if name == "documents" {
            let original = field.file_name().unwrap_or("").to_string();
            let outcome = if refused.is_some() {
                skip(&mut field).await.map(|_| None)
            } else {
                match first_chunk(&mut field, &original).await {
                    Ok(Ok(None)) => Ok(None),
                    Ok(Ok(Some(first))) => {
                        let gate = match checked {
                            Some(_) => Ok(()),
                            None => before_documents(&fields).await.map(|c| {
                                checked = Some(c);
                            }),
                        };
                        match gate {
                            Ok(()) => store_document(first, &mut field, &original, &mut docs).await,
                            // The request itself is refused, not this file: no file name.
                            Err(failure) => {
                                note(&mut refused, failure);
                                if on_refusal == OnRefusal::ReadOn {
                                    skip(&mut field).await.ok();
                                }
                                continue;
                            }
                        }
                    }
                    Ok(Err(failure)) => Ok(Some(failure)),
                    Err(e) => Err(e),
                }
            };
            match outcome {
                Ok(None) => {}
                Ok(Some(failure)) => {
                    refused = Some(Refused {
                        failure,
                        file_name: Some(original).filter(|n| !n.is_empty()),
                    });
                    if on_refusal == OnRefusal::ReadOn {
                        skip(&mut field).await.ok();
                    }
                }
                Err(Failure::Internal(e)) => return Err(Failure::Internal(e)),
                Err(failure) => {
                    refused.get_or_insert(Refused {
                        failure,
                        file_name: None,
                    });
                    break;
                }
            }
        } else {
            let mut value = Vec::new();
            let mut too_long = false;
            loop {
                match field.chunk().await {
                    Ok(Some(bytes)) if value.len() + bytes.len() > MAX_TEXT_FIELD => {
                        too_long = true
                    }
                    Ok(Some(bytes)) if !too_long => value.extend_from_slice(&bytes),
                    Ok(Some(_)) => {}
                    Ok(None) => break,
                    Err(e) => {
                        note(&mut refused, multipart_failure(e));
                        break;
                    }
                }
            }
            if too_long {
                note(&mut refused, Failure::Refused(ErrorCode::TooLarge));
                continue;
            }
            match String::from_utf8(value) {
                Ok(v) => {
                    fields.insert(name, v);
                }
                Err(_) => {
                    note(&mut refused, Failure::Refused(ErrorCode::BadRequest));
                }
            }
        }
    }
    if refused.is_some() {
        let dir = docs.documents_dir();
        docs.discard().await;
        return Ok(BookingUpload {
            fields,
            docs: StoredDocs::new(&dir),
            checked: None,
            refused,
        });
    }
    docs.sync().await.map_err(|e| Failure::Internal(e.into()))?;
    Ok(BookingUpload {
        fields,
        docs,
        checked,
        refused: None,
    })
}

/// Keeps the first refusal: it is the one the citizen can act on.
fn note(refused: &mut Option<Refused>, failure: Failure) {
    refused.get_or_insert(Refused {
        failure,
        file_name: None,
    });
}

/// Reads and drops the rest of a part.
async fn skip(field: &mut Field<'_>) -> Result<(), Failure> {
    while field.chunk().await.map_err(multipart_failure)?.is_some() {}
    Ok(())
}

/// The first bytes of a document part: `Ok(Ok(None))` when it is no document at all,
/// `Ok(Err(_))` refuses it, `Err` is a body that cannot be read further.
async fn first_chunk(
    field: &mut Field<'_>,
    original: &str,
) -> Result<Result<Option<Bytes>, Failure>, Failure> {
    // A browser sends an empty part with an empty file name when no file was chosen; some
    // send its body as one empty chunk. Either way it is "no document", not a bad one.
    loop {
        match field.chunk().await.map_err(multipart_failure)? {
            Some(b) if b.is_empty() => continue,
            Some(b) => return Ok(Ok(Some(b))),
            None if original.is_empty() => return Ok(Ok(None)),
            // A chosen file with nothing in it cannot be a PDF or an image.
            None => return Ok(Err(Failure::Refused(ErrorCode::UnsupportedDocument))),
        }
    }
}

/// Streams one document part to disk, from its `first` bytes on. `Ok(Some(_))` refuses this
/// document (the caller skips the rest of it); `Err` is a body that cannot be read further,
/// or a disk error.
async fn store_document(
    first: Bytes,
    field: &mut Field<'_>,
    original: &str,
    docs: &mut StoredDocs,
) -> Result<Option<Failure>, Failure> {
    let refusal = |e: DocumentError| match e {
        DocumentError::Io(e) => Err(Failure::Internal(e.into())),
        refused => Ok(Some(refused.into())),
    };
    let mut doc = match docs.begin().await {
        Ok(d) => d,
        Err(e) => return refusal(e),
    };
    let mut chunk = Some(first);
    while let Some(bytes) = chunk {
        if let Err(e) = doc.write(&bytes).await {
            return refusal(e);
        }
        chunk = field.chunk().await.map_err(multipart_failure)?;
    }
    match doc.finish(original).await {
        Ok(()) => Ok(None),
        Err(e) => refusal(e),
    }
}
