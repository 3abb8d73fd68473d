//! Per-host slots: at most `--per-host` requests in flight to one host.
//!
//! A slot is held from the moment a request to the host is sent until its
//! body has been read (parsing does not hold it). The dispatcher asks with
//! [`Hosts::try_acquire`] so that it never waits on a busy host while other
//! hosts have room (a redirect to another host goes back to the dispatcher
//! and asks the same way). When a slot is given back, the host's name is sent on
//! the `freed` channel so the dispatcher can start that host's next URL.
//!
//! Hosts are keyed by name, not by port: politeness is owed to the machine.
//! A host's entry is dropped as soon as nobody holds or waits for a slot, so
//! the map stays as small as the set of hosts being worked on.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};

/// The shared table of per-host semaphores.
pub struct Hosts {
    per_host: usize,
    /// `[[site]]` rules, whose `per-host` wins for the hosts they cover.
    sites: Arc<crate::sites::Sites>,
    /// Each host's semaphore and its number of slots.
    table: Mutex<HashMap<Arc<str>, Entry>>,
    freed: mpsc::UnboundedSender<Arc<str>>,
}

/// A host's semaphore and its number of slots.
type Entry = (Arc<Semaphore>, usize);

/// A held slot for one host; dropping it frees the slot.
pub struct HostSlot {
    hosts: Arc<Hosts>,
    host: Arc<str>,
    permit: Option<OwnedSemaphorePermit>,
}

impl Hosts {
    /// Makes the table; freed host names arrive on the returned receiver.
    ///
    /// The channel is unbounded but holds at most one message per slot
    /// given back, and the dispatcher drains it promptly.
    pub fn new(
        per_host: usize,
        sites: Arc<crate::sites::Sites>,
    ) -> (Arc<Hosts>, mpsc::UnboundedReceiver<Arc<str>>) {
        let (freed, rx) = mpsc::unbounded_channel();
        let hosts = Hosts {
            per_host,
            sites,
            table: Mutex::new(HashMap::new()),
            freed,
        };
        (Arc::new(hosts), rx)
    }

    fn semaphore(&self, host: &str) -> (Arc<str>, Arc<Semaphore>) {
        let mut table = self.table.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((k, v)) = table.get_key_value(host) {
            return (k.clone(), v.0.clone());
        }
        let key: Arc<str> = Arc::from(host);
        let slots = self.sites.per_host(host).unwrap_or(self.per_host);
        let sem = Arc::new(Semaphore::new(slots));
        table.insert(key.clone(), (sem.clone(), slots));
        (key, sem)
    }

    /// Takes a slot for `host` if one is free now.
    pub fn try_acquire(self: &Arc<Self>, host: &str) -> Option<HostSlot> {
        let (host, sem) = self.semaphore(host);
        let permit = sem.try_acquire_owned().ok();
        match permit {
            Some(p) => Some(HostSlot {
                hosts: self.clone(),
                host,
                permit: Some(p),
            }),
            None => {
                self.forget_if_idle(&host);
                None
            }
        }
    }

    /// Tells whether `host` has a free slot, without taking it.
    pub fn has_room(&self, host: &str) -> bool {
        let table = self.table.lock().unwrap_or_else(PoisonError::into_inner);
        table.get(host).is_none_or(|s| s.0.available_permits() > 0)
    }

    /// Drops the host's entry when no slot is held and nobody waits for one.
    fn forget_if_idle(&self, host: &str) {
        let mut table = self.table.lock().unwrap_or_else(PoisonError::into_inner);
        // Every clone of the semaphore is taken under this lock, so a count
        // of one (the table's own) means nobody holds or awaits it.
        if table
            .get(host)
            .is_some_and(|(s, slots)| Arc::strong_count(s) == 1 && s.available_permits() == *slots)
        {
            table.remove(host);
        }
    }

    /// How many hosts have an entry (for tests of the clean-up).
    #[cfg(test)]
    fn tracked(&self) -> usize {
        self.table
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

impl HostSlot {
    /// The host this slot is for.
    pub fn host(&self) -> &str {
        &self.host
    }
}

impl Drop for HostSlot {
    fn drop(&mut self) {
        // The permit holds a clone of the semaphore: release both first.
        drop(self.permit.take());
        self.hosts.forget_if_idle(&self.host);
        // The dispatcher may have stopped; then nobody needs to know.
        let _ = self.hosts.freed.send(self.host.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn slots_are_bounded_per_host_and_freed_on_drop() {
        let (hosts, mut freed) = Hosts::new(2, Arc::default());
        let a1 = hosts.try_acquire("a").unwrap();
        let _a2 = hosts.try_acquire("a").unwrap();
        assert!(hosts.try_acquire("a").is_none());
        assert!(!hosts.has_room("a"));
        let b = hosts.try_acquire("b").unwrap();
        assert!(hosts.has_room("c"));
        drop(a1);
        assert_eq!(&*freed.recv().await.unwrap(), "a");
        assert!(hosts.has_room("a"));
        let _a3 = hosts.try_acquire("a").unwrap();
        drop(b);
        assert_eq!(&*freed.recv().await.unwrap(), "b");
        assert_eq!(hosts.tracked(), 1, "idle host b is forgotten");
    }
}
