//! `FileTimes`: timestamps to set with [`File::set_times`](super::File::set_times).

use std::time::SystemTime;

/// The access and modification times to give a file (Tokio's and std's
/// `FileTimes`); a time left unset is not changed.
///
/// ```
/// # weave::runtime::Runtime::new().unwrap().block_on(async {
/// use std::time::{Duration, SystemTime};
/// use weave::fs::{File, FileTimes};
///
/// # let path = std::env::temp_dir().join(format!("weave-doc-times-{}", std::process::id()));
/// let file = File::create(&path).await?;
/// let then = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
/// file.set_times(FileTimes::new().set_modified(then)).await?;
/// assert_eq!(file.metadata().await?.modified()?, then);
/// # weave::fs::remove_file(&path).await?;
/// # std::io::Result::Ok(())
/// # }).unwrap();
/// ```
#[derive(Debug, Clone, Copy, Default)]
#[must_use = "must be applied to a file with `File::set_times` to have any effect"]
pub struct FileTimes {
    accessed: Option<SystemTime>,
    modified: Option<SystemTime>,
}

impl FileTimes {
    /// No times set.
    pub fn new() -> FileTimes {
        FileTimes::default()
    }

    /// Sets the last access time.
    pub fn set_accessed(mut self, t: SystemTime) -> FileTimes {
        self.accessed = Some(t);
        self
    }

    /// Sets the last modification time.
    pub fn set_modified(mut self, t: SystemTime) -> FileTimes {
        self.modified = Some(t);
        self
    }

    pub(super) fn into_std(self) -> std::fs::FileTimes {
        let mut times = std::fs::FileTimes::new();
        if let Some(t) = self.accessed {
            times = times.set_accessed(t);
        }
        if let Some(t) = self.modified {
            times = times.set_modified(t);
        }
        times
    }
}
