//! Lists whose memory stays with their thread from one page to the next.
//!
//! A page's reader builds lists of a few thousand entries (the nodes, the
//! open elements); grown from nothing on every page they cost a string of
//! reallocations, copies and, in glibc, a consolidation of the small free
//! chunks at each large request. A parsing thread reads one page at a time,
//! so each list is handed back to a per-thread slot when the page is done
//! and taken again, emptied, by the next. A list that grew past
//! [`KEEP_AT_MOST`] entries (a huge page) is freed instead, so what a
//! thread keeps stays small.

use std::cell::Cell;
use std::ops::{Deref, DerefMut};
use std::thread::LocalKey;

/// The most entries a kept list may have room for.
pub(super) const KEEP_AT_MOST: usize = 1 << 14;

/// The per-thread slot of one kind of list.
pub(super) type Slot<T> = LocalKey<Cell<Vec<T>>>;

/// A list taken from its thread's slot; it goes back, emptied, when
/// dropped.
pub(super) struct Reused<T: 'static> {
    list: Vec<T>,
    slot: &'static Slot<T>,
}

impl<T: 'static> Reused<T> {
    /// The slot's list, empty (a new one if the slot is empty or the
    /// thread is ending).
    pub(super) fn take(slot: &'static Slot<T>) -> Reused<T> {
        let mut list = slot.try_with(Cell::take).unwrap_or_default();
        list.clear();
        Reused { list, slot }
    }
}

impl<T: 'static> Drop for Reused<T> {
    fn drop(&mut self) {
        if self.list.capacity() <= KEEP_AT_MOST {
            let mut list = std::mem::take(&mut self.list);
            list.clear();
            // A thread that is ending has no slot left: the list is freed.
            let _ = self.slot.try_with(|s| s.set(list));
        }
    }
}

impl<T> Deref for Reused<T> {
    type Target = Vec<T>;
    fn deref(&self) -> &Vec<T> {
        &self.list
    }
}

impl<T> DerefMut for Reused<T> {
    fn deref_mut(&mut self) -> &mut Vec<T> {
        &mut self.list
    }
}

impl<'a, T> IntoIterator for &'a Reused<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.list.iter()
    }
}

impl<'a, T> IntoIterator for &'a mut Reused<T> {
    type Item = &'a mut T;
    type IntoIter = std::slice::IterMut<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.list.iter_mut()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    thread_local! {
        static NUMBERS: Cell<Vec<u64>> = const { Cell::new(Vec::new()) };
    }

    #[test]
    fn a_list_comes_back_empty_with_its_memory_and_a_huge_one_is_freed() {
        let mut a = Reused::take(&NUMBERS);
        a.extend(0..1000);
        let (ptr, cap) = (a.as_ptr(), a.capacity());
        drop(a);
        let b = Reused::take(&NUMBERS);
        assert!(b.is_empty());
        assert_eq!((b.as_ptr(), b.capacity()), (ptr, cap));
        drop(b);
        let mut huge = Reused::take(&NUMBERS);
        huge.extend(0..KEEP_AT_MOST as u64 + 1);
        drop(huge);
        assert_eq!(Reused::take(&NUMBERS).capacity(), 0);
    }
}
