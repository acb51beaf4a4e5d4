//! `error_chain` puts an error and every one of its sources on one line, in order.

use phone_verify_domain::{GatewayError, error_chain};

/// An error with a source of its own.
#[derive(Debug, thiserror::Error)]
#[error("connection refused")]
struct Refused {
    #[source]
    source: std::io::Error,
}

#[test]
fn an_error_chain_lists_the_error_then_each_source_separated_by_colons() {
    let error = GatewayError::NotSent {
        source: Box::new(Refused {
            source: std::io::Error::other("port 443 closed"),
        }),
    };
    assert_eq!(
        error_chain(&error),
        "the request was not sent: could not reach the provider: connection refused: \
         port 443 closed"
    );
}

/// An error whose message already carries its source's whole chain.
#[derive(Debug, thiserror::Error)]
#[error("the client configuration is invalid: {}", error_chain(.0))]
struct Invalid(#[source] Refused);

#[test]
fn causes_a_message_already_ends_with_are_not_repeated() {
    let error = Invalid(Refused {
        source: std::io::Error::other("use allow_plain_http(true)"),
    });
    assert_eq!(
        error_chain(&error),
        "the client configuration is invalid: connection refused: use allow_plain_http(true)"
    );
}
