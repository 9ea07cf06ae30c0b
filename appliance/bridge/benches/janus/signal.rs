//! Janus's HTTP API, enough to put two bench clients in a call through its VideoCall plugin:
//! each client gets a session and a handle, registers a name, and the officer calls the
//! citizen. Events arrive by long poll; candidates go up by trickle.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::client::Client;

/// How long a Janus answer (or the event a request leads to) may take.
const ANSWER_DEADLINE: Duration = Duration::from_secs(30);

static TRANSACTION: AtomicU64 = AtomicU64::new(0);

/// A Janus server's HTTP API (`http://127.0.0.1:PORT/janus`).
#[derive(Clone)]
pub struct Janus {
    base: String,
    http: reqwest::Client,
}

/// One client's session and VideoCall handle, with the plugin's events as they arrive.
pub struct Handle {
    janus: Janus,
    url: String,
    events: mpsc::UnboundedReceiver<Value>,
}

impl Janus {
    pub fn new(base: &str) -> Janus {
        Janus {
            base: base.trim_end_matches('/').to_owned(),
            http: reqwest::Client::new(),
        }
    }

    async fn post(&self, url: &str, mut body: Value) -> Value {
        body["transaction"] = json!(TRANSACTION.fetch_add(1, Ordering::Relaxed).to_string());
        let answer: Value = self
            .http
            .post(url)
            .json(&body)
            .timeout(ANSWER_DEADLINE)
            .send()
            .await
            .expect("janus answers")
            .json()
            .await
            .expect("janus answers JSON");
        assert!(
            matches!(answer["janus"].as_str(), Some("success" | "ack")),
            "janus refused {body}: {answer}"
        );
        answer
    }

    /// A new session with the VideoCall plugin attached, its events polled from now on.
    pub async fn attach(&self) -> Handle {
        let session = self.post(&self.base, json!({"janus": "create"})).await["data"]["id"]
            .as_u64()
            .expect("session id");
        let session_url = format!("{}/{session}", self.base);
        let handle = self
            .post(
                &session_url,
                json!({"janus": "attach", "plugin": "janus.plugin.videocall"}),
            )
            .await["data"]["id"]
            .as_u64()
            .expect("handle id");
        let (tx, events) = mpsc::unbounded_channel();
        let (http, poll) = (self.http.clone(), format!("{session_url}?maxev=10"));
        // The long poll also keeps the session alive; it ends with the bench.
        tokio::spawn(async move {
            loop {
                let Ok(r) = http
                    .get(&poll)
                    .timeout(Duration::from_secs(60))
                    .send()
                    .await
                else {
                    return;
                };
                let Ok(body) = r.json::<Value>().await else {
                    return;
                };
                let list = match body {
                    Value::Array(list) => list,
                    one => vec![one],
                };
                for event in list {
                    if event["janus"] == "event" && tx.send(event).is_err() {
                        return;
                    }
                }
            }
        });
        Handle {
            janus: self.clone(),
            url: format!("{session_url}/{handle}"),
            events,
        }
    }
}

impl Handle {
    async fn message(&self, body: Value, jsep: Option<Value>) {
        let mut m = json!({"janus": "message", "body": body});
        if let Some(jsep) = jsep {
            m["jsep"] = jsep;
        }
        self.janus.post(&self.url, m).await;
    }

    /// Waits for the plugin's event `name`; returns it whole (with its `jsep`, if any).
    async fn event(&mut self, name: &str) -> Value {
        loop {
            let event = tokio::time::timeout(ANSWER_DEADLINE, self.events.recv())
                .await
                .unwrap_or_else(|_| panic!("no '{name}' event from janus"))
                .expect("the poll runs");
            let data = &event["plugindata"]["data"];
            if let Some(error) = data.get("error") {
                panic!("janus: {error} (waiting for '{name}')");
            }
            if data["result"]["event"] == name {
                return event;
            }
        }
    }

    pub async fn register(&mut self, name: &str) {
        self.message(json!({"request": "register", "username": name}), None)
            .await;
        self.event("registered").await;
    }

    /// Sends the client's candidates to Janus as it gathers them.
    pub fn trickle(&self, client: &Client) {
        let mut local = client.take_local_candidates();
        let (janus, url) = (self.janus.clone(), self.url.clone());
        tokio::spawn(async move {
            while let Some(c) = local.recv().await {
                let candidate = json!({
                    "candidate": c.candidate,
                    "sdpMid": c.sdp_mid,
                    "sdpMLineIndex": c.sdp_mline_index,
                });
                janus
                    .post(&url, json!({"janus": "trickle", "candidate": candidate}))
                    .await;
            }
        });
    }
}

/// Puts `officer` and `citizen` in a call through Janus, named after `call`: the officer
/// offers, Janus passes the offer on, the citizen answers. Returns the two handles, which
/// must live as long as the call.
pub async fn call(
    janus: &Janus,
    call: i64,
    officer: &Client,
    citizen: &Client,
) -> Arc<[Handle; 2]> {
    let (mut caller, mut callee) = (janus.attach().await, janus.attach().await);
    let (from, to) = (format!("officer-{call}"), format!("citizen-{call}"));
    caller.register(&from).await;
    callee.register(&to).await;
    let offer = officer.offer().await;
    caller
        .message(
            json!({"request": "call", "username": to}),
            Some(json!({"type": "offer", "sdp": offer})),
        )
        .await;
    caller.trickle(officer);
    let incoming = callee.event("incomingcall").await;
    let offer = incoming["jsep"]["sdp"]
        .as_str()
        .expect("the call's offer")
        .to_owned();
    let answer = citizen.answer(offer).await;
    callee
        .message(
            json!({"request": "accept"}),
            Some(json!({"type": "answer", "sdp": answer})),
        )
        .await;
    callee.trickle(citizen);
    let accepted = caller.event("accepted").await;
    let answer = accepted["jsep"]["sdp"]
        .as_str()
        .expect("the call's answer")
        .to_owned();
    // Janus puts its candidates in its descriptions: no events to follow.
    let (_none, nothing) = mpsc::channel(1);
    officer.accept(answer, nothing).await;
    Arc::new([caller, callee])
}
