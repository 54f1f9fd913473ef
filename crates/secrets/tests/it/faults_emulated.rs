//! Client faults from the emulator's fault controls: 429/503 bursts with `Retry-After`, 500 on
//! every try, dropped connections. Backoff waits go through `ManualTime` and are asserted.

use std::time::Duration;

use azkv_emulator::{AuthMode, Clock, Emulator, EmulatorHandle, Fault};
use azkv_pipeline::policies::RetryOptions;
use azkv_pipeline::test_util::ManualTime;
use azkv_pipeline::transport::TransportOptions;
use azkv_secrets::{Error, SecretClient};

use crate::faults::{RetryableTransport, client, get, set};

async fn emulator() -> EmulatorHandle {
    Emulator::builder().tls(false).auth(AuthMode::Any).clock(Clock::fixed(1_700_000_000)).start().await.unwrap()
}

/// Queues `count` faults of `kind`, through the emulator's typed controls.
fn inject(emu: &EmulatorHandle, kind: &str, count: u32, retry_after_secs: u64) {
    let fault = match kind {
        "throttle" => Fault::Throttle { retry_after_secs },
        "unavailable" => Fault::Unavailable { retry_after_secs },
        "error" => Fault::Error,
        _ => Fault::Drop,
    };
    emu.inject_fault(fault, count).unwrap();
}

async fn emulator_client(emu: &EmulatorHandle, time: &ManualTime, retry: RetryOptions) -> SecretClient {
    client(emu.url(), time, retry, TransportOptions::default())
}

#[tokio::test]
async fn a_throttle_burst_with_retry_after_is_waited_out_on_the_manual_clock() {
    let emu = emulator().await;
    inject(&emu, "throttle", 2, 7);
    let time = ManualTime::default();
    let client = emulator_client(&emu, &time, RetryOptions::fixed(3, Duration::from_secs(1))).await;
    let secret = set(&client).await.unwrap();
    assert_eq!(time.sleeps(), [Duration::from_secs(7); 2], "Retry-After wins over the 1 s backoff");
    assert_eq!(emu.queued_faults(), 0);
    assert_eq!(client.get_secret("a").await.unwrap().value(), "payload-42");
    assert_eq!(secret.properties.version, client.get_secret("a").await.unwrap().properties.version);
    emu.shutdown().await;
}

#[tokio::test]
async fn throttled_past_the_retries_is_error_throttled_with_the_wait() {
    let emu = emulator().await;
    inject(&emu, "throttle", 5, 7);
    let time = ManualTime::default();
    let client = emulator_client(&emu, &time, RetryOptions::fixed(2, Duration::from_secs(1))).await;
    match set(&client).await.unwrap_err() {
        Error::Throttled { error, retry_after } => {
            assert_eq!(retry_after, Some(Duration::from_secs(7)));
            assert_eq!(error.code.as_deref(), Some("Throttled"));
        }
        other => panic!("expected Throttled, got {other:?}"),
    }
    assert_eq!(time.sleeps(), [Duration::from_secs(7); 2]);
    assert_eq!(emu.queued_faults(), 2, "exactly three tries took a fault");
    emu.shutdown().await;
}

#[tokio::test]
async fn a_retry_after_past_the_budget_ends_the_call_early() {
    let emu = emulator().await;
    inject(&emu, "throttle", 5, 40);
    let time = ManualTime::default();
    // 60 s budget: the first 40 s wait fits, the second would overrun it.
    let client = emulator_client(&emu, &time, RetryOptions::fixed(8, Duration::from_secs(1))).await;
    let err = set(&client).await.unwrap_err();
    assert!(matches!(err, Error::Throttled { .. }), "{err:?}");
    assert_eq!(time.sleeps(), [Duration::from_secs(40)]);
    assert_eq!(emu.queued_faults(), 3);
    emu.shutdown().await;
}

#[tokio::test]
async fn an_unavailable_burst_backs_off_exponentially() {
    let emu = emulator().await;
    inject(&emu, "unavailable", 3, 0);
    let time = ManualTime::default();
    let retry = RetryOptions::exponential(4, Duration::from_millis(200), Duration::from_secs(30));
    let client = emulator_client(&emu, &time, retry).await;
    set(&client).await.unwrap();
    let sleeps = time.sleeps();
    assert_eq!(sleeps.len(), 3, "{sleeps:?}");
    for (i, sleep) in sleeps.iter().enumerate() {
        let base = 200.0 * f64::from(1u32 << i);
        let ms = sleep.as_secs_f64() * 1000.0;
        assert!((base * 0.8 - 1.0..=base * 1.2 + 1.0).contains(&ms), "wait {i}: {sleep:?}");
    }
    emu.shutdown().await;
}

#[tokio::test]
async fn a_500_on_every_try_is_error_service_after_the_retries() {
    let emu = emulator().await;
    let time = ManualTime::default();
    let client = emulator_client(&emu, &time, RetryOptions::fixed(3, Duration::from_secs(1))).await;
    set(&client).await.unwrap();
    inject(&emu, "error", 100, 0);
    let err = get(&client).await.unwrap_err();
    assert!(matches!(err, Error::Service(_)), "{err:?}");
    assert_eq!(err.status(), Some(500));
    assert_eq!(time.sleeps(), [Duration::from_secs(1); 3]);
    assert_eq!(emu.queued_faults(), 96, "one try and three retries");
    let err = set(&client).await.unwrap_err();
    assert_eq!(err.status(), Some(500), "{err:?}");
    assert_eq!(emu.queued_faults(), 95, "a write is not retried after a 500");
    emu.shutdown().await;
}

#[tokio::test]
async fn dropped_connections_are_retried_for_a_read() {
    let emu = emulator().await;
    let time = ManualTime::default();
    let client = emulator_client(&emu, &time, RetryOptions::fixed(3, Duration::from_secs(1))).await;
    set(&client).await.unwrap();
    inject(&emu, "drop", 2, 0);
    assert_eq!(get(&client).await.unwrap().value(), "payload-42");
    assert_eq!(time.sleeps().len(), 2);
    emu.shutdown().await;
}

#[tokio::test]
async fn a_dropped_write_is_outcome_unknown_and_not_resent() {
    let emu = emulator().await;
    let time = ManualTime::default();
    let client = emulator_client(&emu, &time, RetryOptions::fixed(3, Duration::from_secs(1))).await;
    get(&client).await.unwrap_err(); // learn the challenge first
    inject(&emu, "drop", 2, 0);
    let err = set(&client).await.unwrap_err();
    assert!(matches!(err, Error::OutcomeUnknown(_)), "{err:?}");
    assert_eq!(emu.queued_faults(), 1, "exactly one try reached the emulator");
    assert!(time.sleeps().is_empty());
    emu.shutdown().await;
}

#[tokio::test]
async fn dropped_connections_past_the_retries_are_a_transport_error() {
    let emu = emulator().await;
    inject(&emu, "drop", 10, 0);
    let time = ManualTime::default();
    let client = emulator_client(&emu, &time, RetryOptions::fixed(2, Duration::from_secs(1))).await;
    let err = get(&client).await.unwrap_err();
    assert!(err.is_retryable_transport(), "{err:?}");
    assert_eq!(emu.queued_faults(), 7);
    emu.shutdown().await;
}
