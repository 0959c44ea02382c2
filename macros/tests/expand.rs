//! `#[weave::main]` and `#[weave::test]` on real functions: what the expansion
//! must compile (type inference through the body, `?`, `return`, methods,
//! `impl Trait`, `!`) and that it adds no warnings of its own.
//!
//! The error cases are the `compile_fail` doctests in `src/lib.rs` and the
//! unit tests next to the parser.

// The generated code must not trip the `unused` lints (unreachable code,
// unused braces, unused variables, ...) in the user's crate.
#![deny(unused)]

use std::error::Error;

#[weave::main]
async fn add_one(a: u32) -> u32 {
    a + 1
}

#[weave::main(flavor = "current_thread")]
async fn parse_positive(s: &str) -> Result<u32, Box<dyn Error>> {
    let n: u32 = s.parse()?;
    if n == 0 {
        return Err("zero".into());
    }
    Ok(n)
}

#[weave::main]
async fn clamp(x: u32) -> u32 {
    if x > 10 {
        return 10;
    }
    return x;
}

#[weave::main]
async fn only_return(x: u32) -> u32 {
    return x;
}

#[weave::main]
async fn unit_with_return(flag: &mut bool) {
    *flag = true;
    return;
}

#[weave::main]
async fn empty() {}

// One line on purpose: the body's braces must not be "unused_braces".
#[rustfmt::skip]
#[weave::main] async fn one_line() -> u32 { 5 }

// The closure's parameter type comes from the declared return type.
#[weave::main]
async fn boxed_closure() -> Box<dyn Fn(u32) -> u32> {
    Box::new(|x| x + 1)
}

type Adder = Box<dyn Fn(u32) -> u32>;

#[weave::main]
async fn fallible_closure(s: &str) -> Result<Adder, Box<dyn Error>> {
    let n: u32 = s.parse()?;
    Ok(Box::new(move |x| x + n))
}

#[weave::main]
async fn opaque() -> impl std::fmt::Display {
    5
}

#[weave::main]
async fn first(v: &[u32]) -> &u32 {
    &v[0]
}

#[weave::main]
async fn patterns((a, b): (u32, u32), mut c: u32) -> u32 {
    c += 1;
    a + b + c
}

#[weave::main]
async fn awaits() -> u64 {
    async fn forty() -> u64 {
        40
    }
    forty().await + async { 2 }.await
}

#[weave::main]
async fn items_first() -> usize {
    use std::collections::HashMap;
    fn helper() -> usize {
        1
    }
    let m: HashMap<u32, u32> = HashMap::new();
    helper() + m.len()
}

#[weave::main]
async fn diverges() -> ! {
    panic!("diverges")
}

// The generated variable is hygienic: a parameter with the same name is fine.
#[weave::main]
async fn shadowing(__weave_never: u32) -> u32 {
    __weave_never * 2
}

/// Doc comments, other attributes and inner attributes are kept.
#[weave::main(worker_threads = 1)]
#[must_use]
pub async fn attributes() -> u8 {
    #![allow(unused_variables)]
    let unused = 3;
    7
}

struct Counter {
    n: u32,
}

impl Counter {
    #[weave::main(flavor = "current_thread")]
    async fn get(&self) -> u32 {
        self.n
    }

    #[weave::main(flavor = "current_thread")]
    async fn bump(&mut self) {
        self.n += 1;
    }

    #[weave::main(flavor = "current_thread")]
    async fn new() -> Self {
        Counter { n: 9 }
    }
}

#[test]
fn main_works_on_any_async_fn() {
    assert_eq!(add_one(1), 2);
    assert_eq!(parse_positive("5").unwrap(), 5);
    assert_eq!(parse_positive("0").unwrap_err().to_string(), "zero");
    assert!(parse_positive("x").is_err());
    assert_eq!(clamp(50), 10);
    assert_eq!(clamp(5), 5);
    assert_eq!(only_return(3), 3);
    let mut flag = false;
    unit_with_return(&mut flag);
    assert!(flag);
    empty();
    assert_eq!(one_line(), 5);
    assert_eq!(boxed_closure()(1), 2);
    assert_eq!(fallible_closure("5").unwrap()(1), 6);
    assert_eq!(opaque().to_string(), "5");
    assert_eq!(*first(&[4, 5]), 4);
    assert_eq!(patterns((1, 2), 3), 7);
    assert_eq!(awaits(), 42);
    assert_eq!(items_first(), 1);
    assert_eq!(shadowing(4), 8);
    assert_eq!(attributes(), 7);
    let panic = std::panic::catch_unwind(|| diverges()).unwrap_err();
    assert_eq!(panic.downcast_ref::<&str>(), Some(&"diverges"));
}

#[test]
fn main_works_on_methods() {
    let mut counter = Counter::new();
    counter.bump();
    assert_eq!(counter.get(), 10);
}

#[weave::test]
async fn test_runs_the_body() {
    let value = async { 1 + 1 }.await;
    assert_eq!(value, 2);
}

#[weave::test]
async fn test_may_return_a_result() -> Result<(), Box<dyn Error>> {
    let n: u32 = "7".parse()?;
    assert_eq!(n, 7);
    Ok(())
}

#[weave::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_on_multi_thread() {}

#[weave::test(flavor = "multi_thread")]
async fn test_on_multi_thread_default_workers() {}

#[weave::test(start_paused = true)]
async fn test_start_paused() {}

#[weave::test(flavor = "current_thread", start_paused = false)]
async fn test_not_paused() {}

#[weave::test]
#[should_panic(expected = "boom")]
async fn test_should_panic() {
    panic!("boom");
}

#[weave::test]
#[ignore = "checks that #[ignore] is kept; never meant to run"]
async fn test_ignored() {
    panic!("ignored tests do not run");
}

mod crate_option {
    extern crate weave as tokio;

    #[tokio::test(crate = "tokio")]
    async fn weave_renamed_to_tokio() {}

    #[tokio::main(crate = "tokio")]
    async fn main_renamed() -> u8 {
        1
    }

    #[weave::test(crate = "::weave")]
    async fn absolute_path() {}

    mod reexport {
        pub use weave as rt;
    }

    #[weave::test(crate = "self::reexport::rt")]
    async fn through_a_reexport() {}

    #[test]
    fn main_with_crate_option() {
        assert_eq!(main_renamed(), 1);
    }
}
