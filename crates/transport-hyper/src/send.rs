//! One attempt: check the URL, send through the pooled client, read the capped body.

use std::time::Instant;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Body as _, Incoming};
use okta_idsrc_core::transport::TransportError;

use crate::Inner;
use crate::error;
use crate::target::{Target, check_url};

impl Inner {
    pub(crate) async fn send(
        &self,
        request: http::Request<Bytes>,
    ) -> Result<http::Response<Bytes>, TransportError> {
        let target = check_url(request.uri(), self.allow_insecure_http)?;
        let method = request.method().clone();
        let path = request.uri().path().to_owned();
        let started = Instant::now();
        tracing::debug!(%method, host = target.host(), %path, "sending request");

        let attempt = async {
            let response = self
                .client
                .request(request.map(Full::new))
                .await
                .map_err(|e| error::from_client(e, &target))?;
            self.read_body(response, &target).await
        };
        let result = match tokio::time::timeout(self.request_timeout, attempt).await {
            Ok(result) => result,
            Err(_) => {
                // Said at once (not only when the caller gives up after its retries), so
                // that a run waiting on a server that never answers is never silent.
                tracing::warn!(
                    %method,
                    host = target.host(),
                    %path,
                    "no answer from {target} within {:?}",
                    self.request_timeout
                );
                Err(error::timed_out(&target, self.request_timeout))
            }
        };

        let elapsed_ms = started.elapsed().as_millis() as u64;
        match &result {
            Ok(response) => tracing::debug!(
                %method,
                host = target.host(),
                %path,
                status = response.status().as_u16(),
                version = ?response.version(),
                elapsed_ms,
                "received response"
            ),
            Err(e) => tracing::debug!(
                %method,
                host = target.host(),
                %path,
                kind = ?e.kind(),
                error = %e,
                elapsed_ms,
                "request failed"
            ),
        }
        result
    }

    async fn read_body(
        &self,
        response: http::Response<Incoming>,
        target: &Target,
    ) -> Result<http::Response<Bytes>, TransportError> {
        let limit = self.max_response_body;
        // Content-Length (HTTP/1 and HTTP/2) shows up as the body's lower size bound.
        if response.body().size_hint().lower() > limit as u64 {
            return Err(error::body_too_large(target, limit));
        }
        let (parts, body) = response.into_parts();
        let collected = Limited::new(body, limit)
            .collect()
            .await
            .map_err(|e| error::from_body(e, target, limit))?;
        Ok(http::Response::from_parts(parts, collected.to_bytes()))
    }
}
