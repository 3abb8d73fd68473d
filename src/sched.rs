//! Scheduling: trawl is a batch job, and tells Linux so.
//!
//! A run keeps four busy threads on two cores (the reactor's and the
//! parsing pool's). Under the default policy each network event that
//! wakes a reactor thread preempts a parsing thread at once: in the
//! extraction benchmark, 15,700 involuntary context switches for 5,000
//! pages, each with its cost in the kernel and in cold caches.
//! `SCHED_BATCH` is the policy Linux has for CPU-bound work that is not
//! interactive: a waking thread does not preempt the running one, which
//! runs out its slice (a few milliseconds at most). The same benchmark
//! then makes 1,900 switches and spends 0.75 CPU ms a page instead of
//! 0.82; a title-only run takes 0.50 s instead of 0.64. Other programs on
//! the machine are, if anything, favoured, and nothing trawl promises
//! hangs on a wakeup that waits a tick.
//!
//! It is set once, on the main thread, before any other thread starts:
//! threads inherit it (and so does a browser `--render` starts). A policy
//! the user chose (`chrt` to a realtime or idle class) is left alone; only
//! the default one is changed. `TRAWL_SCHED=normal` keeps the default, to
//! compare.

/// Switches the calling thread from the default policy to `SCHED_BATCH`
/// (same niceness); returns whether it did. Any failure leaves the default.
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
pub fn batch() -> bool {
    // SAFETY: both calls take plain values or a pointer to a `sched_param`
    // that lives across the call and is only read; pid 0 is this thread.
    unsafe {
        if libc::sched_getscheduler(0) != libc::SCHED_OTHER {
            return false;
        }
        let param = libc::sched_param { sched_priority: 0 };
        libc::sched_setscheduler(0, libc::SCHED_BATCH, &raw const param) == 0
    }
}

/// Other systems keep their default.
#[cfg(not(target_os = "linux"))]
pub fn batch() -> bool {
    false
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    #[test]
    fn a_thread_switched_to_batch_runs_under_it_and_its_children_inherit_it() {
        // A thread of its own, so that the test harness's stays as it was.
        std::thread::spawn(|| {
            assert!(super::batch(), "SCHED_OTHER -> SCHED_BATCH");
            let policy = || {
                #[allow(unsafe_code)]
                // SAFETY: no arguments but pid 0, this thread.
                unsafe {
                    libc::sched_getscheduler(0)
                }
            };
            assert_eq!(policy(), libc::SCHED_BATCH);
            // Not switched twice, and a child thread starts under it.
            assert!(!super::batch());
            let child = std::thread::spawn(policy).join().unwrap();
            assert_eq!(child, libc::SCHED_BATCH);
        })
        .join()
        .unwrap();
    }
}
