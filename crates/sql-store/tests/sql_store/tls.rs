//! PostgreSQL over TLS (sqlx's rustls, no OpenSSL): the URL's `sslmode` decides.
//!
//! A server that declines TLS is played by a listener that answers PostgreSQL's `SSLRequest`
//! with `N`, as such a server does: a URL that requires TLS fails with the typed
//! [`SqlFailureKind::TlsNotOffered`], which says so, having sent nothing but the request;
//! `prefer` goes on in clear and `disable` never asks. Against the test server, whichever it
//! is: with TLS on, `require` connects over TLS (as `pg_stat_ssl` shows), `verify-full` refuses
//! a certificate the webpki roots do not vouch for ([`SqlFailureKind::Tls`]) and `disable`
//! connects in clear; with TLS off, `require` is `TlsNotOffered` and `prefer` connects.

use std::time::Duration;

use phone_verify_app::StoreError;
use phone_verify_sql_store::{PostgresOptions, SqlFailure, SqlFailureKind, SqlVerificationStore};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::support::FreshSchema;

/// PostgreSQL's `SSLRequest`: length 8, code 80877103.
const SSL_REQUEST: [u8; 8] = [0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f];

/// The protocol version 3.0 that starts a `StartupMessage`, after its length.
const PROTOCOL_3: [u8; 4] = [0, 3, 0, 0];

/// `url` with `parameters` added to its query.
fn with_query(url: &str, parameters: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}{parameters}")
}

/// The whole message of an error, its sources included.
fn chain(error: &StoreError) -> String {
    let mut message = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        message = format!("{message}: {cause}");
        source = cause.source();
    }
    message
}

/// The kind of the database failure behind `opened`, which must have failed.
fn failure_kind<T: std::fmt::Debug>(opened: &Result<T, StoreError>) -> Option<SqlFailureKind> {
    match opened {
        Err(StoreError::Unavailable { source }) => {
            source.downcast_ref::<SqlFailure>().map(SqlFailure::kind)
        }
        other => panic!("a database failure, got {other:?}"),
    }
}

/// Opens a store on a listener that declines TLS as a server without it does, with
/// `sslmode=mode`; returns what opening gave and every byte the store sent.
async fn open_on_a_server_declining_tls(
    mode: &str,
) -> (Result<SqlVerificationStore, StoreError>, Vec<u8>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
    let port = listener.local_addr().expect("an address").port();
    let server = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.expect("a connection");
        let mut received = vec![0; 8];
        socket
            .read_exact(&mut received)
            .await
            .expect("a first message");
        if received == SSL_REQUEST {
            socket.write_all(b"N").await.expect("declines TLS");
        }
        // Whatever comes next, until the client hangs up (it waits for an answer that never
        // comes after a startup message: a short read timeout ends that).
        let mut rest = [0; 512];
        while let Ok(Ok(read)) =
            tokio::time::timeout(Duration::from_millis(300), socket.read(&mut rest)).await
        {
            if read == 0 {
                break;
            }
            received.extend_from_slice(&rest[..read]);
        }
        received
    });
    let options = PostgresOptions::default().acquire_timeout(Duration::from_secs(2));
    let opened = SqlVerificationStore::open_postgres(
        &format!("postgres://pv@127.0.0.1:{port}/db?sslmode={mode}"),
        options,
    )
    .await;
    let received = server.await.expect("the listener ends");
    (opened, received)
}

#[tokio::test]
async fn a_url_that_requires_tls_of_a_server_declining_it_fails_saying_so_and_sends_nothing_else() {
    for mode in ["require", "verify-ca", "verify-full"] {
        let (opened, received) = open_on_a_server_declining_tls(mode).await;
        assert_eq!(
            failure_kind(&opened),
            Some(SqlFailureKind::TlsNotOffered),
            "sslmode={mode}"
        );
        let Err(error) = &opened else { unreachable!() };
        let said = chain(error);
        assert!(said.contains("the server offers no TLS"), "{said}");
        assert!(
            !said.contains("postgres://"),
            "the URL is never quoted: {said}"
        );
        assert_eq!(
            received, SSL_REQUEST,
            "sslmode={mode}: nothing but the request for TLS went out in clear"
        );
    }
}

#[tokio::test]
async fn a_url_that_prefers_tls_goes_on_in_clear_with_a_server_declining_it_and_disable_never_asks()
{
    for (mode, asks) in [("prefer", true), ("disable", false)] {
        let (opened, received) = open_on_a_server_declining_tls(mode).await;
        assert!(opened.is_err(), "the listener is no database");
        let startup = if asks {
            assert_eq!(received[..8], SSL_REQUEST, "sslmode={mode} asks for TLS");
            &received[8..]
        } else {
            &received[..]
        };
        assert!(
            startup.len() >= 8 && startup[4..8] == PROTOCOL_3,
            "sslmode={mode}: then starts the session in clear: {received:?}"
        );
    }
}

/// Whether the test server has TLS switched on.
async fn server_offers_tls(url: &str) -> bool {
    let pool = sqlx::PgPool::connect(&with_query(url, "sslmode=disable"))
        .await
        .expect("connects without TLS");
    let ssl: String = sqlx::query_scalar("SHOW ssl")
        .fetch_one(&pool)
        .await
        .expect("reads the setting");
    pool.close().await;
    ssl == "on"
}

/// Whether the store's connections (named `application`) are encrypted: every one of them
/// is, or none is (`None` when it has none open).
async fn encrypted(url: &str, application: &str) -> Option<bool> {
    let pool = sqlx::PgPool::connect(&with_query(url, "sslmode=disable"))
        .await
        .expect("connects");
    let (all, any): (Option<bool>, Option<bool>) = sqlx::query_as(
        "SELECT bool_and(s.ssl), bool_or(s.ssl) FROM pg_stat_ssl AS s \
         JOIN pg_stat_activity AS a USING (pid) WHERE a.application_name = $1",
    )
    .bind(application)
    .fetch_one(&pool)
    .await
    .expect("reads pg_stat_ssl");
    pool.close().await;
    assert_eq!(
        all, any,
        "all of the store's connections or none are encrypted"
    );
    all
}

#[tokio::test]
async fn the_test_server_is_reached_over_tls_exactly_when_the_url_asks_and_it_offers() {
    let Some(url) = phone_verify_sql_store::test_postgres_url(
        "the_test_server_is_reached_over_tls_exactly_when_the_url_asks_and_it_offers",
    ) else {
        return;
    };
    let schema = FreshSchema::new(&url).await;
    let offers = server_offers_tls(&url).await;
    let application = format!("pv-tls-{}", uuid::Uuid::new_v4().simple());
    let open = |mode: &str| {
        let url = with_query(
            &url,
            &format!("sslmode={mode}&application_name={application}-{mode}"),
        );
        let options = schema.options();
        async move { SqlVerificationStore::open_postgres(&url, options).await }
    };
    if offers {
        let store = open("require").await.expect("reached over TLS");
        assert_eq!(
            encrypted(&url, &format!("{application}-require")).await,
            Some(true)
        );
        store.close().await;
        // The test server's certificate is its own (self-signed): the webpki roots do not
        // vouch for it, so verifying it fails as a TLS failure, not a lost connection.
        let refused = open("verify-full").await;
        assert_eq!(failure_kind(&refused), Some(SqlFailureKind::Tls));
    } else {
        let refused = open("require").await;
        assert_eq!(failure_kind(&refused), Some(SqlFailureKind::TlsNotOffered));
        let store = open("prefer").await.expect("prefer connects without TLS");
        store.close().await;
    }
    let store = open("disable").await.expect("disable connects in clear");
    assert_eq!(
        encrypted(&url, &format!("{application}-disable")).await,
        Some(false)
    );
    store.close().await;
}

#[tokio::test]
async fn a_refused_port_says_refused_at_once_not_that_a_pool_timed_out() {
    // A port nothing listens on: bound, then released.
    let port = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free port")
        .local_addr()
        .expect("its address")
        .port();
    let url = format!("postgres://postgres@127.0.0.1:{port}/test");

    let opened = SqlVerificationStore::open_postgres(&url, PostgresOptions::default()).await;

    assert_eq!(failure_kind(&opened), Some(SqlFailureKind::Connection));
    let message = chain(&opened.expect_err("nothing listens"));
    assert!(
        message.to_lowercase().contains("refused") && !message.contains("timed out"),
        "the driver's own reason, not the pool's timeout: {message}"
    );
}

#[test]
fn a_missing_root_certificate_is_a_configuration_error_not_a_server_out_of_reach() {
    let url = "postgres://postgres@127.0.0.1:5432/test?sslmode=verify-full&sslrootcert=/nonexistent/ca.pem";
    assert_eq!(
        phone_verify_sql_store::DatabaseUrl::parse(url).map(|_| ()),
        Err(phone_verify_sql_store::DatabaseUrlError::MissingRootCert)
    );
}
