//! Keyframe requests cross from the viewer to the sender of the video.

use std::sync::atomic::Ordering;
use std::time::Duration;

use vappoint_bridge::Role;

use crate::client::{CHROME, Client, FIREFOX};
use crate::{DEADLINE, bridge, wait_until};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_citizens_pli_reaches_the_officers_video_sender() {
    let bridge = bridge(41040, 20);
    let officer = Client::new(31, CHROME).await;
    let citizen = Client::new(32, FIREFOX).await;
    officer.join(&bridge, 7, Role::Officer).await.unwrap();
    citizen.join(&bridge, 7, Role::Citizen).await.unwrap();
    assert!(wait_until(DEADLINE, || officer.connected() && citizen.connected()).await);

    officer.start_sending(300, Duration::from_secs(15)).await;
    assert!(
        wait_until(DEADLINE, || citizen.received.from(officer.tag).1 >= 10).await,
        "the citizen receives the officer's video"
    );

    let seen_before = officer.received.keyframe_requests.load(Ordering::SeqCst);
    let counted_before = bridge.stats(7).unwrap().keyframe_requests;
    // A PLI is one RTCP packet over UDP; like a browser, the citizen asks again until the
    // keyframe request has crossed (on a loaded machine the first may come too early).
    let mut crossed = false;
    let end = std::time::Instant::now() + DEADLINE;
    while !crossed && std::time::Instant::now() < end {
        citizen.send_pli().await;
        crossed = wait_until(Duration::from_millis(500), || {
            officer.received.keyframe_requests.load(Ordering::SeqCst) > seen_before
                && bridge.stats(7).unwrap().keyframe_requests > counted_before
        })
        .await;
    }
    officer.stop_sending();
    assert!(
        crossed,
        "officer saw {} keyframe requests (before: {seen_before}), bridge counted {:?} (before: {counted_before})",
        officer.received.keyframe_requests.load(Ordering::SeqCst),
        bridge.stats(7)
    );
    // The citizen sent nothing, so nothing asked it for a keyframe.
    assert_eq!(citizen.received.keyframe_requests.load(Ordering::SeqCst), 0);

    officer.close().await;
    citizen.close().await;
    bridge.end_call(7).await;
}
