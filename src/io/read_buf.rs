//! `ReadBuf`: a byte buffer that is filled progressively and may start out
//! uninitialized.
//!
//! Invariant: `filled <= initialized <= buf.len()`. Bytes `..initialized` are
//! initialized; bytes `..filled` hold data a reader put there. Safe code can
//! never mark uninitialized bytes as initialized.

use std::fmt;
use std::mem::MaybeUninit;

/// A wrapper around a byte buffer that tracks how much of it is filled with
/// data and how much is initialized (Tokio's `ReadBuf`).
///
/// ```
/// use weave::io::ReadBuf;
///
/// let mut storage = [0u8; 8];
/// let mut buf = ReadBuf::new(&mut storage);
/// buf.put_slice(b"hi");
/// assert_eq!(buf.filled(), b"hi");
/// assert_eq!(buf.remaining(), 6);
/// ```
pub struct ReadBuf<'a> {
    buf: &'a mut [MaybeUninit<u8>],
    filled: usize,
    initialized: usize,
}

impl<'a> ReadBuf<'a> {
    /// A `ReadBuf` over a fully initialized buffer, with nothing filled.
    #[inline]
    pub fn new(buf: &'a mut [u8]) -> ReadBuf<'a> {
        let initialized = buf.len();
        // SAFETY: `[u8]` and `[MaybeUninit<u8>]` have the same layout, and
        // the bytes stay initialized: `initialized` covers all of them, and
        // safe methods only ever write initialized bytes.
        let buf = unsafe { &mut *(buf as *mut [u8] as *mut [MaybeUninit<u8>]) };
        ReadBuf {
            buf,
            filled: 0,
            initialized,
        }
    }

    /// A `ReadBuf` over a possibly uninitialized buffer, with nothing filled
    /// or initialized.
    #[inline]
    pub fn uninit(buf: &'a mut [MaybeUninit<u8>]) -> ReadBuf<'a> {
        ReadBuf {
            buf,
            filled: 0,
            initialized: 0,
        }
    }

    /// Total size of the buffer.
    #[inline]
    pub fn capacity(&self) -> usize {
        self.buf.len()
    }

    /// The filled part of the buffer.
    #[inline]
    pub fn filled(&self) -> &[u8] {
        // SAFETY: `..filled` is initialized (module invariant).
        unsafe { slice_assume_init(&self.buf[..self.filled]) }
    }

    /// The filled part of the buffer, mutably.
    #[inline]
    pub fn filled_mut(&mut self) -> &mut [u8] {
        // SAFETY: `..filled` is initialized (module invariant).
        unsafe { slice_assume_init_mut(&mut self.buf[..self.filled]) }
    }

    /// A new `ReadBuf` over at most `n` bytes of the unfilled part. What is
    /// filled in it must be accounted for here with `advance`.
    #[inline]
    pub fn take(&mut self, n: usize) -> ReadBuf<'_> {
        let max = n.min(self.remaining());
        // SAFETY: the new `ReadBuf` only writes initialized bytes, and we
        // hand it out as uninitialized, which is always allowed.
        let unfilled = unsafe { self.unfilled_mut() };
        ReadBuf::uninit(&mut unfilled[..max])
    }

    /// The initialized part of the buffer (it includes the filled part).
    #[inline]
    pub fn initialized(&self) -> &[u8] {
        // SAFETY: `..initialized` is initialized (module invariant).
        unsafe { slice_assume_init(&self.buf[..self.initialized]) }
    }

    /// The initialized part of the buffer, mutably.
    #[inline]
    pub fn initialized_mut(&mut self) -> &mut [u8] {
        // SAFETY: `..initialized` is initialized (module invariant).
        unsafe { slice_assume_init_mut(&mut self.buf[..self.initialized]) }
    }

    /// The whole buffer, possibly uninitialized.
    ///
    /// # Safety
    ///
    /// The caller must not de-initialize bytes that were initialized.
    #[inline]
    pub unsafe fn inner_mut(&mut self) -> &mut [MaybeUninit<u8>] {
        self.buf
    }

    /// The unfilled part of the buffer, possibly uninitialized.
    ///
    /// # Safety
    ///
    /// The caller must not de-initialize bytes that were initialized.
    #[inline]
    pub unsafe fn unfilled_mut(&mut self) -> &mut [MaybeUninit<u8>] {
        &mut self.buf[self.filled..]
    }

    /// Initializes (with zeros where needed) and returns the whole unfilled
    /// part.
    #[inline]
    pub fn initialize_unfilled(&mut self) -> &mut [u8] {
        self.initialize_unfilled_to(self.remaining())
    }

    /// Initializes (with zeros where needed) and returns the first `n`
    /// unfilled bytes.
    ///
    /// # Panics
    ///
    /// If fewer than `n` bytes remain.
    #[inline]
    #[track_caller]
    pub fn initialize_unfilled_to(&mut self, n: usize) -> &mut [u8] {
        assert!(
            self.remaining() >= n,
            "ReadBuf::initialize_unfilled_to: n ({n}) exceeds the remaining capacity ({})",
            self.remaining()
        );
        let end = self.filled + n;
        if self.initialized < end {
            for b in &mut self.buf[self.initialized..end] {
                b.write(0);
            }
            self.initialized = end;
        }
        // SAFETY: `filled..end` is initialized now.
        unsafe { slice_assume_init_mut(&mut self.buf[self.filled..end]) }
    }

    /// Bytes that can still be filled.
    #[inline]
    pub fn remaining(&self) -> usize {
        self.capacity() - self.filled
    }

    /// Marks everything unfilled again (initialization is kept).
    #[inline]
    pub fn clear(&mut self) {
        self.filled = 0;
    }

    /// Marks `n` more bytes filled.
    ///
    /// # Panics
    ///
    /// If that would fill bytes that are not initialized.
    #[inline]
    #[track_caller]
    pub fn advance(&mut self, n: usize) {
        let new = self
            .filled
            .checked_add(n)
            .expect("ReadBuf::advance: filled length overflow");
        self.set_filled(new);
    }

    /// Sets the filled length.
    ///
    /// # Panics
    ///
    /// If `n` is beyond the initialized part.
    #[inline]
    #[track_caller]
    pub fn set_filled(&mut self, n: usize) {
        assert!(
            n <= self.initialized,
            "ReadBuf::set_filled: filled ({n}) must not exceed initialized ({})",
            self.initialized
        );
        self.filled = n;
    }

    /// Declares the first `n` unfilled bytes initialized.
    ///
    /// # Safety
    ///
    /// Those bytes must really be initialized.
    #[inline]
    pub unsafe fn assume_init(&mut self, n: usize) {
        let new = self.filled + n;
        if new > self.initialized {
            self.initialized = new;
        }
    }

    /// Appends `src` to the filled part.
    ///
    /// # Panics
    ///
    /// If `src` is longer than `remaining()`.
    #[inline]
    #[track_caller]
    pub fn put_slice(&mut self, src: &[u8]) {
        assert!(
            self.remaining() >= src.len(),
            "ReadBuf::put_slice: {} bytes do not fit in the remaining {}",
            src.len(),
            self.remaining()
        );
        let end = self.filled + src.len();
        // SAFETY: `MaybeUninit<u8>` and `u8` have the same layout; the range
        // is in bounds (checked above) and does not overlap `src`, which is a
        // shared borrow while `self.buf` is unique.
        unsafe {
            std::ptr::copy_nonoverlapping(
                src.as_ptr(),
                self.buf[self.filled..end].as_mut_ptr().cast::<u8>(),
                src.len(),
            );
        }
        if self.initialized < end {
            self.initialized = end;
        }
        self.filled = end;
    }
}

impl fmt::Debug for ReadBuf<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReadBuf")
            .field("filled", &self.filled)
            .field("initialized", &self.initialized)
            .field("capacity", &self.capacity())
            .finish()
    }
}

/// # Safety
///
/// Every byte of `s` must be initialized.
unsafe fn slice_assume_init(s: &[MaybeUninit<u8>]) -> &[u8] {
    // SAFETY: same layout; initialized per the caller.
    unsafe { &*(s as *const [MaybeUninit<u8>] as *const [u8]) }
}

/// # Safety
///
/// Every byte of `s` must be initialized.
unsafe fn slice_assume_init_mut(s: &mut [MaybeUninit<u8>]) -> &mut [u8] {
    // SAFETY: same layout; initialized per the caller.
    unsafe { &mut *(s as *mut [MaybeUninit<u8>] as *mut [u8]) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uninit_buffer_is_zeroed_only_where_asked() {
        let mut storage = [MaybeUninit::<u8>::uninit(); 16];
        let mut buf = ReadBuf::uninit(&mut storage);
        assert_eq!(buf.initialized().len(), 0);
        buf.initialize_unfilled_to(4).copy_from_slice(b"abcd");
        buf.advance(4);
        assert_eq!(buf.filled(), b"abcd");
        assert_eq!(buf.initialized().len(), 4);
        let mut sub = buf.take(3);
        sub.put_slice(b"xyz");
        assert_eq!(sub.filled(), b"xyz");
        let n = sub.filled().len();
        // SAFETY: `sub` initialized those bytes.
        unsafe { buf.assume_init(n) };
        buf.advance(n);
        assert_eq!(buf.filled(), b"abcdxyz");
        buf.clear();
        assert_eq!(buf.filled(), b"");
        assert_eq!(buf.initialized().len(), 7);
    }

    #[test]
    #[should_panic(expected = "must not exceed initialized")]
    fn filling_uninitialized_bytes_panics() {
        let mut storage = [MaybeUninit::<u8>::uninit(); 4];
        let mut buf = ReadBuf::uninit(&mut storage);
        buf.advance(1);
    }

    #[test]
    #[should_panic(expected = "do not fit")]
    fn put_slice_overflow_panics() {
        let mut storage = [0u8; 2];
        ReadBuf::new(&mut storage).put_slice(b"abc");
    }
}
