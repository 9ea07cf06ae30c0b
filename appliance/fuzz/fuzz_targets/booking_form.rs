//! The booking form as the internet can send it: any multipart body (boundary `XyZ`) through
//! the station's own reader, which checks the form before the first file, sizes, counts and
//! document kinds while it streams, and keeps no file of a refused booking.
#![no_main]

use std::sync::LazyLock;

use axum::body::Body;
use axum::extract::{FromRequest, Multipart};
use axum::http::Request;
use libfuzzer_sys::fuzz_target;
use vappoint::station::documents::{DocumentsDir, StoredDocs};
use vappoint::station::web::Failure;
use vappoint::station::web::upload::{OnRefusal, read_booking};
use vappoint_wire::ErrorCode;

static RUNTIME: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a tokio runtime")
});
static TEMP: LazyLock<tempfile::TempDir> =
    LazyLock::new(|| tempfile::tempdir().expect("a temporary directory"));
static DIR: LazyLock<DocumentsDir> = LazyLock::new(|| {
    let key = vappoint_store::seal::DataKey::from_bytes(&[7; 32]).expect("a data key");
    DocumentsDir::new(TEMP.path(), &key)
});

fuzz_target!(|data: &[u8]| {
    RUNTIME.block_on(async {
        for on_refusal in [OnRefusal::Stop, OnRefusal::ReadOn] {
            let request = Request::builder()
                .method("POST")
                .header("content-type", "multipart/form-data; boundary=XyZ")
                .body(Body::from(data.to_vec()))
                .expect("a request");
            let Ok(multipart) = Multipart::from_request(request, &()).await else {
                return;
            };
            // The booking's checks before any file is written: here, only officer 1 passes.
            let check = |fields: &std::collections::HashMap<String, String>| {
                let pass = fields.get("officer_id").is_some_and(|v| v == "1");
                Box::pin(async move {
                    if pass {
                        Ok(())
                    } else {
                        Err(Failure::Refused(ErrorCode::BadRequest))
                    }
                }) as vappoint::station::web::upload::Check<()>
            };
            // Kept documents are removed when `upload` drops (nobody committed them).
            let upload = read_booking(StoredDocs::new(&DIR), multipart, on_refusal, check).await;
            drop(upload);
        }
    });
});
