//! The public [`Bridge`] handle and the table of calls it forwards between.
//!
//! The table maps a call id to at most one leg per role. Forwarding asks it, per packet,
//! for the other leg of the *same* call (see [`Inner::peer_of`]); that lookup is the only
//! path media takes from one connection to another, which is what keeps calls apart.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use crate::config::IceServer;
use tokio::sync::mpsc;

use crate::config::{self, BridgeConfig};
use crate::error::BridgeError;
use crate::leg::{Leg, LegParams};
use crate::ports::PortPool;
use crate::types::{CallStats, Candidate, LegEvent, Role};

/// The video bridge. Cheap to clone: every clone is a handle to the same set of calls.
#[derive(Clone)]
pub struct Bridge {
    inner: Arc<Inner>,
}

/// Shared state behind every [`Bridge`] handle and every leg's tasks.
pub(crate) struct Inner {
    /// The addresses each leg binds (the configured ones, or those found at start).
    pub(crate) ips: Vec<IpAddr>,
    pub(crate) public_ip: Option<IpAddr>,
    pub(crate) ports: Arc<PortPool>,
    calls: Mutex<HashMap<i64, Call>>,
    next_leg_id: AtomicU64,
    /// Legs built and not yet freed (see [`Bridge::live_legs`]).
    pub(crate) live_legs: Arc<AtomicUsize>,
}

/// The legs of one call and its counters.
#[derive(Default)]
struct Call {
    officer: Slot,
    citizen: Slot,
    counters: Arc<CallCounters>,
}

/// One role of a call: its current leg, and the connect in progress for it, if any.
#[derive(Default)]
struct Slot {
    leg: Option<Arc<Leg>>,
    pending: Option<Pending>,
}

/// A [`Bridge::connect`] under way: the browser starts trickling candidates right after it
/// sends its offer, so some arrive before the answer exists. They are kept here and handed
/// to the new leg once it is in place (rather than to the leg it replaces, or refused).
struct Pending {
    id: u64,
    candidates: Vec<Candidate>,
}

impl Call {
    fn slot(&mut self, role: Role) -> &mut Slot {
        match role {
            Role::Officer => &mut self.officer,
            Role::Citizen => &mut self.citizen,
        }
    }

    fn get(&self, role: Role) -> Option<&Arc<Leg>> {
        match role {
            Role::Officer => self.officer.leg.as_ref(),
            Role::Citizen => self.citizen.leg.as_ref(),
        }
    }

    fn is_empty(&self) -> bool {
        [&self.officer, &self.citizen]
            .iter()
            .all(|s| s.leg.is_none() && s.pending.is_none())
    }

    fn legs(self) -> impl Iterator<Item = Arc<Leg>> {
        [self.officer.leg, self.citizen.leg].into_iter().flatten()
    }
}

/// The live counters behind [`CallStats`], updated by the forwarding tasks.
#[derive(Default, Debug)]
pub(crate) struct CallCounters {
    officer_to_citizen: AtomicU64,
    citizen_to_officer: AtomicU64,
    keyframe_requests: AtomicU64,
    estimates_relayed: AtomicU64,
}

impl CallCounters {
    /// One packet from `from`'s leg was written to the other leg.
    pub(crate) fn count_forwarded(&self, from: Role) {
        let counter = match from {
            Role::Officer => &self.officer_to_citizen,
            Role::Citizen => &self.citizen_to_officer,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn count_keyframe_request(&self) {
        self.keyframe_requests.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn count_estimate_relayed(&self) {
        self.estimates_relayed.fetch_add(1, Ordering::Relaxed);
    }

    fn snapshot(&self) -> CallStats {
        CallStats {
            officer_to_citizen: self.officer_to_citizen.load(Ordering::Relaxed),
            citizen_to_officer: self.citizen_to_officer.load(Ordering::Relaxed),
            keyframe_requests: self.keyframe_requests.load(Ordering::Relaxed),
            estimates_relayed: self.estimates_relayed.load(Ordering::Relaxed),
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // The table is only ever changed by whole-value inserts and removals, so it is
    // consistent even if a holder panicked.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Inner {
    /// The leg `leg`'s media goes to, with the counters of their call — if `leg` is still the
    /// current leg of its role (a replaced leg's last packets are dropped, not mixed into the
    /// new leg's stream) and the other participant's leg is connected (before that, SRTP
    /// would refuse every packet).
    pub(crate) fn peer_of(&self, leg: &Leg) -> Option<(Arc<Leg>, Arc<CallCounters>)> {
        let calls = lock(&self.calls);
        let call = calls.get(&leg.call)?;
        if call.get(leg.role)?.id != leg.id {
            return None;
        }
        let peer = call.get(leg.role.other())?;
        if !peer.is_connected() {
            return None;
        }
        Some((Arc::clone(peer), Arc::clone(&call.counters)))
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        // The last handle is gone, but the legs' tasks keep their connections alive: close
        // them, if there is still a runtime to do it on.
        let legs: Vec<Arc<Leg>> = lock(&self.calls)
            .drain()
            .flat_map(|(_, call)| call.legs())
            .collect();
        if legs.is_empty() {
            return;
        }
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                for leg in legs {
                    leg.close().await;
                }
            });
        }
    }
}

impl Bridge {
    /// A bridge with no calls. Finds the local addresses now when none are configured.
    pub fn new(config: BridgeConfig) -> Bridge {
        let ips = if config.bind_ips.is_empty() {
            config::discover_bind_ips()
        } else {
            config.bind_ips.clone()
        };
        if ips.is_empty() {
            tracing::warn!("the video bridge has no address to bind: calls will fail");
        } else {
            tracing::info!(addresses = ?ips, ports = ?config.udp_ports, public = ?config.public_ip, "video bridge ready");
        }
        Bridge {
            inner: Arc::new(Inner {
                ips,
                public_ip: config.public_ip,
                ports: PortPool::new(config.udp_ports.clone()),
                calls: Mutex::new(HashMap::new()),
                next_leg_id: AtomicU64::new(1),
                live_legs: Arc::new(AtomicUsize::new(0)),
            }),
        }
    }

    /// Opens (or replaces, closing the old one) the `role` leg of call `call` from the
    /// browser's SDP offer, gathering candidates with `ice_servers` (STUN/TURN; made for
    /// this call, as TURN credentials expire; only UDP ones are used).
    ///
    /// Returns the SDP answer and a receiver of this leg's events (the bridge's ICE
    /// candidates to trickle to the browser, state changes). Candidates added for this call
    /// and role while this runs are kept for the new leg. If building the new leg fails, a
    /// leg it would have replaced stays as it is. If the call ends, or a newer `connect` for
    /// the same role starts, before this one is done, the new leg is closed again and
    /// [`BridgeError::UnknownLeg`] returned.
    pub async fn connect(
        &self,
        call: i64,
        role: Role,
        offer_sdp: &str,
        ice_servers: &[IceServer],
    ) -> Result<(String, mpsc::Receiver<LegEvent>), BridgeError> {
        let id = self.inner.next_leg_id.fetch_add(1, Ordering::Relaxed);
        lock(&self.inner.calls)
            .entry(call)
            .or_default()
            .slot(role)
            .pending = Some(Pending {
            id,
            candidates: Vec::new(),
        });
        let opened = Leg::open(
            &self.inner,
            LegParams {
                call,
                role,
                id,
                offer_sdp,
                ice_servers: config::rtc_ice_servers(ice_servers),
            },
        )
        .await;

        // Whatever happened, this connect is no longer pending (unless a newer one took over,
        // or the call ended meanwhile: then `installed` is false).
        let (installed, early_candidates, old) = {
            let mut calls = lock(&self.inner.calls);
            match calls.get_mut(&call) {
                None => (false, Vec::new(), None),
                Some(entry) => {
                    let slot = entry.slot(role);
                    let ours = slot.pending.as_ref().is_some_and(|p| p.id == id);
                    let candidates = if ours {
                        slot.pending
                            .take()
                            .map(|p| p.candidates)
                            .unwrap_or_default()
                    } else {
                        Vec::new()
                    };
                    let old = match (&opened, ours) {
                        (Ok((leg, ..)), true) => slot.leg.replace(Arc::clone(leg)),
                        _ => None,
                    };
                    if opened.is_err() && entry.is_empty() {
                        calls.remove(&call);
                    }
                    (ours, candidates, old)
                }
            }
        };
        let (leg, answer, events) = opened?;
        if !installed {
            tracing::info!(call, ?role, leg = id, "leg superseded while connecting");
            leg.close().await;
            return Err(BridgeError::UnknownLeg { call, role });
        }
        tracing::info!(call, ?role, leg = id, port = ?leg.port(), replaced = old.is_some(), "leg connected");
        if let Some(old) = old {
            old.close().await;
        }
        for c in early_candidates {
            if let Err(e) = leg.add_candidate(c).await {
                tracing::debug!(call, ?role, error = %e, "early candidate refused");
            }
        }
        Ok((answer, events))
    }

    /// Hands a candidate from the browser to the `role` leg of `call`. While a
    /// [`Bridge::connect`] for that leg is under way, the candidate is kept for the new leg.
    pub async fn add_candidate(
        &self,
        call: i64,
        role: Role,
        candidate: Candidate,
    ) -> Result<(), BridgeError> {
        let leg = {
            let mut calls = lock(&self.inner.calls);
            let slot = calls
                .get_mut(&call)
                .map(|c| c.slot(role))
                .ok_or(BridgeError::UnknownLeg { call, role })?;
            if let Some(pending) = &mut slot.pending {
                tracing::debug!(
                    call,
                    ?role,
                    leg = pending.id,
                    "candidate kept for the leg being connected"
                );
                pending.candidates.push(candidate);
                return Ok(());
            }
            slot.leg
                .clone()
                .ok_or(BridgeError::UnknownLeg { call, role })?
        };
        leg.add_candidate(candidate).await
    }

    /// Closes one leg. The call (and its counters) stays until [`Bridge::end_call`].
    pub async fn disconnect(&self, call: i64, role: Role) {
        let leg = lock(&self.inner.calls)
            .get_mut(&call)
            .and_then(|c| c.slot(role).leg.take());
        if let Some(leg) = leg {
            tracing::info!(call, ?role, leg = leg.id, "leg disconnected");
            leg.close().await;
        }
    }

    /// Closes both legs and forgets the call.
    pub async fn end_call(&self, call: i64) {
        let removed = lock(&self.inner.calls).remove(&call);
        if let Some(c) = removed {
            tracing::info!(call, stats = ?c.counters.snapshot(), "call ended");
            for leg in c.legs() {
                leg.close().await;
            }
        }
    }

    /// Packets forwarded each way and keyframe requests forwarded, since the call's first
    /// leg connected. `None` for a call the bridge does not know (never connected, or ended).
    pub fn stats(&self, call: i64) -> Option<CallStats> {
        lock(&self.inner.calls)
            .get(&call)
            .map(|c| c.counters.snapshot())
    }

    /// How many legs are open, over all calls.
    pub fn active_legs(&self) -> usize {
        lock(&self.inner.calls)
            .values()
            .map(|c| usize::from(c.officer.leg.is_some()) + usize::from(c.citizen.leg.is_some()))
            .sum()
    }

    /// How many legs exist in memory: the open ones plus closed ones whose tasks are still
    /// winding down. At rest it equals [`Bridge::active_legs`]; a difference that persists
    /// means closed connections are being kept alive (a leak).
    pub fn live_legs(&self) -> usize {
        self.inner.live_legs.load(Ordering::Relaxed)
    }
}
