//! loom models of the channel core: the races that decide whether a
//! message or a wake-up can be lost.

use super::error::{TryRecvError, TrySendError};
use super::{channel, unbounded_channel};
use crate::loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use crate::loom::sync::Arc;
use loom::future::block_on;
use loom::thread;

/// Counts its drops, so a model can check every value is dropped once.
struct Counted(Arc<AtomicUsize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

/// A full bounded channel: a sender waits, the receiver's `recv` frees the
/// slot, and the waiting sender gets it.
#[test]
fn loom_mpsc_bounded_full_then_recv_frees_slot() {
    loom::model(|| {
        let (tx, mut rx) = channel(1);
        tx.try_send(1u8).unwrap();
        let t = thread::spawn(move || {
            block_on(tx.send(2)).unwrap();
        });
        assert_eq!(block_on(rx.recv()), Some(1));
        assert_eq!(block_on(rx.recv()), Some(2));
        // The sender is gone once its send is done.
        assert_eq!(block_on(rx.recv()), None);
        t.join().unwrap();
    });
}

/// `close` racing a bounded `try_send`: a send that succeeded is received,
/// a failed one hands the value back; each value is dropped exactly once.
#[test]
fn loom_mpsc_close_vs_send() {
    loom::model(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let (tx, mut rx) = channel(1);
        let value = Counted(drops.clone());
        let t = thread::spawn(move || match tx.try_send(value) {
            Ok(()) => true,
            Err(TrySendError::Closed(v)) => {
                drop(v);
                false
            }
            Err(TrySendError::Full(_)) => panic!("channel cannot be full"),
        });
        rx.close();
        let sent = t.join().unwrap();
        let got = block_on(rx.recv());
        assert_eq!(got.is_some(), sent);
        drop(got);
        assert_eq!(block_on(rx.recv()).map(|_| ()), None);
        assert_eq!(drops.load(SeqCst), 1);
    });
}

/// `close` racing an unbounded send while the receiver waits.
#[test]
fn loom_mpsc_unbounded_close_vs_send_while_waiting() {
    loom::model(|| {
        let (tx, mut rx) = unbounded_channel::<u8>();
        let t = thread::spawn(move || tx.send(1).is_ok());
        rx.close();
        let got = block_on(rx.recv());
        let sent = t.join().unwrap();
        assert_eq!(got.is_some(), sent);
        assert_eq!(block_on(rx.recv()), None);
    });
}

/// The last sender leaves right after sending while the receiver waits:
/// the message arrives, then the end of the stream.
#[test]
fn loom_mpsc_last_sender_drop_vs_recv() {
    loom::model(|| {
        let (tx, mut rx) = unbounded_channel();
        let tx2 = tx.clone();
        let t1 = thread::spawn(move || {
            tx.send(1u8).unwrap();
        });
        let t2 = thread::spawn(move || drop(tx2));
        let mut got = Vec::new();
        while let Some(v) = block_on(rx.recv()) {
            got.push(v);
        }
        assert_eq!(got, [1]);
        assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
        t1.join().unwrap();
        t2.join().unwrap();
    });
}

/// After `close`, the receiver waits for a reservation made before it;
/// dropping that permit unused ends the stream.
#[test]
fn loom_mpsc_close_waits_for_outstanding_permit() {
    loom::model(|| {
        let (tx, mut rx) = channel::<u8>(1);
        // `tx` stays alive: only the permit's return can end the stream.
        let permit = tx.clone().try_reserve_owned().unwrap();
        let t = thread::spawn(move || drop(permit));
        rx.close();
        assert_eq!(block_on(rx.recv()), None);
        t.join().unwrap();
        drop(tx);
    });
}

/// `Sender::closed` racing the receiver's drop.
#[test]
fn loom_mpsc_closed_vs_rx_drop() {
    loom::model(|| {
        let (tx, rx) = channel::<u8>(1);
        let t = thread::spawn(move || drop(rx));
        block_on(tx.closed());
        assert!(tx.is_closed());
        t.join().unwrap();
    });
}
