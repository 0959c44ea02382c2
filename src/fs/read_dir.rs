//! `read_dir`: directory listing in batches.
//!
//! A [`ReadDir`] is either idle, holding the `std::fs::ReadDir` and a batch
//! of entries already read, or waiting for a pool job that owns them and is
//! reading the next batch. Batches start at 32 entries and double up to
//! 1024, so a small directory costs one hop and a large one a few.

use crate::fs::blocking::{asyncify, hop, Hop};
use std::collections::VecDeque;
use std::ffi::OsString;
use std::fmt;
use std::fs::{FileType, Metadata};
use std::future::{poll_fn, Future};
use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

const FIRST_BATCH: usize = 32;
const MAX_BATCH: usize = 1024;

/// Lists the entries of a directory (`.` and `..` excluded, in no
/// particular order).
///
/// ```
/// # weave::runtime::Runtime::new().unwrap().block_on(async {
/// let dir = std::env::temp_dir().join(format!("weave-doc-read-dir-{}", std::process::id()));
/// weave::fs::create_dir_all(&dir).await?;
/// weave::fs::write(dir.join("a.txt"), "a").await?;
///
/// let mut names = Vec::new();
/// let mut entries = weave::fs::read_dir(&dir).await?;
/// while let Some(entry) = entries.next_entry().await? {
///     names.push(entry.file_name());
/// }
/// assert_eq!(names, ["a.txt"]);
/// weave::fs::remove_dir_all(&dir).await?;
/// # Ok::<_, std::io::Error>(()) }).unwrap();
/// ```
pub async fn read_dir(path: impl AsRef<Path>) -> io::Result<ReadDir> {
    let path = path.as_ref().to_owned();
    let std = asyncify(move || std::fs::read_dir(path)).await?;
    Ok(ReadDir {
        state: State::Idle(Some(Batch {
            std,
            entries: VecDeque::new(),
            done: false,
            size: FIRST_BATCH,
        })),
    })
}

/// The entries of a directory, from [`read_dir`].
pub struct ReadDir {
    state: State,
}

enum State {
    /// `Some` except transiently while a job is being started.
    Idle(Option<Batch>),
    Pending(Hop<Batch>),
    /// The runtime dropped the job: no more entries can be read.
    Lost,
}

struct Batch {
    std: std::fs::ReadDir,
    entries: VecDeque<io::Result<DirEntry>>,
    done: bool,
    size: usize,
}

impl Batch {
    /// Reads up to `size` entries (on a pool thread).
    fn fill(&mut self) {
        for _ in 0..self.size {
            match self.std.next() {
                Some(Ok(entry)) => {
                    // On Linux this uses the directory entry's type field:
                    // no system call unless the file system leaves it out.
                    let file_type = entry.file_type().ok();
                    self.entries.push_back(Ok(DirEntry {
                        std: Arc::new(entry),
                        file_type,
                    }));
                }
                Some(Err(e)) => self.entries.push_back(Err(e)),
                None => {
                    self.done = true;
                    break;
                }
            }
        }
        self.size = (self.size * 2).min(MAX_BATCH);
    }
}

impl ReadDir {
    /// The next entry, or `None` at the end.
    pub async fn next_entry(&mut self) -> io::Result<Option<DirEntry>> {
        poll_fn(|cx| self.poll_next_entry(cx)).await
    }

    /// Polls for the next entry: `Ready(Ok(None))` at the end. On
    /// `Pending`, the waker of `cx` is woken when an entry (or the end) is
    /// available.
    pub fn poll_next_entry(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<Option<DirEntry>>> {
        loop {
            match &mut self.state {
                State::Idle(batch) => {
                    let b = batch.as_mut().expect("ReadDir batch present while idle");
                    if let Some(entry) = b.entries.pop_front() {
                        return Poll::Ready(entry.map(Some));
                    }
                    if b.done {
                        return Poll::Ready(Ok(None));
                    }
                    let mut b = batch.take().expect("ReadDir batch present while idle");
                    let join = hop(move || {
                        b.fill();
                        b
                    });
                    self.state = State::Pending(join);
                }
                State::Pending(join) => match ready!(Pin::new(join).poll(cx)) {
                    Ok(batch) => self.state = State::Idle(Some(batch)),
                    Err(e) => {
                        self.state = State::Lost;
                        return Poll::Ready(Err(e));
                    }
                },
                State::Lost => return Poll::Ready(Ok(None)),
            }
        }
    }
}

impl fmt::Debug for ReadDir {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReadDir").finish_non_exhaustive()
    }
}

/// One entry of a directory listing.
#[derive(Debug, Clone)]
pub struct DirEntry {
    std: Arc<std::fs::DirEntry>,
    /// Read with the entry when the OS provided it.
    file_type: Option<FileType>,
}

impl DirEntry {
    /// The full path: the `read_dir` argument joined with the file name.
    pub fn path(&self) -> PathBuf {
        self.std.path()
    }

    /// The entry's name, without the directory.
    pub fn file_name(&self) -> OsString {
        self.std.file_name()
    }

    /// The entry's metadata, not following a symbolic link.
    pub async fn metadata(&self) -> io::Result<Metadata> {
        let std = self.std.clone();
        asyncify(move || std.metadata()).await
    }

    /// The entry's type, not following a symbolic link; usually known from
    /// the listing itself, without a hop.
    pub async fn file_type(&self) -> io::Result<FileType> {
        if let Some(file_type) = self.file_type {
            return Ok(file_type);
        }
        let std = self.std.clone();
        asyncify(move || std.file_type()).await
    }

    /// The entry's inode number.
    #[cfg(unix)]
    pub fn ino(&self) -> u64 {
        std::os::unix::fs::DirEntryExt::ino(&*self.std)
    }
}
