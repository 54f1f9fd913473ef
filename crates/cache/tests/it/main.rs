//! Integration tests: the cache over a real `SecretClient` against the in-process emulator
//! (HTTPS, strict tokens), counting the requests the emulator served.

mod blocking;
mod canary;
mod faults;
mod load;
mod refresh;
mod support;
