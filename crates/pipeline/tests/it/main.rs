//! Integration tests for azkv-pipeline, in one binary.

mod bearer;
mod logging;
mod proxy;
mod retry;
mod support;
mod transport;
