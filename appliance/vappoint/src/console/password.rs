//! Passwords and secrets compared in constant time: Argon2id hashes for officers and hub admins.

use argon2::password_hash::{PasswordHash, SaltString};
use argon2::{Argon2, Block};
use subtle::ConstantTimeEq;

pub const MIN_PASSWORD: usize = 10;

/// At most this many Argon2id computations at once, process-wide: each takes ~19 MB, so a
/// burst of logins (which needs no account) cannot grow memory with it; the rest wait.
static AT_ONCE: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

/// [`verify_password`] on a blocking thread, in turn with the other password computations.
pub async fn check(password: String, hash: String) -> bool {
    let Ok(_turn) = AT_ONCE.acquire().await else {
        return false;
    };
    tokio::task::spawn_blocking(move || verify_password(&password, &hash))
        .await
        .unwrap_or(false)
}

/// [`hash_password`] on a blocking thread, in turn with the other password computations.
pub async fn hashed(password: String) -> anyhow::Result<String> {
    let _turn = AT_ONCE.acquire().await?;
    tokio::task::spawn_blocking(move || hash_password(&password)).await?
}

pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::encode_b64(&rand::random::<[u8; 16]>())
        .map_err(|e| anyhow::anyhow!("salt: {e}"))?;
    let argon = Argon2::default();
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = salt
        .decode_b64(&mut salt_bytes)
        .map_err(|e| anyhow::anyhow!("salt: {e}"))?;
    let mut out = [0u8; argon2::Params::DEFAULT_OUTPUT_LEN];
    with_blocks(argon.params().block_count(), |blocks| {
        argon.hash_password_into_with_memory(password.as_bytes(), salt_bytes, &mut out, blocks)
    })
    .map_err(|e| anyhow::anyhow!("hashing the password: {e}"))?;
    let output = argon2::password_hash::Output::new(&out)
        .map_err(|e| anyhow::anyhow!("hashing the password: {e}"))?;
    let params = argon2::password_hash::ParamsString::try_from(argon.params())
        .map_err(|e| anyhow::anyhow!("hashing the password: {e}"))?;
    Ok(PasswordHash {
        algorithm: argon2::Algorithm::Argon2id.ident(),
        version: Some(argon2::Version::V0x13.into()),
        params,
        salt: Some(salt.as_salt()),
        hash: Some(output),
    }
    .to_string())
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    let Ok(h) = PasswordHash::new(hash) else {
        return false;
    };
    let (Ok(algorithm), Ok(params), Some(salt), Some(expected)) = (
        argon2::Algorithm::try_from(h.algorithm),
        argon2::Params::try_from(&h),
        h.salt,
        h.hash,
    ) else {
        return false;
    };
    let version = h
        .version
        .map_or(Ok(argon2::Version::V0x13), argon2::Version::try_from);
    let mut salt_bytes = [0u8; 64];
    let (Ok(version), Ok(salt_bytes)) = (version, salt.decode_b64(&mut salt_bytes)) else {
        return false;
    };
    if params.block_count() > MAX_BLOCKS {
        return false;
    }
    let argon = Argon2::new(algorithm, version, params.clone());
    let mut out = vec![0u8; expected.len()];
    let done = with_blocks(params.block_count(), |blocks| {
        argon.hash_password_into_with_memory(password.as_bytes(), salt_bytes, &mut out, blocks)
    });
    done.is_ok() && bool::from(out.as_slice().ct_eq(expected.as_bytes()))
}

/// Argon2's working memory (1 KiB blocks) is kept between computations and reused: allocated
/// afresh for each, the 19 MB of each check stayed with the allocator's per-thread arenas,
/// and a burst of logins left the process hundreds of MB larger. There are at most
/// [`AT_ONCE`] buffers in async use (more only from synchronous callers such as the CLI).
static BLOCKS: std::sync::Mutex<Vec<Vec<Block>>> = std::sync::Mutex::new(Vec::new());

/// The largest working memory a stored hash may ask for (64 MiB).
const MAX_BLOCKS: usize = 64 * 1024;

fn with_blocks<R>(count: usize, f: impl FnOnce(&mut [Block]) -> R) -> R {
    let pool = || BLOCKS.lock().unwrap_or_else(|e| e.into_inner());
    let mut blocks = pool().pop().unwrap_or_default();
    if blocks.len() < count {
        blocks.resize(count, Block::default());
    }
    let result = f(&mut blocks[..count]);
    pool().push(blocks);
    result
}

pub fn same(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argon2id_round_trip() {
        let h = hash_password("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("wrong", &h));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn hashes_made_by_the_argon2_crate_itself_still_verify() {
        use argon2::password_hash::{PasswordHasher, PasswordVerifier};
        // Officers' hashes stored before the working memory was pooled.
        let salt = SaltString::encode_b64(b"sixteen byte slt").unwrap();
        let old = Argon2::default()
            .hash_password(b"an older password", &salt)
            .unwrap()
            .to_string();
        assert!(verify_password("an older password", &old));
        assert!(!verify_password("an older passwore", &old));
        // And the crate accepts the hashes made here.
        let new = hash_password("a newer password").unwrap();
        let parsed = PasswordHash::new(&new).unwrap();
        assert!(
            Argon2::default()
                .verify_password(b"a newer password", &parsed)
                .is_ok()
        );
    }
}
