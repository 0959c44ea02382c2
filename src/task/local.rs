//! `LocalSet` and `spawn_local`: tasks whose futures are not `Send`.
//!
//! A [`LocalSet`] is a small scheduler that lives on one thread (its *owning
//! thread*: the thread that created it; the set is `!Send` and `!Sync`). Its
//! tasks run only while the set is driven on that thread — by
//! [`LocalSet::run_until`], [`LocalSet::block_on`] or by awaiting the set
//! itself — inside whatever runtime drives that future, so they can use
//! timers, I/O and `weave::spawn` like any task.
//!
//! # Structure
//!
//! - `Context` (one per set, behind an `Rc`, owning-thread only): the local
//!   run queue, a plain `VecDeque` in a `RefCell`.
//! - `Shared` (behind an `Arc`; every task's scheduler handle points at it):
//!   the list of the set's live tasks (`OwnedTasks`, one shard), and under one
//!   mutex the *remote* run queue plus the waker of whoever last polled the
//!   set.
//! - A thread-local `CURRENT` names the set entered on this thread (while it
//!   is polled, during `LocalSet::spawn_local`, or under an
//!   [`LocalEnterGuard`]); [`spawn_local`] spawns onto it.
//!
//! A wake goes to the local queue, without locking, when it happens on the
//! owning thread while the set is entered there (a task waking a task, a task
//! spawning a task); any other wake — from another thread, a timer fired by a
//! driver, an `abort()` — goes to the remote queue and wakes the set's waker.
//! Each poll of the set runs at most [`MAX_TASKS_PER_TICK`] tasks, each under
//! a fresh cooperative budget, then yields (waking itself) if work remains.
//!
//! # Invariants
//!
//! - A local task's future is polled, cancelled and dropped only on the
//!   owning thread: only `Context::tick` runs `Notified`s (and `Context` is
//!   `!Send`), and `LocalSet::drop` cancels every live task there. This is the
//!   safety contract of `OwnedTasks::spawn_local`.
//! - Every live task is in `Shared::owned` until it completes; the list's
//!   reference keeps the cell alive, so a leftover waker (or `AbortHandle`)
//!   dropped on another thread after the set is gone only ever frees a
//!   completed task.
//! - Once the set is dropped its list is closed (a later spawn is cancelled
//!   at once) and both queues refuse new entries (the `Notified` is dropped:
//!   its task is already complete).
//! - No remote wake is lost: a poller registers its waker before it looks at
//!   the queues, and a remote push wakes the registered waker after pushing.
//! - No user code (a future's poll or drop, a waker's wake or drop) runs
//!   while the local queue's `RefCell` or the remote mutex is held.

use crate::coop;
use crate::loom::sync::{Arc, Mutex};
use crate::runtime::task::{self, JoinHandle, Notified, OwnedTasks, Schedule, TaskName};
use crate::runtime::Runtime;
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context as TaskContext, Poll, Waker};

/// Tasks run per poll of the set before it yields to the rest of the
/// runtime (the figure Tokio uses).
const MAX_TASKS_PER_TICK: usize = 61;

/// Every this many tasks the remote queue is moved behind the local one even
/// if the local queue is not empty, so that remote wakes keep a bounded
/// latency behind a busy local queue.
const REMOTE_INTERVAL: u32 = 31;

type LocalTask = Notified<Arc<Shared>>;

/// A set of tasks that run on the current thread, for futures that are not
/// `Send` (they hold an `Rc`, a `RefCell` borrow, a `!Send` handle, ...).
///
/// Spawn onto it with [`LocalSet::spawn_local`] or, from code it runs, with
/// [`task::spawn_local`](spawn_local). The tasks run while the set is driven:
/// by [`run_until`](LocalSet::run_until) (until a given future completes),
/// by [`block_on`](LocalSet::block_on), or by awaiting the set itself (until
/// every task has completed). They run on the thread that drives the set, in
/// the runtime that future runs in, on either runtime flavor.
///
/// Dropping the set cancels the tasks still in it (their futures are dropped
/// on this thread); their [`JoinHandle`]s then report a cancellation.
///
/// ```
/// use std::rc::Rc;
/// use weave::task::{self, LocalSet};
///
/// let rt = weave::runtime::Builder::new_current_thread()
///     .enable_all()
///     .build()
///     .unwrap();
/// let local = LocalSet::new();
/// let shared = Rc::new(5); // `Rc` is not `Send`
/// let out = local.block_on(&rt, async move {
///     let s = shared.clone();
///     task::spawn_local(async move { *s * 2 }).await.unwrap()
/// });
/// assert_eq!(out, 10);
/// ```
pub struct LocalSet {
    context: Rc<Context>,
}

/// The owning-thread half of a set.
struct Context {
    shared: Arc<Shared>,
    /// Tasks woken on the owning thread while the set was entered.
    queue: RefCell<VecDeque<LocalTask>>,
    /// Tasks run so far (for [`REMOTE_INTERVAL`]).
    tick: Cell<u32>,
    /// Set by `LocalSet::drop`: local wakes are dropped from then on.
    closed: Cell<bool>,
}

/// The half of a set that tasks (and so other threads) reach.
struct Shared {
    owned: OwnedTasks<Arc<Shared>>,
    remote: Mutex<Remote>,
}

struct Remote {
    /// Tasks woken from elsewhere; `None` once the set is dropped.
    queue: Option<VecDeque<LocalTask>>,
    /// The waker of the last poller of the set (taken by a wake).
    waker: Option<Waker>,
}

/// What `CURRENT` holds: the entered set, and whether it is being polled
/// (if not, a local wake must also wake the set's poller).
struct Entered {
    cx: Rc<Context>,
    polling: bool,
}

#[cfg(not(loom))]
thread_local! {
    static CURRENT: RefCell<Option<Entered>> = const { RefCell::new(None) };
}

// Loom runs its threads on one OS thread: the set's thread-local must be a
// per-loom-thread one.
#[cfg(loom)]
loom::thread_local! {
    static CURRENT: RefCell<Option<Entered>> = RefCell::new(None);
}

/// Makes a set current on this thread until dropped, then restores the
/// previous one. Guards nest and must be dropped in reverse order.
struct SetCurrent {
    prev: Option<Entered>,
    /// False if the thread-local was already destroyed (a set dropped during
    /// thread exit): nothing was entered, nothing is restored.
    active: bool,
}

impl SetCurrent {
    fn enter(cx: &Rc<Context>, polling: bool) -> SetCurrent {
        let next = Entered {
            cx: cx.clone(),
            polling,
        };
        match CURRENT.try_with(|c| c.borrow_mut().replace(next)) {
            Ok(prev) => SetCurrent { prev, active: true },
            Err(_) => SetCurrent {
                prev: None,
                active: false,
            },
        }
    }
}

impl Drop for SetCurrent {
    fn drop(&mut self) {
        if !self.active {
            return;
        }
        let prev = self.prev.take();
        // Take our entry out and drop it after the borrow ends: it may be
        // the last reference to its context.
        let ours = CURRENT.try_with(|c| std::mem::replace(&mut *c.borrow_mut(), prev));
        drop(ours);
    }
}

/// Calls `f` with the set entered on this thread, if any.
fn with_current<R>(f: impl FnOnce(Option<&Entered>) -> R) -> R {
    let mut f = Some(f);
    match CURRENT.try_with(|c| (f.take().expect("called once"))(c.borrow().as_ref())) {
        Ok(r) => r,
        // The thread is being torn down: there is no set.
        Err(_) => (f.take().expect("not called yet"))(None),
    }
}

impl LocalSet {
    /// An empty set, owned by the calling thread.
    pub fn new() -> LocalSet {
        LocalSet {
            context: Rc::new(Context {
                shared: Arc::new(Shared {
                    owned: OwnedTasks::new(1),
                    remote: Mutex::new(Remote {
                        queue: Some(VecDeque::new()),
                        waker: None,
                    }),
                }),
                queue: RefCell::new(VecDeque::with_capacity(16)),
                tick: Cell::new(0),
                closed: Cell::new(false),
            }),
        }
    }

    /// Makes this the set that [`task::spawn_local`](spawn_local) spawns
    /// onto, until the guard is dropped. The tasks still only run while the
    /// set is driven.
    ///
    /// ```
    /// use weave::task::{self, LocalSet};
    ///
    /// let rt = weave::runtime::Builder::new_current_thread().build().unwrap();
    /// let local = LocalSet::new();
    /// let handle = {
    ///     let _guard = local.enter();
    ///     task::spawn_local(async { "hi" })
    /// };
    /// assert_eq!(local.block_on(&rt, handle).unwrap(), "hi");
    /// ```
    pub fn enter(&self) -> LocalEnterGuard {
        LocalEnterGuard {
            _enter: SetCurrent::enter(&self.context, false),
        }
    }

    /// Spawns a `!Send` future onto this set and returns a handle to await
    /// its output. It starts running the next time the set is driven.
    ///
    /// ```
    /// use std::{cell::RefCell, rc::Rc};
    /// use weave::task::LocalSet;
    ///
    /// let rt = weave::runtime::Builder::new_current_thread().build().unwrap();
    /// let local = LocalSet::new();
    /// let log = Rc::new(RefCell::new(Vec::new()));
    /// let l = log.clone();
    /// local.spawn_local(async move { l.borrow_mut().push("ran") });
    /// rt.block_on(local); // runs until every task is done
    /// assert_eq!(*log.borrow(), ["ran"]);
    /// ```
    #[track_caller]
    pub fn spawn_local<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        self.context.spawn(future, ())
    }

    /// Spawns onto this set with an optional name (for `task::Builder` and
    /// `JoinSet`).
    #[track_caller]
    pub(crate) fn spawn_named<F>(&self, future: F, name: Option<&str>) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        match name {
            Some(name) => self.context.spawn(future, Box::<str>::from(name)),
            None => self.context.spawn(future, ()),
        }
    }

    /// Runs `future` to completion on `rt`, running this set's tasks while
    /// it is pending: the same as `rt.block_on(self.run_until(future))`.
    ///
    /// # Panics
    ///
    /// Like [`Runtime::block_on`], when called from inside a runtime.
    ///
    /// ```
    /// use std::rc::Rc;
    /// use weave::task::{self, LocalSet};
    ///
    /// let rt = weave::runtime::Runtime::new().unwrap(); // multi-thread
    /// let local = LocalSet::new();
    /// let n = Rc::new(3);
    /// let out = local.block_on(&rt, async move {
    ///     task::spawn_local(async move { *n + 1 }).await.unwrap()
    /// });
    /// assert_eq!(out, 4);
    /// ```
    #[track_caller]
    pub fn block_on<F: Future>(&self, rt: &Runtime, future: F) -> F::Output {
        rt.block_on(self.run_until(future))
    }

    /// Drives `future` to completion, running this set's tasks while it is
    /// pending; `future` itself need not be `Send`, and
    /// [`task::spawn_local`](spawn_local) inside it spawns onto this set.
    ///
    /// Tasks that have not finished when `future` completes stay in the set
    /// and run the next time it is driven (or are cancelled when it is
    /// dropped).
    ///
    /// ```
    /// use std::rc::Rc;
    /// use weave::task::{self, LocalSet};
    ///
    /// # let rt = weave::runtime::Builder::new_current_thread().build().unwrap();
    /// # rt.block_on(async {
    /// // Inside any weave runtime:
    /// let local = LocalSet::new();
    /// let out = local
    ///     .run_until(async {
    ///         let name = Rc::new(String::from("local"));
    ///         task::spawn_local(async move { name.len() }).await.unwrap()
    ///     })
    ///     .await;
    /// assert_eq!(out, 5);
    /// # });
    /// ```
    pub async fn run_until<F: Future>(&self, future: F) -> F::Output {
        RunUntil {
            set: self,
            future: std::pin::pin!(future),
        }
        .await
    }
}

/// The future behind [`LocalSet::run_until`].
struct RunUntil<'a, F: Future> {
    set: &'a LocalSet,
    future: Pin<&'a mut F>,
}

impl<F: Future> Future for RunUntil<'_, F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<F::Output> {
        let context = self.set.context.clone();
        // Register first: a remote wake after this point wakes us.
        context.shared.register(cx.waker());
        {
            // `spawn_local` in the future spawns onto this set; its local
            // wakes are picked up by the tick below.
            let _enter = SetCurrent::enter(&context, true);
            if let Poll::Ready(out) = self.future.as_mut().poll(cx) {
                return Poll::Ready(out);
            }
        }
        if context.tick() {
            // Out of turns with work left: come back after the others.
            cx.waker().wake_by_ref();
        }
        Poll::Pending
    }
}

/// Completes once every task in the set has completed, running them while
/// it is pending.
///
/// ```
/// use std::{cell::Cell, rc::Rc};
/// use weave::task::{self, LocalSet};
///
/// let rt = weave::runtime::Builder::new_current_thread().build().unwrap();
/// let local = LocalSet::new();
/// let count = Rc::new(Cell::new(0));
/// for _ in 0..3 {
///     let c = count.clone();
///     local.spawn_local(async move {
///         task::yield_now().await;
///         c.set(c.get() + 1);
///     });
/// }
/// rt.block_on(local);
/// assert_eq!(count.get(), 3);
/// ```
impl Future for LocalSet {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<()> {
        let context = &self.context;
        context.shared.register(cx.waker());
        if context.tick() {
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        if context.shared.owned.is_empty() {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

impl Default for LocalSet {
    fn default() -> LocalSet {
        LocalSet::new()
    }
}

impl fmt::Debug for LocalSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalSet")
            .field("tasks", &self.context.shared.owned.len())
            .finish()
    }
}

impl Drop for LocalSet {
    fn drop(&mut self) {
        let cx = &self.context;
        // Entered (as polling: no self-wake) so that wakes from the dropped
        // futures stay local and `spawn_local` from a destructor reaches
        // this (closed) set.
        let _enter = SetCurrent::enter(cx, true);
        // Cancel every live task here, on the owning thread.
        cx.shared.owned.close_and_shutdown_all(0);
        // What is left in the queues are notifications of completed tasks.
        // Drop them outside the borrow and the lock (the last reference may
        // drop a join waker, which is user code).
        cx.closed.set(true);
        let local = std::mem::take(&mut *cx.queue.borrow_mut());
        drop(local);
        let (remote, waker) = {
            let mut remote = cx.shared.remote.lock();
            (remote.queue.take(), remote.waker.take())
        };
        drop(remote);
        drop(waker);
    }
}

impl Context {
    #[track_caller]
    fn spawn<F, N>(self: &Rc<Context>, future: F, name: N) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
        N: TaskName,
    {
        // Enter the set for the spawn, so the first schedule is a local
        // push; unless it is already entered (a task spawning a task).
        let entered = with_current(|cur| cur.is_some_and(|e| Rc::ptr_eq(&e.cx, self)));
        let _enter = (!entered).then(|| SetCurrent::enter(self, false));
        // SAFETY: this thread owns the set (`Context` is only reachable
        // through `Rc`s, which never leave it). Its tasks are only run by
        // `Context::tick` on this thread, and `LocalSet::drop` shuts the list
        // down on this thread (see the module's invariants).
        unsafe {
            self.shared.owned.spawn_local(
                future,
                &self.shared,
                name,
                task::Id::next(),
                std::panic::Location::caller(),
            )
        }
    }

    /// Runs up to [`MAX_TASKS_PER_TICK`] ready tasks. Returns true if ready
    /// tasks remain.
    fn tick(self: &Rc<Context>) -> bool {
        let _enter = SetCurrent::enter(self, true);
        for _ in 0..MAX_TASKS_PER_TICK {
            match self.next_task() {
                Some(task) => coop::with_budget(coop::Budget::initial(), || task.run()),
                None => return false,
            }
        }
        !self.queue.borrow().is_empty() || self.shared.has_remote()
    }

    fn next_task(&self) -> Option<LocalTask> {
        let tick = self.tick.get().wrapping_add(1);
        self.tick.set(tick);
        if tick % REMOTE_INTERVAL == 0 {
            self.pull_remote();
        }
        let task = self.queue.borrow_mut().pop_front();
        if task.is_some() {
            return task;
        }
        self.pull_remote();
        self.queue.borrow_mut().pop_front()
    }

    /// Moves the remote queue behind the local one (one lock for a batch).
    fn pull_remote(&self) {
        let mut remote = self.shared.remote.lock();
        if let Some(q) = remote.queue.as_mut().filter(|q| !q.is_empty()) {
            self.queue.borrow_mut().extend(q.drain(..));
        }
    }
}

impl Shared {
    /// Records the waker of the set's poller.
    fn register(&self, waker: &Waker) {
        if self
            .remote
            .lock()
            .waker
            .as_ref()
            .is_some_and(|w| w.will_wake(waker))
        {
            return;
        }
        // Clone and drop wakers outside the lock (they are user code).
        let new = waker.clone();
        let old = self.remote.lock().waker.replace(new);
        drop(old);
    }

    fn has_remote(&self) -> bool {
        self.remote
            .lock()
            .queue
            .as_ref()
            .is_some_and(|q| !q.is_empty())
    }

    /// Wakes whoever polls the set.
    fn wake_poller(&self) {
        let waker = self.remote.lock().waker.take();
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    fn schedule_remote(&self, task: LocalTask) {
        let (rejected, waker) = {
            let mut remote = self.remote.lock();
            match remote.queue.as_mut() {
                Some(q) => {
                    q.push_back(task);
                    (None, remote.waker.take())
                }
                None => (Some(task), None),
            }
        };
        // The set is gone: its tasks are complete, the notification is moot.
        drop(rejected);
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

impl Schedule for Arc<Shared> {
    fn schedule(&self, task: LocalTask) {
        let mut task = Some(task);
        let wake = with_current(|cur| {
            let cur = cur.filter(|e| Arc::ptr_eq(&e.cx.shared, self))?;
            if cur.cx.closed.get() {
                return Some(false);
            }
            cur.cx
                .queue
                .borrow_mut()
                .push_back(task.take().expect("pushed once"));
            Some(!cur.polling)
        });
        match wake {
            // Local push; wake the poller if the set is entered but not
            // being polled.
            Some(true) => self.wake_poller(),
            Some(false) => drop(task),
            // Another thread, or this one with the set not entered.
            None => self.schedule_remote(task.take().expect("not pushed")),
        }
    }

    fn release(&self, task: &task::Task<Self>) -> Option<task::Task<Self>> {
        self.owned.remove(task)
    }
}

/// The guard returned by [`LocalSet::enter`]: while it lives,
/// [`task::spawn_local`](spawn_local) spawns onto that set.
///
/// Guards must be dropped in the reverse order they were created.
pub struct LocalEnterGuard {
    _enter: SetCurrent,
}

impl fmt::Debug for LocalEnterGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalEnterGuard").finish_non_exhaustive()
    }
}

/// Spawns a `!Send` future onto the [`LocalSet`] that is running on this
/// thread, and returns a handle to await its output.
///
/// The set is the one being driven (inside [`LocalSet::run_until`],
/// [`LocalSet::block_on`], the set's own future, or one of its tasks) or
/// entered with [`LocalSet::enter`].
///
/// ```
/// use std::rc::Rc;
/// use weave::task::{self, LocalSet};
///
/// let rt = weave::runtime::Builder::new_current_thread().build().unwrap();
/// LocalSet::new().block_on(&rt, async {
///     let data = Rc::new(vec![1, 2, 3]);
///     let d = data.clone();
///     let sum = task::spawn_local(async move { d.iter().sum::<i32>() })
///         .await
///         .unwrap();
///     assert_eq!(sum, 6);
/// });
/// ```
///
/// # Panics
///
/// Outside a `LocalSet`.
#[track_caller]
pub fn spawn_local<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    spawn_local_named(future, None)
}

/// [`spawn_local`] with an optional name (for `task::Builder` and `JoinSet`).
#[track_caller]
pub(crate) fn spawn_local_named<F>(future: F, name: Option<&str>) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    let Some(cx) = with_current(|cur| cur.map(|e| e.cx.clone())) else {
        panic!(
            "`spawn_local` called outside a `LocalSet`: a `!Send` task needs a `LocalSet` \
             running on this thread to run it. Spawn it from inside `LocalSet::run_until`, \
             `LocalSet::block_on` or a task of the set, call `local_set.spawn_local(..)`, or \
             hold the guard of `LocalSet::enter()`"
        );
    };
    match name {
        Some(name) => cx.spawn(future, Box::<str>::from(name)),
        None => cx.spawn(future, ()),
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn named_local_tasks() {
        let rt = crate::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let local = LocalSet::new();
        let early = local.spawn_named(async { crate::task::name() }, Some("early"));
        assert_eq!(early.name(), Some("early"));
        let (late_name, inner) = local.block_on(&rt, async {
            let h = spawn_local_named(
                async { (crate::task::name(), crate::task::id()) },
                Some("local-7"),
            );
            let name = h.name().map(String::from);
            let id = h.id();
            let (inner_name, inner_id) = h.await.unwrap();
            assert_eq!(inner_id, id);
            (name, inner_name)
        });
        assert_eq!(late_name.as_deref(), Some("local-7"));
        assert_eq!(inner.as_deref(), Some("local-7"));
        let unnamed = local.block_on(&rt, local.spawn_named(async { crate::task::name() }, None));
        assert_eq!(unnamed.unwrap(), None);
        assert_eq!(
            rt.block_on(early).unwrap().as_deref(),
            Some("early"),
            "ran (in the first block_on) with its name"
        );
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use crate::loom::sync::atomic::{AtomicBool, Ordering::SeqCst};

    /// Pending until `flag` is set; publishes its waker before checking.
    fn wait_flag(
        flag: Arc<AtomicBool>,
        slot: Arc<Mutex<Option<Waker>>>,
        keep: Arc<()>,
    ) -> impl Future<Output = ()> {
        std::future::poll_fn(move |cx| {
            let _ = &keep;
            *slot.lock() = Some(cx.waker().clone());
            if flag.load(SeqCst) {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        })
    }

    /// A wake from another thread reaches the set (remote queue + the set's
    /// waker) whatever the interleaving; nothing leaks.
    #[test]
    fn loom_localset_remote_wake() {
        loom::model(|| {
            let mut local = LocalSet::new();
            let flag = Arc::new(AtomicBool::new(false));
            let slot = Arc::new(Mutex::new(None::<Waker>));
            let keep = Arc::new(());
            let join = local.spawn_local(wait_flag(flag.clone(), slot.clone(), keep.clone()));
            let t = loom::thread::spawn(move || {
                flag.store(true, SeqCst);
                let waker = slot.lock().take();
                if let Some(w) = waker {
                    w.wake();
                }
            });
            loom::future::block_on(&mut local);
            assert!(join.is_finished());
            t.join().unwrap();
            drop(join);
            drop(local);
            assert_eq!(Arc::strong_count(&keep), 1);
        });
    }

    /// `abort` from another thread: the cancellation is carried out on the
    /// owning thread when the set runs.
    #[test]
    fn loom_localset_remote_abort() {
        loom::model(|| {
            let mut local = LocalSet::new();
            let keep = Arc::new(());
            let k = keep.clone();
            let join = local.spawn_local(async move {
                let _k = k;
                std::future::pending::<()>().await
            });
            let abort = join.abort_handle();
            let t = loom::thread::spawn(move || abort.abort());
            // Races the abort: the set completes once the task is cancelled.
            loom::future::block_on(&mut local);
            t.join().unwrap();
            assert_eq!(Arc::strong_count(&keep), 1);
            let res = loom::future::block_on(join);
            assert!(res.unwrap_err().is_cancelled());
        });
    }

    /// The same task woken at once from the owning thread (by a sibling
    /// task: local queue) and from another thread (remote queue): it is
    /// queued at most once at a time, runs to completion, nothing leaks.
    #[test]
    fn loom_localset_local_and_remote_wake() {
        loom::model(|| {
            let mut local = LocalSet::new();
            let flag = Arc::new(AtomicBool::new(false));
            let slot = Arc::new(Mutex::new(None::<Waker>));
            let keep = Arc::new(());
            let join = local.spawn_local(wait_flag(flag.clone(), slot.clone(), keep.clone()));
            let mut cx = TaskContext::from_waker(Waker::noop());
            assert!(Pin::new(&mut local).poll(&mut cx).is_pending());
            let remote = slot.lock().clone().expect("the task ran");
            let f = flag.clone();
            let t = loom::thread::spawn(move || {
                f.store(true, SeqCst);
                remote.wake();
            });
            local.spawn_local(async move {
                flag.store(true, SeqCst);
                let waker = slot.lock().take();
                if let Some(w) = waker {
                    w.wake();
                }
            });
            loom::future::block_on(&mut local);
            t.join().unwrap();
            assert!(join.is_finished());
            drop(join);
            drop(local);
            assert_eq!(Arc::strong_count(&keep), 1);
        });
    }

    /// A leftover waker used on another thread while the set is dropped:
    /// the task is cancelled on the owning thread and freed exactly once.
    #[test]
    fn loom_localset_drop_races_wake() {
        loom::model(|| {
            let mut local = LocalSet::new();
            let flag = Arc::new(AtomicBool::new(false));
            let slot = Arc::new(Mutex::new(None::<Waker>));
            let keep = Arc::new(());
            let join = local.spawn_local(wait_flag(flag.clone(), slot.clone(), keep.clone()));
            // One poll: the task runs once and parks its waker.
            let mut cx = TaskContext::from_waker(Waker::noop());
            assert!(Pin::new(&mut local).poll(&mut cx).is_pending());
            let waker = slot.lock().take().expect("the task ran");
            let t = loom::thread::spawn(move || {
                flag.store(true, SeqCst);
                waker.wake();
            });
            drop(local);
            t.join().unwrap();
            assert_eq!(Arc::strong_count(&keep), 1);
            let res = loom::future::block_on(join);
            assert!(res.unwrap_err().is_cancelled());
        });
    }
}
