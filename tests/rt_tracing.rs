//! With the `tracing` feature, debug-mode reports are `tracing` events and
//! every poll runs inside a `task` span carrying the task's id and name.
//! Run with `cargo test --features tracing --test rt_tracing`.
#![cfg(feature = "tracing")]

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// Records span and event fields as text lines: `span task id=3 name="x"`,
/// `event weave::debug message=...`.
#[derive(Clone, Default)]
struct Recorder {
    lines: Arc<Mutex<Vec<String>>>,
    next_id: Arc<AtomicU64>,
}

struct Fields(String);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let _ = write!(self.0, " {}={:?}", field.name(), value);
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        let _ = write!(self.0, " {}={}", field.name(), value);
    }
}

impl Subscriber for Recorder {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let mut fields = Fields(format!("span {}", span.metadata().name()));
        span.record(&mut fields);
        self.lines.lock().unwrap().push(fields.0);
        Id::from_u64(self.next_id.fetch_add(1, Ordering::Relaxed) + 1)
    }

    fn record(&self, _: &Id, _: &Record<'_>) {}

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut fields = Fields(format!("event {}", event.metadata().target()));
        event.record(&mut fields);
        self.lines.lock().unwrap().push(fields.0);
    }

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}
}

#[test]
fn reports_are_events_and_tasks_have_spans() {
    let recorder = Recorder::default();
    let lines = recorder.lines.clone();
    tracing::subscriber::with_default(recorder, || {
        let rt = weave::runtime::Builder::new_current_thread()
            .debug(true)
            .build()
            .unwrap();
        rt.block_on(async {
            weave::task::Builder::new()
                .name("sleepy")
                .spawn(async { std::thread::sleep(Duration::from_millis(150)) })
                .unwrap()
                .await
                .unwrap();
        });
    });
    let lines = lines.lock().unwrap();
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("span task id=") && l.ends_with("name=sleepy")),
        "{lines:#?}"
    );
    let slow: Vec<_> = lines
        .iter()
        .filter(|l| l.starts_with("event weave::debug") && l.contains("slow poll"))
        .collect();
    assert_eq!(slow.len(), 1, "{lines:#?}");
    assert!(slow[0].contains("\"sleepy\""), "{lines:#?}");
}

#[test]
fn without_debug_mode_tasks_still_get_spans() {
    let recorder = Recorder::default();
    let lines = recorder.lines.clone();
    tracing::subscriber::with_default(recorder, || {
        let rt = weave::runtime::Builder::new_current_thread()
            .debug(false)
            .build()
            .unwrap();
        rt.block_on(async { weave::spawn(async {}).await.unwrap() });
    });
    let lines = lines.lock().unwrap();
    assert!(
        lines.iter().any(|l| l.starts_with("span task id=")),
        "{lines:#?}"
    );
    assert!(!lines.iter().any(|l| l.starts_with("event")), "{lines:#?}");
}
