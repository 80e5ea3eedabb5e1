//! The worker pool of a build: items handed out to threads in order, results handed back to
//! the calling thread as they arrive (where journals are written, by one writer). Package
//! downloads ([`corpus`](super::corpus)) and the build's stages
//! ([`pipeline`](super::pipeline)) both run on it.

use std::sync::atomic::{AtomicUsize, Ordering};

/// Runs `work` on every item with `threads` workers; `done(index, result)` is called on the calling
/// thread as results arrive (journals are written there, by one writer). The first error of
/// `done` stops handing out work and is returned.
pub(crate) fn parallel<T: Sync, R: Send, E>(
    items: &[T],
    threads: usize,
    work: impl Fn(&T) -> R + Sync,
    mut done: impl FnMut(usize, R) -> Result<(), E>,
) -> Result<(), E> {
    let next = AtomicUsize::new(0);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::scope(|s| {
        for _ in 0..threads.max(1).min(items.len().max(1)) {
            let tx = tx.clone();
            let (next, work) = (&next, &work);
            s.spawn(move || {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= items.len() || tx.send((i, work(&items[i]))).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        let mut result = Ok(());
        for (i, r) in rx {
            if result.is_ok() {
                result = done(i, r);
            }
            if result.is_err() {
                // Stop handing out work; the workers finish the item they hold.
                next.store(items.len(), Ordering::Relaxed);
            }
        }
        result
    })
}
