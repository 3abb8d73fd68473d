//! The parsing pool: a fixed set of threads, one per core, that parse and
//! extract pages, fed through a bounded queue.
//!
//! Parsing is CPU work that can take a second on a 20 MB page, so it never
//! runs on the reactor's threads. Dedicated threads rather than tokio's
//! blocking pool: that pool grows to hundreds of threads and hands jobs to
//! whichever is idle, so each thread's buffers kept for the next page (and,
//! under an allocator with an arena a thread, its freed DOMs) multiply with
//! the threads; a fixed pool keeps them to one set per core. The queue
//! holds sixteen jobs per thread, so that a thread that finishes a page
//! finds the next one waiting rather than going to sleep and being woken
//! for it (a quarter fewer context switches and 5 % less CPU a page in the
//! extraction benchmark than one job per thread). Every queued job is a fetch task holding its `--concurrency`
//! slot and its body, and one whose page cannot be queued waits, so pages
//! in memory stay within `-c` whatever the queue's length.

use std::panic::{AssertUnwindSafe, catch_unwind};
use tokio::sync::{mpsc, oneshot};

type Job = Box<dyn FnOnce() + Send>;

/// Jobs queued for each parsing thread.
const QUEUED_PER_THREAD: usize = 16;

/// A handle on the pool; the threads end when every handle is dropped and
/// the queue is empty.
#[derive(Clone)]
pub struct ParsePool {
    queue: mpsc::Sender<Job>,
}

/// The job panicked (a parser bug on one hostile page); the pool lives on.
#[derive(Debug)]
pub struct Panicked;

impl ParsePool {
    /// Starts `threads` parsing threads.
    ///
    /// # Errors
    /// The OS refused a thread.
    pub fn new(threads: usize) -> std::io::Result<ParsePool> {
        let threads = threads.max(1);
        let (queue, rx) = mpsc::channel::<Job>(threads * QUEUED_PER_THREAD);
        let rx = std::sync::Arc::new(std::sync::Mutex::new(rx));
        for i in 0..threads {
            let rx = rx.clone();
            std::thread::Builder::new()
                .name(format!("trawl-parse-{i}"))
                .spawn(move || {
                    loop {
                        // The lock is held only while taking a job.
                        let job = match rx.lock() {
                            Ok(mut rx) => rx.blocking_recv(),
                            Err(_) => None,
                        };
                        let Some(job) = job else { break };
                        // A panic drops the job's reply sender: its caller
                        // sees `Panicked`.
                        let _ = catch_unwind(AssertUnwindSafe(job));
                    }
                })?;
        }
        Ok(ParsePool { queue })
    }

    /// Runs `f` on a parsing thread once one is free, and returns its
    /// result.
    ///
    /// # Errors
    /// `f` panicked, or the pool is gone.
    pub async fn run<T, F>(&self, f: F) -> Result<T, Panicked>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = tx.send(f());
        });
        self.queue.send(job).await.map_err(|_| Panicked)?;
        rx.await.map_err(|_| Panicked)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn runs_jobs_and_survives_a_panic() {
        let pool = ParsePool::new(2).unwrap();
        assert_eq!(pool.run(|| 6 * 7).await.unwrap(), 42);
        assert!(
            pool.run(|| -> u32 { panic!("hostile page") })
                .await
                .is_err()
        );
        let name = pool
            .run(|| std::thread::current().name().map(str::to_owned))
            .await
            .unwrap();
        assert!(name.is_some_and(|n| n.starts_with("trawl-parse-")));
    }

    #[tokio::test]
    async fn at_most_one_job_per_thread_runs_at_once() {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicUsize, Ordering};
        let pool = ParsePool::new(2).unwrap();
        let now = Arc::new(AtomicUsize::new(0));
        let max = Arc::new(AtomicUsize::new(0));
        let mut jobs = Vec::new();
        for _ in 0..8 {
            let (pool, now, max) = (pool.clone(), now.clone(), max.clone());
            jobs.push(tokio::spawn(async move {
                pool.run(move || {
                    let n = now.fetch_add(1, Ordering::SeqCst) + 1;
                    max.fetch_max(n, Ordering::SeqCst);
                    std::thread::sleep(std::time::Duration::from_millis(20));
                    now.fetch_sub(1, Ordering::SeqCst);
                })
                .await
                .unwrap();
            }));
        }
        for j in jobs {
            j.await.unwrap();
        }
        assert_eq!(max.load(Ordering::SeqCst), 2);
    }
}
