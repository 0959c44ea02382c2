//! `Chunk`: one read buffer, filled by a single blocking `read` and then
//! served to callers piece by piece.
//!
//! The bytes live in a `Vec<u8>` whose length is its *initialized* size, so
//! a recycled chunk is never zeroed again; `filled` and `pos` mark the data
//! read and the part already handed out (`pos <= filled <= data.len()`).

use crate::io::ReadBuf;
use std::io::{self, Read};

#[derive(Debug, Default)]
pub(super) struct Chunk {
    data: Vec<u8>,
    filled: usize,
    pos: usize,
}

impl Chunk {
    /// An empty chunk able to hold `size` bytes, reusing `spare` if it is
    /// big enough.
    pub(super) fn with_capacity(spare: Option<Chunk>, size: usize) -> Chunk {
        match spare {
            Some(mut c) if c.data.len() >= size => {
                c.filled = 0;
                c.pos = 0;
                c
            }
            _ => Chunk {
                data: vec![0; size],
                filled: 0,
                pos: 0,
            },
        }
    }

    /// Bytes read but not handed out yet.
    pub(super) fn unread(&self) -> usize {
        self.filled - self.pos
    }

    /// Bytes the last fill read.
    pub(super) fn filled(&self) -> usize {
        self.filled
    }

    /// Forgets the data, keeping the allocation.
    pub(super) fn clear(&mut self) {
        self.filled = 0;
        self.pos = 0;
    }

    /// Whether the allocation is worth keeping for reuse.
    pub(super) fn has_allocation(&self) -> bool {
        !self.data.is_empty()
    }

    /// Copies as much unread data as fits into `dst`; returns the count.
    pub(super) fn copy_to(&mut self, dst: &mut ReadBuf<'_>) -> usize {
        let n = self.unread().min(dst.remaining());
        dst.put_slice(&self.data[self.pos..self.pos + n]);
        self.pos += n;
        n
    }

    /// One `read` of at most `want` bytes from `src` (retried on
    /// `Interrupted`); the chunk then holds exactly what it returned.
    pub(super) fn fill_from(&mut self, mut src: impl Read, want: usize) -> io::Result<usize> {
        self.clear();
        let want = want.min(self.data.len());
        loop {
            match src.read(&mut self.data[..want]) {
                Ok(n) => {
                    self.filled = n;
                    return Ok(n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// Keeps reading after the current data until `want` bytes are held or
    /// a read returns 0; returns whether one did (end of file).
    pub(super) fn fill_more_from(&mut self, mut src: impl Read, want: usize) -> io::Result<bool> {
        let want = want.min(self.data.len());
        while self.filled < want {
            match src.read(&mut self.data[self.filled..want]) {
                Ok(0) => return Ok(true),
                Ok(n) => self.filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
        Ok(false)
    }
}
