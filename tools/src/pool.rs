//! The worker pool: a fixed number of threads take jobs from one queue in order; after a
//! failure (with fail-fast) or Ctrl-C no new job starts. Events come back to the caller's
//! thread as they happen.

use crate::process;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, mpsc};

/// What the pool reports.
pub enum Event<R> {
    /// A job started; its label.
    Started(String),
    /// A job ended.
    Finished(R),
}

/// How the pool runs its jobs.
pub struct Pool {
    pub workers: usize,
    /// Start no new job after one whose result `failed` says failed.
    pub fail_fast: bool,
}

impl Pool {
    /// Runs `jobs` with `work`, giving every event to `on_event` on this thread. Returns when
    /// every started job has ended; jobs never started are dropped.
    pub fn run<J, R>(
        &self,
        jobs: Vec<J>,
        label: impl Fn(&J) -> String + Sync,
        work: impl Fn(J) -> R + Sync,
        failed: impl Fn(&R) -> bool + Sync,
        mut on_event: impl FnMut(Event<R>),
    ) where
        J: Send,
        R: Send,
    {
        let queue = Mutex::new(jobs.into_iter().collect::<VecDeque<J>>());
        let stop = AtomicBool::new(false);
        let (tx, rx) = mpsc::channel::<Event<R>>();
        std::thread::scope(|scope| {
            for _ in 0..self.workers.max(1) {
                let tx = tx.clone();
                let (queue, stop, label, work, failed) = (&queue, &stop, &label, &work, &failed);
                scope.spawn(move || {
                    while !stop.load(Ordering::SeqCst) && !process::interrupted() {
                        let Some(job) = queue.lock().ok().and_then(|mut q| q.pop_front()) else {
                            break;
                        };
                        let _ = tx.send(Event::Started(label(&job)));
                        let r = work(job);
                        if self.fail_fast && failed(&r) {
                            stop.store(true, Ordering::SeqCst);
                        }
                        let _ = tx.send(Event::Finished(r));
                    }
                });
            }
            drop(tx);
            for event in rx {
                on_event(event);
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_every_job_or_stops_after_a_failure() {
        let pool = Pool {
            workers: 3,
            fail_fast: false,
        };
        let mut done = Vec::new();
        let mut started = 0;
        pool.run(
            (0..10).collect(),
            |j| j.to_string(),
            |j: i32| j * 2,
            |r| *r == 4,
            |e| match e {
                Event::Started(_) => started += 1,
                Event::Finished(r) => done.push(r),
            },
        );
        done.sort();
        assert_eq!(done, (0..10).map(|j| j * 2).collect::<Vec<_>>());
        assert_eq!(started, 10);
        let pool = Pool {
            workers: 1,
            fail_fast: true,
        };
        let mut done = Vec::new();
        pool.run(
            (0..10).collect(),
            |j| j.to_string(),
            |j: i32| j,
            |r| *r == 2,
            |e| {
                if let Event::Finished(r) = e {
                    done.push(r)
                }
            },
        );
        assert_eq!(done, [0, 1, 2]);
    }
}
