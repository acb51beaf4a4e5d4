//! The request body, handed to a connection at most once, and the one place that knows whether
//! it was.
//!
//! `hyper` polls a request body only once a connection for it is ready: TCP connected, TLS
//! handshake done. So a body never polled is a request whose bytes never left the machine.
//! Which timeout fired (the connect timeout or the request timeout) then does not matter: when
//! an attempt fails, [`Handover::withhold`] closes the body unless it was already handed over,
//! and tells which. The two race on one atomic, so the answer holds even while a connection
//! completes at the same instant: a withheld body is never written afterwards.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};

/// Nobody has decided yet.
const WAITING: u8 = 0;
/// A connection took the body: the request may have been sent.
const HANDED_OVER: u8 = 1;
/// The attempt gave up first: the body will never be written.
const WITHHELD: u8 = 2;

/// The caller's side: asks, once an attempt failed, whether its body was handed over.
#[derive(Debug)]
pub(crate) struct Handover {
    state: Arc<AtomicU8>,
}

/// The connection's side: the body of one attempt, yielded once as a single frame.
#[derive(Debug)]
pub(crate) struct HandoverBody {
    bytes: Option<Bytes>,
    state: Arc<AtomicU8>,
}

/// The error a connection gets when it polls a body the attempt has already given up.
#[derive(Debug, thiserror::Error)]
#[error("the request body was withheld: the attempt had already failed")]
pub(crate) struct Withheld;

impl Handover {
    /// A body for one attempt, and its handle.
    pub(crate) fn of(bytes: Bytes) -> (Self, HandoverBody) {
        let state = Arc::new(AtomicU8::new(WAITING));
        let body = HandoverBody {
            bytes: Some(bytes),
            state: Arc::clone(&state),
        };
        (Self { state }, body)
    }

    /// Makes sure the body is never written from now on, unless it already was. Returns whether
    /// a connection took it before (the request may have been sent).
    pub(crate) fn withhold(&self) -> bool {
        match self
            .state
            .compare_exchange(WAITING, WITHHELD, Ordering::AcqRel, Ordering::Acquire)
        {
            Ok(_) => false,
            Err(previous) => previous == HANDED_OVER,
        }
    }
}

impl Body for HandoverBody {
    type Data = Bytes;
    type Error = Withheld;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Withheld>>> {
        let Some(bytes) = self.bytes.take() else {
            return Poll::Ready(None);
        };
        let taken =
            self.state
                .compare_exchange(WAITING, HANDED_OVER, Ordering::AcqRel, Ordering::Acquire);
        Poll::Ready(Some(match taken {
            Ok(_) => Ok(Frame::data(bytes)),
            Err(_) => Err(Withheld),
        }))
    }

    fn is_end_stream(&self) -> bool {
        self.bytes.is_none()
    }

    /// Exact, so the request keeps its `Content-Length` (no chunked encoding).
    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.bytes.as_ref().map_or(0, |b| b.len() as u64))
    }
}

#[cfg(test)]
mod tests {
    use std::future::poll_fn;

    use super::*;

    async fn poll_once(body: &mut HandoverBody) -> Option<Result<Frame<Bytes>, Withheld>> {
        poll_fn(|cx| Pin::new(&mut *body).poll_frame(cx)).await
    }

    #[tokio::test]
    async fn a_body_taken_by_a_connection_counts_as_handed_over() {
        let (handover, mut body) = Handover::of(Bytes::from_static(b"{}"));
        assert_eq!(body.size_hint().exact(), Some(2));
        let frame = poll_once(&mut body).await.expect("a frame").expect("data");
        assert_eq!(frame.into_data().ok(), Some(Bytes::from_static(b"{}")));
        assert!(body.is_end_stream());
        assert!(poll_once(&mut body).await.is_none());
        assert!(handover.withhold());
    }

    #[tokio::test]
    async fn a_withheld_body_is_never_yielded() {
        let (handover, mut body) = Handover::of(Bytes::from_static(b"{}"));
        assert!(!handover.withhold());
        assert!(matches!(poll_once(&mut body).await, Some(Err(Withheld))));
        // Asking again does not change the answer.
        assert!(!handover.withhold());
    }
}
