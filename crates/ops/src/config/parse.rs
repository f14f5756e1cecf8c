//! Parsing of single values, with messages that say what was expected.

use super::*;

/// The variable `name` of `env`, parsed by `parse`; errors name the variable.
pub(super) fn env_value<T>(
    env: &dyn Fn(&str) -> Option<String>,
    name: &'static str,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Result<Option<T>, ConfigError> {
    env(name)
        .map(|v| {
            parse(&v).map_err(|message| ConfigError::Invalid {
                origin: Origin::Env(name),
                message,
            })
        })
        .transpose()
}

/// A short description of a YAML value for messages.
pub(super) fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => format!("{s:?}"),
        Value::Sequence(_) => "a list".to_owned(),
        Value::Mapping(_) => "a mapping".to_owned(),
        Value::Tagged(_) => "a tagged value".to_owned(),
    }
}

pub(super) fn parse_org_url(value: &str) -> Result<OrgUrl, String> {
    OrgUrl::parse(value).map_err(|e| {
        if value.contains('@') {
            format!("invalid org URL: {}", e.reason)
        } else {
            format!("invalid org URL {:?}: {}", value.trim(), e.reason)
        }
    })
}

/// Scopes separated by spaces or commas; an error when there are none.
pub(super) fn parse_scopes(value: &str) -> Result<Vec<String>, String> {
    let scopes = split_scopes(value);
    if scopes.is_empty() {
        Err("expected scopes separated by spaces or commas".to_owned())
    } else {
        Ok(scopes)
    }
}

pub(super) fn split_scopes(value: &str) -> Vec<String> {
    value
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A private key value, checked: it must load (PEM, JWK or a readable file). The message
/// never quotes the value.
pub(super) fn checked_private_key(value: &str) -> Result<SecretString, String> {
    parse_private_key(value)?;
    Ok(SecretString::from(value.to_owned()))
}

/// Loads a private key value; PEM with `\n` escapes (as environment variables often carry
/// it) is understood.
pub(super) fn parse_private_key(value: &str) -> Result<PrivateKey, String> {
    let trimmed = value.trim();
    let unescaped;
    let text = if trimmed.starts_with("-----BEGIN") && !trimmed.contains('\n') {
        unescaped = trimmed.replace("\\n", "\n");
        unescaped.as_str()
    } else {
        trimmed
    };
    load_private_key(text).map_err(|e| match std::error::Error::source(&e) {
        Some(source) => format!("{e}: {source}"),
        None => e.to_string(),
    })
}

pub(super) fn parse_seconds(value: &str) -> Result<Duration, String> {
    value
        .trim()
        .parse::<u64>()
        .map(Duration::from_secs)
        .map_err(|_| format!("expected whole seconds, got {:?}", value))
}

pub(super) fn parse_count(value: &str) -> Result<u32, String> {
    value
        .trim()
        .parse::<u32>()
        .map_err(|_| format!("expected a whole number, got {value:?}"))
}

pub(super) fn parse_port(value: &str) -> Result<u16, String> {
    match value.trim().parse::<u16>() {
        Ok(port) if port > 0 => Ok(port),
        _ => Err(format!(
            "expected a port number from 1 to 65535, got {value:?}"
        )),
    }
}

/// A proxy from a URL such as `http://user:pass@proxy.corp:3128` (`HTTPS_PROXY`).
pub(super) fn proxy_from_url(url: &str) -> Result<ProxyConfig, String> {
    let url = url.trim();
    let (scheme, rest) = match url.split_once("://") {
        Some((scheme, rest)) => (Some(scheme.to_ascii_lowercase()), rest),
        None => (None, url),
    };
    if let Some(s) = &scheme
        && s != "http"
        && s != "https"
    {
        return Err(format!(
            "expected an http:// or https:// proxy URL, got scheme {s:?}"
        ));
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let (userinfo, host_port) = match authority.rsplit_once('@') {
        Some((userinfo, host_port)) => (Some(userinfo), host_port),
        None => (None, authority),
    };
    let (host, port) = match host_port.rsplit_once(':') {
        Some((host, port)) if !port.contains(']') => (host, Some(parse_port(port)?)),
        _ => (host_port, None),
    };
    if host.is_empty() {
        return Err("the proxy URL has no host".to_owned());
    }
    let host = match scheme.as_deref() {
        Some("https") => format!("https://{host}"),
        _ => host.to_owned(),
    };
    let mut proxy = ProxyConfig::new(host, port);
    if let Some(userinfo) = userinfo {
        let (user, pass) = userinfo.split_once(':').unwrap_or((userinfo, ""));
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        };
        proxy.username = Some(decode(user));
        proxy.password = Some(SecretString::from(decode(pass)));
    }
    Ok(proxy)
}
