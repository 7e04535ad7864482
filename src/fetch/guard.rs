//! The private-network guard: which IP addresses a fetch made on behalf of a
//! feed (an item link) may reach, and a DNS resolver that enforces it.
//!
//! Why: item links come from the outside world. Without the guard, a feed
//! could point us at `http://169.254.169.254/` (cloud metadata), the admin page
//! of a router on the LAN, or our own review UI on 127.0.0.1. The check runs on
//! literal IPs before a request, on every redirect target, and on every address
//! a host name resolves to (so DNS rebinding cannot slip past it: we check the
//! very addresses we connect to). The host's own addresses are refused too,
//! public ones included: a service listening on them (the review UI on
//! `0.0.0.0`, an admin port) is as private as loopback.
//!
//! Must not: do any I/O besides the DNS lookup in [`PublicOnlyResolver`] and
//! the bind probe that recognises the host's own addresses ([`is_own_address`]).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::sync::OnceLock;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// True when a fetch for an item link must not reach `ip`: not a public
/// unicast address ([`is_private_address`]) or one of this host's own.
pub fn is_blocked_address(ip: IpAddr) -> bool {
    is_private_address(ip) || is_own_address(ip)
}

/// True when `ip` is not a public unicast address: loopback, private
/// (RFC 1918, unique-local `fc00::/7`), link-local, unspecified, carrier-grade
/// NAT (`100.64.0.0/10`), documentation (RFC 5737, RFC 3849, RFC 9637),
/// multicast, broadcast and reserved ranges, and any of those wrapped in IPv6
/// (IPv4-mapped `::ffff:a.b.c.d`, IPv4-compatible `::a.b.c.d`, NAT64
/// `64:ff9b::/96`, 6to4 `2002::/16`). Teredo (`2001::/32`) and local-use
/// NAT64 (`64:ff9b:1::/48`) are refused whole: the IPv4 address they lead
/// to cannot be read off the IPv6 one (Teredo obfuscates it, and a local
/// NAT64 prefix may put it anywhere).
pub fn is_private_address(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_private_v4(v4),
        IpAddr::V6(v6) => is_private_v6(v6),
    }
}

fn is_private_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    a == 0                                   // 0.0.0.0/8 "this network", incl. unspecified
        || ip.is_loopback()                  // 127.0.0.0/8
        || ip.is_private()                   // 10/8, 172.16/12, 192.168/16 (RFC 1918)
        || ip.is_link_local()                // 169.254/16
        || (a == 100 && (b & 0xc0) == 64)    // 100.64/10 carrier-grade NAT (RFC 6598)
        || (a == 192 && b == 0 && c == 0)    // 192.0.0/24 IETF protocol assignments
        || (a == 198 && (b & 0xfe) == 18)    // 198.18/15 benchmarking (RFC 2544)
        || (a == 192 && b == 0 && c == 2)    // 192.0.2/24 TEST-NET-1 (RFC 5737)
        || (a == 198 && b == 51 && c == 100) // 198.51.100/24 TEST-NET-2
        || (a == 203 && b == 0 && c == 113)  // 203.0.113/24 TEST-NET-3
        || (a == 192 && b == 88 && c == 99)  // 192.88.99/24 former 6to4 relay anycast (RFC 7526)
        || ip.is_multicast()                 // 224/4
        || a >= 240 // 240/4 reserved, incl. 255.255.255.255 broadcast
}

fn is_private_v6(ip: Ipv6Addr) -> bool {
    let seg = ip.segments();
    // An IPv6 address that carries an IPv4 one is judged by the IPv4 one:
    // `::ffff:127.0.0.1` reaches loopback as surely as `127.0.0.1` does.
    let embedded_v4 = || {
        let [.., hi, lo] = seg;
        Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo))
    };
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_private_v4(v4);
    }
    if seg[..6] == [0, 0, 0, 0, 0, 0] && !ip.is_loopback() && !ip.is_unspecified() {
        // IPv4-compatible (deprecated, RFC 4291 §2.5.5.1).
        return is_private_v4(embedded_v4());
    }
    if seg[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        // NAT64 well-known prefix (RFC 6052): the gateway forwards to the IPv4 address.
        return is_private_v4(embedded_v4());
    }
    if seg[0] == 0x2002 {
        // 6to4 (RFC 3056): a relay delivers to the IPv4 address in bits 16..48.
        return is_private_v4(Ipv4Addr::from((u32::from(seg[1]) << 16) | u32::from(seg[2])));
    }
    ip.is_unspecified()
        || ip.is_loopback()
        || (seg[0] == 0x2001 && seg[1] == 0)       // 2001::/32 Teredo (RFC 4380)
        || (seg[0] == 0x2001 && seg[1] == 0x0db8)  // 2001:db8::/32 documentation (RFC 3849)
        || (seg[0] & 0xfff0) == 0x3ff0             // 3fff::/20 documentation (RFC 9637)
        || seg[..3] == [0x64, 0xff9b, 1]           // 64:ff9b:1::/48 local-use NAT64 (RFC 8215)
        || seg[..4] == [0x100, 0, 0, 0]            // 100::/64 discard-only (RFC 6666)
        || (seg[0] & 0xfe00) == 0xfc00 // fc00::/7 unique local
        || (seg[0] & 0xffc0) == 0xfe80 // fe80::/10 link-local
        || (seg[0] & 0xffc0) == 0xfec0 // fec0::/10 site-local (deprecated, still routed inside sites)
        || ip.is_multicast()
}

/// True when `ip` is an address of this host. Asked of the kernel rather
/// than read from a list taken at start, so an address added later (DHCP, a
/// container's new network) counts too: a socket binds only to an address
/// the host has.
pub fn is_own_address(ip: IpAddr) -> bool {
    if bind_proves_nothing(ip) {
        return false;
    }
    UdpSocket::bind(SocketAddr::new(ip, 0)).is_ok()
}

/// True when the kernel lets a socket bind to addresses the host does not
/// have (Linux `ip_nonlocal_bind`, used by some failover setups): then every
/// probe would succeed and every fetch be refused, so the probe is skipped.
/// Learned once per address family from a documentation address, which no
/// real host has.
fn bind_proves_nothing(ip: IpAddr) -> bool {
    static V4: OnceLock<bool> = OnceLock::new();
    static V6: OnceLock<bool> = OnceLock::new();
    let (cell, probe) = match ip {
        IpAddr::V4(_) => (&V4, IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1))),
        IpAddr::V6(_) => (&V6, IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1))),
    };
    *cell.get_or_init(|| UdpSocket::bind(SocketAddr::new(probe, 0)).is_ok())
}

/// A host name resolved only to addresses the guard refuses. Travels inside
/// reqwest's error chain; `FetchError::from_reqwest` finds it there.
#[derive(Debug, thiserror::Error)]
#[error("{host} resolves only to non-public addresses ({ip})")]
pub(super) struct BlockedAddress {
    pub(super) host: String,
    pub(super) ip: IpAddr,
}

/// The guarded client's resolver: the system resolver, minus every
/// non-public address. A name with no public address fails with
/// [`BlockedAddress`].
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct PublicOnlyResolver;

impl Resolve for PublicOnlyResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            // Port 0: reqwest replaces it with the URL's port.
            let resolved: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let public: Vec<SocketAddr> = resolved.iter().copied().filter(|a| !is_blocked_address(a.ip())).collect();
            match (public.is_empty(), resolved.first()) {
                (false, _) => Ok(Box::new(public.into_iter()) as Addrs),
                (true, Some(first)) => Err(BlockedAddress { host, ip: first.ip() }.into()),
                (true, None) => Err(format!("{host}: no addresses").into()),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn private(s: &str) -> bool {
        is_private_address(s.parse().expect("test address parses"))
    }

    #[test]
    fn refuses_loopback_private_link_local_and_cgnat_v4() {
        for ip in [
            "127.0.0.1",
            "127.255.255.254",
            "10.0.0.1",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "0.1.2.3",
            "100.64.0.1",
            "100.127.255.255",
            "192.0.0.8",
            "198.18.0.1",
            "192.0.2.1",
            "198.51.100.7",
            "203.0.113.255",
            "192.88.99.1",
            "224.0.0.1",
            "255.255.255.255",
            "240.0.0.1",
        ] {
            assert!(private(ip), "{ip} should be refused");
        }
    }

    #[test]
    fn allows_public_v4_including_range_neighbours() {
        for ip in [
            "8.8.8.8",
            "1.1.1.1",
            "172.15.255.255",
            "172.32.0.0",
            "100.63.255.255",
            "100.128.0.0",
            "192.169.0.1",
            "198.20.0.1",
            "93.184.216.34",
            "192.0.3.1",
            "198.51.101.1",
            "203.0.114.1",
        ] {
            assert!(!private(ip), "{ip} should be allowed");
        }
    }

    #[test]
    fn refuses_private_v6_and_v4_wrapped_in_v6() {
        for ip in [
            "::1",
            "::",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "febf::1",
            "fec0::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:10.1.2.3",
            "::ffff:169.254.169.254",
            "::ffff:100.64.0.1",
            "::127.0.0.1",
            "64:ff9b::10.0.0.1",
            "2001:db8::1",
            "2001:db8:ffff::1",
            "3fff::1",
            "2002:7f00:1::1",
            "2002:a00:1::",
            "2002:c0a8:101::1",
            "2001::1",
            "2001:0:4136:e378:8000:63bf:3fff:fdd2",
            "64:ff9b:1::a00:1",
            "64:ff9b::c000:201",
            "100::1",
        ] {
            assert!(private(ip), "{ip} should be refused");
        }
    }

    #[test]
    fn allows_public_v6_and_public_v4_wrapped_in_v6() {
        for ip in [
            "2001:4860:4860::8888",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
            "64:ff9b::8.8.8.8",
            "fbff::1",
            "fe00::1",
            "2002:808:808::1",
            "2001:1::1",
            "2001:db9::1",
        ] {
            assert!(!private(ip), "{ip} should be allowed");
        }
    }

    #[test]
    fn own_addresses_are_recognised_and_others_are_not() {
        assert!(is_own_address("127.0.0.1".parse().expect("ip")));
        assert!(is_blocked_address("127.0.0.1".parse().expect("ip")));
        assert!(!is_own_address("8.8.8.8".parse().expect("ip")));
        assert!(!is_blocked_address("8.8.8.8".parse().expect("ip")));
    }
}
