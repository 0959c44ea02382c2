use crate::runtime::task::JoinHandle;
use crate::runtime::{context, Handle};
use std::future::Future;
use std::io;
use std::panic::Location;

/// Spawns tasks with options, such as a name (asyncio's
/// `create_task(coro, name=...)`).
///
/// The name shows in [`JoinHandle::name`] and, inside the task, in
/// [`task::name`](crate::task::name). Unnamed tasks pay nothing for the
/// feature.
///
/// ```
/// # weave::runtime::Runtime::new().unwrap().block_on(async {
/// let handle = weave::task::Builder::new()
///     .name("fetch-42")
///     .spawn(async { 42 })
///     .unwrap();
/// assert_eq!(handle.name(), Some("fetch-42"));
/// assert_eq!(handle.await.unwrap(), 42);
/// # });
/// ```
#[derive(Debug, Default, Clone, Copy)]
pub struct Builder<'a> {
    name: Option<&'a str>,
}

impl<'a> Builder<'a> {
    /// A builder with no options set.
    pub fn new() -> Builder<'a> {
        Builder { name: None }
    }

    /// Names the task.
    pub fn name(&self, name: &'a str) -> Builder<'a> {
        Builder { name: Some(name) }
    }

    /// Spawns the task on the current runtime.
    ///
    /// # Panics
    ///
    /// Outside a runtime, like [`crate::spawn`].
    #[track_caller]
    pub fn spawn<F>(self, future: F) -> io::Result<JoinHandle<F::Output>>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        // The closure cannot forward `#[track_caller]`: take the location here.
        let location = Location::caller();
        context::with_current(|handle| match handle {
            Some(handle) => Ok(self.spawn_inner(handle, future, location)),
            None => panic!(
                "`Builder::spawn` called outside a runtime: {}",
                context::NO_RUNTIME
            ),
        })
    }

    /// Spawns the task on the runtime of `handle`.
    #[track_caller]
    pub fn spawn_on<F>(self, future: F, handle: &Handle) -> io::Result<JoinHandle<F::Output>>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        Ok(self.spawn_inner(&handle.inner, future, Location::caller()))
    }

    fn spawn_inner<F>(
        self,
        handle: &crate::runtime::scheduler::Handle,
        future: F,
        location: &'static Location<'static>,
    ) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        match self.name {
            Some(name) => handle.spawn_at(future, Box::<str>::from(name), location),
            None => handle.spawn_at(future, (), location),
        }
    }

    /// Spawns the `!Send` future on the current
    /// [`LocalSet`](crate::task::LocalSet).
    ///
    /// # Panics
    ///
    /// Outside a `LocalSet`, like [`spawn_local`](crate::task::spawn_local).
    #[track_caller]
    pub fn spawn_local<F>(self, future: F) -> io::Result<JoinHandle<F::Output>>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        Ok(super::local::spawn_local_named(future, self.name))
    }

    /// Spawns the `!Send` future on `local_set`.
    #[track_caller]
    pub fn spawn_local_on<F>(
        self,
        future: F,
        local_set: &super::LocalSet,
    ) -> io::Result<JoinHandle<F::Output>>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        Ok(local_set.spawn_named(future, self.name))
    }

    /// Runs `function` on the current runtime's blocking pool.
    ///
    /// Fails if the OS cannot start a thread for it (and the pool has none).
    #[track_caller]
    pub fn spawn_blocking<Function, Output>(
        self,
        function: Function,
    ) -> io::Result<JoinHandle<Output>>
    where
        Function: FnOnce() -> Output + Send + 'static,
        Output: Send + 'static,
    {
        match context::try_current() {
            Some(handle) => self.spawn_blocking_on(function, &Handle { inner: handle }),
            None => panic!(
                "`Builder::spawn_blocking` called outside a runtime: {}",
                context::NO_RUNTIME
            ),
        }
    }

    /// Runs `function` on the blocking pool of `handle`'s runtime.
    #[track_caller]
    pub fn spawn_blocking_on<Function, Output>(
        self,
        function: Function,
        handle: &Handle,
    ) -> io::Result<JoinHandle<Output>>
    where
        Function: FnOnce() -> Output + Send + 'static,
        Output: Send + 'static,
    {
        use crate::runtime::blocking::SpawnError;
        let res = match self.name {
            Some(name) => handle
                .inner
                .spawn_blocking(function, Box::<str>::from(name)),
            None => handle.inner.spawn_blocking(function, ()),
        };
        match res {
            Ok(join) => Ok(join),
            Err((join, SpawnError::ShuttingDown)) => Ok(join),
            Err((_, e)) => Err(e.into()),
        }
    }
}
