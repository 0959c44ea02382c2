//! Attribute macros for [weave](https://docs.rs/weave): `#[weave::main]` and
//! `#[weave::test]`.
//!
//! Use them through the `weave` crate, which re-exports them; this crate is an
//! implementation detail. Both turn an `async fn` into a plain `fn` that builds
//! a weave runtime and blocks on the function's body.
//!
//! The macros are thin wrappers: argument parsing lives in `config` and the
//! expansion in `entry`, both working on `proc_macro2` tokens so they can be
//! unit-tested without a compiler in the loop.

mod config;
mod entry;
mod join;
mod select;

use proc_macro::TokenStream;

use crate::config::Kind;

/// Runs an `async fn` to completion on a new weave runtime.
///
/// The function becomes a normal, synchronous function with the same name,
/// visibility, arguments, return type, attributes and doc comments. Its body
/// is moved into an `async move` block that a freshly built
/// [`Runtime`](../weave/runtime/struct.Runtime.html) runs with `block_on`.
/// The runtime is shut down when the function returns.
///
/// This is usually put on `main`, but it works on any `async fn`:
///
/// ```
/// #[weave::main]
/// async fn compute(a: u32) -> u32 {
///     a + 1
/// }
///
/// fn main() {
///     // `compute` is synchronous now.
///     assert_eq!(compute(1), 2);
/// }
/// ```
///
/// expands to (up to details)
///
/// ```
/// fn compute(a: u32) -> u32 {
///     weave::runtime::Builder::new_multi_thread()
///         .enable_all()
///         .build()
///         .expect("Failed building the Runtime")
///         .block_on(async move { a + 1 })
/// }
/// # fn main() { assert_eq!(compute(1), 2); }
/// ```
///
/// The return type is known inside the body, so `?` works as in any function:
///
/// ```
/// use std::error::Error;
///
/// #[weave::main]
/// async fn main() -> Result<(), Box<dyn Error>> {
///     let n: u32 = "42".parse()?;
///     assert_eq!(n, 42);
///     Ok(())
/// }
/// ```
///
/// # Options
///
/// Options are given as `#[weave::main(name = value, ...)]`:
///
/// | option | values | default | meaning |
/// |---|---|---|---|
/// | `flavor` | `"multi_thread"`, `"current_thread"` | `"multi_thread"` | which scheduler to build: [`Builder::new_multi_thread`] or [`Builder::new_current_thread`] |
/// | `worker_threads` | integer literal > 0 | the builder's: `WEAVE_WORKER_THREADS`, else one per CPU | number of worker threads ([`Builder::worker_threads`]); `multi_thread` only |
/// | `start_paused` | `true`, `false` | `false` | start with time paused ([`Builder::start_paused`]) |
/// | `debug` | `true`, `false` | `WEAVE_DEBUG` | debug mode: slow polls, lost panics, pending tasks reported ([`Builder::debug`]) |
/// | `crate` | a path in a string: `"weave"`, `"::my::reexport"` | `"::weave"` | where to find the weave crate |
///
/// [`Builder::new_multi_thread`]: ../weave/runtime/struct.Builder.html#method.new_multi_thread
/// [`Builder::new_current_thread`]: ../weave/runtime/struct.Builder.html#method.new_current_thread
/// [`Builder::worker_threads`]: ../weave/runtime/struct.Builder.html#method.worker_threads
/// [`Builder::start_paused`]: ../weave/runtime/struct.Builder.html#method.start_paused
/// [`Builder::debug`]: ../weave/runtime/struct.Builder.html#method.debug
///
/// ```
/// #[weave::main(flavor = "multi_thread", worker_threads = 2)]
/// async fn main() {
///     println!("running on two worker threads");
/// }
/// ```
///
/// ```
/// #[weave::main(flavor = "current_thread")]
/// async fn main() {
///     println!("running on the main thread only");
/// }
/// ```
///
/// ```
/// #[weave::main(flavor = "current_thread", start_paused = true)]
/// async fn main() {}
/// ```
///
/// ## Renamed or re-exported weave: `crate`
///
/// The expansion names the runtime through `::weave`. If weave is available
/// under another name, say so with `crate`. In particular, when a dependency
/// is renamed (`tokio = { package = "weave", .. }` in `Cargo.toml`, or weave's
/// Tokio compatibility crate), use `crate = "tokio"`:
///
/// ```
/// # extern crate weave as tokio;
/// #[tokio::main(crate = "tokio")]
/// async fn main() {}
/// ```
///
/// A crate that re-exports weave can point its users' macros at the
/// re-export with, for example, `crate = "::my_framework::weave"`.
///
/// # Errors
///
/// Misuse is reported at compile time, on the offending tokens. Each example
/// below is followed by its corrected form.
///
/// The function must be `async`:
///
/// ```compile_fail
/// #[weave::main]
/// fn main() {}
/// ```
///
/// ```
/// #[weave::main]
/// async fn main() {}
/// ```
///
/// Unknown options are rejected, and the valid ones listed:
///
/// ```compile_fail
/// #[weave::main(threads = 2)]
/// async fn main() {}
/// ```
///
/// ```
/// #[weave::main(worker_threads = 2)]
/// async fn main() {}
/// ```
///
/// The flavor must be one of the two names, as a string:
///
/// ```compile_fail
/// #[weave::main(flavor = "single_thread")]
/// async fn main() {}
/// ```
///
/// ```compile_fail
/// #[weave::main(flavor = current_thread)]
/// async fn main() {}
/// ```
///
/// ```
/// #[weave::main(flavor = "current_thread")]
/// async fn main() {}
/// ```
///
/// A current-thread runtime has no worker threads:
///
/// ```compile_fail
/// #[weave::main(flavor = "current_thread", worker_threads = 2)]
/// async fn main() {}
/// ```
///
/// ```
/// #[weave::main(flavor = "multi_thread", worker_threads = 2)]
/// async fn main() {}
/// ```
///
/// A paused clock needs the current-thread runtime:
///
/// ```compile_fail
/// #[weave::main(start_paused = true)]
/// async fn main() {}
/// ```
///
/// ```
/// #[weave::main(flavor = "current_thread", start_paused = true)]
/// async fn main() {}
/// ```
///
/// `worker_threads` must be an integer literal greater than zero:
///
/// ```compile_fail
/// #[weave::main(worker_threads = 0)]
/// async fn main() {}
/// ```
///
/// ```compile_fail
/// #[weave::main(worker_threads = "2")]
/// async fn main() {}
/// ```
///
/// ```compile_fail
/// const THREADS: usize = 2;
///
/// #[weave::main(worker_threads = THREADS)]
/// async fn main() {}
/// ```
///
/// ```
/// #[weave::main(worker_threads = 1)]
/// async fn main() {}
/// ```
///
/// `start_paused` takes a boolean:
///
/// ```compile_fail
/// #[weave::main(flavor = "current_thread", start_paused = "yes")]
/// async fn main() {}
/// ```
///
/// ```
/// #[weave::main(flavor = "current_thread", start_paused = false)]
/// async fn main() {}
/// ```
///
/// Each option may be given once:
///
/// ```compile_fail
/// #[weave::main(worker_threads = 2, worker_threads = 4)]
/// async fn main() {}
/// ```
///
/// ```
/// #[weave::main(worker_threads = 4)]
/// async fn main() {}
/// ```
///
/// `crate` must hold a path:
///
/// ```compile_fail
/// #[weave::main(crate = "weave::")]
/// async fn main() {}
/// ```
///
/// ```compile_fail
/// #[weave::main(crate = weave)]
/// async fn main() {}
/// ```
///
/// ```
/// #[weave::main(crate = "weave")]
/// async fn main() {}
/// ```
///
/// ```
/// #[weave::main(crate = "::weave")]
/// async fn main() {}
/// ```
#[proc_macro_attribute]
pub fn main(args: TokenStream, item: TokenStream) -> TokenStream {
    entry::expand(Kind::Main, args.into(), item.into()).into()
}

/// Marks an `async fn` as a test that runs on its own weave runtime.
///
/// Like [`#[weave::main]`](macro@main), the function becomes a synchronous
/// function that builds a runtime and blocks on the body; in addition it gets
/// the built-in `#[test]` attribute, so write `#[weave::test]` *instead of*
/// `#[test]`. Other attributes (`#[should_panic]`, `#[ignore]`, doc comments)
/// are kept. Each test builds its own runtime, so tests do not share tasks or
/// timers.
///
/// ```
/// #[weave::test]
/// async fn adds() {
///     assert_eq!(1 + 1, 2);
/// }
/// ```
///
/// expands to (up to details)
///
/// ```
/// // #[test], the built-in attribute
/// fn adds() {
///     weave::runtime::Builder::new_current_thread()
///         .enable_all()
///         .build()
///         .expect("Failed building the Runtime")
///         .block_on(async move {
///             assert_eq!(1 + 1, 2);
///         })
/// }
/// # fn main() { adds() }
/// ```
///
/// Tests may return a `Result`, and use `?`:
///
/// ```
/// #[weave::test]
/// async fn parses() -> Result<(), std::num::ParseIntError> {
///     let n: u32 = "7".parse()?;
///     assert_eq!(n, 7);
///     Ok(())
/// }
/// ```
///
/// # Options
///
/// The same as [`#[weave::main]`](macro@main): `flavor`, `worker_threads`,
/// `start_paused`, `debug` and `crate`. The one difference is the default flavor:
/// tests run on a **current-thread** runtime unless they ask for
/// `flavor = "multi_thread"`, which keeps them cheap and their scheduling
/// deterministic.
///
/// ```
/// #[weave::test(flavor = "multi_thread", worker_threads = 2)]
/// async fn runs_on_two_workers() {}
/// ```
///
/// `start_paused = true` starts the runtime with time paused, so sleeps in
/// the test complete instantly (the runtime auto-advances time when idle):
///
/// ```
/// #[weave::test(start_paused = true)]
/// async fn sleeps_instantly() {}
/// ```
///
/// ## Renamed or re-exported weave: `crate`
///
/// When weave is a dependency under another name, for example renamed to
/// `tokio` so that Tokio code builds against weave, use `crate = "tokio"`:
///
/// ```
/// # extern crate weave as tokio;
/// #[tokio::test(crate = "tokio")]
/// async fn works_under_the_tokio_name() {}
/// ```
///
/// # Errors
///
/// All the errors of [`#[weave::main]`](macro@main#errors), plus the ones
/// below. Each example is followed by its corrected form.
///
/// The function must be `async`:
///
/// ```compile_fail
/// #[weave::test]
/// fn not_async() {}
/// ```
///
/// ```
/// #[weave::test]
/// async fn is_async() {}
/// ```
///
/// `worker_threads` needs the multi-thread flavor, which is not the default
/// for tests:
///
/// ```compile_fail
/// #[weave::test(worker_threads = 2)]
/// async fn two_workers() {}
/// ```
///
/// ```
/// #[weave::test(flavor = "multi_thread", worker_threads = 2)]
/// async fn two_workers() {}
/// ```
///
/// Unknown options and bad values:
///
/// ```compile_fail
/// #[weave::test(flavour = "multi_thread")]
/// async fn spelled_wrong() {}
/// ```
///
/// ```compile_fail
/// #[weave::test(flavor = "multi-thread")]
/// async fn spelled_wrong() {}
/// ```
///
/// ```compile_fail
/// #[weave::test(flavor = "multi_thread", worker_threads = 0)]
/// async fn no_workers() {}
/// ```
///
/// ```compile_fail
/// #[weave::test(flavor = "multi_thread", worker_threads = 2.5)]
/// async fn fractional_workers() {}
/// ```
///
/// ```compile_fail
/// #[weave::test(flavor = "current_thread", flavor = "current_thread")]
/// async fn twice() {}
/// ```
///
/// ```compile_fail
/// #[weave::test(crate = "")]
/// async fn no_crate() {}
/// ```
///
/// ```
/// #[weave::test(flavor = "multi_thread", worker_threads = 2, crate = "weave")]
/// async fn all_fine() {}
/// ```
///
/// Test functions take no arguments:
///
/// ```compile_fail
/// #[weave::test]
/// async fn with_argument(n: u32) {}
/// ```
///
/// ```
/// #[weave::test]
/// async fn without_argument() {
///     let n = 1_u32;
/// #   let _ = n;
/// }
/// ```
///
/// `#[weave::test]` already adds `#[test]`; a second one is an error:
///
/// ```compile_fail
/// #[weave::test]
/// #[test]
/// async fn tested_twice() {}
/// ```
///
/// ```
/// #[weave::test]
/// async fn tested_once() {}
/// ```
#[proc_macro_attribute]
pub fn test(args: TokenStream, item: TokenStream) -> TokenStream {
    entry::expand(Kind::Test, args.into(), item.into()).into()
}

/// `#[tokio::main]` of the Tokio compatibility crate (`compat/tokio`):
/// [`#[weave::main]`](macro@main) whose crate path defaults to `::tokio`
/// instead of `::weave`, for crates that depend on `tokio` (patched to weave)
/// and not on weave itself. `crate = ".."` still overrides it.
#[doc(hidden)]
#[proc_macro_attribute]
pub fn tokio_main(args: TokenStream, item: TokenStream) -> TokenStream {
    entry::expand_with_default_crate(
        Kind::Main,
        Some(syn::parse_quote!(::tokio)),
        args.into(),
        item.into(),
    )
    .into()
}

/// `#[tokio::test]` of the Tokio compatibility crate: [`#[weave::test]`](macro@test)
/// whose crate path defaults to `::tokio`, like [`tokio_main`](macro@tokio_main).
#[doc(hidden)]
#[proc_macro_attribute]
pub fn tokio_test(args: TokenStream, item: TokenStream) -> TokenStream {
    entry::expand_with_default_crate(
        Kind::Test,
        Some(syn::parse_quote!(::tokio)),
        args.into(),
        item.into(),
    )
    .into()
}

/// Implementation of `weave::join!`; use that macro instead.
///
/// Takes the weave crate path, `;`, then `join!`'s own input.
#[doc(hidden)]
#[proc_macro]
pub fn join_impl(input: TokenStream) -> TokenStream {
    join::expand(join::Kind::Join, input.into()).into()
}

/// Implementation of `weave::try_join!`; use that macro instead.
///
/// Takes the weave crate path, `;`, then `try_join!`'s own input.
#[doc(hidden)]
#[proc_macro]
pub fn try_join_impl(input: TokenStream) -> TokenStream {
    join::expand(join::Kind::TryJoin, input.into()).into()
}

/// Implementation of `weave::select!`; use that macro instead.
///
/// Takes the weave crate path, `;`, then `select!`'s own input.
#[doc(hidden)]
#[proc_macro]
pub fn select_impl(input: TokenStream) -> TokenStream {
    select::expand(input.into()).into()
}
