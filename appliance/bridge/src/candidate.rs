//! ICE candidates between the browser's JSON form and webrtc's, and the extra candidate that
//! announces a port-forwarded public address.

use std::net::IpAddr;

use webrtc::peer_connection::{
    RTCIceCandidate, RTCIceCandidateInit, RTCIceCandidateType, RTCIceProtocol,
};

use crate::types::Candidate;

/// The browser's candidate in webrtc's form.
pub(crate) fn to_rtc(candidate: Candidate) -> RTCIceCandidateInit {
    RTCIceCandidateInit {
        candidate: candidate.candidate,
        sdp_mid: candidate.sdp_mid,
        sdp_mline_index: candidate.sdp_mline_index,
        ..Default::default()
    }
}

/// A local candidate in the browser's form, tagged with the answer's first media section.
///
/// webrtc's `to_json` sets `sdpMid` to `""`, which names no media section: browsers are right
/// to reject that. With BUNDLE every section shares the transport, so the first one's MID
/// (and index 0) is correct for every candidate.
pub(crate) fn from_rtc(candidate: &RTCIceCandidate, mid: Option<&str>) -> Option<Candidate> {
    let init = candidate.to_json().ok()?;
    Some(Candidate {
        candidate: init.candidate,
        sdp_mid: mid.map(str::to_owned).or(init.sdp_mid),
        sdp_mline_index: Some(0),
    })
}

/// The candidate a browser outside the station's network must use when `public_ip` is
/// forwarded 1:1 to this box: the host candidate's port on the public address, as a
/// server-reflexive candidate related to the host one.
///
/// Only UDP host candidates of the public address's family qualify. The bridge's own ICE
/// agent does not need to know this candidate: the browser's checks arrive on the host socket
/// and are answered from there; the forwarding NAT maps the answers back to the public address.
pub(crate) fn public_candidate(
    host: &RTCIceCandidate,
    public_ip: IpAddr,
) -> Option<RTCIceCandidate> {
    if host.typ != RTCIceCandidateType::Host || host.protocol != RTCIceProtocol::Udp {
        return None;
    }
    let host_ip: IpAddr = host.address.parse().ok()?;
    if host_ip.is_ipv4() != public_ip.is_ipv4() || host_ip == public_ip {
        return None;
    }
    // RFC 8445 §5.1.2.1: the type preference sits in the top byte; 100 is the
    // server-reflexive one, the rest of the host candidate's priority is kept.
    let priority = (100u32 << 24) | (host.priority & 0x00FF_FFFF);
    // A foundation differs between candidates of different type and base; a prefix keeps it
    // within the 32 ice-chars allowed.
    let mut foundation = format!("n{}", host.foundation);
    foundation.truncate(32);
    Some(RTCIceCandidate {
        id: String::new(),
        foundation,
        priority,
        address: public_ip.to_string(),
        protocol: RTCIceProtocol::Udp,
        port: host.port,
        typ: RTCIceCandidateType::Srflx,
        component: host.component,
        related_address: host.address.clone(),
        related_port: host.port,
        ..host.clone()
    })
}

/// The MID of the first media section of an SDP, if any.
pub(crate) fn first_mid(sdp: &str) -> Option<String> {
    sdp.lines()
        .find_map(|l| l.trim().strip_prefix("a=mid:"))
        .map(|m| m.trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(address: &str, port: u16) -> RTCIceCandidate {
        RTCIceCandidate {
            foundation: "1234".into(),
            priority: (126 << 24) | (65535 << 8) | 255,
            address: address.into(),
            protocol: RTCIceProtocol::Udp,
            port,
            typ: RTCIceCandidateType::Host,
            component: 1,
            ..Default::default()
        }
    }

    #[test]
    fn public_candidate_is_srflx_on_the_same_port() {
        let public: IpAddr = "203.0.113.7".parse().unwrap();
        let c = public_candidate(&host("192.168.1.10", 40002), public).unwrap();
        assert_eq!(c.address, "203.0.113.7");
        assert_eq!(c.port, 40002);
        assert_eq!(c.typ, RTCIceCandidateType::Srflx);
        assert_eq!(c.related_address, "192.168.1.10");
        assert_eq!(c.related_port, 40002);
        assert_eq!(c.priority >> 24, 100);
        assert_eq!(c.priority & 0xFF_FFFF, (65535 << 8) | 255);
        assert_ne!(c.foundation, "1234");

        let json = from_rtc(&c, Some("0")).unwrap();
        assert!(
            json.candidate.starts_with("candidate:"),
            "{}",
            json.candidate
        );
        assert!(
            json.candidate
                .contains("203.0.113.7 40002 typ srflx raddr 192.168.1.10 rport 40002"),
            "{}",
            json.candidate
        );
        assert_eq!(json.sdp_mid.as_deref(), Some("0"));
        assert_eq!(json.sdp_mline_index, Some(0));
    }

    #[test]
    fn no_public_candidate_across_families_or_for_other_types() {
        let v6: IpAddr = "2001:db8::1".parse().unwrap();
        assert!(public_candidate(&host("192.168.1.10", 1), v6).is_none());
        let v4: IpAddr = "203.0.113.7".parse().unwrap();
        let mut relay = host("192.168.1.10", 1);
        relay.typ = RTCIceCandidateType::Relay;
        assert!(public_candidate(&relay, v4).is_none());
        let mut tcp = host("192.168.1.10", 1);
        tcp.protocol = RTCIceProtocol::Tcp;
        assert!(public_candidate(&tcp, v4).is_none());
        // Already public: nothing to add.
        assert!(public_candidate(&host("203.0.113.7", 1), v4).is_none());
    }

    #[test]
    fn browser_candidates_convert_both_ways() {
        let c = Candidate {
            candidate: "candidate:1 1 udp 2122260223 127.0.0.1 5000 typ host".into(),
            sdp_mid: Some("0".into()),
            sdp_mline_index: Some(0),
        };
        let init = to_rtc(c.clone());
        assert_eq!(init.candidate, c.candidate);
        assert_eq!(init.sdp_mid, c.sdp_mid);
        assert_eq!(init.sdp_mline_index, Some(0));
    }

    #[test]
    fn first_mid_of_an_sdp() {
        let sdp = "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:1\r\n";
        assert_eq!(first_mid(sdp).as_deref(), Some("0"));
        assert_eq!(first_mid("v=0\r\n"), None);
    }
}
