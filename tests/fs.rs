//! Integration tests of `weave::fs` and of `weave::io::{stdin, stdout,
//! stderr}`.
//!
//! Every check compares bytes, positions and error kinds with what `std`
//! reports for the same operations; nothing depends on timing. Background
//! work is waited for deterministically (flush, metadata, or dropping the
//! runtime, which joins the blocking pool).

#[allow(unused_macros)]
mod common;
use common::TempDir;
use std::collections::BTreeSet;
use std::io::{Read as _, Seek as _, SeekFrom, Write as _};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use weave::fs::{self, File, OpenOptions};
use weave::io::{AsyncBufReadExt, AsyncReadExt, AsyncSeekExt, AsyncWriteExt, BufReader};

// ---------------------------------------------------------------------------
// Helpers

/// Deterministic pseudo-random numbers (xorshift64*).
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

/// Reads until `n` bytes or end of file, like repeated `read` calls.
async fn read_up_to(file: &mut File, n: usize) -> std::io::Result<Vec<u8>> {
    let mut out = vec![0; n];
    let mut got = 0;
    while got < n {
        let k = file.read(&mut out[got..]).await?;
        if k == 0 {
            break;
        }
        got += k;
    }
    out.truncate(got);
    Ok(out)
}

fn std_read_up_to(file: &mut std::fs::File, n: usize) -> std::io::Result<Vec<u8>> {
    let mut out = vec![0; n];
    let mut got = 0;
    while got < n {
        let k = file.read(&mut out[got..])?;
        if k == 0 {
            break;
        }
        got += k;
    }
    out.truncate(got);
    Ok(out)
}

/// Asserts two byte strings are equal, reporting the first difference
/// instead of dumping both.
#[track_caller]
fn assert_bytes_eq(got: &[u8], want: &[u8], what: &str) {
    if let Some(i) = got.iter().zip(want).position(|(a, b)| a != b) {
        panic!(
            "{what}: first difference at byte {i}: got {:#04x}, want {:#04x}",
            got[i], want[i]
        );
    }
    assert_eq!(got.len(), want.len(), "{what}: lengths differ");
}

/// The public types are `Send + Sync + Unpin`, like Tokio's, so they can be
/// held across `.await` in spawned tasks and shared behind `&`.
#[test]
fn public_types_are_send_sync_unpin() {
    fn check<T: Send + Sync + Unpin + std::fmt::Debug>() {}
    check::<File>();
    check::<OpenOptions>();
    check::<fs::ReadDir>();
    check::<fs::DirEntry>();
    check::<fs::DirBuilder>();
    check::<weave::io::Stdin>();
    check::<weave::io::Stdout>();
    check::<weave::io::Stderr>();
}

// ---------------------------------------------------------------------------
// Round trips and large reads

#[weave::test]
async fn round_trip_every_byte_random_piece_sizes() {
    let dir = TempDir::new("round-trip");
    let path = dir.path("data.bin");
    let mut rng = Rng::new(1);
    let data = rng.bytes(3 * 1024 * 1024 + 12_345);

    let mut file = File::create(&path).await.unwrap();
    let mut off = 0;
    while off < data.len() {
        let n = (1 + rng.below(70_000) as usize).min(data.len() - off);
        file.write_all(&data[off..off + n]).await.unwrap();
        off += n;
    }
    file.flush().await.unwrap();
    assert_bytes_eq(&std::fs::read(&path).unwrap(), &data, "file after flush");

    let mut file = File::open(&path).await.unwrap();
    let mut back = Vec::new();
    loop {
        let mut buf = vec![0; 1 + rng.below(100_000) as usize];
        let n = file.read(&mut buf).await.unwrap();
        if n == 0 {
            break;
        }
        back.extend_from_slice(&buf[..n]);
    }
    assert_bytes_eq(&back, &data, "read back in random pieces");
    // End of file stays end of file.
    assert_eq!(file.read(&mut [0; 10]).await.unwrap(), 0);
}

#[weave::test(flavor = "multi_thread")]
async fn large_sequential_reads_match_std() {
    let dir = TempDir::new("large");
    let path = dir.path("big.bin");
    let data = Rng::new(2).bytes(24 * 1024 * 1024 + 7);
    std::fs::write(&path, &data).unwrap();

    let mut all = Vec::new();
    File::open(&path)
        .await
        .unwrap()
        .read_to_end(&mut all)
        .await
        .unwrap();
    assert_bytes_eq(&all, &data, "read_to_end");

    // Small fixed reads: served from the chunks between hops.
    let mut file = File::open(&path).await.unwrap();
    let mut back = Vec::with_capacity(data.len());
    let mut buf = [0u8; 8192];
    loop {
        let n = file.read(&mut buf).await.unwrap();
        if n == 0 {
            break;
        }
        back.extend_from_slice(&buf[..n]);
    }
    assert_bytes_eq(&back, &data, "8 KiB reads");

    assert_bytes_eq(&fs::read(&path).await.unwrap(), &data, "fs::read");
}

#[weave::test(flavor = "multi_thread")]
async fn buf_reader_lines_match_std() {
    let dir = TempDir::new("lines");
    let path = dir.path("lines.txt");
    let mut rng = Rng::new(3);
    let mut text = String::new();
    for i in 0..200_000 {
        let len = rng.below(90) as usize;
        text.push_str(&format!("{i} "));
        text.extend((0..len).map(|_| (b'a' + rng.below(26) as u8) as char));
        text.push('\n');
    }
    text.push_str("no newline at the end");
    std::fs::write(&path, &text).unwrap();

    let want: Vec<String> =
        std::io::BufRead::lines(std::io::BufReader::new(std::fs::File::open(&path).unwrap()))
            .map(Result::unwrap)
            .collect();
    let mut lines = BufReader::new(File::open(&path).await.unwrap()).lines();
    let mut got = Vec::new();
    while let Some(line) = lines.next_line().await.unwrap() {
        got.push(line);
    }
    assert_eq!(got.len(), want.len());
    assert!(got == want, "lines differ from std's");
}

#[weave::test]
async fn small_max_buf_size_round_trip() {
    let dir = TempDir::new("small-buf");
    let path = dir.path("f");
    let data = Rng::new(4).bytes(100_003);
    let mut file = File::create(&path).await.unwrap();
    file.set_max_buf_size(7);
    assert_eq!(file.max_buf_size(), 7);
    file.write_all(&data).await.unwrap();
    file.flush().await.unwrap();
    let mut file = File::open(&path).await.unwrap();
    file.set_max_buf_size(13);
    let mut back = Vec::new();
    file.read_to_end(&mut back).await.unwrap();
    assert_bytes_eq(&back, &data, "round trip with tiny buffers");
}

/// Reads served from the buffer and writes into it are never `Pending`, but
/// they charge the cooperative budget, so a task doing many of them still
/// lets the other tasks of a current-thread runtime run.
#[test]
fn buffered_reads_and_writes_yield_to_other_tasks() {
    let dir = TempDir::new("coop");
    let path = dir.path("f");
    // Smaller than the first read chunk: one hop reads it all (and sees end
    // of file), after which every read is served from memory.
    std::fs::write(&path, vec![5u8; 30_000]).unwrap();
    let rt = weave::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let ticks = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let counter = {
            let (ticks, stop) = (ticks.clone(), stop.clone());
            weave::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    ticks.fetch_add(1, Ordering::Relaxed);
                    weave::task::yield_now().await;
                }
            })
        };
        let mut f = File::open(&path).await.unwrap();
        let mut buf = [0u8; 16];
        f.read_exact(&mut buf).await.unwrap();
        // From here on nothing waits for the pool: the counter only runs
        // when the budget makes this task yield (every 128 operations).
        let before = ticks.load(Ordering::Relaxed);
        let mut reads = 1;
        while f.read(&mut buf).await.unwrap() > 0 {
            reads += 1;
        }
        assert_eq!(reads, 30_000 / 16);
        let yields = ticks.load(Ordering::Relaxed) - before;
        assert!(yields >= 10, "only {yields} yields during {reads} reads");

        // Writes (well under the buffer size) are accepted without waiting.
        let mut out = File::create(dir.path("out")).await.unwrap();
        let before = ticks.load(Ordering::Relaxed);
        for _ in 0..10_000 {
            out.write_all(&buf).await.unwrap();
        }
        let yields = ticks.load(Ordering::Relaxed) - before;
        assert!(yields >= 50, "only {yields} yields during 10000 writes");
        out.flush().await.unwrap();
        stop.store(true, Ordering::Relaxed);
        counter.await.unwrap();
    });
    assert_eq!(std::fs::metadata(dir.path("out")).unwrap().len(), 160_000);
}

// ---------------------------------------------------------------------------
// Interleavings compared with std

#[derive(Debug)]
enum Op {
    Read(usize),
    Write(Vec<u8>),
    Seek(SeekFrom),
    Position,
    Flush,
    SetLen(u64),
    Len,
}

fn random_op(rng: &mut Rng, len_hint: u64) -> Op {
    match rng.below(100) {
        0..=29 => Op::Read(if rng.below(2) == 0 {
            1 + rng.below(64) as usize
        } else {
            1 + rng.below(150_000) as usize
        }),
        30..=54 => {
            let n = if rng.below(3) == 0 {
                1 + rng.below(100_000) as usize
            } else {
                1 + rng.below(300) as usize
            };
            Op::Write(rng.bytes(n))
        }
        55..=74 => Op::Seek(match rng.below(4) {
            0 => SeekFrom::Start(rng.below(len_hint + 1000)),
            1 => SeekFrom::End(-(rng.below(len_hint / 2 + 1) as i64)),
            2 => SeekFrom::Current(rng.below(20_000) as i64 - 10_000),
            // Sometimes before the start: an error, which must leave the
            // position unchanged.
            _ => SeekFrom::Current(-(len_hint as i64) - 5),
        }),
        75..=84 => Op::Position,
        85..=91 => Op::Flush,
        92..=95 => Op::SetLen(rng.below(len_hint + 50_000)),
        _ => Op::Len,
    }
}

/// Runs the same random operations on a weave `File` and a std `File` over
/// identical contents and compares every result.
async fn interleaving(seed: u64, max_buf: Option<usize>, append: bool) {
    let dir = TempDir::new("interleave");
    let (wp, sp) = (dir.path("weave"), dir.path("std"));
    let mut rng = Rng::new(seed);
    let initial_len = rng.below(400_000) as usize;
    let initial = rng.bytes(initial_len);
    std::fs::write(&wp, &initial).unwrap();
    std::fs::write(&sp, &initial).unwrap();

    let mut wopts = OpenOptions::new();
    let mut sopts = std::fs::OpenOptions::new();
    wopts.read(true);
    sopts.read(true);
    if append {
        wopts.append(true);
        sopts.append(true);
    } else {
        wopts.write(true);
        sopts.write(true);
    }
    let mut w = wopts.open(&wp).await.unwrap();
    if let Some(m) = max_buf {
        w.set_max_buf_size(m);
    }
    let mut s = sopts.open(&sp).unwrap();
    let mut len_hint = initial.len() as u64;

    for step in 0..400 {
        let op = random_op(&mut rng, len_hint);
        let ctx = format!("seed {seed}, step {step}, {op:?}");
        let ctx = &ctx[..ctx.len().min(120)];
        match op {
            Op::Read(n) => {
                let got = read_up_to(&mut w, n).await.unwrap();
                let want = std_read_up_to(&mut s, n).unwrap();
                assert_bytes_eq(&got, &want, ctx);
            }
            Op::Write(data) => {
                w.write_all(&data).await.unwrap();
                s.write_all(&data).unwrap();
                len_hint += data.len() as u64;
            }
            Op::Seek(pos) => {
                let got = w.seek(pos).await.map_err(|e| e.kind());
                let want = s.seek(pos).map_err(|e| e.kind());
                assert_eq!(got, want, "{ctx}");
            }
            Op::Position => {
                assert_eq!(
                    w.stream_position().await.unwrap(),
                    s.stream_position().unwrap(),
                    "{ctx}"
                );
            }
            Op::Flush => w.flush().await.unwrap(),
            Op::SetLen(n) => {
                w.set_len(n).await.unwrap();
                s.set_len(n).unwrap();
                len_hint = n;
            }
            Op::Len => {
                assert_eq!(
                    w.metadata().await.unwrap().len(),
                    s.metadata().unwrap().len(),
                    "{ctx}"
                );
            }
        }
    }
    w.flush().await.unwrap();
    assert_eq!(
        w.stream_position().await.unwrap(),
        s.stream_position().unwrap(),
        "final position, seed {seed}"
    );
    drop(w);
    assert_bytes_eq(
        &std::fs::read(&wp).unwrap(),
        &std::fs::read(&sp).unwrap(),
        &format!("final contents, seed {seed}"),
    );
}

#[weave::test]
async fn interleaved_ops_match_std_current_thread() {
    for seed in 0..12 {
        interleaving(seed, None, false).await;
    }
}

#[weave::test(flavor = "multi_thread")]
async fn interleaved_ops_match_std_multi_thread() {
    for seed in 100..112 {
        interleaving(seed, None, false).await;
    }
}

#[weave::test(flavor = "multi_thread")]
async fn interleaved_ops_match_std_small_buffers() {
    for seed in 200..206 {
        interleaving(seed, Some(1000), false).await;
    }
}

#[weave::test(flavor = "multi_thread")]
async fn interleaved_ops_match_std_append_mode() {
    for seed in 300..306 {
        interleaving(seed, None, true).await;
    }
}

#[weave::test]
async fn seek_accounts_for_read_ahead() {
    let dir = TempDir::new("seek");
    let path = dir.path("f");
    let data: Vec<u8> = (0..2_000_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(&path, &data).unwrap();

    let mut f = OpenOptions::new()
        .read(true)
        .write(true)
        .open(&path)
        .await
        .unwrap();
    let mut buf = [0u8; 10];
    f.read_exact(&mut buf).await.unwrap();
    assert_eq!(buf[..], data[..10]);
    assert_eq!(f.stream_position().await.unwrap(), 10);
    assert_eq!(f.seek(SeekFrom::Current(5)).await.unwrap(), 15);
    f.read_exact(&mut buf).await.unwrap();
    assert_eq!(buf[..], data[15..25]);
    // A write lands right after what was read, not after the read-ahead.
    f.write_all(b"XYZ").await.unwrap();
    assert_eq!(f.stream_position().await.unwrap(), 28);
    f.flush().await.unwrap();
    let on_disk = std::fs::read(&path).unwrap();
    assert_eq!(&on_disk[25..28], b"XYZ");
    assert_eq!(on_disk[28..], data[28..]);
    // Reading on after the write continues at 28.
    f.read_exact(&mut buf).await.unwrap();
    assert_eq!(buf[..], data[28..38]);
    assert_eq!(
        f.seek(SeekFrom::End(-1)).await.unwrap(),
        data.len() as u64 - 1
    );
    assert_eq!(f.read_u8().await.unwrap(), *data.last().unwrap());
    assert_eq!(f.read(&mut buf).await.unwrap(), 0);
    // A rejected seek leaves the position alone.
    f.seek(SeekFrom::Start(100)).await.unwrap();
    f.read_exact(&mut buf).await.unwrap();
    let err = f.seek(SeekFrom::Current(-1000)).await.unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    assert_eq!(f.stream_position().await.unwrap(), 110);
}

// ---------------------------------------------------------------------------
// Append, EOF, handles

#[weave::test]
async fn append_mode_always_writes_at_the_end() {
    let dir = TempDir::new("append");
    let path = dir.path("log");
    std::fs::write(&path, b"start\n").unwrap();
    let mut f = OpenOptions::new()
        .append(true)
        .read(true)
        .open(&path)
        .await
        .unwrap();
    f.write_all(b"one\n").await.unwrap();
    f.seek(SeekFrom::Start(0)).await.unwrap();
    f.write_all(b"two\n").await.unwrap();
    f.flush().await.unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"start\none\ntwo\n");

    // A second handle appends too, after the first one's data.
    let mut g = OpenOptions::new().append(true).open(&path).await.unwrap();
    g.write_all(b"three\n").await.unwrap();
    g.flush().await.unwrap();
    assert_eq!(
        fs::read_to_string(&path).await.unwrap(),
        "start\none\ntwo\nthree\n"
    );
}

#[weave::test]
async fn reads_see_data_appended_after_eof() {
    let dir = TempDir::new("tail");
    let path = dir.path("f");
    std::fs::write(&path, b"abc").unwrap();
    let mut f = File::open(&path).await.unwrap();
    let mut s = String::new();
    f.read_to_string(&mut s).await.unwrap();
    assert_eq!(s, "abc");
    assert_eq!(f.read(&mut [0; 4]).await.unwrap(), 0);

    let mut w = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap();
    w.write_all(b"defg").unwrap();
    let mut buf = [0u8; 16];
    let n = f.read(&mut buf).await.unwrap();
    assert_eq!(&buf[..n], b"defg");
    assert_eq!(f.read(&mut buf).await.unwrap(), 0);
}

#[weave::test(flavor = "multi_thread")]
async fn metadata_and_set_len_wait_for_pending_writes() {
    let dir = TempDir::new("pending");
    let path = dir.path("f");
    let mut f = File::create(&path).await.unwrap();
    for _ in 0..1000 {
        f.write_all(&[7u8; 1000]).await.unwrap();
    }
    // No flush: metadata must still count every accepted byte.
    assert_eq!(f.metadata().await.unwrap().len(), 1_000_000);
    f.write_all(&[1u8; 10]).await.unwrap();
    f.set_len(500).await.unwrap();
    assert_eq!(f.metadata().await.unwrap().len(), 500);
    // The position is unchanged by set_len, as in std.
    assert_eq!(f.stream_position().await.unwrap(), 1_000_010);
    f.sync_all().await.unwrap();
    f.sync_data().await.unwrap();
}

#[weave::test(flavor = "multi_thread")]
async fn concurrent_metadata_calls_all_complete() {
    let dir = TempDir::new("concurrent-meta");
    let path = dir.path("f");
    let mut f = File::create(&path).await.unwrap();
    f.write_all(&[1u8; 100_000]).await.unwrap();
    let (a, b, c) = futures::join!(f.metadata(), f.sync_data(), f.metadata());
    assert_eq!(a.unwrap().len(), 100_000);
    b.unwrap();
    assert_eq!(c.unwrap().len(), 100_000);
}

#[weave::test]
async fn try_clone_into_std_and_try_into_std_keep_the_position() {
    let dir = TempDir::new("handles");
    let path = dir.path("f");
    let data = Rng::new(5).bytes(500_000);
    std::fs::write(&path, &data).unwrap();

    let mut f = File::open(&path).await.unwrap();
    let mut buf = [0u8; 10];
    f.read_exact(&mut buf).await.unwrap();
    // The clone shares the offset, which is the logical position despite
    // the read-ahead.
    let mut clone = f.try_clone().await.unwrap();
    assert_eq!(clone.stream_position().await.unwrap(), 10);
    clone.read_exact(&mut buf).await.unwrap();
    assert_eq!(buf[..], data[10..20]);

    f.seek(SeekFrom::Start(100)).await.unwrap();
    f.read_exact(&mut buf).await.unwrap();
    let mut std_file = f.into_std().await;
    assert_eq!(std_file.stream_position().unwrap(), 110);
    std_file.read_exact(&mut buf).unwrap();
    assert_eq!(buf[..], data[110..120]);

    let mut f = File::from_std(std_file);
    f.read_exact(&mut buf).await.unwrap();
    assert_eq!(buf[..], data[120..130]);
    // Read-ahead may still be in flight: try until it settles.
    let mut std_file = loop {
        match f.try_into_std() {
            Ok(std_file) => break std_file,
            Err(back) => {
                f = back;
                weave::task::yield_now().await;
            }
        }
    };
    assert_eq!(std_file.stream_position().unwrap(), 130);
}

#[weave::test]
async fn write_error_surfaces_on_flush() {
    let dir = TempDir::new("write-err");
    let path = dir.path("ro");
    std::fs::write(&path, b"read only").unwrap();
    // Opened for reading only: the background write fails with EBADF.
    let mut f = File::open(&path).await.unwrap();
    let std_err = std::fs::File::open(&path).unwrap().write(b"x").unwrap_err();
    f.write_all(b"data").await.unwrap();
    let err = f.flush().await.unwrap_err();
    assert_eq!(err.kind(), std_err.kind());
    assert_eq!(err.raw_os_error(), std_err.raw_os_error());
    // Reported once.
    f.flush().await.unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"read only");
}

#[weave::test]
async fn write_error_surfaces_on_a_later_write() {
    let dir = TempDir::new("write-err2");
    let path = dir.path("ro");
    std::fs::write(&path, b"").unwrap();
    let mut f = File::open(&path).await.unwrap();
    let mut saw_error = false;
    for _ in 0..1000 {
        if f.write_all(&[0u8; 4096]).await.is_err() {
            saw_error = true;
            break;
        }
        // Let the background write run and fail.
        f.metadata().await.unwrap();
    }
    assert!(saw_error, "the background write error never surfaced");
}

#[test]
fn dropped_file_still_writes_its_pending_data() {
    let dir = TempDir::new("drop");
    let path = dir.path("f");
    let data = Rng::new(6).bytes(5 * 1024 * 1024 + 3);
    for flavor in ["current", "multi"] {
        let rt = match flavor {
            "current" => weave::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap(),
            _ => weave::runtime::Runtime::new().unwrap(),
        };
        let (p, d) = (path.clone(), data.clone());
        rt.block_on(async move {
            let mut f = File::create(&p).await.unwrap();
            for piece in d.chunks(10_000) {
                f.write_all(piece).await.unwrap();
            }
            drop(f); // no flush
        });
        // Dropping the runtime joins the blocking pool: the write is done.
        drop(rt);
        assert_bytes_eq(&std::fs::read(&path).unwrap(), &data, flavor);
        std::fs::remove_file(&path).unwrap();
    }
}

#[test]
fn dropped_file_writes_behind_in_flight_read_ahead() {
    let dir = TempDir::new("drop-ahead");
    let path = dir.path("f");
    let original = Rng::new(8).bytes(3_000_000);
    let patch = Rng::new(9).bytes(700_000);
    for flavor in ["current", "multi"] {
        std::fs::write(&path, &original).unwrap();
        let rt = match flavor {
            "current" => weave::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap(),
            _ => weave::runtime::Runtime::new().unwrap(),
        };
        let (p, d) = (path.clone(), patch.clone());
        rt.block_on(async move {
            let mut f = OpenOptions::new()
                .read(true)
                .write(true)
                .open(&p)
                .await
                .unwrap();
            // Read enough for read-ahead to be running, then write at the
            // logical position and drop at once.
            let mut head = vec![0u8; 100_000];
            f.read_exact(&mut head).await.unwrap();
            f.write_all(&d).await.unwrap();
            drop(f);
        });
        drop(rt);
        let mut want = original.clone();
        want[100_000..800_000].copy_from_slice(&patch);
        assert_bytes_eq(&std::fs::read(&path).unwrap(), &want, flavor);
    }
}

// ---------------------------------------------------------------------------
// Many small files from many tasks

#[weave::test(flavor = "multi_thread")]
async fn concurrent_reads_of_many_small_files() {
    let dir = Arc::new(TempDir::new("many"));
    let count = 500;
    for i in 0..count {
        let body = format!("file {i}: ").repeat(1 + i % 37);
        std::fs::write(dir.path(&format!("{i}.txt")), body).unwrap();
    }
    let tasks: Vec<_> = (0..count)
        .map(|i| {
            let dir = dir.clone();
            weave::spawn(async move {
                let path = dir.path(&format!("{i}.txt"));
                let via_read = fs::read_to_string(&path).await.unwrap();
                let mut via_file = String::new();
                File::open(&path)
                    .await
                    .unwrap()
                    .read_to_string(&mut via_file)
                    .await
                    .unwrap();
                assert_eq!(via_read, via_file);
                (i, via_read)
            })
        })
        .collect();
    for t in tasks {
        let (i, body) = t.await.unwrap();
        assert_eq!(body, format!("file {i}: ").repeat(1 + i % 37));
    }
}

#[weave::test(flavor = "multi_thread")]
async fn concurrent_writers_to_different_files() {
    let dir = Arc::new(TempDir::new("writers"));
    let tasks: Vec<_> = (0..64u64)
        .map(|i| {
            let dir = dir.clone();
            weave::spawn(async move {
                let data = Rng::new(1000 + i).bytes(50_000 + i as usize * 997);
                let path = dir.path(&format!("{i}"));
                let mut f = File::create(&path).await.unwrap();
                for piece in data.chunks(1 + i as usize * 31) {
                    f.write_all(piece).await.unwrap();
                }
                f.shutdown().await.unwrap();
                (path, data)
            })
        })
        .collect();
    for t in tasks {
        let (path, data) = t.await.unwrap();
        assert_bytes_eq(&fs::read(&path).await.unwrap(), &data, "writer output");
    }
}

/// Opening a FIFO blocks until its other end is opened. Here every reader's
/// `open` blocks a pool thread before any writer is even submitted, and the
/// writers come one at a time: the file-system queue must keep adding
/// threads for them (its watchdog / stall detection) instead of leaving them
/// queued behind the stuck readers forever.
#[cfg(unix)]
async fn fifo_rendezvous(count: usize) {
    let dir = Arc::new(TempDir::new("fifo"));
    for i in 0..count {
        let path = std::ffi::CString::new(
            dir.path(&format!("fifo{i}"))
                .into_os_string()
                .into_encoded_bytes(),
        )
        .unwrap();
        // SAFETY: `path` is a valid NUL-terminated string.
        assert_eq!(unsafe { libc::mkfifo(path.as_ptr(), 0o600) }, 0);
    }
    let readers: Vec<_> = (0..count)
        .map(|i| {
            let dir = dir.clone();
            weave::spawn(async move {
                let mut f = File::open(dir.path(&format!("fifo{i}"))).await.unwrap();
                let mut s = String::new();
                f.read_to_string(&mut s).await.unwrap();
                s
            })
        })
        .collect();
    let work = async {
        for i in 0..count {
            fs::write(dir.path(&format!("fifo{i}")), format!("message {i}"))
                .await
                .unwrap();
        }
        let mut got = Vec::new();
        for r in readers {
            got.push(r.await.unwrap());
        }
        got
    };
    // Only a guard against a hang turning into a stuck test run.
    let Ok(got) = weave::time::timeout(std::time::Duration::from_secs(120), work).await else {
        // Deadlocked: pool threads are stuck in `open`/`read` of FIFOs, so
        // the runtime could never shut down and a panic would just hang.
        // Fail the whole test binary instead.
        eprintln!("FIFO writers starved behind blocked readers (deadlock)");
        std::process::exit(1);
    };
    for (i, s) in got.iter().enumerate() {
        assert_eq!(s, &format!("message {i}"));
    }
}

#[cfg(unix)]
#[weave::test(flavor = "multi_thread")]
async fn blocking_opens_do_not_starve_other_jobs_multi_thread() {
    fifo_rendezvous(24).await;
}

#[cfg(unix)]
#[weave::test]
async fn blocking_opens_do_not_starve_other_jobs_current_thread() {
    fifo_rendezvous(8).await;
}

// ---------------------------------------------------------------------------
// Directories

#[weave::test]
async fn read_dir_lists_what_std_lists() {
    let dir = TempDir::new("list");
    for i in 0..150 {
        std::fs::write(dir.path(&format!("f{i}")), [i as u8]).unwrap();
    }
    std::fs::create_dir(dir.path("sub")).unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink("f1", dir.path("link")).unwrap();

    let mut entries = fs::read_dir(&dir.0).await.unwrap();
    let mut got = BTreeSet::new();
    while let Some(e) = entries.next_entry().await.unwrap() {
        let std_meta = std::fs::symlink_metadata(e.path()).unwrap();
        assert_eq!(e.path(), dir.0.join(e.file_name()));
        assert_eq!(e.file_type().await.unwrap(), std_meta.file_type());
        assert_eq!(e.metadata().await.unwrap().len(), std_meta.len());
        #[cfg(unix)]
        assert_eq!(e.ino(), std::os::unix::fs::MetadataExt::ino(&std_meta));
        got.insert(e.file_name());
    }
    // Exhausted stays exhausted.
    assert!(entries.next_entry().await.unwrap().is_none());
    let want: BTreeSet<_> = std::fs::read_dir(&dir.0)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(got, want);
    assert_eq!(got.len(), if cfg!(unix) { 152 } else { 151 });

    // poll_next_entry directly.
    let mut entries = fs::read_dir(dir.path("sub")).await.unwrap();
    let none = std::future::poll_fn(|cx| entries.poll_next_entry(cx)).await;
    assert!(none.unwrap().is_none());
}

#[weave::test]
async fn directory_functions() {
    let dir = TempDir::new("dirs");
    let deep = dir.path("a/b/c");
    fs::create_dir_all(&deep).await.unwrap();
    fs::create_dir_all(&deep).await.unwrap();
    assert!(fs::metadata(&deep).await.unwrap().is_dir());
    fs::create_dir(dir.path("single")).await.unwrap();

    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    builder.mode(0o700);
    builder.create(dir.path("x/y")).await.unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path("x/y"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o700);
    }
    let err = fs::DirBuilder::new()
        .create(dir.path("p/q"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::NotFound);

    fs::remove_dir(dir.path("single")).await.unwrap();
    assert!(!fs::try_exists(dir.path("single")).await.unwrap());
    fs::write(dir.path("a/file"), b"x").await.unwrap();
    let err = fs::remove_dir(dir.path("a")).await.unwrap_err();
    let std_err = std::fs::remove_dir(dir.path("a")).unwrap_err();
    assert_eq!(err.kind(), std_err.kind());
    fs::remove_dir_all(dir.path("a")).await.unwrap();
    assert!(!fs::try_exists(dir.path("a")).await.unwrap());
}

// ---------------------------------------------------------------------------
// Free functions and errors

#[weave::test]
async fn whole_file_functions() {
    let dir = TempDir::new("whole");
    let p = dir.path("f");
    fs::write(&p, "héllo").await.unwrap();
    assert_eq!(fs::read(&p).await.unwrap(), "héllo".as_bytes());
    assert_eq!(fs::read_to_string(&p).await.unwrap(), "héllo");
    fs::write(&p, vec![1u8, 2]).await.unwrap();
    assert_eq!(fs::read(&p).await.unwrap(), [1, 2]);

    let q = dir.path("copy");
    assert_eq!(fs::copy(&p, &q).await.unwrap(), 2);
    assert_eq!(std::fs::read(&q).unwrap(), [1, 2]);
    let r = dir.path("renamed");
    fs::rename(&q, &r).await.unwrap();
    assert!(!fs::try_exists(&q).await.unwrap());
    assert!(fs::try_exists(&r).await.unwrap());
    fs::remove_file(&r).await.unwrap();
    assert!(!fs::try_exists(&r).await.unwrap());

    let h = dir.path("hard");
    fs::hard_link(&p, &h).await.unwrap();
    #[cfg(unix)]
    assert_eq!(
        std::os::unix::fs::MetadataExt::nlink(&fs::metadata(&p).await.unwrap()),
        2
    );

    #[cfg(unix)]
    {
        let l = dir.path("link");
        fs::symlink("f", &l).await.unwrap();
        assert_eq!(fs::read_link(&l).await.unwrap(), Path::new("f"));
        assert!(fs::symlink_metadata(&l)
            .await
            .unwrap()
            .file_type()
            .is_symlink());
        assert!(fs::metadata(&l).await.unwrap().is_file());
        assert_eq!(
            fs::canonicalize(&l).await.unwrap(),
            std::fs::canonicalize(&p).unwrap()
        );
        // A broken link does not "exist".
        fs::symlink("missing", dir.path("broken")).await.unwrap();
        assert!(!fs::try_exists(dir.path("broken")).await.unwrap());
    }

    let mut perm = fs::metadata(&p).await.unwrap().permissions();
    perm.set_readonly(true);
    fs::set_permissions(&p, perm.clone()).await.unwrap();
    assert!(fs::metadata(&p).await.unwrap().permissions().readonly());
    #[cfg(unix)]
    std::os::unix::fs::PermissionsExt::set_mode(&mut perm, 0o644);
    #[cfg(not(unix))]
    #[allow(clippy::permissions_set_readonly_false)]
    perm.set_readonly(false);
    let f = File::open(&p).await.unwrap();
    f.set_permissions(perm).await.unwrap();
    assert!(!f.metadata().await.unwrap().permissions().readonly());
    let when = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000);
    let f = OpenOptions::new().write(true).open(&p).await.unwrap();
    f.set_modified(when).await.unwrap();
    assert_eq!(fs::metadata(&p).await.unwrap().modified().unwrap(), when);
}

#[weave::test]
async fn errors_match_std() {
    let dir = TempDir::new("errors");
    let missing = dir.path("missing");
    let kind = |e: std::io::Error| e.kind();

    assert_eq!(
        kind(File::open(&missing).await.unwrap_err()),
        std::io::ErrorKind::NotFound
    );
    assert_eq!(
        kind(fs::read(&missing).await.unwrap_err()),
        std::io::ErrorKind::NotFound
    );
    assert_eq!(
        kind(fs::metadata(&missing).await.unwrap_err()),
        std::io::ErrorKind::NotFound
    );
    assert_eq!(
        kind(fs::remove_file(&missing).await.unwrap_err()),
        std::io::ErrorKind::NotFound
    );
    assert_eq!(
        kind(fs::read_dir(&missing).await.unwrap_err()),
        std::io::ErrorKind::NotFound
    );
    assert_eq!(
        kind(fs::rename(&missing, dir.path("x")).await.unwrap_err()),
        std::io::ErrorKind::NotFound
    );
    assert_eq!(
        kind(fs::canonicalize(&missing).await.unwrap_err()),
        std::io::ErrorKind::NotFound
    );
    assert_eq!(
        kind(fs::read_link(&missing).await.unwrap_err()),
        std::io::ErrorKind::NotFound
    );

    let existing = dir.path("existing");
    fs::write(&existing, b"x").await.unwrap();
    assert_eq!(
        kind(File::create_new(&existing).await.unwrap_err()),
        std::io::ErrorKind::AlreadyExists
    );
    assert_eq!(
        kind(fs::create_dir(&dir.0).await.unwrap_err()),
        std::io::ErrorKind::AlreadyExists
    );
    let new = File::create_new(dir.path("new")).await.unwrap();
    assert_eq!(new.metadata().await.unwrap().len(), 0);

    // Errors whose kind std decides: compare with std directly.
    let std_kind = std::fs::read_dir(&existing).unwrap_err().kind();
    assert_eq!(kind(fs::read_dir(&existing).await.unwrap_err()), std_kind);
    let std_kind = std::fs::OpenOptions::new()
        .open(&existing)
        .unwrap_err()
        .kind();
    assert_eq!(
        kind(OpenOptions::new().open(&existing).await.unwrap_err()),
        std_kind
    );

    fs::write(dir.path("bad-utf8"), [0xff, 0xfe]).await.unwrap();
    assert_eq!(
        kind(fs::read_to_string(dir.path("bad-utf8")).await.unwrap_err()),
        std::io::ErrorKind::InvalidData
    );
    // Reading a directory through a File fails like std.
    let d = File::open(&dir.0).await.unwrap();
    let std_err = std::fs::File::open(&dir.0)
        .unwrap()
        .read(&mut [0; 4])
        .unwrap_err();
    let mut d = d;
    let err = d.read(&mut [0; 4]).await.unwrap_err();
    assert_eq!(err.raw_os_error(), std_err.raw_os_error());
}

#[cfg(unix)]
#[weave::test]
async fn open_options_unix_mode_and_flags() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new("mode");
    let p = dir.path("f");
    let mut f = OpenOptions::new()
        .write(true)
        .create(true)
        .mode(0o600)
        .custom_flags(libc::O_SYNC)
        .open(&p)
        .await
        .unwrap();
    f.write_all(b"abc").await.unwrap();
    f.flush().await.unwrap();
    assert_eq!(
        std::fs::metadata(&p).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let opts: OpenOptions = std::fs::OpenOptions::new().read(true).clone().into();
    let mut s = String::new();
    opts.open(&p)
        .await
        .unwrap()
        .read_to_string(&mut s)
        .await
        .unwrap();
    assert_eq!(s, "abc");
    let mut trunc = OpenOptions::new();
    trunc.write(true).truncate(true);
    trunc.open(&p).await.unwrap();
    assert_eq!(std::fs::metadata(&p).unwrap().len(), 0);
}

#[cfg(unix)]
#[weave::test]
async fn raw_fd_conversions() {
    use std::os::fd::{AsFd, AsRawFd, FromRawFd, IntoRawFd, OwnedFd};
    let dir = TempDir::new("fd");
    let p = dir.path("f");
    std::fs::write(&p, b"0123456789").unwrap();
    let std_file = std::fs::File::open(&p).unwrap();
    let fd = std_file.as_raw_fd();
    let f = File::from(std_file);
    assert_eq!(f.as_raw_fd(), fd);
    assert_eq!(f.as_fd().as_raw_fd(), fd);
    let raw = f.into_std().await.into_raw_fd();
    // SAFETY: `raw` was just released by `into_raw_fd` and is owned here.
    let mut f = unsafe { File::from_raw_fd(raw) };
    let mut s = String::new();
    f.read_to_string(&mut s).await.unwrap();
    assert_eq!(s, "0123456789");
    let owned: OwnedFd = std::fs::File::open(&p).unwrap().into();
    let mut f = File::from(owned);
    let mut buf = [0u8; 3];
    f.read_exact(&mut buf).await.unwrap();
    assert_eq!(&buf, b"012");
    assert!(format!("{f:?}").starts_with("File"));
}

// ---------------------------------------------------------------------------
// Standard streams

#[weave::test]
async fn stdout_and_stderr_accept_writes_and_flush() {
    let mut out = weave::io::stdout();
    out.write_all(b"").await.unwrap();
    out.flush().await.unwrap();
    let mut err = weave::io::stderr();
    err.write_all(b"[weave fs test: stderr line]\n")
        .await
        .unwrap();
    err.flush().await.unwrap();
    #[cfg(unix)]
    {
        use std::os::fd::AsRawFd;
        assert_eq!(weave::io::stdin().as_raw_fd(), 0);
        assert_eq!(out.as_raw_fd(), 1);
        assert_eq!(err.as_raw_fd(), 2);
    }
}

/// Environment variable that turns `stdio_child` into the echo program run
/// by `stdin_and_stdout_through_a_child_process`.
const CHILD_ENV: &str = "WEAVE_FS_TEST_STDIO_CHILD";

/// In a child process: reads stdin through fresh `Stdin` handles and
/// `BufReader` lines, writes `> line` for each through alternating
/// `Stdout` handles, and ends with a marker. In the normal test run it
/// does nothing.
#[test]
fn stdio_child() {
    if std::env::var_os(CHILD_ENV).is_none() {
        return;
    }
    let rt = weave::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        // First a few bytes through a handle that is then dropped: what it
        // read beyond them must not be lost to the next handle.
        let mut first = [0u8; 6];
        weave::io::stdin().read_exact(&mut first).await.unwrap();
        let mut outs = [weave::io::stdout(), weave::io::stdout()];
        outs[0].write_all(b"first: ").await.unwrap();
        outs[1].write_all(&first).await.unwrap();
        outs[1].write_all(b"\n").await.unwrap();
        let mut lines = BufReader::new(weave::io::stdin()).lines();
        let mut i = 0;
        while let Some(line) = lines.next_line().await.unwrap() {
            let out = &mut outs[i % 2];
            out.write_all(b"> ").await.unwrap();
            out.write_all(line.as_bytes()).await.unwrap();
            out.write_all(b"\n").await.unwrap();
            i += 1;
        }
        for out in &mut outs {
            out.flush().await.unwrap();
        }
        outs[0].write_all(b"END-OF-ECHO\n").await.unwrap();
        outs[0].flush().await.unwrap();
    });
}

#[test]
fn stdin_and_stdout_through_a_child_process() {
    let exe = std::env::current_exe().unwrap();
    let mut child = std::process::Command::new(exe)
        .args(["--exact", "stdio_child", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, "1")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut input = String::from("HEAD!\n");
    for i in 0..20_000 {
        input.push_str(&format!("line {i} {}\n", "x".repeat(i % 50)));
    }
    let mut stdin = child.stdin.take().unwrap();
    let feeder = {
        let input = input.clone();
        std::thread::spawn(move || stdin.write_all(input.as_bytes()).unwrap())
    };
    let output = child.wait_with_output().unwrap();
    feeder.join().unwrap();
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    // The harness prints its own lines around ours (and "test stdio_child
    // ... " right before our first line).
    let start = text.find("first: ").expect("no output from the child");
    let ours: Vec<&str> = text[start..]
        .lines()
        .filter(|l| l.starts_with("> ") || l.starts_with("first: ") || *l == "END-OF-ECHO")
        .collect();
    let mut want = vec!["first: HEAD!\n".trim_end().to_string()];
    want.extend(input.lines().skip(1).map(|l| format!("> {l}")));
    want.push("END-OF-ECHO".to_string());
    assert_eq!(ours.len(), want.len());
    assert!(
        ours.iter().zip(&want).all(|(a, b)| a == b),
        "echo out of order"
    );
}

/// `set_times` waits for buffered writes (a later flush would move the
/// modification time again) and leaves unset times alone.
#[weave::test]
async fn set_times_applies_after_pending_writes() {
    use std::time::{Duration, SystemTime};
    let dir = TempDir::new("set-times");
    let path = dir.path("f");
    let mut file = File::create(&path).await.unwrap();
    file.write_all(b"buffered, not yet written").await.unwrap();
    let accessed = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
    let modified = SystemTime::UNIX_EPOCH + Duration::from_secs(1_500_000_000);
    file.set_times(
        fs::FileTimes::new()
            .set_accessed(accessed)
            .set_modified(modified),
    )
    .await
    .unwrap();
    drop(file);
    let meta = std::fs::metadata(&path).unwrap();
    assert_eq!(meta.len(), 25);
    assert_eq!(meta.modified().unwrap(), modified);
    assert_eq!(meta.accessed().unwrap(), accessed);

    let file = OpenOptions::new().write(true).open(&path).await.unwrap();
    let later = modified + Duration::from_secs(60);
    file.set_times(fs::FileTimes::new().set_modified(later))
        .await
        .unwrap();
    let meta = std::fs::metadata(&path).unwrap();
    assert_eq!(meta.modified().unwrap(), later);
    assert_eq!(meta.accessed().unwrap(), accessed, "unset: unchanged");
}
