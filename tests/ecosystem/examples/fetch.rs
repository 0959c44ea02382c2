//! The aiohttp crawler, on weave with reqwest and axum (the seed program:
//! `async with aiohttp.ClientSession() as s: await asyncio.gather(*[fetch(s, u)
//! for u in urls])` with an `asyncio.Semaphore(10)`).
//!
//! Starts a local HTTP server (axum on weave) that answers each request after
//! 200 ms, then fetches 100 URLs with reqwest, at most 10 in flight
//! (`Semaphore`), printing each result and the total time: about 2 s (100
//! requests / 10 at a time x 200 ms), not the 20 s of one at a time. Then
//! the same with `tokio::gather` (weave's `asyncio.gather`), results in input
//! order. Exits with an error if a page is wrong or the run is not
//! concurrent.
//!
//!     cd tests/ecosystem && cargo run --release --example fetch

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::Path;
use axum::routing::get;
use axum::Router;
use tokio::sync::Semaphore;

const URLS: usize = 100;
const IN_FLIGHT: usize = 10;
const DELAY: Duration = Duration::from_millis(200);

async fn page(Path(n): Path<usize>) -> String {
    tokio::time::sleep(DELAY).await;
    format!("page {n}")
}

/// One fetch, holding a semaphore permit: (url, status, body).
async fn fetch(
    client: reqwest::Client,
    limit: Arc<Semaphore>,
    url: String,
) -> Result<(String, u16, String), reqwest::Error> {
    let _permit = limit.acquire().await.expect("semaphore closed");
    let res = client.get(&url).send().await?;
    let status = res.status().as_u16();
    let body = res.text().await?;
    Ok((url, status, body))
}

fn check(i: usize, url: &str, status: u16, body: &str) -> Result<(), String> {
    if status != 200 || body != format!("page {i}") {
        return Err(format!("{url}: unexpected answer {status} {body:?}"));
    }
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let app = Router::new().route("/page/{n}", get(page));
    tokio::spawn(async move { axum::serve(listener, app).await });

    let client = reqwest::Client::new();
    let urls: Vec<String> = (0..URLS)
        .map(|i| format!("http://{addr}/page/{i}"))
        .collect();
    // The floor: URLS / IN_FLIGHT rounds of DELAY each.
    let floor = DELAY * (URLS / IN_FLIGHT) as u32;

    // 1. One task per URL, at most IN_FLIGHT requests at a time.
    let limit = Arc::new(Semaphore::new(IN_FLIGHT));
    let start = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for (i, url) in urls.iter().enumerate() {
        let fut = fetch(client.clone(), limit.clone(), url.clone());
        tasks.spawn(async move { (i, fut.await) });
    }
    while let Some(done) = tasks.join_next().await {
        let (i, result) = done?;
        let (url, status, body) = result?;
        println!("{url} -> {status} {body:?}");
        check(i, &url, status, &body)?;
    }
    let spawned = start.elapsed();
    println!("{URLS} URLs, {IN_FLIGHT} in flight: {spawned:.2?} (floor {floor:?})");

    // 2. The same with gather: results in input order.
    let start = Instant::now();
    let results = tokio::gather(
        urls.iter()
            .map(|url| fetch(client.clone(), limit.clone(), url.clone())),
    )
    .await;
    for (i, result) in results.into_iter().enumerate() {
        let (url, status, body) = result??;
        check(i, &url, status, &body)?;
    }
    let gathered = start.elapsed();
    println!("gather, {URLS} URLs, {IN_FLIGHT} in flight: {gathered:.2?} (in input order)");

    // Concurrent, and limited: never under the floor, far under 20 s.
    for elapsed in [spawned, gathered] {
        if elapsed < floor || elapsed > floor * 2 {
            return Err(format!("took {elapsed:?}, expected about {floor:?}").into());
        }
    }
    Ok(())
}
