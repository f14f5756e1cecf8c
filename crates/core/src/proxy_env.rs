//! Which environment variables name the proxy, read one way for the whole workspace (the
//! configuration loader and the hyper transport both ask here): as curl does for HTTPS,
//! `HTTPS_PROXY`, then `https_proxy`, then `ALL_PROXY`, then `all_proxy` — the first set and
//! not blank — with the bypass list from `NO_PROXY` or `no_proxy`.
//!
//! ```
//! use okta_idsrc_core::proxy_env::proxy_from;
//!
//! let env = |name: &str| match name {
//!     "ALL_PROXY" => Some("http://proxy.corp:3128".to_owned()),
//!     "no_proxy" => Some(".internal".to_owned()),
//!     _ => None,
//! };
//! let proxy = proxy_from(env).unwrap();
//! assert_eq!((proxy.variable, proxy.url.as_str()), ("ALL_PROXY", "http://proxy.corp:3128"));
//! assert_eq!(proxy.no_proxy.as_deref(), Some(".internal"));
//! ```

/// The variables naming the proxy, in order of precedence.
pub const PROXY_VARIABLES: [&str; 4] = ["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"];
/// The variables naming the hosts that bypass the proxy, in order of precedence.
pub const NO_PROXY_VARIABLES: [&str; 2] = ["NO_PROXY", "no_proxy"];

/// The proxy the environment names.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct EnvProxy {
    /// The variable it came from (for error messages).
    pub variable: &'static str,
    /// Its value: the proxy's URL, as given.
    pub url: String,
    /// The hosts that bypass it, in `NO_PROXY` syntax.
    pub no_proxy: Option<String>,
}

/// The first of `names` that `get` has set to something not blank.
fn first(
    get: &impl Fn(&str) -> Option<String>,
    names: &[&'static str],
) -> Option<(&'static str, String)> {
    names.iter().find_map(|name| {
        get(name)
            .filter(|v| !v.trim().is_empty())
            .map(|v| (*name, v))
    })
}

/// The proxy named by the variables `get` looks up; `None` when none is set.
pub fn proxy_from(get: impl Fn(&str) -> Option<String>) -> Option<EnvProxy> {
    let (variable, url) = first(&get, &PROXY_VARIABLES)?;
    Some(EnvProxy {
        variable,
        url,
        no_proxy: no_proxy_from(get),
    })
}

/// The bypass list named by the variables `get` looks up, if any.
pub fn no_proxy_from(get: impl Fn(&str) -> Option<String>) -> Option<String> {
    first(&get, &NO_PROXY_VARIABLES).map(|(_, list)| list)
}
