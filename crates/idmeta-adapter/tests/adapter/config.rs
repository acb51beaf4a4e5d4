use std::time::Duration;

use idmeta_adapter::{
    BaseUrlError, HttpConfigError, IdmetaClient, IdmetaConfigError, SecretString,
};

fn with_subdomain(subdomain: &str) -> Result<IdmetaClient, IdmetaConfigError> {
    IdmetaClient::builder()
        .trust_flow(idmeta_adapter::TrustFlowId::new(147))
        .environment(subdomain)
        .token(SecretString::from("t0k3n-secret"))
        .build()
}

#[test]
fn a_subdomain_holding_url_syntax_is_refused() {
    for bad in [
        "evil.com",
        "a/b",
        "user@host",
        "host:443",
        "",
        "-x",
        "x-",
        "a b",
        "a?b",
        "a#b",
        "%2e",
        "integrate.idmetagroup.com.evil",
    ] {
        let error = with_subdomain(bad).expect_err(bad);
        assert!(
            matches!(error, IdmetaConfigError::InvalidSubdomain),
            "{bad:?}: {error:?}"
        );
    }
    let client = with_subdomain("integrate").expect("one label");
    assert_eq!(
        client.base_url().as_str(),
        "https://integrate.idmetagroup.com/"
    );
}

#[test]
fn plain_http_is_refused_unless_explicitly_allowed() {
    let builder = IdmetaClient::builder()
        .trust_flow(idmeta_adapter::TrustFlowId::new(147))
        .base_url("http://127.0.0.1:9")
        .token(SecretString::from("t"));
    let error = builder.clone().build().expect_err("plain HTTP");
    assert!(
        matches!(
            error,
            IdmetaConfigError::Http(HttpConfigError::BaseUrl(BaseUrlError::InsecureScheme))
        ),
        "{error:?}"
    );
    // The message names the fix.
    assert!(
        error.to_string().contains("allow_plain_http(true)"),
        "{error}"
    );
    assert!(builder.allow_plain_http(true).build().is_ok());
}

#[test]
fn missing_or_conflicting_settings_are_typed_errors() {
    let token = || SecretString::from("t");
    let cases: Vec<(Result<IdmetaClient, IdmetaConfigError>, &str)> = vec![
        (
            IdmetaClient::builder()
                .trust_flow(idmeta_adapter::TrustFlowId::new(147))
                .token(token())
                .build(),
            "MissingLocation",
        ),
        // IDMeta asks for a Trust Flow on every request: the client's setting, required.
        (
            IdmetaClient::builder()
                .environment("integrate")
                .token(token())
                .build(),
            "MissingTrustFlow",
        ),
        (
            IdmetaClient::builder()
                .trust_flow(idmeta_adapter::TrustFlowId::new(147))
                .environment("integrate")
                .build(),
            "MissingToken",
        ),
        (
            IdmetaClient::builder()
                .trust_flow(idmeta_adapter::TrustFlowId::new(147))
                .environment("x")
                .base_url("https://y.example")
                .token(token())
                .build(),
            "ConflictingLocation",
        ),
        (
            IdmetaClient::builder()
                .trust_flow(idmeta_adapter::TrustFlowId::new(147))
                .environment("x")
                .token(SecretString::from("  "))
                .build(),
            "InvalidToken",
        ),
        (
            IdmetaClient::builder()
                .trust_flow(idmeta_adapter::TrustFlowId::new(147))
                .environment("x")
                .token(SecretString::from("a\nb"))
                .build(),
            "InvalidToken",
        ),
        (
            IdmetaClient::builder()
                .trust_flow(idmeta_adapter::TrustFlowId::new(147))
                .environment("x")
                .token(token())
                .request_timeout(Duration::ZERO)
                .build(),
            "Http(ZeroLimit",
        ),
        (
            IdmetaClient::builder()
                .trust_flow(idmeta_adapter::TrustFlowId::new(147))
                .environment("x")
                .token(token())
                .max_response_bytes(0)
                .build(),
            "Http(ZeroLimit",
        ),
    ];
    for (result, expected) in cases {
        let error = result.expect_err(expected);
        assert!(format!("{error:?}").starts_with(expected), "{error:?}");
    }
}

#[test]
fn debug_of_the_builder_and_the_client_never_shows_the_token() {
    let builder = IdmetaClient::builder()
        .trust_flow(idmeta_adapter::TrustFlowId::new(147))
        .environment("integrate")
        .token(SecretString::from("t0k3n-secret"));
    let client = builder.clone().build().expect("valid");
    for text in [
        format!("{builder:?}"),
        format!("{client:?}"),
        format!("{client:#?}"),
    ] {
        assert!(!text.contains("t0k3n-secret"), "{text}");
        assert!(text.contains("redacted"), "{text}");
    }
}
