//! `pin!`: the statement form (one or several variables), the `let` block
//! form, and the expression form.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use weave::time::sleep;

async fn add(a: u32, b: u32) -> u32 {
    weave::task::yield_now().await;
    a + b
}

fn assert_pinned<F: Future>(_: &Pin<&mut F>) {}

#[weave::test]
async fn shadows_one_variable() {
    let fut = add(1, 2);
    weave::pin!(fut);
    assert_pinned(&fut);
    // Poll it by reference, then keep going with the same future.
    let first = weave::select! {
        biased;
        _ = weave::task::yield_now() => None,
        v = &mut fut => Some(v),
    };
    assert_eq!(first, None);
    assert_eq!(fut.await, 3);
}

#[weave::test]
async fn shadows_several_variables() {
    let a = add(1, 1);
    let b = add(2, 2);
    let c = async { 10 };
    weave::pin!(a, b, c,);
    assert_pinned(&a);
    assert_pinned(&b);
    assert_eq!((&mut a).await + (&mut b).await + c.await, 16);
}

#[weave::test]
async fn let_block_form() {
    weave::pin! {
        let a = add(3, 4);
        let b = sleep(Duration::from_millis(1));
    }
    assert_pinned(&a);
    b.as_mut().await;
    assert_eq!(a.await, 7);
}

#[weave::test]
async fn expression_form() {
    let fut = weave::pin!(add(5, 6));
    assert_pinned(&fut);
    assert_eq!(fut.await, 11);

    // An expression that is a bare variable name is claimed by the statement
    // form; wrap it in a block to pin it through the expression form.
    let named = add(1, 0);
    let pinned = weave::pin!({ named });
    assert_eq!(pinned.await, 1);
}

#[weave::test(start_paused = true)]
async fn pinned_sleep_survives_a_select_loop() {
    let start = weave::time::Instant::now();
    let deadline = sleep(Duration::from_secs(1));
    weave::pin!(deadline);
    let mut ticks = 0;
    let mut interval = weave::time::interval(Duration::from_millis(300));
    loop {
        weave::select! {
            _ = &mut deadline => break,
            _ = interval.tick() => ticks += 1,
        }
    }
    // Ticks at 0, 300, 600 and 900 ms, then the deadline at 1 s.
    assert_eq!(ticks, 4);
    assert_eq!(start.elapsed(), Duration::from_secs(1));
}

#[test]
fn pin_works_without_a_runtime() {
    let out = futures::executor::block_on(async {
        let fut = async { 2 };
        weave::pin!(fut);
        fut.await
    });
    assert_eq!(out, 2);
}
