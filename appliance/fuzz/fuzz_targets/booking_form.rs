//! The booking form as the internet can send it: any multipart body (boundary `XyZ`) through
//! the station's own reader, which checks sizes, counts and document kinds while it streams
//! and keeps no file of a refused booking.
#![no_main]

use std::sync::LazyLock;

use axum::body::Body;
use axum::extract::{FromRequest, Multipart};
use axum::http::Request;
use libfuzzer_sys::fuzz_target;
use vappoint::station::web::upload::{OnRefusal, read_booking};

static RUNTIME: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a tokio runtime")
});
static DIR: LazyLock<tempfile::TempDir> =
    LazyLock::new(|| tempfile::tempdir().expect("a temporary directory"));

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
            // Kept documents are removed when `upload` drops (nobody committed them).
            let upload = read_booking(DIR.path(), multipart, on_refusal).await;
            drop(upload);
        }
    });
});
