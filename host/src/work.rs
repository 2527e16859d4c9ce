//! CPU-heavy request work (the slot planner, the mentor assignment) runs
//! here: off the async workers, on at most `[work] slots` blocking threads
//! at once, each piece within `[work] deadline_ms`. The async workers stay
//! free for `/healthz`, every other request and shutdown, whatever a
//! request asks for.
//!
//! A piece of work gets a [`Deadline`] it checks in its loops and stops
//! early when it has passed; the caller stops waiting at the deadline
//! either way (504 `deadline_exceeded`), and the slot stays taken until the
//! work has actually stopped, so abandoned work still counts against
//! `slots`. A request that finds every slot taken for `queue_wait_ms`
//! gets 503 `busy`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;

use crate::config::WorkConfig;

/// Why work did not produce its answer.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WorkError {
    /// Every slot stayed taken for the queue wait.
    #[error(
        "{what}: the host is busy with other heavy requests ({slots} at once); try again shortly"
    )]
    Busy {
        /// The work refused.
        what: &'static str,
        /// The slots configured.
        slots: usize,
    },
    /// The work ran past its deadline and was stopped.
    #[error(
        "{what} ran past its deadline of {deadline_ms} ms and was stopped; ask for less at once"
    )]
    DeadlineExceeded {
        /// The work stopped.
        what: &'static str,
        /// The deadline.
        deadline_ms: u64,
    },
}

/// The point in time a piece of work must be done by.
#[derive(Clone, Copy, Debug)]
pub struct Deadline {
    at: Instant,
    ms: u64,
}

impl Deadline {
    /// A deadline `after` from now.
    pub fn after(after: Duration) -> Deadline {
        Deadline {
            at: Instant::now() + after,
            ms: u64::try_from(after.as_millis()).unwrap_or(u64::MAX),
        }
    }

    /// Whether it has passed: the work should stop.
    pub fn passed(&self) -> bool {
        Instant::now() >= self.at
    }

    /// The error for `what` stopping at this deadline.
    pub fn exceeded(&self, what: &'static str) -> WorkError {
        WorkError::DeadlineExceeded {
            what,
            deadline_ms: self.ms,
        }
    }
}

/// The pool of slots CPU-heavy work runs in.
#[derive(Clone, Debug)]
pub struct Work {
    slots: Arc<Semaphore>,
    config: WorkConfig,
}

impl Work {
    /// Slots and deadlines from `[work]`.
    pub fn new(config: &WorkConfig) -> Work {
        Work {
            slots: Arc::new(Semaphore::new(config.slots.max(1))),
            config: config.clone(),
        }
    }

    /// Run `f` on a blocking thread within the deadline. `f` gets the
    /// [`Deadline`] to check; what it returns is the answer, unless the
    /// deadline passes first or no slot frees up in time.
    pub async fn run<T, E>(
        &self,
        what: &'static str,
        f: impl FnOnce(Deadline) -> Result<T, E> + Send + 'static,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<WorkError> + Send + 'static,
    {
        let wait = Duration::from_millis(self.config.queue_wait_ms);
        let permit = match tokio::time::timeout(wait, self.slots.clone().acquire_owned()).await {
            Ok(Ok(permit)) => permit,
            Ok(Err(_)) | Err(_) => {
                return Err(WorkError::Busy {
                    what,
                    slots: self.config.slots,
                }
                .into());
            }
        };
        let deadline_ms = self.config.deadline_ms;
        let limit = Duration::from_millis(deadline_ms);
        let deadline = Deadline::after(limit);
        let task = tokio::task::spawn_blocking(move || {
            // Held until the work has really stopped.
            let _slot = permit;
            f(deadline)
        });
        let exceeded = || WorkError::DeadlineExceeded { what, deadline_ms }.into();
        // A little grace past the deadline for work that checks it and
        // returns on its own.
        match tokio::time::timeout(limit + Duration::from_millis(250), task).await {
            Ok(Ok(result)) if !deadline.passed() => result,
            Ok(Ok(result)) => result.map_err(|_| exceeded()),
            Ok(Err(join)) => std::panic::resume_unwind(join.into_panic()),
            Err(_) => Err(exceeded()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn work(slots: usize, deadline_ms: u64, queue_wait_ms: u64) -> Work {
        Work::new(&WorkConfig {
            slots,
            deadline_ms,
            queue_wait_ms,
        })
    }

    #[tokio::test]
    async fn work_that_checks_its_deadline_is_stopped_with_deadline_exceeded() {
        let w = work(1, 50, 1_000);
        let started = Instant::now();
        let r: Result<(), WorkError> = w
            .run("spin", |d| {
                while !d.passed() {
                    std::hint::spin_loop();
                }
                Err(d.exceeded("spin"))
            })
            .await;
        assert!(
            matches!(r, Err(WorkError::DeadlineExceeded { .. })),
            "{r:?}"
        );
        assert!(started.elapsed() < Duration::from_secs(2));
    }

    #[tokio::test]
    async fn work_that_ignores_its_deadline_is_abandoned_and_keeps_its_slot() {
        let w = work(1, 50, 100);
        let r: Result<(), WorkError> = w
            .run("sleep", |_| {
                std::thread::sleep(Duration::from_millis(1_000));
                Ok(())
            })
            .await;
        assert!(
            matches!(r, Err(WorkError::DeadlineExceeded { .. })),
            "{r:?}"
        );
        // The abandoned work still runs in the only slot: the next waits
        // its queue wait, then is refused.
        let r: Result<(), WorkError> = w.run("next", |_| Ok(())).await;
        assert!(matches!(r, Err(WorkError::Busy { .. })), "{r:?}");
        tokio::time::sleep(Duration::from_millis(1_200)).await;
        let r: Result<u8, WorkError> = w.run("after", |_| Ok(7)).await;
        assert_eq!(r, Ok(7));
    }

    #[tokio::test]
    async fn the_async_workers_stay_free_while_heavy_work_runs() {
        let w = work(2, 2_000, 1_000);
        let heavy = tokio::spawn({
            let w = w.clone();
            async move {
                w.run("busy", |d| -> Result<(), WorkError> {
                    let until = Instant::now() + Duration::from_millis(300);
                    while Instant::now() < until && !d.passed() {
                        std::hint::spin_loop();
                    }
                    Ok(())
                })
                .await
            }
        });
        // A current-thread runtime: this only runs if `run` yielded.
        let started = Instant::now();
        tokio::task::yield_now().await;
        assert!(started.elapsed() < Duration::from_millis(200));
        assert_eq!(heavy.await.unwrap(), Ok(()));
    }
}
