use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
fn main() {
    for flavor in 0..2 {
        let rt = if flavor == 0 {
            weave::runtime::Builder::new_current_thread().build().unwrap()
        } else {
            weave::runtime::Builder::new_multi_thread().worker_threads(2).build().unwrap()
        };
        let t = std::time::Instant::now();
        let n = rt.block_on(async {
            let counter = Arc::new(AtomicUsize::new(0));
            let mut hs = Vec::new();
            for i in 0..10_000 {
                let c = counter.clone();
                hs.push(weave::spawn(async move {
                    for _ in 0..3 { weave::task::yield_now().await; }
                    c.fetch_add(1, Ordering::Relaxed);
                    i
                }));
            }
            let mut sum = 0;
            for h in hs { sum += h.await.unwrap(); }
            let (tx, rx) = weave::sync::oneshot::channel();
            weave::spawn(async move { tx.send(5).unwrap() });
            assert_eq!(rx.await.unwrap(), 5);
            let b = weave::task::spawn_blocking(|| 7).await.unwrap();
            assert_eq!(b, 7);
            let e = weave::spawn(async { panic!("boom") }).await.unwrap_err();
            assert!(e.is_panic());
            let p = weave::spawn(std::future::pending::<()>());
            p.abort();
            assert!(p.await.unwrap_err().is_cancelled());
            (sum, counter.load(Ordering::Relaxed))
        });
        println!("flavor {flavor}: {:?} in {:?}", n, t.elapsed());
        // pending tasks at drop
        let _g = rt.enter();
        for _ in 0..1000 { weave::spawn(std::future::pending::<()>()); }
        drop(_g);
        drop(rt);
        println!("dropped");
    }
}
