//! An embedder's own HTTP stack behind core's object-safe `Transport` trait: a tiny
//! hand-rolled HTTP/1.1 client over a tokio `TcpStream` (plain http, loopback only), driving
//! a whole import session against an emulator started here.
//!
//! `cargo run --example custom_transport`

use std::error::Error as StdError;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
use okta_idsrc::core::transport::{Transport, TransportError, TransportErrorKind};
use okta_idsrc::models::{
    BulkUpsertRequestBody, BulkUpsertRequestBodyProfilesInner, IdentitySourceSessionStatus,
    IdentitySourceUserProfileForUpsert,
};
use okta_idsrc::ops::{Client, TransportService};
use okta_idsrc::{Credentials, OrgUrl};
use okta_idsrc_emulator::Emulator;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// One connection per request, `Connection: close`, the whole response read to the end.
struct MiniHttp {
    timeout: Duration,
}

#[async_trait::async_trait]
impl Transport for MiniHttp {
    async fn send(&self, request: Request<Bytes>) -> Result<Response<Bytes>, TransportError> {
        let authority = request
            .uri()
            .authority()
            .ok_or_else(|| TransportError::new(TransportErrorKind::Refused, "the URI has no host"))?
            .clone();
        if request.uri().scheme_str() != Some("http") {
            return Err(TransportError::new(
                TransportErrorKind::Refused,
                "MiniHttp speaks plain http only",
            ));
        }
        let address = format!(
            "{}:{}",
            authority.host(),
            authority.port_u16().unwrap_or(80)
        );
        let mut stream = TcpStream::connect(address).await.map_err(|e| {
            TransportError::new(TransportErrorKind::Connect, "cannot connect").with_source(e)
        })?;

        let mut head = format!(
            "{} {} HTTP/1.1\r\nhost: {authority}\r\nconnection: close\r\n",
            request.method(),
            request.uri().path_and_query().map_or("/", |p| p.as_str()),
        );
        for (name, value) in request.headers() {
            let value = value.to_str().map_err(|e| {
                TransportError::new(TransportErrorKind::Other, "bad header").with_source(e)
            })?;
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        let exchange = async {
            stream.write_all(head.as_bytes()).await?;
            stream.write_all(request.body()).await?;
            let mut raw = Vec::new();
            stream.read_to_end(&mut raw).await?;
            Ok::<_, std::io::Error>(raw)
        };
        let raw = tokio::time::timeout(self.timeout, exchange)
            .await
            .map_err(|_| {
                TransportError::new(TransportErrorKind::Timeout, "the exchange timed out")
            })?
            .map_err(|e| {
                TransportError::new(TransportErrorKind::Io, "the connection failed").with_source(e)
            })?;
        parse_response(&raw).map_err(|m| TransportError::new(TransportErrorKind::Io, m))
    }
}

/// Parses a complete HTTP/1.1 response (identity or chunked body).
fn parse_response(raw: &[u8]) -> Result<Response<Bytes>, String> {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("no end of headers")?;
    let head = std::str::from_utf8(&raw[..end]).map_err(|_| "headers are not UTF-8")?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next().ok_or("no status line")?;
    let status: u16 = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or("bad status line")?;
    let mut builder = Response::builder().status(status);
    let mut chunked = false;
    for line in lines {
        let (name, value) = line.split_once(':').ok_or("bad header line")?;
        let value = value.trim();
        if name.eq_ignore_ascii_case("transfer-encoding") && value.eq_ignore_ascii_case("chunked") {
            chunked = true;
        }
        builder = builder.header(name.trim(), value);
    }
    let mut body = &raw[end + 4..];
    let body = if chunked {
        let mut out = Vec::new();
        loop {
            let line_end = body
                .windows(2)
                .position(|w| w == b"\r\n")
                .ok_or("bad chunk")?;
            let size_text = std::str::from_utf8(&body[..line_end]).map_err(|_| "bad chunk size")?;
            let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
                .map_err(|_| "bad chunk size")?;
            body = &body[line_end + 2..];
            if size == 0 {
                break;
            }
            out.extend_from_slice(body.get(..size).ok_or("short chunk")?);
            body = body.get(size + 2..).ok_or("short chunk")?;
        }
        out
    } else {
        body.to_vec()
    };
    builder.body(Bytes::from(body)).map_err(|e| e.to_string())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn StdError>> {
    let emulator = Emulator::builder().start().await?;
    println!("emulator at {}", emulator.base_url());

    // The transport as a trait object, as an embedder would hold it.
    let transport: Arc<dyn Transport> = Arc::new(MiniHttp {
        timeout: Duration::from_secs(10),
    });
    let client = Client::builder(OrgUrl::parse(&emulator.base_url())?)
        .credentials(Credentials::api_token(emulator.token()))
        .service(TransportService::from_arc(transport))
        .build();
    let source = client.identity_source(emulator.identity_sources()[0].as_str());

    let session = source.create_session().await?;
    let session_id = session.id.clone().ok_or("no session id")?;
    println!("created session {session_id} ({:?})", session.status);

    let users = (1..=5)
        .map(|i| {
            BulkUpsertRequestBodyProfilesInner::with(
                format!("HR-{i:04}"),
                IdentitySourceUserProfileForUpsert::with_login(format!("jane.doe{i}@example.com"))
                    .first_name("Jane")
                    .last_name(format!("Doe {i}")),
            )
        })
        .collect();
    source
        .bulk_upsert_users(&session_id, BulkUpsertRequestBody::users(users))
        .await?;
    println!("uploaded 5 users");

    let mut session = source.start_import(&session_id).await?;
    println!("start-import: {:?}", session.status);
    for _ in 0..100 {
        if session
            .status
            .as_ref()
            .is_some_and(IdentitySourceSessionStatus::is_terminal)
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        session = source.get_session(&session_id).await?;
    }
    println!("session {session_id} is {:?}", session.status);

    let user = source.get_user("HR-0003").await?;
    println!(
        "user HR-0003 is {:?} ({:?})",
        user.id,
        user.profile.as_ref().and_then(|p| p.email.as_deref())
    );
    emulator.shutdown().await;
    Ok(())
}
