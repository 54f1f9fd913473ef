//! Test doubles for SDK authors (feature `test-util`): a mockall mock of [`HttpClient`], a
//! replay transport, closure transports and policies, and a manual clock.

mod fn_client;
mod manual_time;
mod mock;
mod replay;

pub use fn_client::{FnHttpClient, FnPolicy};
pub use manual_time::ManualTime;
pub use mock::MockHttpClient;
pub use replay::ReplayTransport;
