//! Integration tests for azkv-pipeline, in one binary.

mod bearer;
mod logging;
mod retry;
mod support;
mod transport;
