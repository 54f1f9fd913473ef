//! Integration tests for azkv-secrets against wiremock on 127.0.0.1.

mod blocking;
mod canary;
mod challenge;
mod e2e;
mod errors;
mod failfast;
mod faults;
mod faults_emulated;
mod operations;
mod paging;
mod pollers;
mod props;
mod security;
mod support;
