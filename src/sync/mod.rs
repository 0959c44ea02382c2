//! Synchronization primitives for use in asynchronous contexts.
//!
//! The types here mirror `tokio::sync`. They only need a `Waker`: they work
//! under weave's runtime, under any other executor, and (through their
//! `blocking_*` methods) from plain threads.

pub mod oneshot;
