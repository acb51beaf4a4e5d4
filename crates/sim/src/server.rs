//! The accept loop, the connections, and the [`Simulator`] handle that owns them.
//!
//! The simulator runs its own accept loop instead of `axum::serve` so that it can count
//! connections and close one from inside a handler (the `Close*` faults).

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, watch};
use tokio::task::{JoinHandle, JoinSet};
use tower::ServiceExt;

use crate::clock::SimClock;
use crate::config::SimConfig;
use crate::counters::{Counters, Metrics};
use crate::error::SimError;
use crate::faults::{Fault, FaultBook, FaultScope};
use crate::idmeta_state::IdmetaStore;
use crate::inbox::{DeliveredSms, Inbox};
use crate::routes;
use crate::twilio_state::TwilioStore;

/// Everything the handlers share.
pub(crate) struct Shared {
    pub(crate) config: SimConfig,
    /// The SMS both providers' routes delivered, per number.
    pub(crate) inbox: Inbox,
    /// IDMeta's routes' codes and sends.
    pub(crate) idmeta: IdmetaStore,
    /// The Twilio routes' verifications.
    pub(crate) twilio: TwilioStore,
    pub(crate) faults: FaultBook,
    pub(crate) metrics: Metrics,
    /// Turns true when the simulator shuts down; endless bodies and delays watch it.
    pub(crate) stopping: watch::Receiver<bool>,
}

impl Shared {
    /// Resolves when the simulator shuts down.
    pub(crate) async fn stopped(&self) {
        until_stopped(&mut self.stopping.clone()).await;
    }

    pub(crate) fn counters(&self) -> Counters {
        self.metrics.snapshot(self.inbox.codes_sent_per_number())
    }

    pub(crate) fn reset(&self) {
        self.inbox.reset();
        self.idmeta.reset();
        self.twilio.reset();
        self.faults.clear();
        self.metrics.reset();
    }
}

/// Lets a handler close the connection its request came on, without an answer.
#[derive(Clone, Debug)]
pub(crate) struct Connection {
    kill: Arc<Notify>,
}

impl Connection {
    /// Closes the connection; never returns (the handler is dropped with the connection).
    pub(crate) async fn close(&self) -> ! {
        self.kill.notify_one();
        std::future::pending().await
    }
}

/// A running simulator. Dropping it shuts the server down in the background; call
/// [`shutdown`](Self::shutdown) to wait until it has.
///
/// ```no_run
/// # async fn demo() -> Result<(), phone_verify_sim::SimError> {
/// let sim = phone_verify_sim::start(phone_verify_sim::SimConfig::default().fixed_code("123456")).await?;
/// let url = format!("{}/api/v3/verifications/phone-verification/send", sim.base_url());
/// // … send with any HTTP client, then:
/// assert_eq!(sim.last_code_for("+60182258491").as_deref(), Some("123456"));
/// sim.shutdown().await;
/// # let _ = url;
/// # Ok(())
/// # }
/// ```
pub struct Simulator {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
    server: Option<JoinHandle<()>>,
}

/// Starts a simulator on an ephemeral port of 127.0.0.1.
///
/// # Errors
///
/// [`SimError::Config`] when a knob is out of range, [`SimError::Bind`] when no port can be bound.
pub async fn start(config: SimConfig) -> Result<Simulator, SimError> {
    start_on(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), config).await
}

/// Starts a simulator on `addr` (port 0 picks a free port).
///
/// # Errors
///
/// [`SimError::Config`] when a knob is out of range, [`SimError::Bind`] when `addr` cannot be
/// bound.
pub async fn start_on(addr: SocketAddr, config: SimConfig) -> Result<Simulator, SimError> {
    config.validate()?;
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| SimError::Bind { addr, source })?;
    let local = listener
        .local_addr()
        .map_err(|source| SimError::Bind { addr, source })?;
    let (stop, stopping) = watch::channel(false);
    let grace = config.shutdown_grace;
    let shared = Arc::new(Shared {
        config,
        inbox: Inbox::new(),
        idmeta: IdmetaStore::new(),
        twilio: TwilioStore::default(),
        faults: FaultBook::default(),
        metrics: Metrics::default(),
        stopping: stopping.clone(),
    });
    let router = routes::router(Arc::clone(&shared));
    let server = tokio::spawn(accept_loop(
        listener,
        router,
        Arc::clone(&shared),
        stopping,
        grace,
    ));
    tracing::debug!(addr = %local, "simulator listening");
    Ok(Simulator {
        addr: local,
        shared,
        stop,
        server: Some(server),
    })
}

impl Simulator {
    /// The base URL to give a client, without a trailing slash (`http://127.0.0.1:41234`).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The bearer token IDMeta's routes accept ([`crate::SimConfig::idmeta_token`]): give it to
    /// the client under test. A test token, not a credential.
    pub fn idmeta_token(&self) -> &str {
        &self.shared.config.idmeta.token
    }

    /// The HTTP Basic pair the Twilio routes accept ([`crate::SimConfig::twilio_credentials`]):
    /// the user (an Account SID, `AC…`, or an API key SID, `SK…`) and its secret. Test
    /// credentials, not secrets.
    pub fn twilio_credentials(&self) -> (&str, &str) {
        let twilio = &self.shared.config.twilio;
        (&twilio.user, &twilio.secret)
    }

    /// The Verify Service SID the Twilio routes serve ([`crate::SimConfig::twilio_service_sid`]).
    pub fn twilio_service_sid(&self) -> &str {
        &self.shared.config.twilio.service_sid
    }

    /// The address the simulator listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every SMS delivered and still kept, oldest first.
    pub fn inbox(&self) -> Vec<DeliveredSms> {
        self.shared.inbox.messages(None)
    }

    /// The SMS delivered to one E.164 number, oldest first.
    pub fn inbox_for(&self, e164: &str) -> Vec<DeliveredSms> {
        self.shared.inbox.messages(Some(e164))
    }

    /// The newest code delivered to an E.164 number (`+60182258491`).
    pub fn last_code_for(&self, e164: &str) -> Option<String> {
        self.shared.inbox.last_code_for(e164)
    }

    /// A snapshot of the counters.
    pub fn counters(&self) -> Counters {
        self.shared.counters()
    }

    /// Arms a fault for the requests `scope` selects. Faults are used in the order they were
    /// armed.
    pub fn inject(&self, fault: Fault, scope: FaultScope) {
        self.shared.faults.arm(fault, scope);
    }

    /// Disarms every fault.
    pub fn clear_faults(&self) {
        self.shared.faults.clear();
    }

    /// The faults still armed, with what is left of their scope.
    pub fn pending_faults(&self) -> Vec<(Fault, FaultScope)> {
        self.shared.faults.pending()
    }

    /// From now on, IDMeta's sends and verifies for this `trustValidationId` are answered 404.
    pub fn mark_unknown_trust_validation(&self, id: impl Into<String>) {
        self.shared.idmeta.mark_unknown_trust_validation(id.into());
    }

    /// From now on, IDMeta's sends and verifies for this `trustFlowId` are answered 404.
    pub fn mark_unknown_trust_flow(&self, id: i64) {
        self.shared.idmeta.mark_unknown_trust_flow(id);
    }

    /// The simulator's clock (a clone shares it: advancing it moves the simulator's time).
    pub fn clock(&self) -> SimClock {
        self.shared.config.clock.clone()
    }

    /// Forgets all codes, inboxes, unknown ids, faults and counters, as if freshly started.
    pub fn reset(&self) {
        self.shared.reset();
    }

    /// Stops accepting, lets requests in flight finish within the shutdown grace, closes every
    /// connection (endless trickles included) and returns when the server is gone.
    pub async fn shutdown(mut self) {
        self.stop.send_replace(true);
        if let Some(server) = self.server.take() {
            // A panicking server task has nothing left to clean up.
            let _ = server.await;
        }
    }
}

impl std::fmt::Debug for Simulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Simulator")
            .field("addr", &self.addr)
            .field("config", &self.shared.config)
            .finish_non_exhaustive()
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        // The server task sees this and winds down on its own; nothing here blocks.
        self.stop.send_replace(true);
    }
}

async fn accept_loop(
    listener: TcpListener,
    router: Router,
    shared: Arc<Shared>,
    mut stopping: watch::Receiver<bool>,
    grace: Duration,
) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            () = until_stopped(&mut stopping) => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => {
                    connections.spawn(serve_connection(
                        stream,
                        router.clone(),
                        Arc::clone(&shared),
                        stopping.clone(),
                        grace,
                    ));
                }
                Err(error) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
        }
    }
    drop(listener);
    // Each connection honours the grace itself; this bound only guards against a stuck task.
    let drained = tokio::time::timeout(grace + Duration::from_secs(1), async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        connections.abort_all();
        while connections.join_next().await.is_some() {}
    }
}

async fn serve_connection(
    stream: TcpStream,
    router: Router,
    shared: Arc<Shared>,
    mut stopping: watch::Receiver<bool>,
    grace: Duration,
) {
    // Small JSON answers must not wait for Nagle's algorithm.
    let _ = stream.set_nodelay(true);
    let connection = Connection {
        kill: Arc::new(Notify::new()),
    };
    let kill = Arc::clone(&connection.kill);
    // Counted once, at its first request outside `/__sim/`: a connection a test harness opens
    // only to arm faults or read the inbox is not one the client under test made.
    let counted = AtomicBool::new(false);
    let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
        if !request.uri().path().starts_with(routes::CONTROL_PREFIX)
            && !counted.swap(true, Ordering::Relaxed)
        {
            Metrics::bump(&shared.metrics.connections_accepted);
        }
        request.extensions_mut().insert(connection.clone());
        router.clone().oneshot(request)
    });
    let served = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .serve_connection(TokioIo::new(stream), service);
    tokio::pin!(served);
    tokio::select! {
        // Dropping the connection closes the socket without an answer.
        () = kill.notified() => {}
        _ = served.as_mut() => {}
        () = until_stopped(&mut stopping) => {
            served.as_mut().graceful_shutdown();
            tokio::select! {
                () = kill.notified() => {}
                _ = tokio::time::timeout(grace, served) => {}
            }
        }
    }
}

/// Resolves once the stop flag is set or its sender is gone (both mean shutdown).
async fn until_stopped(stopping: &mut watch::Receiver<bool>) {
    // The guard `wait_for` returns is not Send; drop it here, inside.
    let _ = stopping.wait_for(|stop| *stop).await;
}
