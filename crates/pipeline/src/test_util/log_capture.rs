//! Capturing `tracing` output in tests, without the races of per-test subscribers.
//!
//! `tracing` caches, per call site and process-wide, whether any subscriber is interested.
//! When parallel tests each install a subscriber with `set_default`, that cache is computed
//! on whichever thread gets there first: a call site first reached by a test without a
//! subscriber is cached as "never", and the test that does capture sees nothing (an empty
//! capture, one run in a few). [`LogCapture`] avoids the cache's per-thread view altogether:
//! it installs one process-wide subscriber, once, that writes every event at every level to
//! the captures that are active, and it rebuilds the interest cache when a capture starts.

use std::cell::RefCell;
use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

type Buffer = Arc<Mutex<Vec<u8>>>;

thread_local! {
    /// The captures started on this thread, innermost last.
    static THIS_THREAD: RefCell<Vec<Buffer>> = const { RefCell::new(Vec::new()) };
}

/// Captures that take events from every thread.
static ALL_THREADS: Mutex<Vec<Buffer>> = Mutex::new(Vec::new());

/// Whether the process-wide subscriber could be installed (another global subscriber may
/// have been installed first).
static INSTALLED: OnceLock<bool> = OnceLock::new();

/// The `tracing` output of a test, as text, at `TRACE` and without colours.
///
/// [`LogCapture::start`] takes the events emitted on the current thread (use a
/// `current_thread` tokio runtime, so that the code under test runs there);
/// [`LogCapture::start_all_threads`] takes the events of every thread, for code that runs on
/// other runtimes (an in-process server, say). Capturing stops when the value is dropped.
///
/// The first capture in a process installs a process-wide `tracing` subscriber that stays for
/// the life of the process (it writes nothing while no capture is active); this is a test
/// utility, so that is its purpose, but a test binary that installs its own global subscriber
/// cannot use it.
///
/// ```
/// use azkv_pipeline::test_util::LogCapture;
///
/// let logs = LogCapture::start();
/// tracing::info!(answer = 42, "hello");
/// assert!(logs.contents().contains("answer=42"));
/// ```
#[derive(Debug)]
pub struct LogCapture {
    buffer: Buffer,
    all_threads: bool,
}

impl LogCapture {
    /// Captures the events emitted on this thread until the capture is dropped.
    ///
    /// # Panics
    /// If another process-wide `tracing` subscriber was installed before the first capture.
    pub fn start() -> Self {
        let capture = Self { buffer: Buffer::default(), all_threads: false };
        THIS_THREAD.with(|captures| captures.borrow_mut().push(capture.buffer.clone()));
        capture.activate();
        capture
    }

    /// Captures the events emitted on every thread until the capture is dropped.
    ///
    /// # Panics
    /// As [`LogCapture::start`].
    pub fn start_all_threads() -> Self {
        let capture = Self { buffer: Buffer::default(), all_threads: true };
        ALL_THREADS.lock().unwrap_or_else(|p| p.into_inner()).push(capture.buffer.clone());
        capture.activate();
        capture
    }

    fn activate(&self) {
        let installed = *INSTALLED.get_or_init(|| {
            let subscriber = tracing_subscriber::fmt()
                .with_max_level(tracing::Level::TRACE)
                .with_writer(|| CaptureWriter)
                .with_ansi(false)
                .finish();
            tracing::subscriber::set_global_default(subscriber).is_ok()
        });
        assert!(
            installed,
            "LogCapture needs to install the process-wide tracing subscriber, and another one was installed first"
        );
        // A call site registered while the subscriber was being installed may have cached
        // "never"; recompute every call site's interest now that the subscriber is in place.
        tracing::callsite::rebuild_interest_cache();
    }

    /// Everything captured so far.
    pub fn contents(&self) -> String {
        String::from_utf8_lossy(&self.buffer.lock().unwrap_or_else(|p| p.into_inner())).into_owned()
    }
}

impl Drop for LogCapture {
    fn drop(&mut self) {
        let mine = |b: &Buffer| Arc::ptr_eq(b, &self.buffer);
        if self.all_threads {
            ALL_THREADS.lock().unwrap_or_else(|p| p.into_inner()).retain(|b| !mine(b));
        } else {
            // On another thread (a capture moved there) this finds nothing to remove; the
            // starting thread's entry then goes when that thread ends.
            let _ = THIS_THREAD.try_with(|captures| captures.borrow_mut().retain(|b| !mine(b)));
        }
    }
}

/// Writes one formatted event to the active captures.
struct CaptureWriter;

impl Write for CaptureWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let _ = THIS_THREAD.try_with(|captures| {
            for capture in captures.borrow().iter() {
                capture.lock().unwrap_or_else(|p| p.into_inner()).extend_from_slice(buf);
            }
        });
        for capture in ALL_THREADS.lock().unwrap_or_else(|p| p.into_inner()).iter() {
            capture.lock().unwrap_or_else(|p| p.into_inner()).extend_from_slice(buf);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_capture_sees_its_own_thread_only() {
        let logs = LogCapture::start();
        tracing::warn!(marker = "mine", "here");
        std::thread::spawn(|| tracing::warn!(marker = "theirs", "there")).join().unwrap();
        let text = logs.contents();
        assert!(text.contains("marker=\"mine\""), "{text}");
        assert!(!text.contains("theirs"), "{text}");
        drop(logs);
        let after = LogCapture::start();
        assert!(!after.contents().contains("mine"));
    }

    #[test]
    fn an_all_threads_capture_sees_other_threads() {
        let logs = LogCapture::start_all_threads();
        std::thread::spawn(|| tracing::warn!(marker = "elsewhere-7f3", "there")).join().unwrap();
        assert!(logs.contents().contains("elsewhere-7f3"), "{}", logs.contents());
    }
}
