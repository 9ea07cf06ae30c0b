//! Sealing with the station's data key (`keys/data.key`): the free text the database keeps
//! (a citizen's reason, officers' notes) and the documents on disk, so that the database or
//! the `documents/` folder copied without the key reads as noise.
//!
//! Both use XChaCha20-Poly1305 (random 192-bit nonces, so no counter has to survive a crash).
//! Text is sealed whole; a document is sealed in 64 KiB segments with the STREAM construction,
//! so an upload is encrypted as it arrives and never held in memory whole. No IO here: the
//! callers read and write the bytes.

use std::sync::Arc;

use chacha20poly1305::aead::generic_array::GenericArray;
use chacha20poly1305::aead::stream::{DecryptorBE32, EncryptorBE32};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::Rng;
use sha2::{Digest, Sha256};

/// Why something did not open with this station's key.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    #[error("the data key must be 32 bytes")]
    BadKey,
    #[error("not sealed, or damaged")]
    Malformed,
    #[error("does not open with this station's data key (another box's, or altered)")]
    WrongKey,
}

/// What a sealed text column value starts with, so a person reading the database sees at
/// once that it is sealed.
const TEXT_PREFIX: &str = "sealed1:";
/// The first bytes of a sealed document. Plain documents start with the PDF, JPEG or PNG
/// signature (they are accepted by their first bytes), so the two never look alike.
pub const FILE_MAGIC: &[u8; 8] = b"VAPSEAL1";
/// Plain bytes per segment of a sealed document.
const SEGMENT: usize = 64 * 1024;
const TAG: usize = 16;
/// The STREAM nonce prefix: XChaCha20's 24 bytes less the 5 of the segment counter and flag.
const PREFIX: usize = 19;

/// The station's data key, ready to seal and open. Cheap to clone.
#[derive(Clone)]
pub struct DataKey {
    inner: Arc<Keys>,
}

struct Keys {
    text: XChaCha20Poly1305,
    files: [u8; 32],
}

/// One key per use, derived from the key file's bytes, so the text and the file formats
/// never share a key.
fn derive(master: &[u8], purpose: &str) -> [u8; 32] {
    Sha256::new()
        .chain_update(purpose.as_bytes())
        .chain_update(master)
        .finalize()
        .into()
}

impl DataKey {
    pub fn from_bytes(master: &[u8]) -> Result<DataKey, SealError> {
        if master.len() != 32 {
            return Err(SealError::BadKey);
        }
        Ok(DataKey {
            inner: Arc::new(Keys {
                text: XChaCha20Poly1305::new(&derive(master, "vappoint data text v1").into()),
                files: derive(master, "vappoint data files v1"),
            }),
        })
    }

    /// A fresh random key, as the key file holds it.
    pub fn generate() -> [u8; 32] {
        rand::rng().random()
    }

    /// Seals a text for a TEXT column: `sealed1:` and base64 of nonce and ciphertext.
    pub fn seal_text(&self, plain: &str) -> String {
        let nonce: [u8; 24] = rand::rng().random();
        let mut out = nonce.to_vec();
        out.extend(
            self.inner
                .text
                .encrypt(XNonce::from_slice(&nonce), plain.as_bytes())
                .expect("encrypting a text cannot fail"),
        );
        format!("{TEXT_PREFIX}{}", data_encoding::BASE64_NOPAD.encode(&out))
    }

    pub fn open_text(&self, sealed: &str) -> Result<String, SealError> {
        let b64 = sealed
            .strip_prefix(TEXT_PREFIX)
            .ok_or(SealError::Malformed)?;
        let bytes = data_encoding::BASE64_NOPAD
            .decode(b64.as_bytes())
            .map_err(|_| SealError::Malformed)?;
        if bytes.len() < 24 + TAG {
            return Err(SealError::Malformed);
        }
        let (nonce, body) = bytes.split_at(24);
        let plain = self
            .inner
            .text
            .decrypt(XNonce::from_slice(nonce), body)
            .map_err(|_| SealError::WrongKey)?;
        String::from_utf8(plain).map_err(|_| SealError::Malformed)
    }

    /// Starts sealing a document stored under `name` (bound to it: a sealed file moved to
    /// another document's name does not open).
    pub fn seal_file(&self, name: &str) -> FileSealer {
        let prefix: [u8; PREFIX] = rand::rng().random();
        let aead = XChaCha20Poly1305::new(&self.inner.files.into());
        let mut pending = FILE_MAGIC.to_vec();
        pending.extend_from_slice(&prefix);
        FileSealer {
            enc: EncryptorBE32::from_aead(aead, GenericArray::from_slice(&prefix)),
            name: name.as_bytes().to_vec(),
            buf: Vec::with_capacity(SEGMENT + 1),
            header: Some(pending),
        }
    }

    /// Opens a whole sealed document stored under `name`.
    pub fn open_file(&self, name: &str, sealed: &[u8]) -> Result<Vec<u8>, SealError> {
        let body = sealed
            .strip_prefix(FILE_MAGIC.as_slice())
            .ok_or(SealError::Malformed)?;
        if body.len() < PREFIX + TAG {
            return Err(SealError::Malformed);
        }
        let (prefix, mut rest) = body.split_at(PREFIX);
        let aead = XChaCha20Poly1305::new(&self.inner.files.into());
        let mut dec = DecryptorBE32::from_aead(aead, GenericArray::from_slice(prefix));
        let mut out = Vec::with_capacity(rest.len());
        let aad = name.as_bytes();
        while rest.len() > SEGMENT + TAG {
            let (seg, tail) = rest.split_at(SEGMENT + TAG);
            out.extend(
                dec.decrypt_next(Payload { msg: seg, aad })
                    .map_err(|_| SealError::WrongKey)?,
            );
            rest = tail;
        }
        out.extend(
            dec.decrypt_last(Payload { msg: rest, aad })
                .map_err(|_| SealError::WrongKey)?,
        );
        Ok(out)
    }
}

/// Whether these first bytes of a file are a sealed document's.
pub fn is_sealed_file(head: &[u8]) -> bool {
    head.starts_with(FILE_MAGIC)
}

/// A document being sealed as its bytes arrive: `push` the plain bytes and write what it
/// gives back, then write what `finish` gives.
pub struct FileSealer {
    enc: EncryptorBE32<XChaCha20Poly1305>,
    name: Vec<u8>,
    buf: Vec<u8>,
    header: Option<Vec<u8>>,
}

impl FileSealer {
    /// Takes plain bytes; returns the sealed bytes ready to be written (often none: a
    /// segment is sealed once it is full).
    pub fn push(&mut self, mut plain: &[u8]) -> Vec<u8> {
        let mut out = self.header.take().unwrap_or_default();
        while !plain.is_empty() {
            let take = (SEGMENT + 1 - self.buf.len()).min(plain.len());
            self.buf.extend_from_slice(&plain[..take]);
            plain = &plain[take..];
            // Seal a segment only once a byte beyond it has arrived: the last segment, even a
            // full one, must be sealed as the last.
            if self.buf.len() == SEGMENT + 1 {
                let sealed = self
                    .enc
                    .encrypt_next(Payload {
                        msg: &self.buf[..SEGMENT],
                        aad: &self.name,
                    })
                    .expect("encrypting a segment cannot fail");
                out.extend(sealed);
                self.buf.drain(..SEGMENT);
            }
        }
        out
    }

    /// The rest of the sealed file: the last segment.
    pub fn finish(mut self) -> Vec<u8> {
        let mut out = self.header.take().unwrap_or_default();
        out.extend(
            self.enc
                .encrypt_last(Payload {
                    msg: &self.buf,
                    aad: &self.name,
                })
                .expect("encrypting a segment cannot fail"),
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> DataKey {
        DataKey::from_bytes(&[7; 32]).unwrap()
    }

    #[test]
    fn text_round_trip_and_tamper() {
        let k = key();
        let sealed = k.seal_text("My bicycle was stolen near the market.");
        assert!(sealed.starts_with("sealed1:") && !sealed.contains("bicycle"));
        assert_eq!(
            k.open_text(&sealed).unwrap(),
            "My bicycle was stolen near the market."
        );
        // Two seals of one text differ (fresh nonces).
        assert_ne!(
            sealed,
            k.seal_text("My bicycle was stolen near the market.")
        );
        let other = DataKey::from_bytes(&[8; 32]).unwrap();
        assert!(matches!(other.open_text(&sealed), Err(SealError::WrongKey)));
        assert!(matches!(k.open_text("plain"), Err(SealError::Malformed)));
    }

    #[test]
    fn files_round_trip_at_every_segment_edge() {
        let k = key();
        for len in [
            0,
            1,
            SEGMENT - 1,
            SEGMENT,
            SEGMENT + 1,
            3 * SEGMENT,
            3 * SEGMENT + 5,
        ] {
            let plain: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
            let mut s = k.seal_file("doc1");
            let mut sealed = Vec::new();
            // In uneven pieces, as a request's body arrives.
            for piece in plain.chunks(7_777) {
                sealed.extend(s.push(piece));
            }
            sealed.extend(s.finish());
            assert!(is_sealed_file(&sealed));
            assert_eq!(k.open_file("doc1", &sealed).unwrap(), plain, "{len}");
            // Bound to its name, and to its end: a truncated file does not open.
            assert!(k.open_file("doc2", &sealed).is_err(), "{len}");
            if len > SEGMENT {
                let cut = &sealed[..sealed.len() - (len % SEGMENT) - TAG];
                assert!(k.open_file("doc1", cut).is_err(), "{len}");
            }
        }
    }
}
