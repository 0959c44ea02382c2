//! `runtime::Builder`.

use super::blocking::{BlockingPool, ThreadConfig};
use super::config::{Callback, Config};
use super::driver::{Driver, DriverConfig};
use super::local_runtime::{LocalOptions, LocalRuntime};
use super::runtime::{Runtime, Scheduler};
use super::scheduler::{self, current_thread::CurrentThread, multi_thread::MultiThread};
use super::task::{DebugEvent, DebugHook, Debugger};
use super::Handle;
use std::fmt;
use std::io;
use std::sync::Arc;
use std::time::Duration;

/// Configures and builds a [`Runtime`].
///
/// ```
/// use weave::runtime::Builder;
///
/// let rt = Builder::new_multi_thread()
///     .worker_threads(2)
///     .thread_name("my-worker")
///     .enable_all()
///     .build()
///     .unwrap();
/// assert_eq!(rt.block_on(async { 1 + 1 }), 2);
/// ```
pub struct Builder {
    kind: Kind,
    worker_threads: Option<usize>,
    thread_name: Arc<dyn Fn() -> String + Send + Sync>,
    thread_stack_size: Option<usize>,
    after_start: Option<Callback>,
    before_stop: Option<Callback>,
    before_park: Option<Callback>,
    after_unpark: Option<Callback>,
    max_blocking_threads: usize,
    keep_alive: Duration,
    enable_io: bool,
    enable_time: bool,
    start_paused: bool,
    event_interval: u32,
    global_queue_interval: Option<u32>,
    lifo_slot: bool,
    /// `None`: as the `WEAVE_DEBUG` environment variable says.
    debug: Option<bool>,
    slow_poll_threshold: Duration,
    on_debug_event: Option<DebugHook>,
    max_io_events: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    CurrentThread,
    MultiThread,
}

/// The environment variable that sets the default number of worker threads.
const WORKER_THREADS_ENV: &str = "WEAVE_WORKER_THREADS";

/// The environment variable that turns debug mode on for builders that did
/// not choose (any non-empty value but `0`).
const DEBUG_ENV: &str = "WEAVE_DEBUG";

/// asyncio's `slow_callback_duration`.
const DEFAULT_SLOW_POLL_THRESHOLD: Duration = Duration::from_millis(100);

impl Builder {
    /// A builder for a runtime that runs every task on the thread that calls
    /// [`Runtime::block_on`].
    pub fn new_current_thread() -> Builder {
        Builder::new(Kind::CurrentThread)
    }

    /// A builder for the work-stealing multi-thread runtime.
    pub fn new_multi_thread() -> Builder {
        Builder::new(Kind::MultiThread)
    }

    fn new(kind: Kind) -> Builder {
        Builder {
            kind,
            worker_threads: None,
            thread_name: Arc::new(|| "weave-runtime-worker".to_string()),
            thread_stack_size: None,
            after_start: None,
            before_stop: None,
            before_park: None,
            after_unpark: None,
            max_blocking_threads: 512,
            keep_alive: Duration::from_secs(10),
            enable_io: false,
            enable_time: false,
            start_paused: false,
            event_interval: Config::DEFAULT_EVENT_INTERVAL,
            global_queue_interval: None,
            lifo_slot: true,
            debug: None,
            slow_poll_threshold: DEFAULT_SLOW_POLL_THRESHOLD,
            on_debug_event: None,
            max_io_events: 1024,
        }
    }

    /// Enables every driver (I/O and time).
    pub fn enable_all(&mut self) -> &mut Self {
        self.enable_io = true;
        self.enable_time = true;
        self
    }

    /// Enables the I/O driver.
    pub fn enable_io(&mut self) -> &mut Self {
        self.enable_io = true;
        self
    }

    /// Enables the time driver.
    pub fn enable_time(&mut self) -> &mut Self {
        self.enable_time = true;
        self
    }

    /// Starts the runtime's clock paused, for tests of timer logic: time only
    /// moves with `time::advance`, or jumps to the next timer deadline when
    /// every task is idle (auto-advance). Implies `enable_time`; only for the
    /// current-thread runtime (`build` fails otherwise).
    pub fn start_paused(&mut self, start_paused: bool) -> &mut Self {
        self.start_paused = start_paused;
        self
    }

    /// Number of worker threads of a multi-thread runtime. The default is
    /// the `WEAVE_WORKER_THREADS` environment variable, or else the number of
    /// CPUs. Ignored by the current-thread runtime. Zero makes
    /// [`build`](Self::build) fail with an `InvalidInput` error.
    pub fn worker_threads(&mut self, val: usize) -> &mut Self {
        self.worker_threads = Some(val);
        self
    }

    /// Most threads the blocking pool runs `spawn_blocking` work on at once
    /// (default 512); further work queues. Zero makes `build` fail.
    pub fn max_blocking_threads(&mut self, val: usize) -> &mut Self {
        self.max_blocking_threads = val;
        self
    }

    /// Name of the runtime's threads (default `weave-runtime-worker`).
    pub fn thread_name(&mut self, val: impl Into<String>) -> &mut Self {
        let name: String = val.into();
        self.thread_name = Arc::new(move || name.clone());
        self
    }

    /// A function that names each new runtime thread.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// let rt = weave::runtime::Builder::new_multi_thread()
    ///     .thread_name_fn(|| {
    ///         static ID: AtomicUsize = AtomicUsize::new(0);
    ///         format!("pool-{}", ID.fetch_add(1, Ordering::Relaxed))
    ///     })
    ///     .build()
    ///     .unwrap();
    /// # drop(rt);
    /// ```
    pub fn thread_name_fn<F>(&mut self, f: F) -> &mut Self
    where
        F: Fn() -> String + Send + Sync + 'static,
    {
        self.thread_name = Arc::new(f);
        self
    }

    /// Stack size of the runtime's threads, in bytes.
    pub fn thread_stack_size(&mut self, val: usize) -> &mut Self {
        self.thread_stack_size = Some(val);
        self
    }

    /// Runs on each runtime thread when it starts.
    pub fn on_thread_start<F>(&mut self, f: F) -> &mut Self
    where
        F: Fn() + Send + Sync + 'static,
    {
        self.after_start = Some(Arc::new(f));
        self
    }

    /// Runs on each runtime thread before it stops.
    pub fn on_thread_stop<F>(&mut self, f: F) -> &mut Self
    where
        F: Fn() + Send + Sync + 'static,
    {
        self.before_stop = Some(Arc::new(f));
        self
    }

    /// Runs on a worker just before it parks (sleeps for lack of work).
    pub fn on_thread_park<F>(&mut self, f: F) -> &mut Self
    where
        F: Fn() + Send + Sync + 'static,
    {
        self.before_park = Some(Arc::new(f));
        self
    }

    /// Runs on a worker just after it wakes from parking.
    pub fn on_thread_unpark<F>(&mut self, f: F) -> &mut Self
    where
        F: Fn() + Send + Sync + 'static,
    {
        self.after_unpark = Some(Arc::new(f));
        self
    }

    /// How long an idle blocking-pool thread waits for work before it exits
    /// (default 10 s).
    pub fn thread_keep_alive(&mut self, duration: Duration) -> &mut Self {
        self.keep_alive = duration;
        self
    }

    /// Scheduler ticks between two polls of the I/O and time drivers while
    /// tasks keep the worker busy (default 61). Must be above zero.
    pub fn event_interval(&mut self, val: u32) -> &mut Self {
        self.event_interval = val;
        self
    }

    /// Scheduler ticks between two looks at the global queue ahead of the
    /// local one (default 31). Must be above zero.
    pub fn global_queue_interval(&mut self, val: u32) -> &mut Self {
        self.global_queue_interval = Some(val);
        self
    }

    /// Turns the LIFO slot off: a task woken by the running task then goes
    /// to the back of the local queue instead of running next.
    pub fn disable_lifo_slot(&mut self) -> &mut Self {
        self.lifo_slot = false;
        self
    }

    /// Most I/O events the driver takes from the OS in one poll (default
    /// 1024); more wait for the next poll.
    ///
    /// # Panics
    ///
    /// If `capacity` is zero.
    #[track_caller]
    pub fn max_io_events_per_tick(&mut self, capacity: usize) -> &mut Self {
        assert!(
            capacity > 0,
            "max_io_events_per_tick must be at least 1 (got 0)"
        );
        self.max_io_events = capacity;
        self
    }

    /// Turns debug mode on or off (asyncio's `debug=True`). Without this
    /// call, debug mode is on when the `WEAVE_DEBUG` environment variable is
    /// set to anything but `""` or `"0"`; an explicit call wins.
    ///
    /// In debug mode the runtime reports, through
    /// [`on_debug_event`](Self::on_debug_event) (default: one line on
    /// stderr):
    /// - every poll that takes longer than
    ///   [`slow_poll_threshold`](Self::slow_poll_threshold): a task that
    ///   blocked its worker thread, with its name, id and spawn location;
    /// - a task panic nobody retrieved through the `JoinHandle` (reported
    ///   once: when the task panics if its handle is gone, else when the
    ///   handle is dropped);
    /// - tasks still pending when the runtime shuts down, counted by spawn
    ///   location.
    ///
    /// Task dumps ([`Handle::dump`](crate::runtime::Handle::dump)) also show
    /// poll counts and times in debug mode. Debug mode costs a little on
    /// every poll (two reads of a clock that a background thread advances
    /// every millisecond, so poll times are exact to about a millisecond);
    /// with it off, tasks carry no statistics and do nothing extra.
    ///
    /// ```
    /// let rt = weave::runtime::Builder::new_multi_thread()
    ///     .debug(true)
    ///     .slow_poll_threshold(std::time::Duration::from_millis(50))
    ///     .build()
    ///     .unwrap();
    /// # drop(rt);
    /// ```
    pub fn debug(&mut self, enabled: bool) -> &mut Self {
        self.debug = Some(enabled);
        self
    }

    /// How long one poll may take before debug mode reports it as slow
    /// (default 100 ms, as asyncio's `slow_callback_duration`).
    pub fn slow_poll_threshold(&mut self, threshold: Duration) -> &mut Self {
        self.slow_poll_threshold = threshold;
        self
    }

    /// Where debug-mode reports go instead of stderr. The hook runs on the
    /// thread where the event happened (often a worker): keep it short and
    /// non-blocking. A panic in the hook loses that report and nothing else.
    ///
    /// ```
    /// use weave::runtime::{Builder, DebugEvent};
    ///
    /// let rt = Builder::new_current_thread()
    ///     .debug(true)
    ///     .on_debug_event(|event| {
    ///         if let DebugEvent::SlowPoll { duration, .. } = event {
    ///             eprintln!("blocked for {duration:?}: {event}");
    ///         }
    ///     })
    ///     .build()
    ///     .unwrap();
    /// # drop(rt);
    /// ```
    pub fn on_debug_event<F>(&mut self, hook: F) -> &mut Self
    where
        F: Fn(&DebugEvent) + Send + Sync + 'static,
    {
        self.on_debug_event = Some(Arc::new(hook));
        self
    }

    /// Creates a [`LocalRuntime`]: a current-thread runtime on which `!Send`
    /// tasks can be spawned anywhere (Tokio's `build_local`).
    ///
    /// Fails with `InvalidInput` on a multi-thread builder, and as
    /// [`build`](Self::build) does.
    ///
    /// ```
    /// use weave::runtime::{Builder, LocalOptions};
    ///
    /// let rt = Builder::new_current_thread()
    ///     .enable_all()
    ///     .build_local(LocalOptions::default())
    ///     .unwrap();
    /// let shared = std::rc::Rc::new(3);
    /// assert_eq!(rt.block_on(async move { *shared }), 3);
    /// ```
    pub fn build_local(&mut self, _options: LocalOptions) -> io::Result<LocalRuntime> {
        if self.kind != Kind::CurrentThread {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "build_local requires Builder::new_current_thread(): a local runtime runs \
                 every task on the thread inside block_on",
            ));
        }
        Ok(LocalRuntime::from_runtime(self.build()?))
    }

    /// Whether this builder makes a debug-mode runtime.
    fn debug_enabled(&self) -> bool {
        self.debug.unwrap_or_else(|| {
            std::env::var_os(DEBUG_ENV).is_some_and(|v| !v.is_empty() && v != "0")
        })
    }

    /// Creates the runtime.
    ///
    /// Fails with `InvalidInput` on a bad setting (zero worker threads, an
    /// unparsable `WEAVE_WORKER_THREADS`, zero blocking threads, a zero
    /// interval), or with the OS error if a thread cannot be started.
    pub fn build(&mut self) -> io::Result<Runtime> {
        let invalid = |msg: String| io::Error::new(io::ErrorKind::InvalidInput, msg);
        if self.max_blocking_threads == 0 {
            return Err(invalid(
                "max_blocking_threads must be at least 1 (got 0)".to_string(),
            ));
        }
        if self.event_interval == 0 || self.global_queue_interval == Some(0) {
            return Err(invalid(
                "event_interval and global_queue_interval must be at least 1".to_string(),
            ));
        }
        let num_workers = match self.kind {
            Kind::CurrentThread => 1,
            Kind::MultiThread => self.num_workers().map_err(invalid)?,
        };
        let config = Config {
            global_queue_interval: self
                .global_queue_interval
                .unwrap_or(Config::DEFAULT_GLOBAL_QUEUE_INTERVAL),
            event_interval: self.event_interval,
            before_park: self.before_park.clone(),
            after_unpark: self.after_unpark.clone(),
            lifo_slot: self.lifo_slot,
            debug: match self.debug_enabled() {
                true => Some(Arc::new(Debugger::new(
                    self.slow_poll_threshold,
                    self.on_debug_event.clone(),
                )?)),
                false => None,
            },
        };
        let blocking_pool = BlockingPool::new(ThreadConfig {
            thread_name: self.thread_name.clone(),
            stack_size: self.thread_stack_size,
            after_start: self.after_start.clone(),
            before_stop: self.before_stop.clone(),
            max_blocking_threads: self.max_blocking_threads,
            keep_alive: self.keep_alive,
            debug: config.debug.clone(),
        });
        let spawner = blocking_pool.spawner().clone();
        if self.start_paused && self.kind == Kind::MultiThread {
            return Err(invalid(
                "start_paused requires the current_thread runtime (Builder::new_current_thread): \
                 auto-advancing a paused clock needs every task to run on one thread"
                    .to_string(),
            ));
        }
        let (driver, driver_handle) = Driver::new(DriverConfig {
            enable_io: self.enable_io,
            enable_time: self.enable_time,
            start_paused: self.start_paused,
            max_io_events: self.max_io_events,
        })?;

        match self.kind {
            Kind::CurrentThread => {
                let (ct, handle) = CurrentThread::new(driver, driver_handle, spawner, config);
                let handle = Handle {
                    inner: scheduler::Handle::CurrentThread(handle),
                };
                Ok(Runtime::from_parts(
                    Scheduler::CurrentThread(ct),
                    handle,
                    blocking_pool,
                ))
            }
            Kind::MultiThread => {
                let (mt, handle) =
                    MultiThread::new(num_workers, driver, driver_handle, spawner, config);
                let sched_handle = scheduler::Handle::MultiThread(handle.clone());
                let launched = mt.launch(&handle, &sched_handle);
                let rt = Runtime::from_parts(
                    Scheduler::MultiThread(mt),
                    Handle {
                        inner: sched_handle,
                    },
                    blocking_pool,
                );
                match launched {
                    Ok(()) => Ok(rt),
                    Err(e) => {
                        drop(rt);
                        Err(e)
                    }
                }
            }
        }
    }

    fn num_workers(&self) -> Result<usize, String> {
        let n = match self.worker_threads {
            Some(n) => n,
            None => match std::env::var(WORKER_THREADS_ENV) {
                Ok(s) => s.trim().parse::<usize>().map_err(|_| {
                    format!("{WORKER_THREADS_ENV} must be a positive integer, got {s:?}")
                })?,
                Err(_) => std::thread::available_parallelism().map_or(1, |n| n.get()),
            },
        };
        if n == 0 {
            return Err(format!(
                "worker_threads must be at least 1 (got 0; set by {})",
                if self.worker_threads.is_some() {
                    "Builder::worker_threads"
                } else {
                    WORKER_THREADS_ENV
                }
            ));
        }
        Ok(n)
    }
}

impl fmt::Debug for Builder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builder")
            .field("kind", &self.kind)
            .field("worker_threads", &self.worker_threads)
            .field("max_blocking_threads", &self.max_blocking_threads)
            .field("enable_io", &self.enable_io)
            .field("enable_time", &self.enable_time)
            .field("start_paused", &self.start_paused)
            .field("debug", &self.debug)
            .field("slow_poll_threshold", &self.slow_poll_threshold)
            .finish_non_exhaustive()
    }
}
