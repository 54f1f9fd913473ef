//! A transport that answers from a queue and records what it was sent.

use std::collections::VecDeque;
use std::sync::Mutex;

use async_trait::async_trait;

use crate::{Error, Headers, HttpClient, Request, Response, Result, StatusCode};

/// Answers each request with the next queued outcome and records every request.
///
/// When the queue is empty it answers [`Error::Connection`], so a test that sends more
/// requests than it expected fails loudly.
#[derive(Debug, Default)]
pub struct ReplayTransport {
    queue: Mutex<VecDeque<Result<Response>>>,
    seen: Mutex<Vec<Request>>,
}

impl ReplayTransport {
    /// An empty transport.
    pub fn new() -> Self {
        Self::default()
    }

    /// Queues an outcome.
    pub fn push(&self, outcome: Result<Response>) -> &Self {
        self.queue.lock().unwrap_or_else(|p| p.into_inner()).push_back(outcome);
        self
    }

    /// Queues a response with a JSON body.
    pub fn push_json(&self, status: StatusCode, body: &serde_json::Value) -> &Self {
        self.push(Ok(Response::json_body(status, body)))
    }

    /// Queues a response with no body.
    pub fn push_status(&self, status: StatusCode, headers: Headers) -> &Self {
        self.push(Ok(Response::new(status, headers, "")))
    }

    /// Every request seen so far, in order.
    pub fn requests(&self) -> Vec<Request> {
        self.seen.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// How many outcomes are still queued.
    pub fn remaining(&self) -> usize {
        self.queue.lock().unwrap_or_else(|p| p.into_inner()).len()
    }
}

#[async_trait]
impl HttpClient for ReplayTransport {
    async fn execute(&self, request: &Request) -> Result<Response> {
        self.seen.lock().unwrap_or_else(|p| p.into_inner()).push(request.clone());
        self.queue.lock().unwrap_or_else(|p| p.into_inner()).pop_front().unwrap_or_else(|| {
            Err(Error::connection(
                crate::ConnectionErrorKind::Refused,
                crate::transport::host_port(&request.url),
                "replay transport: no response queued",
            ))
        })
    }
}
