//! Networking: TCP, UDP and Unix-domain sockets on the I/O driver (Tokio's
//! `tokio::net`).
//!
//! Every socket is non-blocking and registered with the runtime's reactor;
//! operations wait for readiness instead of blocking a thread. Creating one
//! needs a runtime with I/O enabled (`Runtime::new()`, `#[weave::main]` and
//! `Builder::enable_all` do that).
//!
//! ```no_run
//! use weave::io::{AsyncReadExt, AsyncWriteExt};
//! use weave::net::TcpListener;
//!
//! #[weave::main]
//! async fn main() -> std::io::Result<()> {
//!     let listener = TcpListener::bind("127.0.0.1:8080").await?;
//!     loop {
//!         let (mut socket, _) = listener.accept().await?;
//!         weave::spawn(async move {
//!             let mut buf = [0; 1024];
//!             while let Ok(n) = socket.read(&mut buf).await {
//!                 if n == 0 || socket.write_all(&buf[..n]).await.is_err() {
//!                     break;
//!                 }
//!             }
//!         });
//!     }
//! }
//! ```

mod addr;
mod recv;
pub mod tcp;
mod udp;
pub mod unix;

pub use addr::{lookup_host, ToSocketAddrs};
pub use tcp::{TcpListener, TcpSocket, TcpStream};
pub use udp::UdpSocket;
pub use unix::{UnixDatagram, UnixListener, UnixSocket, UnixStream};
