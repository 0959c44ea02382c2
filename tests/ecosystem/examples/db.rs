//! The asyncpg example, on weave with tokio-postgres and deadpool-postgres
//! (the seed program: `pool = await asyncpg.create_pool(dsn, max_size=10)`,
//! then `await asyncio.gather(*[pool.fetchval("SELECT $1::int * 2", i) for i
//! in range(100)])`).
//!
//! Runs 100 queries through a pool of 10 connections with `tokio::gather`
//! (weave's `asyncio.gather`: results in input order) and prints them, then
//! writes a table in a transaction and reads it back. Each query sleeps
//! 50 ms in the server, so the 100 take about 0.5 s ten at a time, not the
//! 5 s of one at a time. Exits non-zero with a one-line message if no server
//! answers or an answer is wrong.
//!
//!     bash .ci/postgres.sh        # a throwaway server; prints its URL
//!     cd tests/ecosystem
//!     DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \
//!         cargo run --example db
//!
//! `DATABASE_URL` is a URL or `key=value` string as libpq takes them; it
//! defaults to `host=127.0.0.1 port=5432 user=postgres`.

use std::process::ExitCode;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use tokio_postgres::NoTls;

const DEFAULT_URL: &str = "host=127.0.0.1 port=5432 user=postgres";
const POOL_SIZE: usize = 10;
const QUERIES: i32 = 100;

type Error = Box<dyn std::error::Error + Send + Sync>;

/// `pool.fetchval("SELECT $1::int * 2", i)`.
async fn double(pool: Pool, i: i32) -> Result<i32, Error> {
    let client = pool.get().await?;
    let row = client
        .query_one("SELECT $1::int4 * 2 FROM pg_sleep(0.05)", &[&i])
        .await?;
    Ok(row.get(0))
}

async fn run(pool: &Pool) -> Result<(), Error> {
    let start = Instant::now();
    let results = tokio::gather((0..QUERIES).map(|i| double(pool.clone(), i))).await;
    for (i, result) in (0..QUERIES).zip(results) {
        let doubled = result??;
        println!("SELECT {i} * 2 -> {doubled}");
        if doubled != i * 2 {
            return Err(format!("SELECT {i} * 2 answered {doubled}").into());
        }
    }
    let elapsed = start.elapsed();
    println!("{QUERIES} queries, pool of {POOL_SIZE}: {elapsed:.2?}");
    // 10 rounds of 50 ms; one connection at a time would be 5 s.
    if elapsed > Duration::from_millis(2500) {
        return Err(format!("{QUERIES} queries took {elapsed:?}: not concurrent").into());
    }

    // A table of its own per run, so that runs cannot collide.
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH)?.as_nanos();
    let table = format!("weave_db_example_{}_{nanos}", std::process::id());
    let mut client = pool.get().await?;
    client
        .batch_execute(&format!(
            "CREATE TABLE {table} (id int4 PRIMARY KEY, name text NOT NULL)"
        ))
        .await?;
    let outcome = async {
        let tx = client.transaction().await?;
        let insert = tx
            .prepare_cached(&format!("INSERT INTO {table} (id, name) VALUES ($1, $2)"))
            .await?;
        for (id, name) in [(1, "ada"), (2, "grace"), (3, "barbara")] {
            tx.execute(&insert, &[&id, &name]).await?;
        }
        tx.commit().await?;
        let rows = client
            .query(&format!("SELECT id, name FROM {table} ORDER BY id"), &[])
            .await?;
        let names: Vec<String> = rows.iter().map(|row| row.get(1)).collect();
        println!("{table}: {names:?}");
        if names != ["ada", "grace", "barbara"] {
            return Err::<(), Error>(format!("read back {names:?}").into());
        }
        Ok(())
    }
    .await;
    client.batch_execute(&format!("DROP TABLE {table}")).await?;
    outcome
}

/// The error and its causes on one line: tokio-postgres's own message for a
/// server error is only "db error", the server's text is its source.
fn chain(e: &dyn std::error::Error) -> String {
    let mut line = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let text = c.to_string();
        if !line.contains(&text) {
            line = format!("{line}: {text}");
        }
        cause = c.source();
    }
    line
}

#[tokio::main]
async fn main() -> ExitCode {
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| DEFAULT_URL.to_string());
    let mut config: tokio_postgres::Config = match url.parse() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("db: DATABASE_URL {url:?} is not a PostgreSQL URL: {e}");
            return ExitCode::FAILURE;
        }
    };
    config.connect_timeout(Duration::from_secs(5));
    let manager = Manager::from_config(
        config,
        NoTls,
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    let pool = Pool::builder(manager)
        .max_size(POOL_SIZE)
        .runtime(Runtime::Tokio1)
        .create_timeout(Some(Duration::from_secs(10)))
        .build()
        .expect("a pool with a runtime and a size always builds");

    // Connect once up front so that "no server" (or a server that turns
    // us away) is told apart from a failure halfway through.
    if let Err(e) = pool.get().await {
        eprintln!(
            "db: cannot connect to PostgreSQL at {url:?}: {} \
             (start one with `bash .ci/postgres.sh` and set DATABASE_URL to what it prints)",
            chain(&e)
        );
        return ExitCode::FAILURE;
    }
    match run(&pool).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("db: {}", chain(&*e));
            ExitCode::FAILURE
        }
    }
}
