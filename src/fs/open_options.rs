//! `OpenOptions`: how to open a file (Tokio's `tokio::fs::OpenOptions`).

use crate::fs::blocking::asyncify;
use crate::fs::File;
use std::fs::OpenOptions as StdOpenOptions;
use std::io;
use std::path::Path;

/// Options for opening a file: read, write, append, truncate, create; a
/// wrapper of [`std::fs::OpenOptions`] whose [`open`](Self::open) is async.
///
/// ```
/// use weave::fs::OpenOptions;
/// use weave::io::AsyncWriteExt;
///
/// # weave::runtime::Runtime::new().unwrap().block_on(async {
/// let path = std::env::temp_dir().join(format!("weave-doc-options-{}", std::process::id()));
/// let mut log = OpenOptions::new().append(true).create(true).open(&path).await?;
/// log.write_all(b"one line\n").await?;
/// log.flush().await?;
/// # weave::fs::remove_file(&path).await?;
/// # Ok::<_, std::io::Error>(()) }).unwrap();
/// ```
#[derive(Clone, Debug)]
pub struct OpenOptions(StdOpenOptions);

impl OpenOptions {
    /// Options with everything off; set at least `read`, `write` or
    /// `append`.
    pub fn new() -> OpenOptions {
        OpenOptions(StdOpenOptions::new())
    }

    /// Open for reading.
    pub fn read(&mut self, read: bool) -> &mut OpenOptions {
        self.0.read(read);
        self
    }

    /// Open for writing.
    pub fn write(&mut self, write: bool) -> &mut OpenOptions {
        self.0.write(write);
        self
    }

    /// Open for appending: every write goes to the end of the file.
    pub fn append(&mut self, append: bool) -> &mut OpenOptions {
        self.0.append(append);
        self
    }

    /// Truncate the file to 0 bytes when opening it (needs `write`).
    pub fn truncate(&mut self, truncate: bool) -> &mut OpenOptions {
        self.0.truncate(truncate);
        self
    }

    /// Create the file if it does not exist (needs `write` or `append`).
    pub fn create(&mut self, create: bool) -> &mut OpenOptions {
        self.0.create(create);
        self
    }

    /// Create the file, failing with `AlreadyExists` if it exists; `create`
    /// and `truncate` are then ignored.
    pub fn create_new(&mut self, create_new: bool) -> &mut OpenOptions {
        self.0.create_new(create_new);
        self
    }

    /// Opens `path` with these options.
    ///
    /// Errors as [`std::fs::OpenOptions::open`]: `NotFound`,
    /// `PermissionDenied`, `AlreadyExists` (with `create_new`),
    /// `InvalidInput` (an invalid combination of options), ...
    pub async fn open(&self, path: impl AsRef<Path>) -> io::Result<File> {
        let path = path.as_ref().to_owned();
        let options = self.0.clone();
        asyncify(move || options.open(path))
            .await
            .map(File::from_std)
    }
}

#[cfg(unix)]
impl OpenOptions {
    /// The permission bits a newly created file gets (before the umask);
    /// default `0o666`.
    pub fn mode(&mut self, mode: u32) -> &mut OpenOptions {
        std::os::unix::fs::OpenOptionsExt::mode(&mut self.0, mode);
        self
    }

    /// Extra `open(2)` flags (e.g. `libc::O_NOFOLLOW`); the access-mode bits
    /// are masked out.
    pub fn custom_flags(&mut self, flags: i32) -> &mut OpenOptions {
        std::os::unix::fs::OpenOptionsExt::custom_flags(&mut self.0, flags);
        self
    }
}

impl From<StdOpenOptions> for OpenOptions {
    fn from(options: StdOpenOptions) -> OpenOptions {
        OpenOptions(options)
    }
}

impl Default for OpenOptions {
    fn default() -> OpenOptions {
        OpenOptions::new()
    }
}
