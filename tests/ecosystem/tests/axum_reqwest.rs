//! An axum JSON API served on weave, queried by reqwest on weave: 1,000
//! requests from 50 concurrent tasks, every answer checked.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize)]
struct AddRequest {
    a: i64,
    b: i64,
    tag: String,
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct AddResponse {
    sum: i64,
    tag: String,
    served: u64,
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct Item {
    id: u32,
    name: String,
}

#[derive(Default)]
struct AppState {
    served: AtomicU64,
}

async fn add(State(state): State<Arc<AppState>>, Json(req): Json<AddRequest>) -> Json<AddResponse> {
    // Some awaiting inside the handler, on weave's timer.
    tokio::task::yield_now().await;
    let served = state.served.fetch_add(1, Ordering::SeqCst) + 1;
    Json(AddResponse {
        sum: req.a + req.b,
        tag: req.tag,
        served,
    })
}

async fn item(Path(id): Path<u32>) -> Result<Json<Item>, StatusCode> {
    if id == 0 {
        return Err(StatusCode::NOT_FOUND);
    }
    Ok(Json(Item {
        id,
        name: format!("item-{id}"),
    }))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_api_1000_requests_from_50_tasks() {
    let state = Arc::new(AppState::default());
    let app = Router::new()
        .route("/add", post(add))
        .route("/items/{id}", get(item))
        .with_state(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await
            .unwrap();
    });

    let client = reqwest::Client::new();
    let base = format!("http://{addr}");
    let mut tasks = tokio::task::JoinSet::new();
    for t in 0..50i64 {
        let client = client.clone();
        let base = base.clone();
        tasks.spawn(async move {
            for i in 0..20i64 {
                let n = t * 20 + i;
                if n % 10 == 0 {
                    // Every tenth request is a GET of a path parameter.
                    let id = n as u32 + 1;
                    let res = client
                        .get(format!("{base}/items/{id}"))
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(res.status(), reqwest::StatusCode::OK);
                    let item: Item = res.json().await.unwrap();
                    assert_eq!(
                        item,
                        Item {
                            id,
                            name: format!("item-{id}")
                        }
                    );
                } else {
                    let res = client
                        .post(format!("{base}/add"))
                        .json(&AddRequest {
                            a: n,
                            b: 2 * n + 1,
                            tag: format!("t{t}-{i}"),
                        })
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(res.status(), reqwest::StatusCode::OK);
                    let answer: AddResponse = res.json().await.unwrap();
                    assert_eq!(answer.sum, 3 * n + 1);
                    assert_eq!(answer.tag, format!("t{t}-{i}"));
                    assert!((1..=900).contains(&answer.served), "{answer:?}");
                }
            }
            20
        });
    }
    let mut done = 0;
    while let Some(n) = tasks.join_next().await {
        done += n.unwrap();
    }
    assert_eq!(done, 1000);
    assert_eq!(state.served.load(Ordering::SeqCst), 900);

    let res = client.get(format!("{base}/items/0")).send().await.unwrap();
    assert_eq!(res.status(), reqwest::StatusCode::NOT_FOUND);

    stop.send(()).unwrap();
    drop(client);
    tokio::time::timeout(std::time::Duration::from_secs(10), server)
        .await
        .expect("axum did not shut down")
        .unwrap();
}
