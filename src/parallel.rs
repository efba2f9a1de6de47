//! Every core of the machine for the command line (native only): [`map_in_order`] runs
//! independent pieces of work on scoped threads and returns their results in the order of the
//! input, so what the caller assembles from them does not depend on the number of threads or on
//! which thread finished first.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// The default number of threads: every core the system grants this process (1 if it does not
/// say).
pub fn available_threads() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
}

/// `items.into_iter().map(work).collect()`, on up to `threads` threads: each thread takes the
/// next item not yet taken (so a slow item does not hold up a queue of its own), and the results
/// come back in the order of `items`. One thread (or one item) runs on the calling thread.
///
/// # Panics
/// If `work` panics on a thread, the panic is propagated (as `std::thread::scope` does).
pub fn map_in_order<T: Send, R: Send>(
    items: Vec<T>,
    threads: usize,
    work: impl Fn(T) -> R + Sync,
) -> Vec<R> {
    let count = items.len();
    if threads <= 1 || count <= 1 {
        return items.into_iter().map(work).collect();
    }
    let inputs: Vec<Mutex<Option<T>>> = items
        .into_iter()
        .map(|item| Mutex::new(Some(item)))
        .collect();
    let outputs: Vec<Mutex<Option<R>>> = (0..count).map(|_| Mutex::new(None)).collect();
    let next = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..threads.min(count) {
            scope.spawn(|| loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                let Some(slot) = inputs.get(index) else { break };
                let item = slot.lock().ok().and_then(|mut item| item.take());
                if let Some(item) = item {
                    let result = work(item);
                    if let Ok(mut output) = outputs[index].lock() {
                        *output = Some(result);
                    }
                }
            });
        }
    });
    outputs
        .into_iter()
        .filter_map(|output| output.into_inner().ok().flatten())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_back_in_input_order_whatever_the_thread_count() {
        let items: Vec<u64> = (0..101).collect();
        // Uneven work, so that threads finish out of order.
        let work =
            |n: u64| (0..(n % 7) * 20_000).fold(n, |acc, i| acc.wrapping_mul(31).wrapping_add(i));
        let one = map_in_order(items.clone(), 1, work);
        for threads in [2, 3, 8, 200] {
            assert_eq!(
                map_in_order(items.clone(), threads, work),
                one,
                "{threads} threads"
            );
        }
        assert!(map_in_order(Vec::<u64>::new(), 4, work).is_empty());
    }
}
