//! A viewer's feedback crosses to the sender of the video: keyframe requests, and what the
//! bridge makes of its estimates and loss reports (a REMB of the bridge's).

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_citizens_bandwidth_estimate_reaches_the_officers_video_sender() {
    let bridge = bridge(41120, 20);
    let officer = Client::new(33, CHROME).await;
    let citizen = Client::new(34, FIREFOX).await;
    officer.join(&bridge, 8, Role::Officer).await.unwrap();
    citizen.join(&bridge, 8, Role::Citizen).await.unwrap();
    assert!(wait_until(DEADLINE, || officer.connected() && citizen.connected()).await);

    officer.start_sending(300, Duration::from_secs(15)).await;
    assert!(
        wait_until(DEADLINE, || citizen.received.from(officer.tag).1 >= 10).await,
        "the citizen receives the officer's video"
    );

    // The citizen's browser estimates 300 kbit/s from delay alone. The officer's browser
    // hears from the bridge about its own video; with no loss reported (loopback loses
    // nothing) the bridge does not hold it back: a delay estimate alone is fooled by jitter
    // (see the bridge's `estimate` module). Sent again until something has crossed, as a
    // browser repeats its REMB.
    let heard = |c: &Client| !c.received.estimates.lock().unwrap().is_empty();
    let end = std::time::Instant::now() + DEADLINE;
    while !heard(&officer) && std::time::Instant::now() < end {
        citizen.send_remb(300_000.0).await;
        wait_until(Duration::from_millis(500), || heard(&officer)).await;
    }
    officer.stop_sending();
    let estimates = officer.received.estimates.lock().unwrap().clone();
    assert!(
        !estimates.is_empty() && estimates.iter().all(|&e| e == 2_500_000.0),
        "the officer saw estimates {estimates:?}; bridge counted {:?}",
        bridge.stats(8)
    );
    assert!(bridge.stats(8).unwrap().estimates_relayed >= 1);
    // Nobody estimated the citizen's video (it sent none), and no keyframe was asked for.
    assert!(citizen.received.estimates.lock().unwrap().is_empty());
    assert_eq!(officer.received.keyframe_requests.load(Ordering::SeqCst), 0);

    officer.close().await;
    citizen.close().await;
    bridge.end_call(8).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_citizen_losing_much_of_the_video_slows_the_officers_sender_down() {
    let bridge = bridge(41140, 20);
    let officer = Client::new(35, CHROME).await;
    // Its reports are the test's own, with no real ones (no loss on loopback) in between.
    let citizen = Client::without_receiver_reports(36, FIREFOX).await;
    officer.join(&bridge, 9, Role::Officer).await.unwrap();
    citizen.join(&bridge, 9, Role::Citizen).await.unwrap();
    assert!(wait_until(DEADLINE, || officer.connected() && citizen.connected()).await);

    officer.start_sending(300, Duration::from_secs(20)).await;
    assert!(
        wait_until(DEADLINE, || citizen.received.from(officer.tag).1 >= 10).await,
        "the citizen receives the officer's video"
    );
    // A first report, with nothing lost, starts the bridge's count; then, a second or more
    // later each time (the bridge counts loss over at least a second), 400 more lost of the
    // next 1,000 or so: 40 %. Reported again until the bridge has counted it.
    let start = citizen.received.highest_video_seq();
    citizen.send_loss_report(0, start).await;
    let below = |c: &Client| {
        c.received
            .estimates
            .lock()
            .unwrap()
            .iter()
            .any(|&e| e < 2_500_000.0)
    };
    let end = std::time::Instant::now() + DEADLINE;
    let (mut lost, mut highest) = (0, start);
    while !below(&officer) && std::time::Instant::now() < end {
        wait_until(Duration::from_millis(1200), || below(&officer)).await;
        lost += 400;
        highest += 1000;
        citizen.send_loss_report(lost, highest).await;
    }
    wait_until(Duration::from_secs(2), || below(&officer)).await;
    officer.stop_sending();
    let estimates = officer.received.estimates.lock().unwrap().clone();
    // About 125 kbit/s goes to the citizen; 60 % of it got through.
    let lowest = estimates.iter().copied().fold(f32::MAX, f32::min);
    assert!(
        (60_000.0..=200_000.0).contains(&lowest),
        "the officer saw estimates {estimates:?}"
    );

    officer.close().await;
    citizen.close().await;
    bridge.end_call(9).await;
}
