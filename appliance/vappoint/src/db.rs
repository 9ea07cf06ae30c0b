//! Store calls from async code: the store is synchronous (SQLite), so each call runs on
//! tokio's blocking pool, off the threads that serve requests.

use std::sync::Arc;

use vappoint_store::StoreError;

/// Runs `f` on `store` on the blocking pool. A panic in `f` is the caller's panic.
pub async fn blocking<S, T, F>(store: &Arc<S>, f: F) -> Result<T, StoreError>
where
    S: Send + Sync + 'static,
    T: Send + 'static,
    F: FnOnce(&S) -> Result<T, StoreError> + Send + 'static,
{
    let store = store.clone();
    match tokio::task::spawn_blocking(move || f(&store)).await {
        Ok(r) => r,
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    }
}
