//! Citizens' documents on disk: each one written as it arrives under a random name,
//! recognised by its first bytes, size-limited while it is written, hashed and fsynced; and
//! removed again unless the booking that names them is committed; their bytes charged to the
//! day's quotas (`limits::DocumentQuota`) before they are written. Each file is sealed with
//! the station's data key as it is written (`vappoint_store::seal`), so the plain bytes never
//! reach the card. (Reading them out of a request is the web layer's part, `web/upload.rs`.)

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, NaiveTime, Utc};

use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;
use vappoint_domain::DocumentKind;
use vappoint_domain::document::{MAX_DOCUMENT_BYTES, MAX_DOCUMENTS, SNIFF_BYTES, safe_file_name};
use vappoint_store::NewDocument;
use vappoint_store::seal::{DataKey, FileSealer, is_sealed_file};

/// The documents folder and the key its files are sealed with.
#[derive(Clone)]
pub struct DocumentsDir {
    path: PathBuf,
    key: DataKey,
}

impl DocumentsDir {
    pub fn new(path: &Path, key: &DataKey) -> DocumentsDir {
        DocumentsDir {
            path: path.to_path_buf(),
            key: key.clone(),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The original bytes of the document stored as `stored_name`.
    pub async fn read(&self, stored_name: &str) -> anyhow::Result<Vec<u8>> {
        use anyhow::Context;
        let sealed = tokio::fs::read(self.path.join(stored_name))
            .await
            .with_context(|| format!("reading document {stored_name}"))?;
        let key = self.key.clone();
        let name = stored_name.to_string();
        tokio::task::spawn_blocking(move || key.open_file(&name, &sealed))
            .await?
            .with_context(|| format!("opening document {stored_name}"))
    }

    /// Seals, in place, every file an older version wrote in clear (a sealed file starts with
    /// `FILE_MAGIC`, a plain one with its PDF, JPEG or PNG signature). Each is written sealed
    /// beside the plain one, fsynced and renamed over it, so a crash leaves one or the other
    /// (a stray `.sealing` file is removed as an orphan at the next start). Returns how many.
    pub fn seal_plain_files(&self) -> anyhow::Result<usize> {
        use std::io::{Read, Write};
        use std::os::unix::fs::OpenOptionsExt;
        let mut sealed = 0;
        for entry in std::fs::read_dir(&self.path)? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let mut head = [0u8; 8];
            let mut f = std::fs::File::open(entry.path())?;
            let n = f.read(&mut head)?;
            if is_sealed_file(&head[..n]) {
                continue;
            }
            let plain = std::fs::read(entry.path())?;
            let mut sealer = self.key.seal_file(&name);
            let tmp = self.path.join(format!("{name}.sealing"));
            let mut out = std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .mode(0o600)
                .open(&tmp)?;
            out.write_all(&sealer.push(&plain))?;
            out.write_all(&sealer.finish())?;
            out.sync_all()?;
            std::fs::rename(&tmp, entry.path())?;
            sealed += 1;
        }
        if sealed > 0 {
            std::fs::File::open(&self.path)?.sync_all()?;
        }
        Ok(sealed)
    }
}

use crate::limits::DocumentQuota;
use crate::station::app::App;

/// Why a document was not stored. All but `Io` refuse that one document; the citizen can
/// send another.
#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    #[error("the document is larger than {MAX_DOCUMENT_BYTES} bytes")]
    TooLarge,
    #[error("the document is not a PDF, JPEG or PNG file")]
    Unsupported,
    #[error("more than {MAX_DOCUMENTS} documents")]
    TooMany,
    /// The day's quota of document bytes, this sender's or everyone's, is used up.
    #[error("the day's quota for documents is used up")]
    Quota,
    #[error("writing the document")]
    Io(#[from] std::io::Error),
}

struct StoredDoc {
    record: NewDocument,
    path: PathBuf,
}

/// Uploaded files on disk. Unless `keep` is called they are deleted when dropped, so every
/// error path cleans up after itself.
pub struct StoredDocs {
    dir: PathBuf,
    key: DataKey,
    docs: Vec<StoredDoc>,
    kept: bool,
    charge: Option<Charge>,
}

/// The bytes these documents took from a day's quotas, given back unless they are kept.
struct Charge {
    quota: Arc<DocumentQuota>,
    date: chrono::NaiveDate,
    source: Vec<u8>,
    bytes: u64,
}

impl Charge {
    fn refund(&mut self) {
        self.quota
            .refund(self.date, &self.source, std::mem::take(&mut self.bytes));
    }
}

impl StoredDocs {
    /// None yet, to be written into `dir`, with no quota (tests, the console).
    pub fn new(dir: &DocumentsDir) -> StoredDocs {
        StoredDocs {
            dir: dir.path.clone(),
            key: dir.key.clone(),
            docs: Vec::new(),
            kept: false,
            charge: None,
        }
    }

    /// None yet, for a citizen's request from `ip`: written into the station's documents
    /// folder, charged to the address's and everyone's quota of the station's day. The
    /// day's counts are read from the database the first time they are needed.
    pub async fn for_request(
        app: &Arc<App>,
        ip: IpAddr,
        now: DateTime<Utc>,
    ) -> Result<StoredDocs, vappoint_store::StoreError> {
        let tz = app.tz();
        let date = now.with_timezone(&tz).date_naive();
        let source = app.secrets.source_tag(crate::limits::source(ip));
        let quota = app.limits.documents.clone();
        if !quota.known(date, &source) {
            let midnight = date
                .and_time(NaiveTime::MIN)
                .and_local_timezone(tz)
                .earliest()
                .map_or(now, |t| t.with_timezone(&Utc));
            let tag = source.clone();
            let (mine, all) = app
                .db(move |s| {
                    Ok((
                        s.document_bytes_since(Some(&tag), midnight)?,
                        s.document_bytes_since(None, midnight)?,
                    ))
                })
                .await?;
            quota.seed(date, &source, mine, all);
        }
        let mut docs = StoredDocs::new(&app.documents_dir());
        docs.charge = Some(Charge {
            quota,
            date,
            source,
            bytes: 0,
        });
        Ok(docs)
    }

    /// The folder they are written into, with its key.
    pub fn documents_dir(&self) -> DocumentsDir {
        DocumentsDir {
            path: self.dir.clone(),
            key: self.key.clone(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.docs.is_empty()
    }

    pub fn records(&self) -> Vec<NewDocument> {
        self.docs.iter().map(|d| d.record.clone()).collect()
    }

    /// The booking that names these files is committed: leave them (and their charge).
    pub fn keep(mut self) {
        self.kept = true;
    }

    pub async fn discard(mut self) {
        self.kept = true;
        if let Some(c) = &mut self.charge {
            c.refund();
        }
        for d in std::mem::take(&mut self.docs) {
            remove(&d.path, tokio::fs::remove_file(&d.path).await);
        }
    }

    /// Starts a new document (the caller has its first bytes: an empty part is no document
    /// and must not count towards the limit).
    pub async fn begin(&mut self) -> Result<Incoming<'_>, DocumentError> {
        if self.docs.len() == MAX_DOCUMENTS {
            return Err(DocumentError::TooMany);
        }
        let stored_name = uuid::Uuid::new_v4().simple().to_string();
        let path = self.dir.join(&stored_name);
        let sealer = self.key.seal_file(&stored_name);
        let file = tokio::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
            .await?;
        // Listed at once, so the file is removed with the rest if it is refused half-way.
        self.docs.push(StoredDoc {
            record: NewDocument {
                file_name: String::new(),
                kind: DocumentKind::Pdf,
                size: 0,
                sha256: String::new(),
                stored_name,
            },
            path,
        });
        Ok(Incoming {
            docs: self,
            file,
            sealer,
            head: Vec::with_capacity(SNIFF_BYTES),
            hasher: Sha256::new(),
            size: 0,
            kind: None,
        })
    }

    /// Makes the files' names durable too, not only their bytes: call once all are written,
    /// before the booking that names them is acknowledged.
    pub async fn sync(&self) -> Result<(), DocumentError> {
        if self.docs.is_empty() {
            return Ok(());
        }
        let dir = self.dir.clone();
        tokio::task::spawn_blocking(move || std::fs::File::open(&dir)?.sync_all())
            .await
            .map_err(std::io::Error::other)??;
        Ok(())
    }
}

impl Drop for StoredDocs {
    fn drop(&mut self) {
        if !self.kept {
            if let Some(c) = &mut self.charge {
                c.refund();
            }
            for d in &self.docs {
                remove(&d.path, std::fs::remove_file(&d.path));
            }
        }
    }
}

/// A file that cannot be removed is left for the start-up tidy (`remove_orphan_documents`);
/// it is worth a line in the log all the same.
fn remove(path: &Path, result: std::io::Result<()>) {
    if let Err(e) = result
        && e.kind() != std::io::ErrorKind::NotFound
    {
        tracing::warn!(path = %path.display(), error = %e, "could not remove an unused upload");
    }
}

/// One document being written.
pub struct Incoming<'a> {
    docs: &'a mut StoredDocs,
    file: tokio::fs::File,
    sealer: FileSealer,
    head: Vec<u8>,
    hasher: Sha256,
    size: u64,
    kind: Option<DocumentKind>,
}

impl Incoming<'_> {
    /// Writes the next bytes; refuses the document as soon as it is too large or its first
    /// bytes show it is not a kind we take.
    pub async fn write(&mut self, bytes: &[u8]) -> Result<(), DocumentError> {
        self.size += bytes.len() as u64;
        if self.size > MAX_DOCUMENT_BYTES {
            return Err(DocumentError::TooLarge);
        }
        if let Some(c) = &mut self.docs.charge {
            let n = bytes.len() as u64;
            if !c.quota.charge(c.date, &c.source, n) {
                return Err(DocumentError::Quota);
            }
            c.bytes += n;
        }
        if self.kind.is_none() {
            let want = SNIFF_BYTES - self.head.len();
            self.head.extend_from_slice(&bytes[..bytes.len().min(want)]);
            if self.head.len() == SNIFF_BYTES {
                match DocumentKind::sniff(&self.head) {
                    Some(k) => self.kind = Some(k),
                    None => return Err(DocumentError::Unsupported),
                }
            }
        }
        self.hasher.update(bytes);
        let sealed = self.sealer.push(bytes);
        self.file.write_all(&sealed).await?;
        Ok(())
    }

    /// The whole document has arrived: it is fsynced and its record filled in, with a safe
    /// form of the name it was sent under.
    pub async fn finish(mut self, original: &str) -> Result<(), DocumentError> {
        let Some(kind) = self.kind.or_else(|| DocumentKind::sniff(&self.head)) else {
            return Err(DocumentError::Unsupported);
        };
        self.file.write_all(&self.sealer.finish()).await?;
        self.file.sync_all().await?;
        let Some(doc) = self.docs.docs.last_mut() else {
            return Err(DocumentError::Io(std::io::Error::other(
                "no document begun",
            )));
        };
        let rec = &mut doc.record;
        rec.file_name = safe_file_name(original, kind);
        rec.kind = kind;
        rec.size = self.size;
        rec.sha256 = data_encoding::HEXLOWER.encode(&self.hasher.finalize());
        Ok(())
    }
}
