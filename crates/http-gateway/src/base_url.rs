//! The rules every provider's base URL follows.

use reqwest::Url;

/// Why a base URL was refused.
///
/// Every adapter's configuration error holds it as it is (inside [`crate::HttpConfigError`]).
/// `#[non_exhaustive]`: read through `Display` or matched with a wildcard, never mapped
/// variant by variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BaseUrlError {
    /// The URL is malformed or not one the client may send credentials to.
    #[error("the base URL is not valid: {reason}")]
    Invalid {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The URL is plain `http` and plain HTTP was not explicitly allowed (the builder's
    /// `allow_plain_http(true)`, for a local simulator only).
    #[error(
        "the base URL is not HTTPS; plain HTTP must be allowed explicitly \
         (allow_plain_http(true), for a local simulator only)"
    )]
    InsecureScheme,
}

/// Parses and checks a base URL: `https` (or `http` when `allow_plain_http`), a host, no user
/// info, no query, no fragment. A path is kept (a proxy prefix) and given a trailing `/`, so
/// endpoint paths are joined below it.
///
/// ```
/// use phone_verify_http::{BaseUrlError, validate_base_url};
///
/// let url = validate_base_url("https://proxy.example/twilio", false)?;
/// assert_eq!(url.as_str(), "https://proxy.example/twilio/");
/// assert_eq!(
///     validate_base_url("http://127.0.0.1:8080", false),
///     Err(BaseUrlError::InsecureScheme)
/// );
/// # Ok::<(), BaseUrlError>(())
/// ```
///
/// # Errors
///
/// [`BaseUrlError::InsecureScheme`] for plain HTTP not allowed, else [`BaseUrlError::Invalid`]
/// naming the first problem.
pub fn validate_base_url(raw: &str, allow_plain_http: bool) -> Result<Url, BaseUrlError> {
    let invalid = |reason| BaseUrlError::Invalid { reason };
    let mut url =
        Url::parse(raw.trim()).map_err(|_| invalid("it does not parse as an absolute URL"))?;
    match url.scheme() {
        "https" => {}
        "http" if allow_plain_http => {}
        "http" => return Err(BaseUrlError::InsecureScheme),
        _ => return Err(invalid("the scheme must be https (or http when allowed)")),
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(invalid("it has no host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid("it must not contain user info"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid("it must not contain a query or a fragment"));
    }
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_are_normalised_and_checked() {
        let url = validate_base_url("https://proxy.example/idmeta", false).expect("valid");
        assert_eq!(url.as_str(), "https://proxy.example/idmeta/");
        let cases = [
            ("http://127.0.0.1:1", false, "not HTTPS"),
            ("ftp://x.example", true, "scheme"),
            ("https://user:pw@x.example", false, "user info"),
            ("https://x.example/?a=1", false, "query"),
            ("https://x.example/#top", false, "fragment"),
            ("not a url", false, "parse"),
        ];
        for (raw, allow, what) in cases {
            let error = validate_base_url(raw, allow).expect_err(raw).to_string();
            assert!(error.contains(what), "{raw}: {error}");
        }
        assert!(validate_base_url("http://127.0.0.1:1", true).is_ok());
    }
}
