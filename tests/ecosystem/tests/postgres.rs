//! tokio-postgres, pooled by deadpool-postgres, on weave against a real
//! PostgreSQL server: 100 concurrent queries through 10 connections, a table
//! written and read back, and a connection killed by the server that must
//! surface as an error, not a hang.
//!
//! The server is `DATABASE_URL` (default `host=127.0.0.1 port=5432
//! user=postgres`); `bash .ci/postgres.sh` starts a throwaway one and prints
//! its URL. With no server the tests print a skip line and pass, unless
//! `WEAVE_REQUIRE_POSTGRES=1` (as in CI), where they fail.

use std::collections::HashSet;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use tokio_postgres::NoTls;

const DEFAULT_URL: &str = "host=127.0.0.1 port=5432 user=postgres";
const POOL_SIZE: usize = 10;
const QUERIES: i32 = 100;
/// How long a query on a killed connection may take to fail: far more than
/// it needs, far less than the test harness would wait on a hang.
const KILL_BOUND: Duration = Duration::from_secs(10);

/// The server's config, or `None` (after a skip line) when it cannot be
/// reached and none is required.
async fn server() -> Option<tokio_postgres::Config> {
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| DEFAULT_URL.to_string());
    let mut config: tokio_postgres::Config = url
        .parse()
        .unwrap_or_else(|e| panic!("DATABASE_URL {url:?} is not a PostgreSQL URL: {e}"));
    config.connect_timeout(Duration::from_secs(5));
    // The outer timeout covers what connect_timeout does not (a server
    // that accepts and then says nothing).
    let probe = tokio::time::timeout(Duration::from_secs(10), config.connect(NoTls)).await;
    let error = match probe {
        Ok(Ok(_)) => return Some(config),
        Ok(Err(e)) => describe(&e),
        Err(_) => "no answer in 10 s".to_string(),
    };
    if std::env::var("WEAVE_REQUIRE_POSTGRES").as_deref() == Ok("1") {
        panic!(
            "WEAVE_REQUIRE_POSTGRES=1 but cannot connect to PostgreSQL at {url:?}: {error} \
             (start one with `bash .ci/postgres.sh` and set DATABASE_URL to what it prints)"
        );
    }
    eprintln!(
        "skipped: cannot connect to PostgreSQL at {url:?} ({error}); \
         set DATABASE_URL, or WEAVE_REQUIRE_POSTGRES=1 to make this a failure"
    );
    None
}

fn pool(config: tokio_postgres::Config, size: usize) -> Pool {
    // Verified (a round trip before each reuse) rather than Fast, so a
    // connection the server killed is replaced even if its task has not yet
    // seen the socket close.
    let manager = Manager::from_config(
        config,
        NoTls,
        ManagerConfig {
            recycling_method: RecyclingMethod::Verified,
        },
    );
    Pool::builder(manager)
        .max_size(size)
        // deadpool's timeouts run on tokio::time, that is on weave's timer.
        .runtime(Runtime::Tokio1)
        .wait_timeout(Some(Duration::from_secs(30)))
        .create_timeout(Some(Duration::from_secs(10)))
        .build()
        .expect("building the pool")
}

/// The server's message when there is one, else the error and its causes:
/// tokio-postgres's Display of an error is only its kind ("db error",
/// "error connecting to server").
fn describe(error: &tokio_postgres::Error) -> String {
    if let Some(db) = error.as_db_error() {
        return format!("{} {}: {}", db.severity(), db.code().code(), db.message());
    }
    let mut line = error.to_string();
    let mut cause = std::error::Error::source(error);
    while let Some(c) = cause {
        line = format!("{line}: {c}");
        cause = c.source();
    }
    line
}

/// A table name no other run uses, so concurrent or aborted runs cannot
/// collide.
fn unique_table() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("weave_pg_{}_{nanos}", std::process::id())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pool_of_10_runs_100_concurrent_queries() {
    let Some(config) = server().await else {
        return;
    };
    let pool = pool(config, POOL_SIZE);
    let table = unique_table();
    pool.get()
        .await
        .unwrap()
        .batch_execute(&format!(
            "CREATE TABLE {table} (id int4 PRIMARY KEY, doubled int4 NOT NULL, label text NOT NULL)"
        ))
        .await
        .unwrap();

    // Each query sleeps 100 ms in the server: one connection at a time that
    // is 10 s, ten at a time about 1 s.
    let start = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..QUERIES {
        let pool = pool.clone();
        let table = table.clone();
        tasks.spawn(async move {
            let client = pool.get().await.unwrap();
            let row = client
                .query_one(
                    "SELECT $1::int4 * 2, pg_backend_pid() FROM pg_sleep(0.1)",
                    &[&i],
                )
                .await
                .unwrap();
            let doubled: i32 = row.get(0);
            let pid: i32 = row.get(1);
            assert_eq!(doubled, i * 2);
            // prepare_cached: deadpool's per-connection statement cache.
            let insert = client
                .prepare_cached(&format!(
                    "INSERT INTO {table} (id, doubled, label) VALUES ($1, $2, $3) RETURNING id"
                ))
                .await
                .unwrap();
            let label = format!("row {i}");
            let id: i32 = client
                .query_one(&insert, &[&i, &doubled, &label])
                .await
                .unwrap()
                .get(0);
            assert_eq!(id, i);
            (i, pid)
        });
    }
    let mut done = HashSet::new();
    let mut backends = HashSet::new();
    while let Some(result) = tasks.join_next().await {
        let (i, pid) = result.unwrap();
        assert!(done.insert(i), "query {i} answered twice");
        backends.insert(pid);
    }
    let elapsed = start.elapsed();
    assert_eq!(done.len(), QUERIES as usize);
    assert!(
        backends.len() <= POOL_SIZE,
        "{} server backends served a pool of {POOL_SIZE}",
        backends.len()
    );
    assert!(
        backends.len() > 1,
        "every query went through one connection: not concurrent"
    );
    // Well under the 10 s of one at a time, with room for a slow machine.
    assert!(
        elapsed < Duration::from_secs(5),
        "100 queries of 100 ms through {POOL_SIZE} connections took {elapsed:?}"
    );
    let status = pool.status();
    assert!(status.size <= POOL_SIZE, "pool grew to {}", status.size);

    // Read the table back from a fresh connection of the pool.
    let client = pool.get().await.unwrap();
    let rows = client
        .query(
            &format!("SELECT id, doubled, label FROM {table} ORDER BY id"),
            &[],
        )
        .await
        .unwrap();
    assert_eq!(rows.len(), QUERIES as usize);
    for (i, row) in (0..QUERIES).zip(&rows) {
        assert_eq!(row.get::<_, i32>(0), i);
        assert_eq!(row.get::<_, i32>(1), i * 2);
        assert_eq!(row.get::<_, String>(2), format!("row {i}"));
    }
    client
        .batch_execute(&format!("DROP TABLE {table}"))
        .await
        .unwrap();
    println!(
        "{QUERIES} queries through {} connections in {elapsed:.2?}",
        backends.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_connection_is_an_error_not_a_hang() {
    let Some(config) = server().await else {
        return;
    };
    let pool = pool(config, 2);
    let victim = pool.get().await.unwrap();
    let killer = pool.get().await.unwrap();
    let pid: i32 = victim
        .query_one("SELECT pg_backend_pid()", &[])
        .await
        .unwrap()
        .get(0);

    // A query in flight when the server kills its connection: its reader is
    // parked on the socket and must be woken by the close.
    let in_flight = tokio::spawn(async move {
        let result =
            tokio::time::timeout(KILL_BOUND, victim.query_one("SELECT pg_sleep(60)", &[])).await;
        (victim, result)
    });
    // Kill only once the victim is inside pg_sleep, so the kill hits the
    // in-flight query and not the idle connection.
    let waiting_since = Instant::now();
    loop {
        let sleeping: bool = killer
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM pg_stat_activity \
                 WHERE pid = $1 AND query LIKE 'SELECT pg_sleep%' AND state = 'active')",
                &[&pid],
            )
            .await
            .unwrap()
            .get(0);
        if sleeping {
            break;
        }
        assert!(
            waiting_since.elapsed() < KILL_BOUND,
            "the victim's query never started"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // The second argument (PostgreSQL 13+) waits until the backend is gone.
    let terminated: bool = killer
        .query_one("SELECT pg_terminate_backend($1, 5000)", &[&pid])
        .await
        .unwrap()
        .get(0);
    assert!(terminated, "pg_terminate_backend({pid}) failed");

    let (victim, result) = in_flight.await.unwrap();
    let error = match result {
        Ok(Ok(_)) => panic!("the killed query returned a row"),
        Ok(Err(e)) => e,
        Err(_) => panic!("the killed query hung for {KILL_BOUND:?} instead of failing"),
    };
    println!(
        "in-flight query on the killed connection: {}",
        describe(&error)
    );

    // The next query on the dead connection fails at once too.
    let next = tokio::time::timeout(KILL_BOUND, victim.query_one("SELECT 1", &[]))
        .await
        .unwrap_or_else(|_| panic!("a query on the killed connection hung for {KILL_BOUND:?}"));
    let error = next.expect_err("a query on the killed connection succeeded");
    println!("next query on the killed connection: {}", describe(&error));
    assert!(
        victim.is_closed(),
        "the killed client does not know it is closed"
    );

    // The pool drops the dead connection rather than handing it out again.
    drop(victim);
    drop(killer);
    for _ in 0..4 {
        let client = tokio::time::timeout(KILL_BOUND, pool.get())
            .await
            .expect("pool.get hung after a kill")
            .unwrap();
        let other: i32 = client
            .query_one("SELECT pg_backend_pid()", &[])
            .await
            .unwrap()
            .get(0);
        assert_ne!(other, pid, "the pool handed out the killed connection");
    }
}

/// The same kill on a bare tokio-postgres connection (no pool), whose
/// connection future the test drives itself: it must end, not hang.
#[tokio::test(flavor = "current_thread")]
async fn killed_bare_connection_ends_its_connection_task() {
    let Some(config) = server().await else {
        return;
    };
    let (victim, connection) = config.connect(NoTls).await.unwrap();
    let connection = tokio::spawn(connection);
    let (killer, killer_connection) = config.connect(NoTls).await.unwrap();
    tokio::spawn(killer_connection);

    let pid: i32 = victim
        .query_one("SELECT pg_backend_pid()", &[])
        .await
        .unwrap()
        .get(0);
    let terminated: bool = killer
        .query_one("SELECT pg_terminate_backend($1, 5000)", &[&pid])
        .await
        .unwrap()
        .get(0);
    assert!(terminated);

    let result = tokio::time::timeout(KILL_BOUND, victim.query_one("SELECT 1", &[]))
        .await
        .unwrap_or_else(|_| panic!("a query on the killed connection hung for {KILL_BOUND:?}"));
    assert!(
        result.is_err(),
        "a query on the killed connection succeeded"
    );
    // The connection future resolves (with the server's "terminating
    // connection" error, or Ok on a clean close), and so its task ends.
    let ended = tokio::time::timeout(KILL_BOUND, connection)
        .await
        .unwrap_or_else(|_| panic!("the connection task hung for {KILL_BOUND:?}"))
        .unwrap();
    match &ended {
        Ok(()) => println!("connection task ended cleanly"),
        Err(e) => println!("connection task ended with {}", describe(e)),
    }
    assert!(victim.is_closed());
}
