//! Numbers at rest through the binary: with number keys (a file or the environment, never a
//! flag's value) send, check and history work and the store file holds no form of the number;
//! `protect-numbers` counts, then converts, a store kept in clear, and its guards still see the
//! old sends.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{
    CODE, NUMBER, NUMBER_FORMS, Workspace, binary, check, fails_with, run, send, simulator,
    wal_and_shm,
};

/// A key file's entry, the current (and only) key.
fn key_entries() -> String {
    format!("k1:{}\n", "9e".repeat(32))
}

/// A key file in `ws`, readable by its owner only.
fn key_file(ws: &Workspace) -> PathBuf {
    owner_only_file(ws, "number-keys.txt", &key_entries())
}

/// The file `name` in `ws` holding `text`, readable by its owner only.
fn owner_only_file(ws: &Workspace, name: &str, text: &str) -> PathBuf {
    let path = ws.file(name, text.as_bytes());
    #[cfg(unix)]
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o600))
        .expect("chmod");
    path
}

/// The forms of [`NUMBER`] the store file and its WAL hold.
fn numbers_in_store(db: &Path) -> Vec<&'static str> {
    let mut bytes = std::fs::read(db).expect("the store file");
    for extra in wal_and_shm(db) {
        bytes.extend(std::fs::read(extra).unwrap_or_default());
    }
    NUMBER_FORMS
        .into_iter()
        .filter(|form| bytes.windows(form.len()).any(|w| w == form.as_bytes()))
        .collect()
}

fn with_keys<'c>(command: &'c mut Command, keys: &Path) -> &'c mut Command {
    command.arg("--number-keys-file").arg(keys)
}

/// Sends to [`NUMBER`] for `tv-1` with the keys of [`key_file`], which it returns: a
/// protected store with one send.
async fn sent_with_keys(base_url: &str, ws: &Workspace) -> PathBuf {
    let keys = key_file(ws);
    let sent = run(with_keys(
        &mut send(base_url, &ws.db(), NUMBER, "tv-1"),
        &keys,
    ))
    .await;
    assert_eq!(sent.code, 0, "{}", sent.all());
    keys
}

fn history_of_number(ws: &Workspace) -> Command {
    let mut history = binary();
    history
        .args(["history", "--phone", NUMBER, "--json"])
        .args(["--database-url", &ws.database_url()]);
    history
}

#[tokio::test]
async fn with_number_keys_send_check_and_history_work_and_the_store_holds_no_number() {
    let sim = simulator().await;
    let ws = Workspace::new();
    let keys = sent_with_keys(&sim.base_url(), &ws).await;
    let mut checked = check(&sim.base_url(), &ws.db(), "tv-1", CODE);
    checked.args(["--phone", NUMBER]);
    let checked = run(with_keys(&mut checked, &keys)).await;
    assert_eq!(checked.code, 0, "verified: {}", checked.all());

    let listed = run(with_keys(&mut history_of_number(&ws), &keys)).await;
    assert_eq!(listed.code, 0, "{}", listed.all());
    let attempts = listed.json()["attempts"]
        .as_array()
        .expect("a list")
        .clone();
    assert_eq!(attempts.len(), 2, "the send and its check: {attempts:?}");
    assert!(
        attempts.iter().all(|a| a["phone"] == "+60*****8491"),
        "{attempts:?}"
    );
    let without_keys = run(&mut history_of_number(&ws)).await;
    assert_eq!(
        without_keys.json()["attempts"].as_array().map(Vec::len),
        Some(0),
        "without the keys the number's digest is unknown: {}",
        without_keys.stdout
    );
    assert_eq!(numbers_in_store(&ws.db()), Vec::<&str>::new());
}

#[tokio::test]
async fn protect_numbers_counts_then_converts_a_store_in_clear_whose_guards_still_see_its_sends() {
    let sim = simulator().await;
    let ws = Workspace::new();
    let sent = run(&mut send(&sim.base_url(), &ws.db(), NUMBER, "tv-1")).await;
    assert_eq!(sent.code, 0, "{}", sent.all());
    let checked = run(&mut check(&sim.base_url(), &ws.db(), "tv-1", CODE)).await;
    assert_eq!(checked.code, 0, "{}", checked.all());
    assert!(
        !numbers_in_store(&ws.db()).is_empty(),
        "kept in clear at first"
    );

    let protect = |extra: &[&str]| {
        let mut command = binary();
        command
            .args(["protect-numbers", "--json"])
            .args(extra)
            .args(["--database-url", &ws.database_url()]);
        command
    };
    fails_with(&mut protect(&[]), 3, "no number keys").await;
    let keys = key_file(&ws);
    let dry_run = run(with_keys(&mut protect(&[]), &keys)).await;
    assert_eq!(dry_run.code, 0, "{}", dry_run.all());
    assert_eq!(dry_run.json()["dry_run"], true);
    assert_eq!(dry_run.json()["in_clear"], 2);
    assert!(
        !numbers_in_store(&ws.db()).is_empty(),
        "a dry run changes nothing"
    );

    let mut converting = protect(&["--convert", "--batch", "1"]);
    converting.env("PHONE_VERIFY_NUMBER_KEYS", key_entries());
    let converted = run(&mut converting).await;
    assert_eq!(converted.code, 0, "{}", converted.all());
    assert_eq!(converted.json()["converted"], 2, "{}", converted.stdout);
    let again = run(with_keys(&mut protect(&["--convert"]), &keys)).await;
    assert_eq!(again.json()["converted"], 0, "idempotent: {}", again.stdout);
    assert_eq!(numbers_in_store(&ws.db()), Vec::<&str>::new());

    fails_with(
        with_keys(&mut send(&sim.base_url(), &ws.db(), NUMBER, "tv-2"), &keys),
        4,
        "too recently",
    )
    .await;
    let listed = run(with_keys(&mut history_of_number(&ws), &keys)).await;
    assert_eq!(listed.json()["attempts"].as_array().map(Vec::len), Some(2));
}

/// How many attempts of `trust_validation` the store holds, read with `keys`.
async fn attempts_of(ws: &Workspace, keys: &Path, trust_validation: &str) -> usize {
    let mut history = binary();
    history
        .args(["history", "--json", "--trust-validation", trust_validation])
        .args(["--database-url", &ws.database_url()]);
    let listed = run(with_keys(&mut history, keys)).await;
    assert_eq!(listed.code, 0, "{}", listed.all());
    listed.json()["attempts"].as_array().map_or(0, Vec::len)
}

/// A protected store knows its keys: a write without them would keep numbers in clear in it
/// and miss every cooldown, and one under a key id whose material changed would do the same,
/// silently. `send`, `check` and `protect-numbers --convert` refuse both as a configuration
/// error (exit 3) saying nothing was written, before the provider is asked or a row written.
#[tokio::test]
async fn a_protected_store_without_its_keys_or_with_a_changed_key_is_exit_three_and_unchanged() {
    let sim = simulator().await;
    let ws = Workspace::new();
    let keys = sent_with_keys(&sim.base_url(), &ws).await;
    let asked = sim.counters().requests_total;
    // The same key id, other material.
    let changed = owner_only_file(
        &ws,
        "changed-keys.txt",
        &format!("k1:{}\n", "7b".repeat(32)),
    );
    let other = "+60182258492";
    let convert = || {
        let mut command = binary();
        command
            .args(["protect-numbers", "--convert"])
            .args(["--database-url", &ws.database_url()]);
        command
    };
    let missing = "the store keeps numbers protected: open it with its number keys";
    let key_changed = "number key k1 is not the key this store recorded under that id";
    for (mut command, says) in [
        (send(&sim.base_url(), &ws.db(), other, "tv-2"), missing),
        (check(&sim.base_url(), &ws.db(), "tv-1", CODE), missing),
        (send(&sim.base_url(), &ws.db(), other, "tv-2"), key_changed),
        (check(&sim.base_url(), &ws.db(), "tv-1", CODE), key_changed),
        (convert(), key_changed),
    ] {
        if says == key_changed {
            with_keys(&mut command, &changed);
        }
        let ran = run(&mut command).await;
        assert_eq!(ran.code, 3, "{says}: {}", ran.all());
        for told in [says, "nothing was written"] {
            assert!(ran.stderr.contains(told), "{told}: {}", ran.stderr);
        }
        assert!(!ran.all().contains(&"7b".repeat(32)), "{}", ran.all());
    }
    assert_eq!(
        sim.counters().requests_total,
        asked,
        "the provider was not asked"
    );
    assert_eq!(attempts_of(&ws, &keys, "tv-1").await, 1, "the send alone");
    assert_eq!(attempts_of(&ws, &keys, "tv-2").await, 0, "no send written");
    assert_eq!(numbers_in_store(&ws.db()), Vec::<&str>::new());
}

#[tokio::test]
async fn bad_number_keys_are_a_configuration_error_that_never_quotes_them() {
    let ws = Workspace::new();
    let secret = "zz".repeat(32);
    let bad = ws.file("bad-keys.txt", format!("k1:{secret}").as_bytes());
    let mut history = history_of_number(&ws);
    let said = fails_with(
        with_keys(&mut history, &bad),
        3,
        "key entry 1 is not ID:HEX",
    )
    .await;
    assert!(!said.contains(&secret), "{said}");

    let mut from_env = history_of_number(&ws);
    from_env.env("PHONE_VERIFY_NUMBER_KEYS", "k1:00");
    let said = fails_with(&mut from_env, 3, "PHONE_VERIFY_NUMBER_KEYS").await;
    assert!(said.contains("invalid key"), "{said}");
    assert!(!ws.db().exists(), "nothing was opened");
}

#[tokio::test]
async fn a_number_keys_file_readable_by_others_is_warned_about() {
    let ws = Workspace::new();
    let keys = ws.file("shared-keys.txt", key_entries().as_bytes());
    #[cfg(unix)]
    std::fs::set_permissions(&keys, std::os::unix::fs::PermissionsExt::from_mode(0o644))
        .expect("chmod");
    let mut protect = binary();
    protect
        .args(["protect-numbers", "--database-url", &ws.database_url()])
        .arg("--number-keys-file")
        .arg(&keys);
    let ran = run(&mut protect).await;
    assert!(
        ran.stderr.contains("warning: the number keys file"),
        "{}",
        ran.stderr
    );
    assert!(!ran.all().contains(&"9e".repeat(32)), "{}", ran.all());
}
