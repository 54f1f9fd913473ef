//! The client request id policy.

/// The header carrying the client request id.
pub const CLIENT_REQUEST_ID: &str = "x-ms-client-request-id";

/// Sets `x-ms-client-request-id`: the [`Context`](crate::Context)'s id, the request's own if it has one, else
/// a new UUID v4 (from a per-thread generator: no system call per request), which HTTP/2
/// sends as a never-indexed literal. A per-call policy, so every retry of a call carries the
/// same id.
#[derive(Debug, Clone, Default)]
pub struct RequestIdPolicy;

// The id is set when the policy is called; the future handed back is the next policy's.
crate::policies::policy::impl_policy_without_future!(RequestIdPolicy, |_this, ctx, request, next| {
    /// The name, checked once at compile time rather than on every request.
    const NAME: http::HeaderName = http::HeaderName::from_static(CLIENT_REQUEST_ID);
    if let Some(id) = ctx.client_request_id() {
        request.headers.insert(CLIENT_REQUEST_ID, id);
    } else if !request.headers.as_header_map().contains_key(&NAME) {
        let mut text = [0u8; uuid::fmt::Hyphenated::LENGTH];
        let id = crate::fast_rand::request_uuid().hyphenated().encode_lower(&mut text);
        let mut value = http::HeaderValue::from_str(id).expect("a UUID is a valid header value");
        // Never indexed by HPACK: a fresh id each call gains nothing from HTTP/2's header table,
        // and indexing it evicts the headers that repeat (h2 inserted every id and compared each
        // new one with all those still in the table, about 3k instructions per request).
        value.set_sensitive(true);
        request.headers.insert_value(NAME, value);
    }
    crate::policies::policy::next(ctx, request, next)
});
