//! End-to-end tests of the `azkv` binary against an in-process emulator: HTTPS with its own CA,
//! strict tokens from its managed-identity endpoint, every subcommand, format and bad input.

mod bad_input;
mod formats;
mod lifecycle;
mod misc;
mod run;
mod secrets;
mod support;
