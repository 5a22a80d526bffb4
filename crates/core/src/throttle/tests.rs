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

fn fresh_key(i: u32) -> DevicePublicKey {
    let mut k = [0u8; 32];
    k[..4].copy_from_slice(&i.to_le_bytes());
    k[31] = 0xa5;
    DevicePublicKey(k)
}

fn fresh_addr(i: u32) -> IpAddr {
    IpAddr::V4(Ipv4Addr::from(0x0a00_0000 | i))
}

#[test]
fn blocked_entries_are_never_evicted() {
    let mut t = Throttle::new(ThrottlePolicy {
        max_entries: 10,
        ..ThrottlePolicy::default()
    });
    let victim_addr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 9));
    let k = key(7);
    for i in 0..30 {
        t.record_failure(Some(&k), victim_addr, UnixTime(100 + i));
    }
    assert!(matches!(
        t.check(Some(&k), victim_addr, UnixTime(200)),
        Err(ThrottleRefusal::Blocked { .. })
    ));
    // Flood the tables with newer, harmless entries to push the blocked ones out.
    for i in 0..500 {
        t.record_failure(
            Some(&fresh_key(i)),
            fresh_addr(i),
            UnixTime(200 + u64::from(i)),
        );
    }
    let (keys, addrs) = t.tracked();
    assert!(keys <= 11 && addrs <= 11, "{keys} {addrs}");
    assert!(matches!(
        t.check(Some(&k), ADDR, UnixTime(800)),
        Err(ThrottleRefusal::Blocked { .. })
    ));
    assert!(matches!(
        t.check(None, victim_addr, UnixTime(800)),
        Err(ThrottleRefusal::Blocked { .. })
    ));
}

/// An attacker with a fresh key and a fresh address for every guess, trying as
/// fast as the throttle lets it for a week against one profile: fewer than 100
/// guesses in any day, and a legitimate login in between costs nothing.
#[test]
fn profile_ceiling_bounds_guesses_per_day_whatever_rotates() {
    let mut t = Throttle::default();
    let mut guesses: Vec<UnixTime> = Vec::new();
    let start = UnixTime(1_000_000);
    let week = 7 * 24 * 3600;
    let mut i = 0u32;
    for s in (0..week).step_by(5) {
        let now = start.plus(s);
        i += 1;
        let Ok(mut login) = t.begin(Some(fresh_key(i)), fresh_addr(i), now) else {
            continue;
        };
        if t.begin_guess(&mut login, "default", now).is_ok() {
            guesses.push(now);
            let _ = t.finish(login, LoginOutcome::Failure, now);
        } else {
            let _ = t.finish(login, LoginOutcome::Abandoned, now);
        }
        // The owner logs in now and then; successes are not guesses.
        if s % 3600 == 0 {
            let mut own = t.begin(Some(key(200)), ADDR, now).expect("owner begins");
            if t.begin_guess(&mut own, "default", now).is_ok() {
                let _ = t.finish(own, LoginOutcome::Success, now);
            } else {
                let _ = t.finish(own, LoginOutcome::Abandoned, now);
            }
        }
    }
    let day = 24 * 3600;
    let worst = guesses
        .iter()
        .map(|from| {
            guesses
                .iter()
                .filter(|g| **g >= *from && g.since(*from) < day)
                .count()
        })
        .max()
        .unwrap_or(0);
    assert!(worst < 100, "{worst} guesses within one day");
    assert!(worst > 0, "the attacker got no guess at all");
    assert!(
        guesses.len() <= 7 * 60 + 60,
        "{} guesses in a week",
        guesses.len()
    );
    // Another profile keeps its own budget.
    let now = start.plus(week);
    let mut other = t.begin(Some(key(201)), ADDR, now).expect("begin");
    assert_eq!(t.begin_guess(&mut other, "work", now), Ok(()));
    let _ = t.finish(other, LoginOutcome::Abandoned, now);
}

#[test]
fn profile_ceiling_refuses_until_the_oldest_guess_leaves_the_day() {
    let policy = ThrottlePolicy {
        profile_max_guesses: 3,
        ..ThrottlePolicy::default()
    };
    let mut t = Throttle::new(policy);
    for i in 0..3u32 {
        let now = UnixTime(1_000 + u64::from(i) * 100);
        let mut l = t
            .begin(Some(fresh_key(i)), fresh_addr(i), now)
            .expect("begin");
        t.begin_guess(&mut l, "p", now).expect("within the ceiling");
        assert!(t.finish(l, LoginOutcome::Failure, now));
    }
    let now = UnixTime(1_500);
    let mut l = t.begin(Some(key(9)), fresh_addr(9), now).expect("begin");
    assert_eq!(
        t.begin_guess(&mut l, "p", now),
        Err(ThrottleRefusal::Blocked {
            retry_after_s: 1_000 + 86_400 - 1_500
        })
    );
    let _ = t.finish(l, LoginOutcome::Abandoned, now);
    assert_eq!(t.profile_guesses("p", now), 3);
    // A guess in flight holds its place; a success hands it back.
    let later = UnixTime(1_000 + 86_400);
    let mut l = t.begin(Some(key(9)), fresh_addr(9), later).expect("begin");
    t.begin_guess(&mut l, "p", later).expect("the oldest left");
    assert_eq!(t.profile_guesses("p", later), 3);
    assert!(t.finish(l, LoginOutcome::Success, later));
    assert_eq!(t.profile_guesses("p", later), 2);
}

#[test]
fn pending_cap_per_address() {
    let mut t = Throttle::default();
    let now = UnixTime(5);
    let mine: Vec<_> = (0..4)
        .map(|i| t.begin(Some(key(i)), ADDR, now).expect("within the cap"))
        .collect();
    assert_eq!(
        t.begin(Some(key(10)), ADDR, now).err(),
        Some(ThrottleRefusal::Busy)
    );
    let other = t
        .begin(Some(key(11)), IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2)), now)
        .expect("another address is not held up");
    let _ = t.finish(other, LoginOutcome::Abandoned, now);
    for l in mine {
        let _ = t.finish(l, LoginOutcome::Abandoned, now);
    }
    assert_eq!(t.pending(), 0);
    assert!(t.begin(Some(key(12)), ADDR, now).is_ok());
}

#[test]
fn silent_logins_count_against_the_address_only() {
    let mut t = Throttle::default();
    let now = UnixTime(10);
    for i in 0..4 {
        let l = t.begin(Some(key(i)), ADDR, now).expect("begin");
        assert!(t.finish(l, LoginOutcome::NoMethod, now));
    }
    assert!(matches!(
        t.check(None, ADDR, now),
        Err(ThrottleRefusal::Backoff { .. })
    ));
    let elsewhere = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 3));
    assert_eq!(t.check(Some(&key(0)), elsewhere, now), Ok(()));
}

#[test]
fn snapshot_survives_serialization_and_restore() {
    let policy = ThrottlePolicy::default();
    let mut t = Throttle::new(policy);
    let k = key(42);
    for i in 0..30 {
        t.record_failure(Some(&k), ADDR, UnixTime(5_000 + i));
    }
    let now = UnixTime(5_100);
    let mut l = t.begin(Some(key(43)), fresh_addr(1), now).expect("begin");
    t.begin_guess(&mut l, "default", now).expect("guess");
    let _ = t.finish(l, LoginOutcome::Failure, now);
    let text = serde_json::to_string(&t.snapshot()).expect("serialize");
    let state: ThrottleState = serde_json::from_str(&text).expect("parse");
    let back = Throttle::restore(policy, state, UnixTime(5_200));
    assert!(matches!(
        back.check(Some(&k), fresh_addr(2), UnixTime(5_200)),
        Err(ThrottleRefusal::Blocked { .. })
    ));
    assert_eq!(back.profile_guesses("default", UnixTime(5_200)), 1);
    assert_eq!(back.pending(), 0);
    // What expired is not brought back.
    let much_later = UnixTime(5_100 + 2 * 86_400);
    let state: ThrottleState = serde_json::from_str(&text).expect("parse");
    let old = Throttle::restore(policy, state, much_later);
    assert_eq!(old.tracked(), (0, 0));
    assert_eq!(old.profile_guesses("default", much_later), 0);
}
