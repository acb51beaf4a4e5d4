use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use phone_verify_sim::{SimConfig, Simulator};

pub(crate) const TOKEN: &str = "cli-test-token-73ab";
pub(crate) const CODE: &str = "482913";
pub(crate) const NUMBER: &str = "+60182258491";

/// [`NUMBER`] in each form it could be printed in: E.164, its digits, the national digits, and
/// the spaced forms people (and the numbering library's formatter) write.
pub(crate) const NUMBER_FORMS: [&str; 6] = [
    NUMBER,
    "60182258491",
    "182258491",
    "18-225 8491",
    "18 225 8491",
    "018-225 8491",
];

/// The first seven national digits of [`NUMBER`]: a line whose digits, separators taken out,
/// hold these shows (most of) the number.
pub(crate) const LEADING_DIGITS: &str = "1822584";

/// Fails, naming `context`, when `output` shows [`NUMBER`] in any form (even with its digits
/// split by other separators), the token or the code.
pub(crate) fn assert_no_number(output: &str, context: &str) {
    for form in NUMBER_FORMS {
        assert!(
            !output.contains(form),
            "{context}: {form:?} leaked:\n{output}"
        );
    }
    // The digits the log formatter writes itself (a line's timestamp, a span's timings) are
    // measurements, not data: a timestamp's microseconds once read 482913, the code.
    let data = without_measurements(output);
    for line in data.lines() {
        let digits: String = line.chars().filter(char::is_ascii_digit).collect();
        assert!(
            !digits.contains(LEADING_DIGITS),
            "{context}: national digits leaked in {line:?}"
        );
    }
    assert!(
        !output.contains(TOKEN) && !data.contains(CODE),
        "{context}: the token or the code leaked:\n{output}"
    );
}

/// `output` with each RFC 3339 timestamp and each timing field (`elapsed=`,
/// `elapsed_secs=`, `latency_ms=`) replaced by a placeholder.
fn without_measurements(output: &str) -> String {
    const TIMINGS: [&str; 3] = ["elapsed=", "elapsed_secs=", "latency_ms="];
    output
        .lines()
        .map(|line| {
            line.split(' ')
                .map(|token| {
                    let timestamp = token.len() > 20
                        && token.as_bytes()[..4].iter().all(u8::is_ascii_digit)
                        && token.as_bytes()[4] == b'-'
                        && token.contains('T')
                        && token.ends_with('Z');
                    if timestamp {
                        "<time>"
                    } else if TIMINGS.iter().any(|field| token.starts_with(field)) {
                        "<timing>"
                    } else {
                        token
                    }
                })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn a_timestamp_or_a_timing_that_spells_the_code_is_not_a_leak() {
    let line = format!("2026-12-01T20:48:49.{CODE}Z DEBUG x: elapsed=1.{CODE}ms done");
    assert!(!without_measurements(&line).contains(CODE));
    assert!(without_measurements(&format!("code {CODE}")).contains(CODE));
}

/// A finished run of the binary.
pub(crate) struct Run {
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Run {
    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_str(self.stdout.trim()).unwrap_or_else(|e| panic!("{e}: {}", self.stdout))
    }

    pub(crate) fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

impl From<Output> for Run {
    fn from(output: Output) -> Self {
        Self {
            code: output.status.code().expect("exited normally"),
            stdout: String::from_utf8(output.stdout).expect("utf-8 stdout"),
            stderr: String::from_utf8(output.stderr).expect("utf-8 stderr"),
        }
    }
}

pub(crate) fn binary() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_phone-verify"));
    command
        .env_remove("IDMETA_API_TOKEN")
        .env_remove("RUST_LOG")
        .env_remove("PHONE_VERIFY_DATABASE_URL")
        .env_remove("PHONE_VERIFY_NUMBER_KEYS");
    for var in TWILIO_VARS {
        command.env_remove(var);
    }
    command
}

/// The environment variables the Twilio adapter's configuration is read from.
pub(crate) const TWILIO_VARS: [&str; 5] = [
    "TWILIO_VERIFY_SERVICE_SID",
    "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN",
    "TWILIO_API_KEY_SID",
    "TWILIO_API_KEY_SECRET",
];

/// `command` with the simulator's Twilio Service and Account credentials in the
/// environment, and `--twilio-base-url base_url`.
pub(crate) fn with_twilio(command: &mut Command, base_url: &str) {
    command
        .env(
            "TWILIO_VERIFY_SERVICE_SID",
            phone_verify_sim::DEFAULT_TWILIO_SERVICE_SID,
        )
        .env(
            "TWILIO_ACCOUNT_SID",
            phone_verify_sim::DEFAULT_TWILIO_ACCOUNT_SID,
        )
        .env(
            "TWILIO_AUTH_TOKEN",
            phone_verify_sim::DEFAULT_TWILIO_AUTH_TOKEN,
        )
        .args(["--twilio-base-url", base_url]);
}

/// Runs the binary off the async runtime, so a simulator in this test process keeps serving.
pub(crate) async fn run(command: &mut Command) -> Run {
    run_with_stdin(command, Vec::new()).await
}

/// Runs a command that must fail, and checks its exit code and that it said one clear line.
pub(crate) async fn fails_with(
    command: &mut std::process::Command,
    code: i32,
    says: &str,
) -> String {
    let run = run(command).await;
    assert_eq!(run.code, code, "{}", run.all());
    let first = run
        .stderr
        .lines()
        .find(|l| l.starts_with("phone-verify: ") || l.starts_with("error: "));
    let line = first.unwrap_or_else(|| panic!("no error line in:\n{}", run.stderr));
    assert!(
        run.stderr.contains(says),
        "expected {says:?} in:\n{}",
        run.stderr
    );
    assert!(!run.all().contains("panicked"), "{}", run.all());
    assert!(!run.all().contains(TOKEN), "{}", run.all());
    line.to_owned()
}

/// [`run`] with `stdin` written to the binary's standard input (as much as it reads of it).
pub(crate) async fn run_with_stdin(command: &mut Command, stdin: Vec<u8>) -> Run {
    let mut command = std::mem::replace(command, Command::new("true"));
    tokio::task::spawn_blocking(move || {
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary starts");
        let mut input = child.stdin.take().expect("a stdin pipe");
        // The binary may stop reading and exit early: a broken pipe here is expected.
        let writer = std::thread::spawn(move || drop(input.write_all(&stdin)));
        let output = child.wait_with_output().expect("the binary runs");
        writer.join().expect("the stdin writer");
        output
    })
    .await
    .expect("the runner thread")
    .into()
}

/// `command` run by `sh` under umask `000`, so that any mode narrower than `0666` on a file
/// it creates is the program's doing.
pub(crate) fn under_umask_000(command: &Command) -> Command {
    let mut sh = Command::new("sh");
    sh.arg("-c")
        .arg("umask 000 && exec \"$0\" \"$@\"")
        .arg(command.get_program())
        .args(command.get_args());
    for (key, value) in command.get_envs() {
        match value {
            Some(value) => sh.env(key, value),
            None => sh.env_remove(key),
        };
    }
    sh
}

/// The `-wal` and `-shm` files SQLite keeps beside `db` while it is open.
pub(crate) fn wal_and_shm(db: &Path) -> [PathBuf; 2] {
    ["-wal", "-shm"].map(|suffix| {
        let mut name = db.as_os_str().to_owned();
        name.push(suffix);
        PathBuf::from(name)
    })
}

/// The permission bits of `path`.
#[cfg(unix)]
pub(crate) fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

pub(crate) async fn simulator() -> Simulator {
    phone_verify_sim::start(SimConfig::default().idmeta_token(TOKEN).fixed_code(CODE))
        .await
        .expect("the simulator starts")
}

/// A temporary directory with a database URL inside it.
pub(crate) struct Workspace {
    pub(crate) dir: tempfile::TempDir,
}

impl Workspace {
    pub(crate) fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("a temp dir"),
        }
    }

    pub(crate) fn db(&self) -> PathBuf {
        self.dir.path().join("records.db")
    }

    pub(crate) fn database_url(&self) -> String {
        format!("sqlite://{}", self.db().display())
    }

    pub(crate) fn file(&self, name: &str, contents: &[u8]) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, contents).expect("write");
        path
    }
}

/// `command` (`send` or `check`) against `base_url`, the token in the environment, recording
/// in `db`.
pub(crate) fn provider_command(command: &str, base_url: &str, db: &Path) -> Command {
    let mut binary = binary();
    binary
        .env("IDMETA_API_TOKEN", TOKEN)
        .env("IDMETA_TRUST_FLOW", "147")
        .args([
            command,
            "--idmeta-base-url",
            base_url,
            "--allow-plain-http",
            "--timeout-secs",
            "1",
        ])
        .args(["--database-url", &format!("sqlite://{}", db.display())]);
    binary
}

/// `send` against `base_url`.
pub(crate) fn send(base_url: &str, db: &Path, phone: &str, trust_validation: &str) -> Command {
    let mut command = provider_command("send", base_url, db);
    command.args([
        "--phone",
        phone,
        "--trust-flow",
        "147",
        "--trust-validation",
        trust_validation,
    ]);
    command
}

/// `check` against `base_url`.
pub(crate) fn check(base_url: &str, db: &Path, trust_validation: &str, code: &str) -> Command {
    let mut command = provider_command("check", base_url, db);
    command.args(["--trust-validation", trust_validation, "--code", code]);
    command
}
