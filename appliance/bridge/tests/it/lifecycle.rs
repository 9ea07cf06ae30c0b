//! Legs come and go: replacement, disconnection, the end of a call, and the errors around them.

use std::time::Duration;

use vappoint_bridge::{Bridge, BridgeConfig, BridgeError, Candidate, LegEvent, Role};

use crate::client::{CHROME, Client};
use crate::{DEADLINE, bridge, wait_until};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_officer_replaces_the_first_and_end_call_closes_everything() {
    let bridge = bridge(41060, 20);
    let first = Client::new(41, CHROME).await;
    let citizen = Client::new(42, CHROME).await;
    first.join(&bridge, 3, Role::Officer).await.unwrap();
    citizen.join(&bridge, 3, Role::Citizen).await.unwrap();
    assert!(wait_until(DEADLINE, || first.connected() && citizen.connected()).await);
    first.start_sending(300, Duration::from_secs(15)).await;
    citizen.start_sending(300, Duration::from_secs(15)).await;
    assert!(
        wait_until(DEADLINE, || citizen.received.from(first.tag).1 >= 10).await,
        "the first officer's video reaches the citizen"
    );

    // The officer reloads the page: a new connection for the same call and role.
    let second = Client::new(43, CHROME).await;
    second.join(&bridge, 3, Role::Officer).await.unwrap();
    assert!(
        wait_until(DEADLINE, || first.saw(&LegEvent::Closed)).await,
        "the replaced leg is told it is closed"
    );
    assert_eq!(bridge.active_legs(), 2, "still one officer and one citizen");
    assert!(wait_until(DEADLINE, || second.connected()).await);
    second.start_sending(300, Duration::from_secs(15)).await;
    assert!(
        wait_until(DEADLINE, || {
            citizen.received.from(second.tag).1 >= 10 && second.received.from(citizen.tag).1 >= 10
        })
        .await,
        "media flows between the new officer and the citizen: citizen got {:?}, new officer got {:?}",
        citizen.received.from(second.tag),
        second.received.from(citizen.tag)
    );
    // The citizen's view of the officer stays one stream across the replacement, its
    // sequence numbers running on without a jump.
    assert_eq!(citizen.received.ssrcs().1.len(), 1);
    let (contiguous, n) = citizen.received.video_seqs_contiguous();
    assert!(
        contiguous,
        "the {n} video sequence numbers continue across the replacement"
    );
    let old_total = citizen.received.from(first.tag);
    let first_got = first.received.total();
    for c in [&first, &citizen, &second] {
        c.stop_sending();
    }

    bridge.end_call(3).await;
    assert_eq!(bridge.active_legs(), 0);
    assert_eq!(bridge.stats(3), None, "the call is forgotten");
    assert!(
        wait_until(DEADLINE, || second.saw(&LegEvent::Closed)
            && citizen.saw(&LegEvent::Closed))
        .await,
        "both remaining legs are told they are closed"
    );
    assert!(
        wait_until(DEADLINE, || bridge.live_legs() == 0).await,
        "closed legs are freed ({} still alive)",
        bridge.live_legs()
    );
    // Nothing from the replaced officer reached anyone after it was replaced, and it got
    // nothing more either (the counts only grow while a leg is live).
    assert_eq!(citizen.received.from(first.tag), old_total);
    assert_eq!(first.received.total(), first_got);

    for c in [&first, &citizen, &second] {
        c.close().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disconnect_closes_one_leg_and_frees_its_port() {
    // One port only: the second leg can only be built once the first has given it back.
    let bridge = bridge(41080, 1);
    let officer = Client::new(51, CHROME).await;
    officer.join(&bridge, 5, Role::Officer).await.unwrap();
    assert_eq!(bridge.active_legs(), 1);

    let citizen = Client::new(52, CHROME).await;
    match citizen.join(&bridge, 5, Role::Citizen).await {
        Err(BridgeError::NoFreePort { first, last }) => assert_eq!((first, last), (41080, 41080)),
        other => panic!("expected NoFreePort, got {other:?}"),
    }
    assert_eq!(bridge.active_legs(), 1);

    bridge.disconnect(5, Role::Officer).await;
    assert_eq!(bridge.active_legs(), 0);
    assert!(
        wait_until(DEADLINE, || bridge.live_legs() == 0).await,
        "the closed leg is freed"
    );
    assert!(wait_until(DEADLINE, || officer.saw(&LegEvent::Closed)).await);
    assert!(bridge.stats(5).is_some(), "the call is kept until it ends");

    let citizen = Client::new(53, CHROME).await;
    citizen.join(&bridge, 5, Role::Citizen).await.unwrap();
    assert_eq!(bridge.active_legs(), 1);
    bridge.end_call(5).await;
    assert_eq!(bridge.active_legs(), 0);
    officer.close().await;
    citizen.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_reported() {
    let bridge = bridge(41090, 5);
    match bridge
        .connect(1, Role::Officer, "this is not SDP", &[])
        .await
    {
        Err(BridgeError::BadSdp(_)) => {}
        other => panic!("expected BadSdp, got {:?}", other.map(|(sdp, _)| sdp)),
    }
    let candidate = Candidate {
        candidate: "candidate:1 1 udp 2122260223 127.0.0.1 5000 typ host".into(),
        sdp_mid: Some("0".into()),
        sdp_mline_index: Some(0),
    };
    match bridge.add_candidate(9, Role::Citizen, candidate).await {
        Err(BridgeError::UnknownLeg {
            call: 9,
            role: Role::Citizen,
        }) => {}
        other => panic!("expected UnknownLeg, got {other:?}"),
    }
    // Closing what is not there is not an error.
    bridge.disconnect(9, Role::Officer).await;
    bridge.end_call(9).await;
    assert_eq!(bridge.active_legs(), 0);

    // A leg takes candidates, and reports bad ones.
    let client = Client::new(61, CHROME).await;
    client.join(&bridge, 1, Role::Officer).await.unwrap();
    let garbage = Candidate {
        candidate: "candidate:not a candidate".into(),
        sdp_mid: Some("0".into()),
        sdp_mline_index: Some(0),
    };
    assert!(matches!(
        bridge.add_candidate(1, Role::Officer, garbage).await,
        Err(BridgeError::BadCandidate(_))
    ));
    let end_of_candidates = Candidate {
        candidate: String::new(),
        sdp_mid: Some("0".into()),
        sdp_mline_index: Some(0),
    };
    bridge
        .add_candidate(1, Role::Officer, end_of_candidates)
        .await
        .unwrap();
    bridge.end_call(1).await;
    client.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_public_address_is_announced_on_the_legs_port() {
    crate::init_logs();
    // 127.0.0.2 stands in for the router's public address: it is on loopback, so the
    // client's checks towards it stay on this machine (and fail, as nothing listens there).
    let bridge = Bridge::new(BridgeConfig {
        udp_ports: 41095..=41099,
        bind_ips: vec!["127.0.0.1".parse().unwrap()],
        public_ip: Some("127.0.0.2".parse().unwrap()),
    });
    let client = Client::new(71, CHROME).await;
    client.join(&bridge, 1, Role::Officer).await.unwrap();
    assert!(
        wait_until(DEADLINE, || client.connected()).await,
        "the host candidate still works"
    );
    let candidates = client.bridge_candidates();
    let host = candidates
        .iter()
        .find(|c| c.candidate.contains(" typ host"))
        .expect("a host candidate");
    let port = host.candidate.split_whitespace().nth(5).unwrap().to_owned();
    assert!(
        candidates
            .iter()
            .any(|c| c.candidate.contains(&format!("127.0.0.2 {port} typ srflx"))),
        "a candidate for the public address on port {port}: {candidates:?}"
    );
    assert!(
        candidates.iter().all(|c| c.sdp_mid.as_deref() == Some("0")),
        "{candidates:?}"
    );
    bridge.end_call(1).await;
    client.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn candidates_sent_before_the_answer_are_kept_for_the_new_leg() {
    let bridge = bridge(41100, 5);
    let client = Client::new(81, CHROME).await;
    let offer = client.offer().await;
    let early = client.gathered_candidates().await;
    assert!(!early.is_empty(), "the client gathered its host candidate");
    // Like a browser: the offer goes out, and the candidates follow at once, without
    // waiting for the answer. Building the leg takes milliseconds; the candidates are
    // handed over as soon as the connect has begun.
    let connecting = {
        let bridge = bridge.clone();
        tokio::spawn(async move { bridge.connect(4, Role::Citizen, &offer, &[]).await })
    };
    while bridge.stats(4).is_none() {
        tokio::task::yield_now().await;
    }
    for c in early {
        bridge
            .add_candidate(4, Role::Citizen, c)
            .await
            .expect("a candidate for a leg being connected is kept");
    }
    let (answer, events) = connecting.await.unwrap().unwrap();
    client.accept(answer, events).await;
    client.trickle_to(&bridge, 4, Role::Citizen);
    assert!(wait_until(DEADLINE, || client.connected()).await);
    assert_eq!(client.candidates_sent().1, 0, "no candidate was refused");
    bridge.end_call(4).await;
    client.close().await;
}
