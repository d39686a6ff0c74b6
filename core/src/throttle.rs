//! Sliding-window limits: at most `limit` events in any `span_ms`. The edge keeps one window per
//! session (code sends, wrong codes), per phone number and per IP address, each in the Durable
//! Object that owns it, so each limit holds exactly under concurrency.

use crate::time::{Timestamp, DAY_MS, MINUTE_MS, SECOND_MS};
use serde::{Deserialize, Serialize};

/// A limit: at most `limit` events in any window of `span_ms`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limit {
    pub limit: u32,
    pub span_ms: u64,
}

/// Code sends to one session: ≤5 a day.
pub const SENDS_PER_SESSION: Limit = Limit {
    limit: 5,
    span_ms: DAY_MS,
};
/// Wrong codes in one session: ≤10 a day, then the session locks (and offers the phone switch).
pub const WRONG_CODES_PER_SESSION: Limit = Limit {
    limit: 10,
    span_ms: DAY_MS,
};
/// Code sends to one phone number across all sessions: ≤10 a day.
pub const SENDS_PER_PHONE: Limit = Limit {
    limit: 10,
    span_ms: DAY_MS,
};
/// Code sends requested from one IP address: ≤20 an hour (SMS-pumping guard).
pub const SENDS_PER_IP: Limit = Limit {
    limit: 20,
    span_ms: 60 * MINUTE_MS,
};

/// The client the per-IP send cap counts, from the address the edge saw. An IPv4 address counts
/// alone; an IPv6 client counts by its /64 network, because one subscriber line gets a whole /64 and
/// can send from a fresh address each time (24 sends from one /64 all went through when each address
/// counted alone, issue 12). An IPv4-mapped IPv6 address is its IPv4 address. Anything unparsable
/// counts as one client, "unknown", so a missing header cannot open a way around the cap.
pub fn send_cap_client(ip: &str) -> String {
    let ip = ip.trim();
    if let Ok(v4) = ip.parse::<std::net::Ipv4Addr>() {
        return v4.to_string();
    }
    match ip.parse::<std::net::Ipv6Addr>() {
        Ok(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
        Err(_) => "unknown".to_string(),
    }
}

/// The times of recent events under one limit.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Window {
    hits: Vec<Timestamp>,
}

impl Window {
    fn prune(&mut self, limit: Limit, now: Timestamp) {
        self.hits.retain(|t| now.since(*t) < limit.span_ms);
    }

    /// Events counted at `now`.
    pub fn count(&self, limit: Limit, now: Timestamp) -> usize {
        self.hits
            .iter()
            .filter(|t| now.since(**t) < limit.span_ms)
            .count()
    }

    /// Seconds until one more event would be admitted (0 if now).
    pub fn wait_secs(&self, limit: Limit, now: Timestamp) -> u64 {
        let live: Vec<&Timestamp> = self
            .hits
            .iter()
            .filter(|t| now.since(**t) < limit.span_ms)
            .collect();
        if live.len() < limit.limit as usize {
            return 0;
        }
        // The window frees a place when the oldest counted event leaves it.
        let oldest = live.iter().min().map_or(now, |t| **t);
        oldest
            .plus_millis(limit.span_ms)
            .since(now)
            .div_ceil(SECOND_MS)
    }

    /// Counts one event at `now` if the limit allows; else the seconds to wait.
    pub fn admit(&mut self, limit: Limit, now: Timestamp) -> Result<(), u64> {
        self.prune(limit, now);
        match self.wait_secs(limit, now) {
            0 => {
                self.hits.push(now);
                Ok(())
            }
            wait => Err(wait),
        }
    }

    /// Records an event without checking (for events that count once they happen, like a wrong code).
    pub fn record(&mut self, limit: Limit, now: Timestamp) {
        self.prune(limit, now);
        self.hits.push(now);
    }

    /// Whether no event of this window can count any more at `now` under any cross-session cap
    /// (none spans more than `STALE_AFTER_MS`): its shard may forget it.
    pub fn is_stale(&self, now: Timestamp) -> bool {
        self.hits.iter().all(|t| now.since(*t) >= STALE_AFTER_MS)
    }

    /// Takes back the event counted at `at` (it did not happen after all, e.g. an SMS not sent).
    pub fn release(&mut self, at: Timestamp) {
        if let Some(i) = self.hits.iter().rposition(|t| *t == at) {
            self.hits.remove(i);
        }
    }
}

/// How many objects hold the cross-session send caps (R8). Each cap's window (named by a keyed
/// hash: `ip:…`, `phone:…`) lives in exactly one of them, `throttle_shard(name)`, so that object is
/// its single writer and the cap holds exactly under any concurrency; but a code send meets
/// objects that are already running instead of starting one new object (a new storage file)
/// per phone number and per client address: a cold start cost more than the rest of the throttle
/// hop, and two of the three objects each revisit started (issue 19).
pub const THROTTLE_SHARDS: u32 = 16;

/// The longest span of a cross-session send cap (`SENDS_PER_PHONE`'s day; `SENDS_PER_IP`'s is an
/// hour), taken from the caps themselves so that a longer cap is never swept early: a window with
/// no event in it is forgotten by its shard's daily sweep, so that a shard holds the phone numbers
/// and addresses of about a day, not of every year.
pub const STALE_AFTER_MS: u64 = if SENDS_PER_PHONE.span_ms > SENDS_PER_IP.span_ms {
    SENDS_PER_PHONE.span_ms
} else {
    SENDS_PER_IP.span_ms
};

/// The shard that holds the send cap window `name`: FNV-1a of the name (already a keyed hash, so
/// evenly spread), modulo `THROTTLE_SHARDS`. Never changes for a name: the window must stay in one
/// object.
pub fn throttle_shard(name: &str) -> u32 {
    let hash = name.bytes().fold(0x811c_9dc5_u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    });
    hash % THROTTLE_SHARDS
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_window_is_stale_only_once_its_last_event_can_count_under_no_cap() {
        let mut w = Window::default();
        assert!(w.is_stale(T));
        w.admit(SENDS_PER_PHONE, T).unwrap();
        w.admit(SENDS_PER_IP, T.plus_millis(1_000)).unwrap();
        // A day after the first event the second still counts against the phone's day.
        assert!(!w.is_stale(T.plus_millis(DAY_MS)));
        assert_eq!(w.count(SENDS_PER_PHONE, T.plus_millis(DAY_MS)), 1);
        assert!(w.is_stale(T.plus_millis(DAY_MS + 1_000)));
        assert_eq!(w.count(SENDS_PER_PHONE, T.plus_millis(DAY_MS + 1_000)), 0);
    }

    #[test]
    fn a_send_cap_window_always_lives_in_the_same_shard_and_the_shards_are_all_used() {
        // R8: one window, one writer. FNV-1a's published value for "a" pins the function, so a
        // change of it (which would split a window between two objects) fails here.
        assert_eq!(throttle_shard("a"), 0xe40c_292c % THROTTLE_SHARDS);
        let names: Vec<String> = (0..4096)
            .map(|i| format!("phone:{:064x}", i * 7919))
            .collect();
        for name in &names {
            assert_eq!(throttle_shard(name), throttle_shard(&name.clone()));
            assert!(throttle_shard(name) < THROTTLE_SHARDS);
        }
        let mut used = vec![0u32; THROTTLE_SHARDS as usize];
        for name in &names {
            used[throttle_shard(name) as usize] += 1;
        }
        // Evenly spread: none empty, none holding half as much again as the average.
        let average = names.len() as u32 / THROTTLE_SHARDS;
        assert!(
            used.iter().all(|&n| n > 0 && n < average * 3 / 2),
            "{used:?}"
        );
    }

    const T: Timestamp = Timestamp(1_800_000_000_000);
    const THREE_A_MINUTE: Limit = Limit {
        limit: 3,
        span_ms: MINUTE_MS,
    };

    #[test]
    fn the_send_cap_counts_ipv4_by_address_and_ipv6_by_64() {
        assert_eq!(send_cap_client(" 203.0.113.7 "), "203.0.113.7");
        assert_ne!(
            send_cap_client("203.0.113.7"),
            send_cap_client("203.0.113.8")
        );
        // Every address of one /64 is one client, written the same however the address is spelt.
        let one = send_cap_client("2001:db8:1:2::1");
        assert_eq!(one, "2001:db8:1:2::/64");
        assert_eq!(
            send_cap_client("2001:0db8:0001:0002:ffff:ffff:ffff:fffe"),
            one
        );
        assert_ne!(send_cap_client("2001:db8:1:3::1"), one);
        assert_eq!(send_cap_client("::ffff:203.0.113.7"), "203.0.113.7");
        assert_eq!(send_cap_client(""), "unknown");
        assert_eq!(send_cap_client("not an address"), "unknown");
    }

    proptest! {
        #[test]
        fn any_interface_id_in_a_64_is_the_same_client(prefix: [u16; 4], iid: [u16; 4]) {
            prop_assume!(prefix != [0, 0, 0, 0]);
            let a = std::net::Ipv6Addr::new(prefix[0], prefix[1], prefix[2], prefix[3], iid[0], iid[1], iid[2], iid[3]);
            let b = std::net::Ipv6Addr::new(prefix[0], prefix[1], prefix[2], prefix[3], 0, 0, 0, 1);
            prop_assume!(a.to_ipv4_mapped().is_none() && b.to_ipv4_mapped().is_none());
            prop_assert_eq!(send_cap_client(&a.to_string()), send_cap_client(&b.to_string()));
        }
    }

    #[test]
    fn admits_up_to_the_limit_then_says_how_long_to_wait() {
        let mut w = Window::default();
        for s in 0..3 {
            assert_eq!(w.admit(THREE_A_MINUTE, T.plus_millis(s * 1_000)), Ok(()));
        }
        assert_eq!(w.admit(THREE_A_MINUTE, T.plus_millis(10_000)), Err(50));
        // The first event leaves the window after a minute.
        assert_eq!(w.admit(THREE_A_MINUTE, T.plus_millis(60_000)), Ok(()));
        assert_eq!(w.count(THREE_A_MINUTE, T.plus_millis(60_000)), 3);
    }

    #[test]
    fn a_released_event_frees_its_place() {
        let mut w = Window::default();
        for s in 0..3 {
            w.admit(THREE_A_MINUTE, T.plus_millis(s)).unwrap();
        }
        w.release(T.plus_millis(2));
        assert_eq!(w.admit(THREE_A_MINUTE, T.plus_millis(5)), Ok(()));
    }

    #[test]
    fn the_shipped_limits_are_the_security_numbers() {
        assert_eq!(
            (SENDS_PER_SESSION.limit, SENDS_PER_SESSION.span_ms),
            (5, DAY_MS)
        );
        assert_eq!(
            (
                WRONG_CODES_PER_SESSION.limit,
                WRONG_CODES_PER_SESSION.span_ms
            ),
            (10, DAY_MS)
        );
        assert_eq!(
            (SENDS_PER_PHONE.limit, SENDS_PER_PHONE.span_ms),
            (10, DAY_MS)
        );
    }

    proptest! {
        /// Whatever the arrival times, no window of `span` ever holds more than `limit` admitted events.
        #[test]
        fn never_more_than_the_limit_in_any_window(
            gaps in proptest::collection::vec(0u64..30_000, 1..200),
            limit in 1u32..8,
        ) {
            let rule = Limit { limit, span_ms: MINUTE_MS };
            let mut w = Window::default();
            let mut now = T;
            let mut admitted = Vec::new();
            for gap in gaps {
                now = now.plus_millis(gap);
                if w.admit(rule, now).is_ok() {
                    admitted.push(now);
                }
            }
            for (i, start) in admitted.iter().enumerate() {
                let inside = admitted[i..].iter().filter(|t| t.since(*start) < rule.span_ms).count();
                prop_assert!(inside <= limit as usize);
            }
        }
    }
}
