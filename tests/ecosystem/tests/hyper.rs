//! hyper 1.x server and client, through hyper-util's `TokioIo` /
//! `TokioExecutor`, running on weave (via the `tokio` compat crate).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot};

/// 64 MiB, sent in 64 KiB frames.
const BIG: usize = 64 << 20;
const CHUNK: usize = 64 << 10;

/// The byte at `offset` of the big body: a pattern with period 251 (prime,
/// so it is out of step with the chunk size and a reordered or repeated
/// chunk shows).
fn pattern(offset: usize) -> u8 {
    (offset % 251) as u8
}

fn chunk(index: usize) -> Bytes {
    let start = index * CHUNK;
    (start..start + CHUNK)
        .map(pattern)
        .collect::<Vec<u8>>()
        .into()
}

type Body = http_body_util::combinators::BoxBody<Bytes, Infallible>;

fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into()).boxed()
}

/// Checks a streamed body against [`pattern`] frame by frame; returns its length.
async fn check_big_body<B>(mut body: B) -> usize
where
    B: hyper::body::Body<Data = Bytes> + Unpin,
    B::Error: std::fmt::Debug,
{
    let mut offset = 0;
    while let Some(frame) = body.frame().await {
        let frame = frame.expect("body frame");
        if let Ok(data) = frame.into_data() {
            for (i, byte) in data.iter().enumerate() {
                assert_eq!(*byte, pattern(offset + i), "byte {} differs", offset + i);
            }
            offset += data.len();
        }
    }
    offset
}

async fn handle(
    req: Request<Incoming>,
    in_flight: mpsc::UnboundedSender<()>,
) -> Result<Response<Body>, Infallible> {
    let response = match (req.method(), req.uri().path()) {
        (&Method::GET, "/hello") => Response::new(full("hello from weave")),
        (&Method::POST, "/echo") => {
            let body = req.into_body().collect().await.unwrap().to_bytes();
            Response::new(full(body))
        }
        // 64 MiB streamed out, one frame at a time.
        (&Method::GET, "/big") => {
            let frames = futures::stream::iter(0..BIG / CHUNK)
                .map(|i| Ok::<_, Infallible>(Frame::data(chunk(i))));
            Response::new(BodyExt::boxed(StreamBody::new(frames)))
        }
        // 64 MiB streamed in: every byte checked here, the count sent back.
        (&Method::POST, "/check") => {
            let n = check_big_body(req.into_body()).await;
            Response::new(full(n.to_string()))
        }
        // Answers after 300 ms; tells the test when it has started.
        (&Method::GET, "/slow") => {
            let _ = in_flight.send(());
            tokio::time::sleep(Duration::from_millis(300)).await;
            Response::new(full("slow done"))
        }
        _ => {
            let mut r = Response::new(full("not found"));
            *r.status_mut() = StatusCode::NOT_FOUND;
            r
        }
    };
    Ok(response)
}

struct Server {
    addr: SocketAddr,
    in_flight: mpsc::UnboundedReceiver<()>,
    shutdown: oneshot::Sender<()>,
    done: tokio::task::JoinHandle<()>,
}

/// A hyper server (auto: HTTP/1 or HTTP/2) on weave; `shutdown` stops
/// accepting and shuts the open connections down gracefully.
async fn start_server() -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (in_flight_tx, in_flight) = mpsc::unbounded_channel();
    let (shutdown, mut shutdown_rx) = oneshot::channel::<()>();
    let done = tokio::spawn(async move {
        let graceful = GracefulShutdown::new();
        let builder = auto::Builder::new(TokioExecutor::new());
        loop {
            tokio::select! {
                accepted = listener.accept() => {
                    let (stream, _) = accepted.unwrap();
                    let in_flight = in_flight_tx.clone();
                    let service = service_fn(move |req| handle(req, in_flight.clone()));
                    let conn = builder
                        .serve_connection(TokioIo::new(stream), service)
                        .into_owned();
                    let conn = graceful.watch(conn);
                    tokio::spawn(async move {
                        let _ = conn.await;
                    });
                }
                _ = &mut shutdown_rx => break,
            }
        }
        drop(listener);
        tokio::time::timeout(Duration::from_secs(10), graceful.shutdown())
            .await
            .expect("graceful shutdown took more than 10 s");
    });
    Server {
        addr,
        in_flight,
        shutdown,
        done,
    }
}

fn client() -> Client<hyper_util::client::legacy::connect::HttpConnector, Body> {
    Client::builder(TokioExecutor::new()).build_http()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn round_trip() {
    let server = start_server().await;
    let client = client();

    let res = client
        .get(format!("http://{}/hello", server.addr).parse().unwrap())
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let body = res.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(&body[..], b"hello from weave");

    let req = Request::post(format!("http://{}/echo", server.addr))
        .body(full("ping"))
        .unwrap();
    let res = client.request(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let body = res.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(&body[..], b"ping");

    let res = client
        .get(format!("http://{}/nope", server.addr).parse().unwrap())
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    server.shutdown.send(()).unwrap();
    server.done.await.unwrap();
}

/// A 64 MiB body streamed from server to client, and another from client to
/// server, every byte checked on arrival.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streamed_64_mib_bodies() {
    let server = start_server().await;
    let client = client();

    let res = client
        .get(format!("http://{}/big", server.addr).parse().unwrap())
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(check_big_body(res.into_body()).await, BIG);

    let frames =
        futures::stream::iter(0..BIG / CHUNK).map(|i| Ok::<_, Infallible>(Frame::data(chunk(i))));
    let req = Request::post(format!("http://{}/check", server.addr))
        .body(BodyExt::boxed(StreamBody::new(frames)))
        .unwrap();
    let res = client.request(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let body = res.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(body, BIG.to_string());

    server.shutdown.send(()).unwrap();
    server.done.await.unwrap();
}

/// Graceful shutdown: a request in flight when the shutdown starts still gets
/// its whole answer, the shutdown then completes, and the server no longer
/// accepts connections.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_shutdown_finishes_requests_in_flight() {
    let mut server = start_server().await;
    let addr = server.addr;

    // A plain hyper http1 client connection, to see it closed by the server.
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake::<_, Body>(TokioIo::new(stream))
        .await
        .unwrap();
    let conn = tokio::spawn(conn);

    let slow = tokio::spawn(async move {
        let req = Request::get("/slow")
            .header("host", addr.to_string())
            .body(full(""))
            .unwrap();
        let res = sender.send_request(req).await.unwrap();
        let status = res.status();
        let body = res.into_body().collect().await.unwrap().to_bytes();
        (status, body)
    });

    // Start the shutdown once the server is handling the request.
    server.in_flight.recv().await.unwrap();
    let started = tokio::time::Instant::now();
    server.shutdown.send(()).unwrap();

    let (status, body) = slow.await.unwrap();
    assert_eq!(status, StatusCode::OK);
    assert_eq!(&body[..], b"slow done");

    server.done.await.unwrap();
    assert!(started.elapsed() < Duration::from_secs(5));
    // The server closed the connection after the answer: the client side of
    // it ends without error.
    tokio::time::timeout(Duration::from_secs(5), conn)
        .await
        .expect("connection not closed by the server")
        .unwrap()
        .unwrap();
    // And no longer listens.
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}
