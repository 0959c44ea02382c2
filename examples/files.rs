//! File pipelines, as with aiofiles: several files processed concurrently,
//! then one large file streamed line by line without loading it whole.
//!
//! ```text
//! cargo run --release --example files
//! ```
//!
//! Everything happens in a fresh directory under the system's temp dir,
//! removed at the end.

use std::io;
use std::path::{Path, PathBuf};
use weave::fs;
use weave::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, BufWriter};
use weave::time::Instant;

/// Reads one input, writes its upper-cased text next to it, and returns
/// (words, bytes written).
async fn transform(input: PathBuf) -> io::Result<(usize, usize)> {
    let text = fs::read_to_string(&input).await?;
    let words = text.split_whitespace().count();
    let upper = text.to_uppercase();
    fs::write(input.with_extension("upper"), &upper).await?;
    Ok((words, upper.len()))
}

/// Writes `lines` numbered lines to `path` through a buffered writer.
async fn write_large(path: &Path, lines: usize) -> io::Result<()> {
    let mut out = BufWriter::new(fs::File::create(path).await?);
    for i in 0..lines {
        out.write_all(
            format!("line {i}: the quick brown fox jumps over the lazy dog\n").as_bytes(),
        )
        .await?;
    }
    out.flush().await?;
    Ok(())
}

#[weave::main]
async fn main() -> io::Result<()> {
    let dir = std::env::temp_dir().join(format!("weave-files-example-{}", std::process::id()));
    fs::create_dir_all(&dir).await?;

    // 1. Several files at once: one task per file.
    let mut inputs = Vec::new();
    for n in 1..=5 {
        let path = dir.join(format!("input-{n}.txt"));
        fs::write(&path, "hello from weave ".repeat(1000 * n)).await?;
        inputs.push(path);
    }
    let started = Instant::now();
    let tasks: Vec<_> = inputs
        .iter()
        .cloned()
        .map(|p| weave::spawn(transform(p)))
        .collect();
    for (path, task) in inputs.iter().zip(tasks) {
        let (words, bytes) = task.await.expect("transform task panicked")?;
        println!(
            "{}: {words} words -> {bytes} bytes upper-cased",
            path.file_name().unwrap().to_string_lossy()
        );
    }
    println!(
        "5 files transformed concurrently in {:?}",
        started.elapsed()
    );

    // 2. One large file, line by line: memory stays at one buffer.
    let big = dir.join("large.txt");
    write_large(&big, 500_000).await?;
    let started = Instant::now();
    let mut lines = BufReader::new(fs::File::open(&big).await?).lines();
    let (mut count, mut bytes, mut with_seven) = (0usize, 0usize, 0usize);
    while let Some(line) = lines.next_line().await? {
        count += 1;
        bytes += line.len();
        with_seven += line.contains('7') as usize;
    }
    println!(
        "{count} lines ({bytes} bytes of text, {with_seven} mention a 7) streamed in {:?}",
        started.elapsed()
    );

    fs::remove_dir_all(&dir).await?;
    Ok(())
}
