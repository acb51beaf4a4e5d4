//! A raw TCP server that answers one request with bytes given in advance and hands back the
//! request exactly as it arrived: for the assertions the simulator cannot make (the exact bytes
//! a client sends, that a redirect is not followed, an answer split into chunks); and a port
//! nothing may connect to, for a request that must never leave.

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// Starts a server on a loopback port that reads one whole request (head and a
/// `Content-Length` body), writes `answer` as it is, closes the connection, and sends the
/// request as text on the receiver. Returns its base URL (`http://127.0.0.1:PORT`).
///
/// ```no_run
/// # async fn demo() {
/// let answer = phone_verify_sim::raw_answer("200 OK", "application/json", "{}");
/// let (base_url, request) = phone_verify_sim::one_shot_server(answer).await;
/// // … point a client at base_url and make one call, then:
/// let request = request.await.expect("a request arrived");
/// assert!(request.starts_with("POST "));
/// # let _ = base_url;
/// # }
/// ```
///
/// # Panics
///
/// When no loopback port can be bound (a test-only helper).
pub async fn one_shot_server(answer: impl Into<String>) -> (String, oneshot::Receiver<String>) {
    let answer = answer.into();
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let (tx, rx) = oneshot::channel();
    tokio::spawn(async move {
        let Ok((mut socket, _)) = listener.accept().await else {
            return;
        };
        let mut request = Vec::new();
        let mut buf = [0u8; 4096];
        while let Ok(n) = socket.read(&mut buf).await {
            if n == 0 {
                break;
            }
            request.extend_from_slice(&buf[..n]);
            if is_complete(&request) {
                break;
            }
        }
        socket.write_all(answer.as_bytes()).await.ok();
        socket.shutdown().await.ok();
        tx.send(String::from_utf8_lossy(&request).into_owned()).ok();
    });
    (url, rx)
}

/// An HTTP/1.1 answer with a `Content-Length` body that closes its connection, e.g.
/// `raw_answer("201 Created", "application/json", body)`.
pub fn raw_answer(status_line: &str, content_type: &str, body: &str) -> String {
    format!(
        "HTTP/1.1 {status_line}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
}

/// Whether `request` holds its whole head and as many body bytes as its `Content-Length` says.
fn is_complete(request: &[u8]) -> bool {
    let text = String::from_utf8_lossy(request);
    let Some(head_end) = text.find("\r\n\r\n") else {
        return false;
    };
    let length = text[..head_end]
        .lines()
        .find_map(|line| {
            line.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .and_then(|v| v.trim().parse::<usize>().ok())
        })
        .unwrap_or(0);
    request.len() >= head_end + 4 + length
}

/// A loopback port that nothing is expected to connect to, to prove that a client opened no
/// connection at all: aim the client at [`UnvisitedPort::url`], make the call, then
/// [`UnvisitedPort::assert_unvisited`]. It never accepts, so the check is not a race: a
/// connection the client opened is queued by the kernel and found there.
///
/// ```
/// let port = phone_verify_sim::UnvisitedPort::bind();
/// assert!(port.url().starts_with("http://127.0.0.1:"));
/// port.assert_unvisited();
/// ```
#[derive(Debug)]
pub struct UnvisitedPort {
    listener: std::net::TcpListener,
}

impl UnvisitedPort {
    /// Binds a loopback port.
    ///
    /// # Panics
    ///
    /// When no loopback port can be bound (a test-only helper).
    pub fn bind() -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a local port");
        listener.set_nonblocking(true).expect("non-blocking");
        Self { listener }
    }

    /// Its base URL, `http://127.0.0.1:PORT`.
    ///
    /// # Panics
    ///
    /// When the bound address cannot be read.
    pub fn url(&self) -> String {
        format!("http://{}", self.listener.local_addr().expect("bound"))
    }

    /// Asserts that no connection was made to the port.
    ///
    /// # Panics
    ///
    /// When a connection is waiting (or accepting failed otherwise).
    pub fn assert_unvisited(&self) {
        let accepted = self.listener.accept();
        assert!(
            accepted
                .as_ref()
                .is_err_and(|e| e.kind() == std::io::ErrorKind::WouldBlock),
            "no connection was opened: {accepted:?}"
        );
    }
}
