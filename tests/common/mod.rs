//! Helpers shared by the integration tests (`mod common;` in each file).
//!
//! `both_flavors!` instantiates `fn name(Flavor)` (the including file defines
//! `Flavor`) as `name::current_thread` and `name::multi_thread`;
//! `catch_panic` runs code that must panic and returns its message while
//! keeping expected panics out of the test output.

#![allow(dead_code)]

use std::any::Any;
use std::cell::Cell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

/// Instantiates `fn $name(Flavor)` as `$name::current_thread` and
/// `$name::multi_thread`.
macro_rules! both_flavors {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[test]
            fn current_thread() {
                super::$name(super::Flavor::CurrentThread)
            }
            #[test]
            fn multi_thread() {
                super::$name(super::Flavor::MultiThread)
            }
        }
    )*};
}

/// Marker for panics the tests cause on purpose; the panic hook keeps them
/// out of the test output.
pub const EXPECTED: &str = "[expected panic]";

thread_local! {
    /// Set while `catch_panic` runs: panics on this thread are expected.
    pub static QUIET: Cell<bool> = const { Cell::new(false) };
}

pub fn quiet_expected_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let prev = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            let expected = QUIET.with(|q| q.get())
                || panic_message(info.payload()).is_some_and(|m| m.contains(EXPECTED));
            if !expected {
                prev(info);
            }
        }));
    });
}

pub fn panic_message(payload: &(dyn Any + Send)) -> Option<&str> {
    payload
        .downcast_ref::<&'static str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
}

/// Runs `f`, which must panic, and returns the panic message.
#[track_caller]
pub fn catch_panic<R>(f: impl FnOnce() -> R) -> String {
    quiet_expected_panics();
    QUIET.with(|q| q.set(true));
    let res = panic::catch_unwind(AssertUnwindSafe(f));
    QUIET.with(|q| q.set(false));
    match res {
        Ok(_) => panic!("expected a panic, but the call returned"),
        Err(payload) => panic_message(&*payload)
            .unwrap_or("<non-string panic payload>")
            .to_string(),
    }
}
