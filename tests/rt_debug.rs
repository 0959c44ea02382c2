//! Debug mode and task dumps: slow polls, lost panics and pending tasks are
//! reported exactly when they should be, spawn locations are the user's
//! call, and dumps show the right tasks in the right states.

use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;
use weave::runtime::{Builder, DebugEvent, Runtime, TaskState};

/// `(value, line)`: the value of `$e` and the line it is on (keep `$e` on
/// the macro's line, so the line is the spawn call's).
macro_rules! at_line {
    ($e:expr) => {
        ($e, line!())
    };
}

fn pending() -> std::future::Pending<()> {
    std::future::pending()
}

/// A runtime in debug mode whose reports land in the returned list.
fn debug_runtime(multi: bool) -> (Runtime, Arc<Mutex<Vec<DebugEvent>>>) {
    debug_runtime_with(multi, Duration::from_millis(100))
}

/// For tests of other reports: printing a panic's backtrace can take long
/// enough to make a slow poll, which those tests are not about.
fn no_slow_polls(multi: bool) -> (Runtime, Arc<Mutex<Vec<DebugEvent>>>) {
    debug_runtime_with(multi, Duration::from_secs(3600))
}

fn debug_runtime_with(
    multi: bool,
    slow_poll_threshold: Duration,
) -> (Runtime, Arc<Mutex<Vec<DebugEvent>>>) {
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = events.clone();
    let mut builder = if multi {
        Builder::new_multi_thread()
    } else {
        Builder::new_current_thread()
    };
    if multi {
        builder.worker_threads(2);
    }
    let rt = builder
        .enable_all()
        .debug(true)
        .slow_poll_threshold(slow_poll_threshold)
        .on_debug_event(move |e| sink.lock().unwrap().push(e.clone()))
        .build()
        .unwrap();
    (rt, events)
}

fn taken(events: &Mutex<Vec<DebugEvent>>) -> Vec<DebugEvent> {
    std::mem::take(&mut *events.lock().unwrap())
}

/// A task body that blocks its worker for `ms` milliseconds.
async fn block_for(ms: u64) {
    std::thread::sleep(Duration::from_millis(ms));
}

#[test]
fn a_150ms_blocking_poll_is_reported_with_name_and_spawn_line() {
    for multi in [false, true] {
        let (rt, events) = debug_runtime(multi);
        let (id, line) = rt.block_on(async {
            let builder = weave::task::Builder::new().name("blocker");
            let (task, line) = at_line!(builder.spawn(block_for(150)).unwrap());
            let id = task.id();
            task.await.unwrap();
            (id, line)
        });
        let events = taken(&events);
        assert_eq!(events.len(), 1, "{events:?}");
        let DebugEvent::SlowPoll {
            id: got,
            name,
            location,
            duration,
            threshold,
            ..
        } = &events[0]
        else {
            panic!("expected a slow poll, got {:?}", events[0]);
        };
        assert_eq!(*got, id);
        assert_eq!(name.as_deref(), Some("blocker"));
        assert_eq!(location.file(), file!());
        assert_eq!(location.line(), line);
        // Poll times come from a clock that ticks every millisecond.
        assert!(*duration >= Duration::from_millis(145), "{duration:?}");
        assert_eq!(*threshold, Duration::from_millis(100));
        let text = events[0].to_string();
        assert!(text.contains("slow poll"), "{text}");
        assert!(text.contains("\"blocker\""), "{text}");
        assert!(text.contains(&format!("{}:{line}", file!())), "{text}");
    }
}

#[test]
fn a_50ms_blocking_poll_is_not_reported() {
    let (rt, events) = debug_runtime(false);
    rt.block_on(async {
        weave::spawn(async { std::thread::sleep(Duration::from_millis(50)) })
            .await
            .unwrap();
    });
    drop(rt);
    assert!(taken(&events).is_empty());
}

#[test]
fn the_threshold_is_configurable() {
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = events.clone();
    let rt = Builder::new_current_thread()
        .debug(true)
        .slow_poll_threshold(Duration::from_millis(20))
        .on_debug_event(move |e| sink.lock().unwrap().push(e.clone()))
        .build()
        .unwrap();
    rt.block_on(async {
        weave::spawn(async { std::thread::sleep(Duration::from_millis(40)) })
            .await
            .unwrap();
    });
    let events = taken(&events);
    assert!(
        matches!(events[..], [DebugEvent::SlowPoll { threshold, .. }] if threshold == Duration::from_millis(20)),
        "{events:?}"
    );
}

#[test]
fn debug_off_reports_nothing() {
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = events.clone();
    let rt = Builder::new_current_thread()
        .debug(false)
        .on_debug_event(move |e| sink.lock().unwrap().push(e.clone()))
        .build()
        .unwrap();
    rt.block_on(async {
        weave::spawn(async { std::thread::sleep(Duration::from_millis(150)) })
            .await
            .unwrap();
        drop(weave::spawn(async { panic!("lost") }));
        weave::task::yield_now().await;
        weave::spawn(std::future::pending::<()>());
    });
    drop(rt);
    assert!(taken(&events).is_empty());
}

#[test]
fn a_panic_is_reported_when_it_happens_if_the_handle_is_gone() {
    let (rt, events) = no_slow_polls(false);
    rt.block_on(async {
        let (handle, line) = at_line!(weave::spawn(async { panic!("boom") }));
        let id = handle.id();
        drop(handle);
        while events.lock().unwrap().is_empty() {
            weave::task::yield_now().await;
        }
        let events = taken(&events);
        let [DebugEvent::UnretrievedPanic {
            id: got,
            location,
            message,
            ..
        }] = &events[..]
        else {
            panic!("expected one unretrieved panic, got {events:?}");
        };
        assert_eq!(*got, id);
        assert_eq!(location.line(), line);
        assert_eq!(message.as_deref(), Some("boom"));
        assert!(events[0].to_string().contains("never retrieved: boom"));
    });
}

#[test]
fn a_panic_is_reported_when_the_unread_handle_is_dropped() {
    for multi in [false, true] {
        let (rt, events) = no_slow_polls(multi);
        rt.block_on(async {
            let handle = weave::spawn(async { panic!("later") });
            while !handle.is_finished() {
                weave::task::yield_now().await;
            }
            assert!(taken(&events).is_empty(), "reported before the handle went");
            drop(handle);
            let events = taken(&events);
            assert!(
                matches!(&events[..], [DebugEvent::UnretrievedPanic { message: Some(m), .. }] if m == "later"),
                "{events:?}"
            );
        });
        drop(rt);
        assert!(taken(&events).is_empty(), "reported twice");
    }
}

#[test]
fn an_awaited_panic_is_not_reported() {
    let (rt, events) = no_slow_polls(true);
    rt.block_on(async {
        let err = weave::spawn(async { panic!("seen") }).await.unwrap_err();
        assert!(err.is_panic());
        let mut set = weave::task::JoinSet::new();
        set.spawn(async { panic!("seen by the set") });
        assert!(set.join_next().await.unwrap().unwrap_err().is_panic());
        let results = weave::gather([async { panic!("gathered") }]).await;
        assert!(results[0].as_ref().unwrap_err().is_panic());
    });
    drop(rt);
    assert!(taken(&events).is_empty(), "{:?}", taken(&events));
}

#[test]
fn a_panicking_hook_loses_its_report_and_nothing_else() {
    let rt = Builder::new_current_thread()
        .debug(true)
        .on_debug_event(|_| panic!("the hook is broken"))
        .build()
        .unwrap();
    let out = rt.block_on(async {
        drop(weave::spawn(async { panic!("lost") }));
        weave::task::yield_now().await;
        weave::spawn(async { 7 }).await.unwrap()
    });
    assert_eq!(out, 7);
}

#[test]
fn pending_tasks_at_shutdown_are_counted_by_spawn_location() {
    for multi in [false, true] {
        let (rt, events) = debug_runtime(multi);
        let (a, b) = rt.block_on(async {
            let mut a = 0;
            for _ in 0..3 {
                a = at_line!(weave::spawn(pending())).1;
            }
            let mut b = 0;
            for _ in 0..2 {
                b = at_line!(weave::spawn(pending())).1;
            }
            weave::task::yield_now().await;
            (a, b)
        });
        assert!(taken(&events).is_empty());
        drop(rt);
        let events = taken(&events);
        let [DebugEvent::PendingAtShutdown {
            count, locations, ..
        }] = &events[..]
        else {
            panic!("expected one shutdown report, got {events:?}");
        };
        assert_eq!(*count, 5);
        let lines: Vec<(u32, usize)> = locations.iter().map(|(l, n)| (l.line(), *n)).collect();
        assert_eq!(lines, [(a, 3), (b, 2)]);
        assert!(locations.iter().all(|(l, _)| l.file() == file!()));
        let text = events[0].to_string();
        assert!(text.contains("5 pending tasks"), "{text}");
        assert!(
            text.contains(&format!("{}:{a} (3), {}:{b} (2)", file!(), file!())),
            "{text}"
        );
    }
}

#[test]
fn a_runtime_with_nothing_pending_reports_nothing_at_shutdown() {
    let (rt, events) = debug_runtime(true);
    rt.block_on(async { weave::spawn(async {}).await.unwrap() });
    drop(rt);
    assert!(taken(&events).is_empty());
}

#[test]
fn weave_debug_env_turns_debug_mode_on_unless_the_builder_says_no() {
    // Environment variables are process-wide: check in child processes.
    let exe = std::env::current_exe().unwrap();
    for (value, explicit, expect_on) in [
        ("1", None, true),
        ("yes", None, true),
        ("0", None, false),
        ("", None, false),
        ("1", Some(false), false),
    ] {
        let mut cmd = std::process::Command::new(&exe);
        cmd.args(["--exact", "env_child", "--nocapture", "--test-threads=1"])
            .env("WEAVE_DEBUG", value)
            .env("RT_DEBUG_CHILD", "1");
        if let Some(explicit) = explicit {
            cmd.env("RT_DEBUG_CHILD_EXPLICIT", explicit.to_string());
        }
        let out = cmd.output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{stdout}");
        let want = format!("debug mode: {expect_on}");
        assert!(
            stdout.contains(&want),
            "WEAVE_DEBUG={value:?} explicit={explicit:?}: {stdout}"
        );
    }
}

/// Run by `weave_debug_env_turns_debug_mode_on_unless_the_builder_says_no`
/// in a child process; does nothing otherwise.
#[test]
fn env_child() {
    if std::env::var_os("RT_DEBUG_CHILD").is_none() {
        return;
    }
    let mut builder = Builder::new_current_thread();
    if let Ok(v) = std::env::var("RT_DEBUG_CHILD_EXPLICIT") {
        builder.debug(v == "true");
    }
    let rt = builder.build().unwrap();
    let handle = rt.handle().clone();
    // In debug mode dumps carry poll counts.
    let on = rt.block_on(async move {
        let task = weave::spawn(std::future::pending::<()>());
        weave::task::yield_now().await;
        let polls = handle.dump().tasks()[0].polls();
        task.abort();
        polls.is_some()
    });
    // The pending-task report would go to stderr; nothing is pending here.
    println!("debug mode: {on}");
}

#[weave::test(debug = true)]
async fn the_test_attribute_takes_debug() {
    let task = weave::spawn(std::future::pending::<()>());
    weave::task::yield_now().await;
    let dump = weave::runtime::Handle::current().dump();
    assert_eq!(dump.tasks()[0].polls(), Some(1));
    task.abort();
}

#[test]
fn spawn_locations_are_the_callers_for_every_spawn_function() {
    let rt = Runtime::new().unwrap();
    let handle = rt.handle().clone();
    let (gate_tx, gate_rx) = mpsc::channel::<()>();
    let gate = Arc::new(Mutex::new(gate_rx));
    let blocked = move || {
        let _ = gate.lock().unwrap().recv();
    };
    let mut expected: Vec<(weave::task::Id, u32, &str)> = Vec::new();

    let (t, l) = at_line!(rt.spawn(pending()));
    expected.push((t.id(), l, "Runtime::spawn"));
    let (t, l) = at_line!(handle.spawn(pending()));
    expected.push((t.id(), l, "Handle::spawn"));
    let (t, l) = at_line!(handle.spawn_blocking(blocked.clone()));
    expected.push((t.id(), l, "Handle::spawn_blocking"));
    let (t, l) = at_line!(rt.spawn_blocking(blocked.clone()));
    expected.push((t.id(), l, "Runtime::spawn_blocking"));

    let mut set = weave::task::JoinSet::new();
    let mut group = weave::task::TaskGroup::<(), ()>::new();
    {
        let _enter = rt.enter();
        let (t, l) = at_line!(weave::spawn(pending()));
        expected.push((t.id(), l, "weave::spawn"));
        let (t, l) = at_line!(weave::task::spawn_blocking(blocked.clone()));
        expected.push((t.id(), l, "task::spawn_blocking"));
        let b = weave::task::Builder::new();
        let (t, l) = at_line!(b.spawn(pending()).unwrap());
        expected.push((t.id(), l, "task::Builder::spawn"));
        let b = weave::task::Builder::new();
        let (t, l) = at_line!(b.spawn_blocking(blocked.clone()).unwrap());
        expected.push((t.id(), l, "task::Builder::spawn_blocking"));
        let (t, l) = at_line!(set.spawn(pending()));
        expected.push((t.id(), l, "JoinSet::spawn"));
        let (t, l) = at_line!(set.spawn_blocking(blocked.clone()));
        expected.push((t.id(), l, "JoinSet::spawn_blocking"));
        let (t, l) = at_line!(set.spawn_on(pending(), &handle));
        expected.push((t.id(), l, "JoinSet::spawn_on"));
        let (t, l) = at_line!(group.spawn(async {
            pending().await;
            Ok(())
        }));
        expected.push((t.id(), l, "TaskGroup::spawn"));
    }

    let dump = handle.dump();
    for (id, line, what) in &expected {
        let task = dump
            .tasks()
            .iter()
            .find(|t| t.id() == *id)
            .unwrap_or_else(|| panic!("{what}: task missing from the dump:\n{dump}"));
        assert_eq!(task.location().file(), file!(), "{what}");
        assert_eq!(task.location().line(), *line, "{what}");
    }
    drop(gate_tx);
}

#[test]
fn gather_and_as_completed_tasks_carry_the_callers_location() {
    let rt = Runtime::new().unwrap();
    let handle = rt.handle().clone();
    rt.block_on(async move {
        let (set, as_completed_line) = at_line!(weave::task::as_completed([pending()]));
        let (gathered, gather_line) = at_line!(weave::gather([pending()]));
        let (tried, try_gather_line) = at_line!(weave::try_gather([async {
            pending().await;
            Ok::<(), ()>(())
        }]));
        // gather spawns when first polled.
        let mut gathered = Box::pin(gathered);
        let mut tried = Box::pin(tried);
        let waker = futures::task::noop_waker();
        let mut cx = std::task::Context::from_waker(&waker);
        assert!(gathered.as_mut().poll(&mut cx).is_pending());
        assert!(tried.as_mut().poll(&mut cx).is_pending());

        let lines: Vec<u32> = handle
            .dump()
            .tasks()
            .iter()
            .filter(|t| t.location().file() == file!())
            .map(|t| t.location().line())
            .collect();
        for (what, line) in [
            ("as_completed", as_completed_line),
            ("gather", gather_line),
            ("try_gather", try_gather_line),
        ] {
            assert!(lines.contains(&line), "{what}: {lines:?}");
        }
        drop(set);
    });
}

use std::future::Future;

#[test]
fn dump_shows_idle_scheduled_running_and_blocking_tasks() {
    let rt = Builder::new_current_thread().build().unwrap();
    let handle = rt.handle().clone();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let (started_tx, started_rx) = mpsc::channel::<()>();
    rt.block_on(async move {
        let idle = weave::task::Builder::new()
            .name("idle")
            .spawn(std::future::pending::<()>())
            .unwrap();
        weave::task::yield_now().await;
        let blocking = weave::task::spawn_blocking(move || {
            started_tx.send(()).unwrap();
            let _ = release_rx.recv();
        });
        started_rx.recv().unwrap();
        let scheduled = weave::spawn(async {});
        // Not run yet: the block_on future has not yielded since.
        let before = handle.dump();
        let row = before.tasks().iter().find(|t| t.id() == scheduled.id());
        assert_eq!(row.unwrap().state(), TaskState::Scheduled);
        let h = handle.clone();
        let me = weave::spawn(async move { (weave::task::id(), h.dump()) });
        // `me` dumps from inside itself: it is running.
        let (me_id, dump) = me.await.unwrap();
        let state = |id| {
            dump.tasks()
                .iter()
                .find(|t| t.id() == id)
                .unwrap_or_else(|| panic!("task {id} missing:\n{dump}"))
                .state()
        };
        assert_eq!(state(idle.id()), TaskState::Idle);
        assert_eq!(state(blocking.id()), TaskState::Blocking);
        assert_eq!(state(me_id), TaskState::Running);
        let named = dump.tasks().iter().find(|t| t.id() == idle.id()).unwrap();
        assert_eq!(named.name(), Some("idle"));
        // Debug off: no timing columns.
        assert_eq!(named.polls(), None);
        assert_eq!(named.busy(), None);
        assert_eq!(named.since_last_poll(), None);

        // Finished tasks leave the dump.
        release_tx.send(()).unwrap();
        blocking.await.unwrap();
        scheduled.await.unwrap();
        idle.abort();
        let _ = idle.await;
        assert!(handle.dump().tasks().is_empty(), "{}", handle.dump());
    });
}

#[test]
fn dump_answers_while_a_worker_is_stuck_and_shows_it_running() {
    let rt = Builder::new_multi_thread()
        .worker_threads(1)
        .debug(true)
        .on_debug_event(|_| {})
        .build()
        .unwrap();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let (started_tx, started_rx) = mpsc::channel::<()>();
    let stuck = rt.spawn(async move {
        started_tx.send(()).unwrap();
        // A blocking call inside async code: the only worker is stuck.
        let _ = release_rx.recv();
    });
    started_rx.recv().unwrap();
    // Queued behind the stuck task on the only worker.
    let waiting = rt.spawn(async {});
    let dump = rt.handle().dump();
    let stuck_row = dump.tasks().iter().find(|t| t.id() == stuck.id()).unwrap();
    assert_eq!(stuck_row.state(), TaskState::Running);
    assert_eq!(stuck_row.polls(), Some(0), "the first poll is not over");
    assert!(stuck_row.since_last_poll().is_some());
    let waiting_row = dump
        .tasks()
        .iter()
        .find(|t| t.id() == waiting.id())
        .unwrap();
    assert_eq!(waiting_row.state(), TaskState::Scheduled);
    assert_eq!(waiting_row.since_last_poll(), None, "never polled");
    release_tx.send(()).unwrap();
    rt.block_on(async {
        stuck.await.unwrap();
        waiting.await.unwrap();
    });
}

#[test]
fn dump_counts_polls_and_busy_time_in_debug_mode() {
    let (rt, _events) = debug_runtime(false);
    let handle = rt.handle().clone();
    rt.block_on(async move {
        let (tx, rx) = weave::sync::oneshot::channel::<()>();
        let task = weave::spawn(async move {
            for _ in 0..3 {
                weave::task::yield_now().await;
            }
            std::thread::sleep(Duration::from_millis(20));
            let _ = rx.await;
        });
        // Let it run its three yields and park on the channel.
        for _ in 0..10 {
            weave::task::yield_now().await;
        }
        let dump = handle.dump();
        let row = dump.tasks().iter().find(|t| t.id() == task.id()).unwrap();
        assert_eq!(row.state(), TaskState::Idle);
        assert_eq!(row.polls(), Some(4));
        // Poll times are read from a clock that ticks every millisecond.
        assert!(row.busy().unwrap() >= Duration::from_millis(15), "{row:?}");
        assert!(row.since_last_poll().is_some());
        let text = dump.to_string();
        let mut lines = text.lines();
        let header = lines.next().unwrap();
        let row_line = lines.next().unwrap();
        assert!(header.trim_start().starts_with("ID"), "{text}");
        // Columns line up: STATE starts at the same offset on every line.
        let state_at = header.find("STATE").unwrap();
        assert_eq!(&row_line[state_at..state_at + 4], "idle", "{text}");
        assert!(row_line.contains(&format!("{}:", file!())), "{text}");
        assert!(
            !text.lines().any(|l| l.ends_with(' ')),
            "trailing spaces:\n{text}"
        );
        drop(tx);
        task.await.unwrap();
    });
}

#[test]
fn a_dump_without_debug_mode_prints_dashes_for_timings() {
    let rt = Builder::new_current_thread().build().unwrap();
    let handle = rt.handle().clone();
    rt.block_on(async move {
        let task = weave::spawn(std::future::pending::<()>());
        weave::task::yield_now().await;
        let text = handle.dump().to_string();
        let row = text.lines().nth(1).unwrap();
        assert!(row.contains(" - "), "{text}");
        task.abort();
    });
}
