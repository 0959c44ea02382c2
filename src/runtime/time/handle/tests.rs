//! Entries through a `TimeHandle` on a paused clock (no wall-clock timing).

use super::*;
use crate::park::ParkThread;
use crate::runtime::time::TimerEntry;
use std::pin::Pin;
use std::sync::atomic::AtomicUsize;
use std::task::{Context, Poll, Wake};

struct Counter(AtomicUsize);

impl Wake for Counter {
    fn wake(self: std::sync::Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
    fn wake_by_ref(self: &std::sync::Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

fn counter() -> (std::sync::Arc<Counter>, Waker) {
    let c = std::sync::Arc::new(Counter(AtomicUsize::new(0)));
    let w = Waker::from(c.clone());
    (c, w)
}

fn wakes(c: &Counter) -> usize {
    c.0.load(Ordering::SeqCst)
}

struct Fixture {
    handle: TimeHandle,
    _park: ParkThread,
}

fn fixture() -> Fixture {
    let park = ParkThread::new();
    Fixture {
        handle: TimeHandle::new(Clock::new(true), park.unparker()),
        _park: park,
    }
}

impl Fixture {
    fn at(&self, ms: u64) -> Instant {
        self.handle.inner.start + Duration::from_millis(ms)
    }
    fn entry(&self, ms: u64) -> Pin<Box<TimerEntry>> {
        Box::pin(TimerEntry::new(self.handle.clone(), self.at(ms)))
    }
    fn advance(&self, ms: u64) {
        self.handle.clock().advance(Duration::from_millis(ms));
        self.handle.process();
    }
    fn registered(&self) -> usize {
        self.handle.lock().wheel.len()
    }
    fn unparks(&self) -> usize {
        self.handle.inner.unparks.load(Ordering::Relaxed)
    }
}

fn poll(e: &mut Pin<Box<TimerEntry>>, w: &Waker) -> Poll<Result<(), TimerError>> {
    e.as_mut().poll_elapsed(&mut Context::from_waker(w))
}

#[test]
fn new_entry_is_lazy() {
    let f = fixture();
    let e = f.entry(10);
    assert_eq!(f.registered(), 0);
    assert!(!e.is_elapsed());
    drop(e);
    assert_eq!(f.unparks(), 0);
}

#[test]
fn fires_exactly_once_at_its_deadline() {
    let f = fixture();
    let (c, w) = counter();
    let mut e = f.entry(10);
    assert!(poll(&mut e, &w).is_pending());
    assert!(poll(&mut e, &w).is_pending());
    assert_eq!(f.registered(), 1);
    assert_eq!(f.handle.next_deadline(), Some(f.at(10)));
    f.advance(9);
    assert_eq!(wakes(&c), 0);
    assert!(!e.is_elapsed());
    f.advance(1);
    assert_eq!(wakes(&c), 1);
    assert!(e.is_elapsed());
    assert_eq!(f.registered(), 0);
    assert_eq!(f.handle.next_deadline(), None);
    // The fired entry released the waker.
    assert_eq!(std::sync::Arc::strong_count(&c), 2); // `c` and `w`
    assert_eq!(poll(&mut e, &w), Poll::Ready(Ok(())));
    f.advance(100);
    assert_eq!(wakes(&c), 1);
}

#[test]
fn deadline_rounds_up_never_early() {
    let f = fixture();
    let (c, w) = counter();
    let deadline = f.at(5) + Duration::from_micros(1);
    let mut e = Box::pin(TimerEntry::new(f.handle.clone(), deadline));
    assert!(poll(&mut e, &w).is_pending());
    f.advance(5);
    assert_eq!(wakes(&c), 0);
    f.advance(1);
    assert_eq!(wakes(&c), 1);
    assert!(f.handle.clock().now() >= deadline);
}

#[test]
fn past_deadline_completes_without_registering() {
    let f = fixture();
    let (c, w) = counter();
    f.handle.clock().advance(Duration::from_millis(10));
    for ms in [0, 5, 10] {
        let mut e = f.entry(ms);
        assert_eq!(poll(&mut e, &w), Poll::Ready(Ok(())));
        assert!(e.is_elapsed());
    }
    // Before tick 0 too.
    let mut e = Box::pin(TimerEntry::new(
        f.handle.clone(),
        f.handle.inner.start - Duration::from_millis(3),
    ));
    assert_eq!(poll(&mut e, &w), Poll::Ready(Ok(())));
    assert_eq!(f.registered(), 0);
    assert_eq!(wakes(&c), 0);
    assert_eq!(std::sync::Arc::strong_count(&c), 2);
}

#[test]
fn drop_before_fire_cancels_and_releases_waker() {
    let f = fixture();
    let (c, w) = counter();
    let mut e = f.entry(10);
    assert!(poll(&mut e, &w).is_pending());
    assert_eq!(std::sync::Arc::strong_count(&c), 3);
    drop(e);
    assert_eq!(std::sync::Arc::strong_count(&c), 2);
    assert_eq!(f.registered(), 0);
    f.advance(20);
    assert_eq!(wakes(&c), 0);
}

#[test]
fn drop_after_fire() {
    let f = fixture();
    let (c, w) = counter();
    let mut e = f.entry(1);
    assert!(poll(&mut e, &w).is_pending());
    f.advance(1);
    drop(e);
    assert_eq!(wakes(&c), 1);
    assert_eq!(std::sync::Arc::strong_count(&c), 2);
}

#[test]
fn waker_replaced_only_if_it_would_not_wake_the_same_task() {
    let f = fixture();
    let (c1, w1) = counter();
    let (c2, w2) = counter();
    let mut e = f.entry(10);
    assert!(poll(&mut e, &w1).is_pending());
    assert!(poll(&mut e, &w1.clone()).is_pending());
    assert_eq!(std::sync::Arc::strong_count(&c1), 3);
    assert!(poll(&mut e, &w2).is_pending());
    assert_eq!(std::sync::Arc::strong_count(&c1), 2);
    assert_eq!(std::sync::Arc::strong_count(&c2), 3);
    f.advance(10);
    assert_eq!((wakes(&c1), wakes(&c2)), (0, 1));
}

#[test]
fn reset_later_and_earlier() {
    let f = fixture();
    let (c, w) = counter();
    let mut e = f.entry(10);
    assert!(poll(&mut e, &w).is_pending());
    // Later, moved right away.
    e.as_mut().reset(f.at(30), true);
    assert_eq!(f.registered(), 1);
    f.advance(10);
    assert_eq!(wakes(&c), 0);
    // Earlier (than 30), moved on the next poll only.
    e.as_mut().reset(f.at(15), false);
    assert!(!e.is_elapsed());
    assert!(poll(&mut e, &w).is_pending());
    f.advance(4);
    assert_eq!(wakes(&c), 0);
    f.advance(1);
    assert_eq!(wakes(&c), 1);
    assert_eq!(poll(&mut e, &w), Poll::Ready(Ok(())));
    assert_eq!(f.registered(), 0);
    // Re-arm a fired entry (interval style).
    e.as_mut().reset(f.at(20), false);
    assert!(!e.is_elapsed());
    assert!(poll(&mut e, &w).is_pending());
    f.advance(5);
    assert_eq!(wakes(&c), 2);
    assert!(e.is_elapsed());
    // Reset into the past completes on the next poll.
    e.as_mut().reset(f.at(1), true);
    assert!(e.is_elapsed());
    assert_eq!(poll(&mut e, &w), Poll::Ready(Ok(())));
    assert_eq!(f.registered(), 0);
}

#[test]
fn stale_fire_is_not_reported() {
    let f = fixture();
    let (_c, w) = counter();
    let mut e = f.entry(5);
    assert!(poll(&mut e, &w).is_pending());
    // Moved later without re-registering; the old registration fires.
    e.as_mut().reset(f.at(50), false);
    f.advance(5);
    assert!(!e.is_elapsed());
    assert!(poll(&mut e, &w).is_pending());
    f.advance(45);
    assert_eq!(poll(&mut e, &w), Poll::Ready(Ok(())));
}

#[test]
fn unparks_only_for_an_earlier_deadline() {
    let f = fixture();
    let (_c, w) = counter();
    let mut a = f.entry(100);
    assert!(poll(&mut a, &w).is_pending());
    assert_eq!(f.unparks(), 1, "first timer: driver had no deadline");
    assert_eq!(f.handle.next_deadline(), Some(f.at(100)));
    let mut b = f.entry(200);
    assert!(poll(&mut b, &w).is_pending());
    let mut c = f.entry(150);
    assert!(poll(&mut c, &w).is_pending());
    assert_eq!(f.unparks(), 1, "later deadlines do not unpark");
    let mut d = f.entry(20);
    assert!(poll(&mut d, &w).is_pending());
    assert_eq!(f.unparks(), 2);
    let mut e = f.entry(10);
    assert!(poll(&mut e, &w).is_pending());
    assert_eq!(f.unparks(), 3);
    // A reset earlier also unparks.
    b.as_mut().reset(f.at(2), true);
    assert_eq!(f.unparks(), 4);
    assert_eq!(f.handle.next_deadline(), Some(f.at(2)));
}

#[test]
fn cascades_fire_in_order() {
    let f = fixture();
    let (c, w) = counter();
    let deadlines = [3u64, 70, 5000, 300_000, 20_000_000, 1_200_000_000];
    let mut entries: Vec<_> = deadlines.iter().map(|&ms| f.entry(ms)).collect();
    for e in &mut entries {
        assert!(poll(e, &w).is_pending());
    }
    // Drive like an auto-advancing driver: jump to each next deadline.
    let mut fired_at = Vec::new();
    while let Some(next) = f.handle.next_deadline() {
        f.handle.clock().advance_to(next);
        let before = wakes(&c);
        f.handle.process();
        if wakes(&c) > before {
            fired_at.push(f.handle.clock().now());
        }
    }
    let expected: Vec<_> = deadlines.iter().map(|&ms| f.at(ms)).collect();
    assert_eq!(fired_at, expected);
    assert!(entries.iter().all(|e| e.is_elapsed()));
}

#[test]
fn far_deadlines_never_fire_and_never_panic() {
    let f = fixture();
    let (c, w) = counter();
    let start = f.handle.inner.start;
    let far = [
        start + Duration::from_secs(3 * 365 * 86_400),
        start + Duration::from_secs(1 << 40),
        start + Duration::from_secs(u64::MAX >> 2),
    ];
    let mut entries: Vec<_> = far
        .iter()
        .map(|&d| Box::pin(TimerEntry::new(f.handle.clone(), d)))
        .collect();
    for e in &mut entries {
        assert!(poll(e, &w).is_pending());
    }
    assert!(f.handle.next_deadline().is_some());
    // Ten years pass, in jumps.
    for _ in 0..10 {
        f.advance(365 * 86_400_000);
    }
    assert_eq!(wakes(&c), 1, "only the 3-year timer fired");
    assert!(entries[0].is_elapsed());
    assert!(!entries[1].is_elapsed() && !entries[2].is_elapsed());
    drop(entries);
    assert_eq!(f.registered(), 0);
    assert_eq!(std::sync::Arc::strong_count(&c), 2);
}

#[test]
fn many_timers_fire_once_each() {
    const N: usize = 100_000;
    let f = fixture();
    let (c, w) = counter();
    let mut entries: Vec<_> = (0..N).map(|i| f.entry(1 + (i % 20) as u64)).collect();
    for e in &mut entries {
        assert!(poll(e, &w).is_pending());
    }
    assert_eq!(f.registered(), N);
    for ms in 1..=20 {
        f.advance(1);
        assert_eq!(wakes(&c), N / 20 * ms, "at {ms} ms");
    }
    for e in &mut entries {
        assert!(e.is_elapsed());
        assert_eq!(poll(e, &w), Poll::Ready(Ok(())));
    }
    f.advance(100);
    assert_eq!(wakes(&c), N);
    drop(entries);
    assert_eq!(std::sync::Arc::strong_count(&c), 2);
}

#[test]
fn created_on_one_thread_fired_on_another() {
    let f = fixture();
    let (c, w) = counter();
    let handle = f.handle.clone();
    let mut e = std::thread::spawn(move || {
        let mut e = Box::pin(TimerEntry::new(
            handle.clone(),
            handle.inner.start + Duration::from_millis(7),
        ));
        assert!(poll(&mut e, &w).is_pending());
        e
    })
    .join()
    .unwrap();
    let handle = f.handle.clone();
    std::thread::spawn(move || {
        handle.clock().advance(Duration::from_millis(7));
        handle.process();
    })
    .join()
    .unwrap();
    assert_eq!(wakes(&c), 1);
    let (_, w) = counter();
    assert_eq!(poll(&mut e, &w), Poll::Ready(Ok(())));
}

#[test]
fn concurrent_polls_drops_and_process() {
    // Smoke test of the lock-free paths under real threads (the loom models
    // check the interleavings); no timing assumptions.
    let f = fixture();
    let stop = std::sync::Arc::new(AtomicBool::new(false));
    std::thread::scope(|s| {
        let handle = f.handle.clone();
        let stop2 = stop.clone();
        s.spawn(move || {
            while !stop2.load(Ordering::Relaxed) {
                handle.clock().advance(Duration::from_millis(1));
                handle.process();
            }
        });
        let workers: Vec<_> = (0..3u64)
            .map(|t| {
                let handle = f.handle.clone();
                s.spawn(move || {
                    let (c, w) = counter();
                    for i in 0..2000u64 {
                        let now = handle.clock().now();
                        let mut e = Box::pin(TimerEntry::new(
                            handle.clone(),
                            now + Duration::from_millis(1 + (i + t) % 3),
                        ));
                        let mut n = 0;
                        while poll(&mut e, &w).is_pending() {
                            n += 1;
                            if i % 2 == 0 && n > 2 {
                                break; // drop while registered
                            }
                            std::thread::yield_now();
                        }
                    }
                    // Every entry fired or was dropped (the driver may still be
                    // about to wake the last one, so no strong-count check).
                    assert!(wakes(&c) <= 2000);
                })
            })
            .collect();
        let results: Vec<_> = workers.into_iter().map(|w| w.join()).collect();
        stop.store(true, Ordering::Relaxed);
        for r in results {
            r.unwrap();
        }
    });
    assert_eq!(f.registered(), 0);
}

#[test]
fn shutdown_fires_everything_with_an_error() {
    let f = fixture();
    let (c, w) = counter();
    let mut entries: Vec<_> = [5, 500, 500_000].iter().map(|&ms| f.entry(ms)).collect();
    for e in &mut entries {
        assert!(poll(e, &w).is_pending());
    }
    let mut done = f.entry(1);
    assert!(poll(&mut done, &w).is_pending());
    f.advance(1);
    assert_eq!(wakes(&c), 1);
    assert!(!f.handle.is_shutdown());
    f.handle.shutdown();
    assert!(f.handle.is_shutdown());
    assert_eq!(wakes(&c), 4);
    assert_eq!(f.registered(), 0);
    for e in &mut entries {
        assert!(e.is_elapsed());
        assert_eq!(poll(e, &w), Poll::Ready(Err(TimerError::Shutdown)));
    }
    assert_eq!(poll(&mut done, &w), Poll::Ready(Err(TimerError::Shutdown)));
    let mut late = f.entry(1000);
    assert_eq!(poll(&mut late, &w), Poll::Ready(Err(TimerError::Shutdown)));
    late.as_mut().reset(f.at(2000), true);
    assert_eq!(f.registered(), 0);
    assert_eq!(f.handle.next_deadline(), None);
    drop((entries, done, late));
    assert_eq!(std::sync::Arc::strong_count(&c), 2);
}

#[test]
fn wakes_in_batches_outside_the_lock() {
    // A waker that takes the wheel lock would deadlock if woken under it.
    struct Relocking(TimeHandle, AtomicUsize);
    impl Wake for Relocking {
        fn wake(self: std::sync::Arc<Self>) {
            self.wake_by_ref();
        }
        fn wake_by_ref(self: &std::sync::Arc<Self>) {
            drop(self.0.lock());
            self.1.fetch_add(1, Ordering::SeqCst);
        }
    }
    let f = fixture();
    let r = std::sync::Arc::new(Relocking(f.handle.clone(), AtomicUsize::new(0)));
    let w = Waker::from(r.clone());
    let mut entries: Vec<_> = (0..100).map(|_| f.entry(3)).collect();
    for e in &mut entries {
        assert!(poll(e, &w).is_pending());
    }
    f.advance(3);
    assert_eq!(r.1.load(Ordering::SeqCst), 100);
}
