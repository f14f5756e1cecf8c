//! A client with extra tower layers stacked around Okta's default ones: a logging layer
//! (operation, status, time, request id — never a token or a body) outside a concurrency
//! limit, outside the retry and rate-limit layers, over the hyper transport. Runs against an
//! emulator started here, which answers each request after 50 ms.
//!
//! `cargo run --example tower_layers`

use std::error::Error as StdError;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use okta_idsrc::core::OperationInfo;
use okta_idsrc::core::transport::BoxError;
use okta_idsrc::hyper::HyperTransport;
use okta_idsrc::models::{
    BulkUpsertRequestBody, BulkUpsertRequestBodyProfilesInner, IdentitySourceSessionStatus,
    IdentitySourceUserProfileForUpsert,
};
use okta_idsrc::ops::Client;
use okta_idsrc::ops::rate_limit::RateLimitConfig;
use okta_idsrc::ops::retry::RetryConfig;
use okta_idsrc::{Credentials, OrgUrl};
use okta_idsrc_emulator::Emulator;
use tower::limit::ConcurrencyLimitLayer;
use tower::{Layer, Service};

/// Logs each call that passes through it.
#[derive(Clone, Copy, Debug)]
struct LogLayer;

impl<S> Layer<S> for LogLayer {
    type Service = Log<S>;
    fn layer(&self, inner: S) -> Log<S> {
        Log { inner }
    }
}

#[derive(Clone, Debug)]
struct Log<S> {
    inner: S,
}

impl<S> Service<http::Request<Bytes>> for Log<S>
where
    S: Service<http::Request<Bytes>, Response = http::Response<Bytes>> + Send,
    S::Error: Into<BoxError>,
    S::Future: Send + 'static,
{
    type Response = http::Response<Bytes>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, request: http::Request<Bytes>) -> Self::Future {
        let operation = OperationInfo::of(&request).map_or("?", |i| i.name);
        let started = Instant::now();
        let future = self.inner.call(request);
        Box::pin(async move {
            let result = future.await.map_err(Into::into);
            let elapsed = started.elapsed();
            match &result {
                Ok(response) => println!(
                    "[log] {operation}: HTTP {} in {elapsed:.1?} (request id {})",
                    response.status().as_u16(),
                    response
                        .headers()
                        .get("x-okta-request-id")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("-"),
                ),
                Err(e) => println!("[log] {operation}: failed after {elapsed:.1?}: {e}"),
            }
            result
        })
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn StdError>> {
    let emulator = Emulator::builder()
        .latency(Duration::from_millis(50))
        .start()
        .await?;
    println!("emulator at {}", emulator.base_url());

    let client = Client::builder(OrgUrl::parse(&emulator.base_url())?)
        .credentials(Credentials::api_token(emulator.token()))
        .service(
            HyperTransport::builder()
                .request_timeout(Duration::from_secs(10))
                .build()?,
        )
        .default_layers(RetryConfig::default(), RateLimitConfig::default())
        .with_layer(ConcurrencyLimitLayer::new(2))
        .with_layer(LogLayer)
        .build();
    let source = client.identity_source(emulator.identity_sources()[0].as_str());

    let session = source.create_session().await?;
    let session_id = session.id.clone().ok_or("no session id")?;
    let users = (0..6)
        .map(|i| {
            BulkUpsertRequestBodyProfilesInner::with(
                format!("W-{i}"),
                IdentitySourceUserProfileForUpsert::with_login(format!("worker{i}@example.com")),
            )
        })
        .collect();
    source
        .bulk_upsert_users(&session_id, BulkUpsertRequestBody::users(users))
        .await?;
    let mut session = source.start_import(&session_id).await?;
    while !session
        .status
        .as_ref()
        .is_some_and(IdentitySourceSessionStatus::is_terminal)
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
        session = source.get_session(&session_id).await?;
    }
    println!("session {session_id} is {:?}", session.status);

    // Six reads at once; the concurrency limit lets two through at a time.
    let started = Instant::now();
    let reads: Vec<_> = (0..6)
        .map(|i| {
            let source = source.clone();
            tokio::spawn(async move { source.get_user(format!("W-{i}")).await })
        })
        .collect();
    for read in reads {
        let user = read.await??;
        println!("user {:?} is {:?}", user.external_id, user.id);
    }
    println!(
        "6 reads of 50 ms each, two at a time, in {:.1?}",
        started.elapsed()
    );
    let stats = emulator.state().stats;
    println!(
        "emulator saw {} requests, sent {} 429s",
        stats.requests, stats.rate_limited
    );
    emulator.shutdown().await;
    Ok(())
}
