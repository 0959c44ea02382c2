//! Asynchronous file-system access (Tokio's `tokio::fs`).
//!
//! The operating system offers no readiness-based file I/O, so every call
//! here runs its blocking `std::fs` counterpart on the runtime's blocking
//! pool and awaits the result. weave keeps the number of those pool hops
//! small:
//!
//! - each free function ([`read`], [`write`], [`metadata`], ...) is exactly
//!   one hop;
//! - [`File`] buffers: it reads in large, growing chunks with read-ahead and
//!   batches writes, so small `read`/`write` calls are served from memory
//!   instead of costing a hop each (the design is described in `file.rs`);
//! - hops are cheap: they go through a per-runtime queue that runs bursts of
//!   short jobs back to back on a few pool threads, instead of waking one
//!   thread per job, and adds threads when jobs block (`dispatch.rs`);
//! - [`read`] of a large file asks for huge pages, which makes it faster
//!   than `std::fs::read` on Linux (`read_write.rs`).
//!
//! Errors are `std::io::Error`s, exactly as the `std::fs` call reports them.
//!
//! ```
//! # weave::runtime::Runtime::new().unwrap().block_on(async {
//! let dir = std::env::temp_dir().join(format!("weave-doc-fs-{}", std::process::id()));
//! weave::fs::create_dir_all(&dir).await?;
//! let path = dir.join("hello.txt");
//! weave::fs::write(&path, "hello, world").await?;
//! assert_eq!(weave::fs::read_to_string(&path).await?, "hello, world");
//! weave::fs::remove_dir_all(&dir).await?;
//! # Ok::<_, std::io::Error>(()) }).unwrap();
//! ```
//!
//! Like Tokio's, these functions need a runtime: they panic when called
//! outside one.

mod blocking;
mod dir_builder;
mod dispatch;
mod file;
mod file_times;
mod open_options;
mod path_ops;
mod read_dir;
mod read_write;

pub use dir_builder::DirBuilder;
pub use file::File;
pub use file_times::FileTimes;
pub use open_options::OpenOptions;
#[cfg(unix)]
pub use path_ops::symlink;
pub use path_ops::{
    canonicalize, create_dir, create_dir_all, hard_link, metadata, read_link, remove_dir,
    remove_dir_all, remove_file, rename, set_permissions, symlink_metadata, try_exists,
};
pub use read_dir::{read_dir, DirEntry, ReadDir};
pub use read_write::{copy, read, read_to_string, write};
