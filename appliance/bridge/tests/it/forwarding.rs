//! Media flows between the two legs of a call, and only between them.

use std::sync::atomic::Ordering;
use std::time::Duration;

use vappoint_bridge::{LegEvent, Role};

use crate::client::{CHROME, Client, FIREFOX};
use crate::{DEADLINE, bridge, wait_until};

/// Enough packets of each kind to show a steady flow (20 ms apart: one second's worth).
const ENOUGH: u64 = 50;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn officer_and_citizen_receive_each_others_audio_and_video() {
    let bridge = bridge(41000, 20);
    // Different payload types on the two legs: the bridge has to map them.
    let officer = Client::new(1, CHROME).await;
    let citizen = Client::new(2, FIREFOX).await;
    officer.join(&bridge, 1, Role::Officer).await.unwrap();
    citizen.join(&bridge, 1, Role::Citizen).await.unwrap();
    assert!(
        wait_until(DEADLINE, || officer.connected() && citizen.connected()).await,
        "both clients connect to the bridge"
    );
    assert!(
        wait_until(DEADLINE, || officer.saw(&LegEvent::Connected)
            && citizen.saw(&LegEvent::Connected))
        .await,
        "the bridge reports both legs connected"
    );
    assert_eq!(bridge.active_legs(), 2);

    officer.start_sending(600, Duration::from_secs(15)).await;
    citizen.start_sending(600, Duration::from_secs(15)).await;
    let flowing = wait_until(DEADLINE, || {
        let (a, v) = citizen.received.from(officer.tag);
        let (b, w) = officer.received.from(citizen.tag);
        a >= ENOUGH && v >= ENOUGH && b >= ENOUGH && w >= ENOUGH
    })
    .await;
    officer.stop_sending();
    citizen.stop_sending();
    assert!(
        flowing,
        "citizen got {:?} from the officer, officer got {:?} from the citizen",
        citizen.received.from(officer.tag),
        officer.received.from(citizen.tag)
    );

    // Every packet arrived under the receiver's own payload types, without the sender's
    // header extensions, on one SSRC per kind.
    for (who, c) in [("officer", &officer), ("citizen", &citizen)] {
        assert_eq!(
            c.received.bad_pt.load(Ordering::SeqCst),
            0,
            "{who}: wrong payload types"
        );
        assert_eq!(
            c.received.with_extensions.load(Ordering::SeqCst),
            0,
            "{who}: header extensions were forwarded"
        );
        let (audio, video) = c.received.ssrcs();
        assert_eq!(
            (audio.len(), video.len()),
            (1, 1),
            "{who}: one SSRC per kind"
        );
        assert_ne!(audio[0], video[0]);
        // Padding-only probes are forwarded too, so the video has no holes in its sequence
        // numbers (loopback loses nothing).
        assert!(
            c.received.padding.load(Ordering::SeqCst) > 0,
            "{who}: no padding forwarded"
        );
        let (contiguous, n) = c.received.video_seqs_contiguous();
        assert!(contiguous, "{who}: gaps in the {n} video sequence numbers");
    }

    let stats = bridge.stats(1).expect("call 1 is known");
    let (a, v) = citizen.received.from(officer.tag);
    let (b, w) = officer.received.from(citizen.tag);
    assert!(
        stats.officer_to_citizen >= a + v,
        "stats {stats:?} count what the citizen received ({})",
        a + v
    );
    assert!(
        stats.citizen_to_officer >= b + w,
        "stats {stats:?} count what the officer received ({})",
        b + w
    );
    assert_eq!(bridge.stats(2), None);

    officer.close().await;
    citizen.close().await;
    bridge.end_call(1).await;
    assert_eq!(bridge.active_legs(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_are_isolated_from_each_other() {
    let bridge = bridge(41020, 20);
    let officer = Client::new(11, CHROME).await;
    let citizen = Client::new(12, CHROME).await;
    // A call with only an officer so far: whatever it sends must go nowhere.
    let other = Client::new(21, FIREFOX).await;
    officer.join(&bridge, 1, Role::Officer).await.unwrap();
    citizen.join(&bridge, 1, Role::Citizen).await.unwrap();
    other.join(&bridge, 2, Role::Officer).await.unwrap();
    assert!(
        wait_until(DEADLINE, || officer.connected()
            && citizen.connected()
            && other.connected())
        .await,
        "all three clients connect"
    );
    assert_eq!(bridge.active_legs(), 3);

    for c in [&officer, &citizen, &other] {
        c.start_sending(300, Duration::from_secs(15)).await;
    }
    let flowing = wait_until(DEADLINE, || {
        let (a, v) = citizen.received.from(officer.tag);
        let (b, w) = officer.received.from(citizen.tag);
        a >= ENOUGH && v >= ENOUGH && b >= ENOUGH && w >= ENOUGH
    })
    .await;
    for c in [&officer, &citizen, &other] {
        c.stop_sending();
    }
    assert!(flowing, "call 1 exchanges media");

    // The lone officer of call 2 was sending all along and received nothing; call 1 received
    // only from its own participants.
    assert_eq!(
        other.received.total(),
        0,
        "call 2 received {:?}",
        other.received.tags()
    );
    assert_eq!(citizen.received.tags(), vec![officer.tag]);
    assert_eq!(officer.received.tags(), vec![citizen.tag]);
    let call2 = bridge.stats(2).expect("call 2 is known");
    assert_eq!((call2.officer_to_citizen, call2.citizen_to_officer), (0, 0));

    for c in [&officer, &citizen, &other] {
        c.close().await;
    }
    bridge.end_call(1).await;
    bridge.end_call(2).await;
    assert_eq!(bridge.active_legs(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_answer_lets_a_browser_repair_loss_on_its_leg() {
    // The bridge builds its legs' feedback itself (a shorter retransmission history than the
    // library's default): the answer must still offer NACK, PLI and transport-cc.
    let bridge = bridge(41110, 2);
    let citizen = Client::new(51, CHROME).await;
    let offer = citizen.offer().await;
    let (answer, _events) = bridge.connect(9, Role::Citizen, &offer, &[]).await.unwrap();
    for line in [
        "a=rtcp-fb:96 nack\r\n",
        "a=rtcp-fb:96 nack pli\r\n",
        "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01",
    ] {
        assert!(answer.contains(line), "the answer has {line:?}:\n{answer}");
    }
    bridge.end_call(9).await;
    citizen.close().await;
}
