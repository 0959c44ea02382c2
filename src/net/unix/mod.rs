//! Unix-domain sockets: streams, their listener and halves, datagrams, the
//! types they report, and pipes (Tokio's `net::unix`).
//!
//! Layout: `listener.rs` accepts `stream.rs` connections; `split.rs` and
//! `split_owned.rs` hold a stream's borrowed and owned halves;
//! `datagram.rs` is the connectionless socket; `socket.rs` configures a
//! socket before it becomes one of those; `socket_addr.rs` and `ucred.rs`
//! are the address and peer-credential values they return; `pipe.rs` is
//! anonymous pipes and FIFOs.

mod datagram;
mod listener;
pub mod pipe;
mod socket;
mod socket_addr;
mod split;
mod split_owned;
mod stream;
mod ucred;

pub use datagram::UnixDatagram;
pub use listener::UnixListener;
pub use socket::UnixSocket;
pub use socket_addr::SocketAddr;
pub use split::{ReadHalf, WriteHalf};
pub use split_owned::{OwnedReadHalf, OwnedWriteHalf, ReuniteError};
pub use stream::UnixStream;
pub use ucred::UCred;

/// A user id, as in [`UCred::uid`].
#[allow(non_camel_case_types)]
pub type uid_t = u32;

/// A group id, as in [`UCred::gid`].
#[allow(non_camel_case_types)]
pub type gid_t = u32;

/// A process id, as in [`UCred::pid`].
#[allow(non_camel_case_types)]
pub type pid_t = i32;
