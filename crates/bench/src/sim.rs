//! The simulator under the benchmark: started in a child process (this program, re-executed
//! with [`SIMULATOR_COMMAND`]) or in this process, and driven the same way in both cases,
//! over its `/__sim/` control routes.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context, bail};
use serde_json::json;

use crate::SimPlacement;
use crate::memory;

/// The hidden command that makes this program serve the simulator (its flags are
/// `phone-verify-sim`'s).
pub const SIMULATOR_COMMAND: &str = "simulator";

/// The token the simulator accepts and the clients send.
pub(crate) const TOKEN: &str = "bench-token";

/// What the simulator counted, read from `GET /__sim/counters`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct SimCounters {
    /// Requests to IDMeta's send route.
    pub(crate) idmeta_send_requests: u64,
    /// Codes sent (SMS delivered to its inbox).
    pub(crate) codes_sent: u64,
}

/// A running simulator. The child process is killed when this is dropped.
pub(crate) struct Sim {
    base_url: String,
    control: reqwest::Client,
    backing: Backing,
}

enum Backing {
    InProcess(Option<phone_verify_sim::Simulator>),
    Child(Child),
}

impl Sim {
    /// Starts a simulator that never refuses a send: no cooldown, no per-number limit.
    pub(crate) async fn start(placement: SimPlacement) -> anyhow::Result<Self> {
        let (base_url, backing) = match placement {
            SimPlacement::InProcess => {
                let sim = phone_verify_sim::start(
                    phone_verify_sim::SimConfig::default()
                        .idmeta_token(TOKEN)
                        .idmeta_resend_cooldown(Duration::ZERO)
                        .idmeta_no_send_limit(),
                )
                .await
                .context("the simulator did not start")?;
                (sim.base_url(), Backing::InProcess(Some(sim)))
            }
            SimPlacement::Child => {
                let (url, child) = tokio::task::spawn_blocking(spawn_child).await??;
                (url, Backing::Child(child))
            }
        };
        let control = reqwest::Client::builder()
            .use_rustls_tls()
            .build()
            .context("no HTTP client for the control routes")?;
        Ok(Self {
            base_url,
            control,
            backing,
        })
    }

    /// The base URL to give the clients.
    pub(crate) fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Whether the simulator has a process of its own (so its CPU time is known apart).
    pub(crate) fn pid(&self) -> Option<u32> {
        match &self.backing {
            Backing::Child(child) => Some(child.id()),
            Backing::InProcess(_) => None,
        }
    }

    /// CPU time the simulator's process has used so far, if it has a process of its own.
    pub(crate) fn cpu_time(&self) -> Option<Duration> {
        self.pid().and_then(|pid| memory::cpu_time(Some(pid)))
    }

    /// Resident memory of the simulator's process, if it has one.
    pub(crate) fn rss_bytes(&self) -> Option<u64> {
        self.pid()
            .and_then(|pid| memory::status_bytes(Some(pid), "VmRSS"))
    }

    /// Forgets every code, inbox and counter: each row starts from an empty simulator, whose
    /// memory does not grow with the run.
    pub(crate) async fn reset(&self) -> anyhow::Result<()> {
        self.control_call(self.control.post(self.url("__sim/reset")))
            .await
            .map(drop)
    }

    /// The counters.
    pub(crate) async fn counters(&self) -> anyhow::Result<SimCounters> {
        let body = self
            .control_call(self.control.get(self.url("__sim/counters")))
            .await?;
        let value: serde_json::Value = serde_json::from_slice(&body)?;
        let read = |field: &str| value[field].as_u64().unwrap_or_default();
        Ok(SimCounters {
            idmeta_send_requests: read("idmeta_send_requests"),
            codes_sent: read("codes_sent"),
        })
    }

    /// Holds the next `requests` requests for `delay` before answering them normally.
    pub(crate) async fn delay_next(&self, requests: usize, delay: Duration) -> anyhow::Result<()> {
        let millis = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
        let body = json!({
            "fault": { "type": "delay", "millis": millis },
            "scope": { "next": requests },
        });
        let request = self
            .control
            .post(self.url("__sim/faults"))
            .header("content-type", "application/json")
            .body(body.to_string());
        self.control_call(request).await.map(drop)
    }

    /// Stops the simulator and waits until it is gone.
    pub(crate) async fn stop(mut self) {
        match &mut self.backing {
            Backing::InProcess(sim) => {
                if let Some(sim) = sim.take() {
                    sim.shutdown().await;
                }
            }
            Backing::Child(child) => {
                // Our own child, by its handle: nothing else is signalled.
                let _ = child.kill();
                let _ = child.wait();
            }
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}/{path}", self.base_url)
    }

    async fn control_call(&self, request: reqwest::RequestBuilder) -> anyhow::Result<Vec<u8>> {
        let response = request
            .send()
            .await
            .context("the simulator's control route did not answer")?;
        let status = response.status();
        let body = response.bytes().await?.to_vec();
        if !status.is_success() {
            bail!("the simulator's control route answered HTTP {status}");
        }
        Ok(body)
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        if let Backing::Child(child) = &mut self.backing {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Re-executes this program as the simulator and reads the URL it prints first.
fn spawn_child() -> anyhow::Result<(String, Child)> {
    let program = std::env::current_exe().context("cannot find this program to re-execute")?;
    let mut child = Command::new(program)
        .args([
            SIMULATOR_COMMAND,
            "--idmeta-token",
            TOKEN,
            "--idmeta-resend-cooldown-secs",
            "0",
            "--idmeta-max-sends-per-window",
            "0",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .context("the simulator's process did not start")?;
    let stdout = child
        .stdout
        .take()
        .context("no stdout from the simulator")?;
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line)?;
    let Some(url) = line.trim().strip_prefix("phone-verify-sim listening on ") else {
        let _ = child.kill();
        let _ = child.wait();
        bail!("the simulator's process did not say where it listens");
    };
    Ok((url.to_owned(), child))
}
