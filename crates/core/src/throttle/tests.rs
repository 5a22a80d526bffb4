//! The back-off schedule, the hard block and the pending cap.

use super::*;
use std::net::{Ipv4Addr, Ipv6Addr};

fn key(n: u8) -> DevicePublicKey {
    DevicePublicKey([n; 32])
}

const ADDR: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 1));

#[test]
fn schedule_three_free_then_doubling_to_fifteen_minutes() {
    let mut t = Throttle::default();
    let k = key(1);
    let mut now = UnixTime(1_000);
    let mut delays = Vec::new();
    for _ in 0..16 {
        t.check(Some(&k), ADDR, now)
            .expect("allowed once the delay passed");
        t.record_failure(Some(&k), ADDR, now);
        let d = match t.check(Some(&k), ADDR, now) {
            Ok(()) => 0,
            Err(ThrottleRefusal::Backoff { retry_after_s }) => retry_after_s,
            Err(other) => panic!("unexpected {other:?}"),
        };
        delays.push(d);
        now = now.plus(d);
    }
    assert_eq!(
        delays,
        vec![0, 0, 0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900, 900]
    );
}

#[test]
fn success_resets_before_the_hard_block() {
    let mut t = Throttle::default();
    let k = key(2);
    let now = UnixTime(50);
    for _ in 0..5 {
        t.record_failure(Some(&k), ADDR, now);
    }
    assert!(t.check(Some(&k), ADDR, now).is_err());
    t.record_success(Some(&k), ADDR, now);
    assert_eq!(t.check(Some(&k), ADDR, now), Ok(()));
    t.record_failure(Some(&k), ADDR, now);
    assert_eq!(t.check(Some(&k), ADDR, now), Ok(()), "counting starts over");
}

#[test]
fn thirty_failures_in_an_hour_block_hard_and_success_does_not_reset() {
    let mut t = Throttle::default();
    let k = key(3);
    let start = UnixTime(10_000);
    for i in 0..30 {
        t.record_failure(Some(&k), ADDR, start.plus(i * 60));
    }
    let at = start.plus(29 * 60);
    match t.check(Some(&k), ADDR, at) {
        Err(ThrottleRefusal::Blocked { retry_after_s }) => assert_eq!(retry_after_s, 3600),
        other => panic!("expected a hard block, got {other:?}"),
    }
    t.record_success(Some(&k), ADDR, at);
    assert!(matches!(
        t.check(Some(&k), ADDR, at.plus(10)),
        Err(ThrottleRefusal::Blocked { .. })
    ));
    // Lifts after the hour, and the next failure starts a fresh count.
    let later = at.plus(3600);
    assert_eq!(t.check(Some(&k), ADDR, later), Ok(()));
    t.record_failure(Some(&k), ADDR, later);
    assert_eq!(t.check(Some(&k), ADDR, later), Ok(()));
}

#[test]
fn failures_spread_over_more_than_an_hour_do_not_block() {
    let mut t = Throttle::default();
    let k = key(4);
    for i in 0..40 {
        // One failure every 3 minutes: never 30 in an hour. Successes in between keep the delay short.
        let now = UnixTime(i * 180);
        t.record_failure(Some(&k), ADDR, now);
        if i % 3 == 2 {
            t.record_success(Some(&k), ADDR, now);
        }
    }
    assert!(!matches!(
        t.check(Some(&k), ADDR, UnixTime(40 * 180)),
        Err(ThrottleRefusal::Blocked { .. })
    ));
}

#[test]
fn address_is_throttled_independently_of_the_key() {
    let mut t = Throttle::default();
    let now = UnixTime(7);
    // A different key each time (an attacker making fresh keys) still hits the address limit.
    for n in 0..5 {
        t.record_failure(Some(&key(n)), ADDR, now);
    }
    assert!(t.check(Some(&key(99)), ADDR, now).is_err());
    assert_eq!(
        t.check(Some(&key(99)), IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2)), now),
        Ok(())
    );
}

#[test]
fn ipv6_counts_per_slash_64() {
    let a = IpAddr::V6(Ipv6Addr::new(0xfd00, 1, 2, 3, 4, 5, 6, 7));
    let b = IpAddr::V6(Ipv6Addr::new(0xfd00, 1, 2, 3, 9, 9, 9, 9));
    assert_eq!(normalize_addr(a), normalize_addr(b));
    let mapped = IpAddr::V6(Ipv4Addr::new(127, 0, 0, 1).to_ipv6_mapped());
    assert_eq!(normalize_addr(mapped), ADDR);
}

#[test]
fn pending_cap_and_finish() {
    let mut t = Throttle::new(ThrottlePolicy {
        max_pending: 2,
        ..ThrottlePolicy::default()
    });
    let now = UnixTime(1);
    let a = t.begin(Some(key(1)), ADDR, now).expect("first");
    let b = t.begin(Some(key(2)), ADDR, now).expect("second");
    assert_eq!(
        t.begin(Some(key(3)), ADDR, now).err(),
        Some(ThrottleRefusal::Busy)
    );
    t.finish(a, LoginOutcome::Failure, now);
    t.finish(b, LoginOutcome::Abandoned, now);
    assert_eq!(t.pending(), 0);
    assert!(t.begin(Some(key(3)), ADDR, now).is_ok());
}

#[test]
fn memory_stays_bounded() {
    let mut t = Throttle::new(ThrottlePolicy {
        max_entries: 100,
        ..ThrottlePolicy::default()
    });
    for i in 0..1_000u32 {
        let mut k = [0u8; 32];
        k[..4].copy_from_slice(&i.to_le_bytes());
        let addr = IpAddr::V4(Ipv4Addr::from(0x7f00_0000 | i));
        t.record_failure(Some(&DevicePublicKey(k)), addr, UnixTime(u64::from(i)));
    }
    let (keys, addrs) = t.tracked();
    assert!(keys <= 100 && addrs <= 100, "{keys} {addrs}");
}
