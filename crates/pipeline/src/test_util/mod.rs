//! Test doubles for SDK authors (feature `test-util`): a mockall mock of [`HttpClient`](crate::HttpClient), a
//! replay transport, closure transports and policies, a manual clock, and a race-free capture
//! of `tracing` output.

mod closed_port;
mod fn_client;
mod log_capture;
mod manual_time;
mod mock;
mod replay;

pub use closed_port::ClosedPort;
pub use fn_client::{FnHttpClient, FnPolicy};
pub use log_capture::LogCapture;
pub use manual_time::ManualTime;
pub use mock::MockHttpClient;
pub use replay::ReplayTransport;
