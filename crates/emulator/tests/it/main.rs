//! Integration tests of the emulator over real HTTP(S) on loopback, driven by a plain reqwest client (not the SDK).

mod auth;
mod backup;
mod cli;
mod common;
mod concurrency;
mod controls;
mod deleted;
mod durability;
mod entra;
mod errors;
mod files;
mod fuzz;
mod fuzz_controls;
mod limits;
mod paging;
mod secrets;
mod tls;
mod transport;
