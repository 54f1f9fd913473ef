//! Keeps tokio's timer wheel from going empty between tries, so that arming a per-try timeout
//! does not wake the I/O driver.
//!
//! Tokio's time driver wakes the thread parked in the I/O driver (an `eventfd` write, then an
//! extra `epoll_wait` round) whenever a timer is registered with a deadline earlier than the
//! earliest one the driver was parked for, and always when no timer was pending at all. A
//! client issuing one request after another (concurrency 1) empties the wheel when each try's
//! timeout is dropped, so every try paid for that wake-up: about one extra `eventfd` write and
//! one extra `epoll_wait` per operation, measured with `strace -c` against a bare server.
//!
//! The fix leaves the per-try timeout as it is (`tokio::time::timeout`, the same semantics on
//! the paused test clock) and keeps one *anchor* timer registered per thread, [`LEAD`] ahead: a
//! per-try deadline further away than that is later than the anchor, so registering it never
//! wakes the driver. The anchor is never polled and has no waker; when it fires (at most once
//! per [`LEAD`] per busy thread, never on an idle one) the driver only drops it, and the next
//! try on that thread arms a new one on its current runtime, so an anchor of a runtime that
//! has shut down is replaced rather than used.

use std::cell::RefCell;
use std::pin::Pin;
use std::time::Duration;

use tokio::time::{Instant, Sleep};

/// How far ahead the anchor is set; per-try limits at or under it are left alone.
pub(crate) const LEAD: Duration = Duration::from_secs(1);

thread_local! {
    static ANCHOR: RefCell<Option<Pin<Box<Sleep>>>> = const { RefCell::new(None) };
}

/// Makes sure this thread has a pending anchor timer before a try registers a timeout of
/// `limit`. Must be called inside a tokio runtime with time enabled (as the timeout itself).
pub(crate) fn ensure(limit: Duration) {
    if limit <= LEAD {
        return;
    }
    // `try_with`: during thread teardown the slot may be gone; then there is nothing to keep.
    let _ = ANCHOR.try_with(|slot| {
        let Ok(mut slot) = slot.try_borrow_mut() else { return };
        if slot.as_ref().is_some_and(|anchor| !anchor.is_elapsed()) {
            return;
        }
        let deadline = Instant::now() + LEAD;
        let mut anchor = Box::pin(tokio::time::sleep_until(deadline));
        // `reset` registers the timer without polling it: no waker, nothing woken when it fires.
        anchor.as_mut().reset(deadline);
        *slot = Some(anchor);
    });
}

/// Whether this thread holds a pending anchor.
#[cfg(test)]
fn pending() -> bool {
    ANCHOR.with(|slot| slot.borrow().as_ref().is_some_and(|anchor| !anchor.is_elapsed()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "current_thread", start_paused = true)]
    async fn an_anchor_is_armed_for_long_limits_and_rearmed_after_it_fires() {
        ensure(LEAD);
        assert!(!pending(), "a limit at or under the lead needs no anchor");
        ensure(Duration::from_secs(30));
        assert!(pending());
        tokio::time::sleep(LEAD * 2).await;
        assert!(!pending(), "the anchor has fired");
        ensure(Duration::from_secs(30));
        assert!(pending(), "the next try arms a new one");
    }

    #[test]
    fn an_anchor_of_a_runtime_that_shut_down_is_replaced() {
        let runtime =
            || tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build().unwrap();
        runtime().block_on(async { ensure(Duration::from_secs(30)) });
        // The first runtime is gone; its anchor was fired with a shutdown error, and the next
        // runtime on this thread gets an anchor of its own (and never polls the old one).
        runtime().block_on(async {
            assert!(!pending());
            ensure(Duration::from_secs(30));
            assert!(pending());
            tokio::time::sleep(Duration::from_secs(2)).await;
        });
    }
}
