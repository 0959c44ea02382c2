//! TCP: listener, stream, socket builder, and stream halves.

mod listener;
mod socket;
mod split;
mod split_owned;
mod stream;

pub use listener::TcpListener;
pub use socket::TcpSocket;
pub use split::{ReadHalf, WriteHalf};
pub use split_owned::{OwnedReadHalf, OwnedWriteHalf, ReuniteError};
pub use stream::TcpStream;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::{AsyncReadExt, AsyncWriteExt};

    fn registered() -> usize {
        crate::runtime::context::io_handle().num_registered()
    }

    /// Dropping sockets in any state (idle, with a task waiting to read,
    /// split, mid-connect) frees their driver slots.
    #[test]
    fn dropping_sockets_deregisters_them() {
        let rt = crate::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let base = registered();
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let a = TcpStream::connect(addr).await.unwrap();
            let (mut b, _) = listener.accept().await.unwrap();
            assert_eq!(registered(), base + 3);
            // A task blocked reading `a`, aborted, then `a` dropped.
            let a = std::sync::Arc::new(a);
            let reader = {
                let a = a.clone();
                crate::spawn(async move { a.readable().await })
            };
            crate::task::yield_now().await;
            reader.abort();
            let _ = reader.await;
            drop(a);
            // Split halves: the slot lives until both halves are gone.
            b.write_all(b"x").await.unwrap();
            let (mut r, w) = b.into_split();
            let mut buf = Vec::new();
            let _ =
                crate::time::timeout(std::time::Duration::from_secs(30), r.read_to_end(&mut buf))
                    .await;
            drop(w);
            assert_eq!(registered(), base + 2, "halves still registered");
            drop(r);
            // A connect in progress, dropped before it finishes.
            let pending = crate::spawn(TcpStream::connect(addr));
            pending.abort();
            let _ = pending.await;
            drop(listener);
            assert_eq!(registered(), base);
        });
    }
}
