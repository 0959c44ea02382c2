//! `DirBuilder`: directory creation with options.

use crate::fs::blocking::asyncify;
use std::io;
use std::path::Path;

/// Creates directories with options: recursively, with a mode (Tokio's
/// `tokio::fs::DirBuilder`).
///
/// ```
/// # weave::runtime::Runtime::new().unwrap().block_on(async {
/// let root = std::env::temp_dir().join(format!("weave-doc-dirbuilder-{}", std::process::id()));
/// weave::fs::DirBuilder::new()
///     .recursive(true)
///     .create(root.join("a/b/c"))
///     .await?;
/// assert!(weave::fs::metadata(root.join("a/b/c")).await?.is_dir());
/// weave::fs::remove_dir_all(&root).await?;
/// # Ok::<_, std::io::Error>(()) }).unwrap();
/// ```
#[derive(Debug, Default)]
pub struct DirBuilder {
    recursive: bool,
    #[cfg(unix)]
    mode: Option<u32>,
}

impl DirBuilder {
    /// A builder that creates one directory with the default mode.
    pub fn new() -> DirBuilder {
        DirBuilder::default()
    }

    /// Also create missing parents (and succeed if the directory exists).
    pub fn recursive(&mut self, recursive: bool) -> &mut DirBuilder {
        self.recursive = recursive;
        self
    }

    /// Creates the directory at `path`.
    pub async fn create(&self, path: impl AsRef<Path>) -> io::Result<()> {
        let path = path.as_ref().to_owned();
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(self.recursive);
        #[cfg(unix)]
        if let Some(mode) = self.mode {
            std::os::unix::fs::DirBuilderExt::mode(&mut builder, mode);
        }
        asyncify(move || builder.create(path)).await
    }
}

#[cfg(unix)]
impl DirBuilder {
    /// The permission bits of created directories (before the umask);
    /// default `0o777`.
    pub fn mode(&mut self, mode: u32) -> &mut DirBuilder {
        self.mode = Some(mode);
        self
    }
}
