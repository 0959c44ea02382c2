//! Helpers shared by the integration tests (`mod common;` in each file).
//!
//! `both_flavors!` instantiates `fn name(Flavor)` (the including file defines
//! `Flavor`) as `name::current_thread` and `name::multi_thread`;
//! `catch_panic` runs code that must panic and returns its message while
//! keeping expected panics out of the test output; `TempDir` is a scratch
//! directory removed on drop.

#![allow(dead_code)]

use std::any::Any;
use std::cell::Cell;
use std::panic::{self, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
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

/// A fresh directory under the system temp dir, removed on drop; unique per
/// process and call, and named after the test (`name`) to find leftovers.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir =
            std::env::temp_dir().join(format!("weave-test-{}-{n}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    /// `file` inside the directory (not created).
    pub fn path(&self, file: &str) -> PathBuf {
        self.0.join(file)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
