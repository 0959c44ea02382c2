//! asyncio's `gather`, in weave: fetch five users concurrently.
//!
//! Each "fetch" is a short sleep (a stand-in for an HTTP call); user 4 does
//! not exist. The program runs the batch twice:
//!
//! 1. [`weave::gather`] is `gather(*aws, return_exceptions=True)`: every
//!    result comes back in input order, the failure in its place.
//! 2. [`weave::try_gather`] is plain `gather(*aws)`: the first error is
//!    returned at once, and (unlike asyncio) the other fetches are cancelled
//!    before it returns.
//!
//! The asyncio original:
//!
//! ```python
//! results = await asyncio.gather(*(fetch_user(i) for i in range(1, 6)),
//!                                return_exceptions=True)
//! users = await asyncio.gather(*(fetch_user(i) for i in range(1, 6)))  # raises
//! ```
//!
//! Run with `cargo run --example gather`.

use std::fmt;
use weave::time::{sleep, Duration, Instant};

#[derive(Debug)]
struct User {
    id: u32,
    name: String,
}

#[derive(Debug, PartialEq)]
struct NotFound(u32);

impl fmt::Display for NotFound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "user {} not found", self.0)
    }
}

/// Pretends to call an API: slower for some users, failing for user 4.
async fn fetch_user(id: u32) -> Result<User, NotFound> {
    // Later users answer sooner, so completion order is not input order.
    sleep(Duration::from_millis(u64::from(60 - 10 * id))).await;
    if id == 4 {
        return Err(NotFound(id));
    }
    Ok(User {
        id,
        name: format!("user-{id}"),
    })
}

#[weave::main]
async fn main() {
    let start = Instant::now();
    println!("gather (return_exceptions=True):");
    let results = weave::gather((1..=5).map(fetch_user)).await;
    for (i, result) in results.into_iter().enumerate() {
        // The outer Result is the task (panic or cancellation), the inner
        // one is the fetch.
        match result.expect("fetch task panicked") {
            Ok(user) => println!("  #{i}: {} (id {})", user.name, user.id),
            Err(err) => println!("  #{i}: error: {err}"),
        }
    }
    println!(
        "  took {:?} (the slowest fetch, not the sum)",
        start.elapsed()
    );

    let start = Instant::now();
    println!("try_gather (fail fast):");
    match weave::try_gather((1..=5).map(fetch_user)).await {
        Ok(users) => println!("  all {} users fetched", users.len()),
        Err(err) => println!(
            "  failed after {:?}: {err}; the other fetches were cancelled",
            start.elapsed()
        ),
    }
}
