//! Whole-file reads and writes, each one hop to the blocking pool.
//!
//! [`read`] and [`read_to_string`] do what `std::fs::read` does (open,
//! size the buffer from the file's length, read to the end) with one
//! addition on Linux: a buffer of 8 MiB or more is marked for transparent
//! huge pages (`madvise(MADV_HUGEPAGE)`) before the read fills it. Filling
//! fresh memory costs one page fault per 4 KiB page, which dominates
//! reading a large cached file; with 2 MiB pages there are 512 times fewer.
//! The advice is only a hint: where huge pages are disabled it does
//! nothing.

use crate::fs::blocking::asyncify;
use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

/// Buffers at least this large get the huge-page advice.
const HUGE_PAGE_MIN: usize = 8 * 1024 * 1024;

/// Reads a whole file into a `Vec`, in one blocking call that sizes the
/// buffer from the file's length (like [`std::fs::read`]).
///
/// ```
/// # weave::runtime::Runtime::new().unwrap().block_on(async {
/// # let path = std::env::temp_dir().join(format!("weave-doc-read-{}", std::process::id()));
/// weave::fs::write(&path, [1u8, 2, 3]).await?;
/// assert_eq!(weave::fs::read(&path).await?, [1, 2, 3]);
/// # weave::fs::remove_file(&path).await?;
/// # Ok::<_, std::io::Error>(()) }).unwrap();
/// ```
pub async fn read(path: impl AsRef<Path>) -> io::Result<Vec<u8>> {
    let path = path.as_ref().to_owned();
    asyncify(move || read_whole(&path)).await
}

/// Reads a whole file into a `String`; `InvalidData` if it is not UTF-8.
pub async fn read_to_string(path: impl AsRef<Path>) -> io::Result<String> {
    let path = path.as_ref().to_owned();
    asyncify(move || {
        String::from_utf8(read_whole(&path)?)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.utf8_error()))
    })
    .await
}

/// The blocking body of [`read`].
fn read_whole(path: &Path) -> io::Result<Vec<u8>> {
    let file = File::open(path)?;
    // The length is only a hint (the file may change, or be a special file
    // reporting 0); `read_to_end` reads until end of file regardless.
    let hint = file.metadata().map(|m| m.len() as usize).unwrap_or(0);
    let mut bytes = Vec::new();
    bytes
        .try_reserve_exact(hint)
        .map_err(|_| io::Error::from(io::ErrorKind::OutOfMemory))?;
    if bytes.capacity() >= HUGE_PAGE_MIN {
        advise_huge_pages(&mut bytes);
    }
    // Through `Take`: `File`'s own `read_to_end` would query the length
    // and position again (two more system calls per file), and a bare
    // `Read` wrapper would zero the buffer first. `Take<&File>` reads
    // straight into the reserved capacity, then probes for end of file.
    (&file).take(u64::MAX).read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Asks the kernel to back `buf`'s (still unfilled) capacity with huge
/// pages.
#[cfg(target_os = "linux")]
fn advise_huge_pages(buf: &mut Vec<u8>) {
    const PAGE: usize = 4096;
    let spare = buf.spare_capacity_mut();
    let start = spare.as_mut_ptr() as usize;
    let end = start + spare.len();
    // madvise wants page-aligned bounds: advise the whole pages inside.
    let (start, end) = ((start + PAGE - 1) & !(PAGE - 1), end & !(PAGE - 1));
    if start < end {
        // SAFETY: [start, end) lies inside `buf`'s allocation, which we own
        // and nobody else references. MADV_HUGEPAGE only changes how the
        // kernel backs those pages; it never alters or invalidates memory,
        // and a failure (e.g. no THP support) is harmless, so its result is
        // ignored.
        unsafe {
            libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE);
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn advise_huge_pages(_buf: &mut Vec<u8>) {}

/// Writes `contents` as the whole file, creating or truncating it.
pub async fn write(path: impl AsRef<Path>, contents: impl AsRef<[u8]>) -> io::Result<()> {
    let path = path.as_ref().to_owned();
    let contents = contents.as_ref().to_owned();
    asyncify(move || std::fs::write(path, contents)).await
}

/// Copies a file's contents and permissions to another path, creating or
/// truncating it; returns the number of bytes copied.
pub async fn copy(from: impl AsRef<Path>, to: impl AsRef<Path>) -> io::Result<u64> {
    let from = from.as_ref().to_owned();
    let to = to.as_ref().to_owned();
    asyncify(move || std::fs::copy(from, to)).await
}
