//! The SQLite file behind the binary: only `send` (and the demo) create one, and say so; a
//! missing store is an error, never a new empty one; the file and its `-wal` and `-shm` are
//! owner-only; none of the two is left behind when the binary exits; a path is a path.

use crate::support::{
    CODE, NUMBER, Workspace, binary, check, fails_with, run, send, simulator, under_umask_000,
    wal_and_shm,
};

fn history(ws: &Workspace) -> std::process::Command {
    let mut command = binary();
    command.args([
        "history",
        "--trust-validation",
        "tv-file",
        "--database-url",
        &ws.database_url(),
    ]);
    command
}

#[tokio::test]
async fn history_and_check_never_create_a_store_they_say_where_none_is() {
    let sim = simulator().await;
    let ws = Workspace::new();
    for mut command in [
        history(&ws),
        check(&sim.base_url(), &ws.db(), "tv-file", CODE),
    ] {
        let refused = run(&mut command).await;
        assert_eq!(refused.code, 8, "{}", refused.all());
        assert!(
            refused.stderr.contains(&format!(
                "phone-verify: store: no store at {}",
                ws.db().display()
            )),
            "{}",
            refused.stderr
        );
        assert!(
            refused.stderr.contains("never create a store"),
            "{}",
            refused.stderr
        );
        assert!(!ws.db().exists(), "no store was created");
    }
    assert_eq!(
        sim.counters().requests_total,
        0,
        "the provider was not asked"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn a_deleted_store_is_not_replaced_by_an_empty_one() {
    let sim = simulator().await;
    let ws = Workspace::new();
    let first = run(&mut send(&sim.base_url(), &ws.db(), NUMBER, "tv-file")).await;
    assert_eq!(first.code, 0, "{}", first.all());
    assert!(
        first.stderr.contains(&format!(
            "phone-verify: created a new store at {}",
            ws.db().display()
        )),
        "{}",
        first.stderr
    );
    let listed = run(&mut history(&ws)).await;
    assert_eq!(listed.code, 0, "{}", listed.all());
    assert!(!listed.stderr.contains("created"), "{}", listed.stderr);

    std::fs::remove_file(ws.db()).expect("the store is deleted");
    fails_with(&mut history(&ws), 8, "no store at").await;
    fails_with(
        &mut check(&sim.base_url(), &ws.db(), "tv-file", CODE),
        8,
        "no store at",
    )
    .await;
    assert!(!ws.db().exists());

    let again = run(&mut send(
        &sim.base_url(),
        &ws.db(),
        "+60123456789",
        "tv-again",
    ))
    .await;
    assert_eq!(again.code, 0, "{}", again.all());
    assert!(
        again.stderr.contains("created a new store"),
        "{}",
        again.stderr
    );
    let resent = run(&mut send(
        &sim.base_url(),
        &ws.db(),
        "+60133456789",
        "tv-third",
    ))
    .await;
    assert!(
        !resent.stderr.contains("created"),
        "said once: {}",
        resent.stderr
    );
    sim.shutdown().await;
}

/// While `send` waits for the provider (a listener that accepts and never answers), the
/// store holds the reservation: the file, its `-wal` and its `-shm` all exist.
#[cfg(unix)]
#[tokio::test]
async fn the_store_and_its_wal_and_shm_are_created_owner_only_whatever_the_umask() {
    use std::io::Read;
    let ws = Workspace::new();
    let provider = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", provider.local_addr().expect("addr"));
    // As `send`, with a timeout that cannot run out while the files are looked at.
    let mut command = binary();
    command
        .env("IDMETA_API_TOKEN", crate::support::TOKEN)
        .args([
            "send",
            "--idmeta-base-url",
            &url,
            "--allow-plain-http",
            "--timeout-secs",
            "120",
            "--total-timeout-secs",
            "120",
        ])
        .args(["--database-url", &ws.database_url()])
        .args([
            "--phone",
            NUMBER,
            "--trust-flow",
            "147",
            "--trust-validation",
            "tv-mode",
        ]);
    let mut child = under_umask_000(&command)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("the binary starts");
    let (mut connection, _) = tokio::task::spawn_blocking(move || provider.accept())
        .await
        .expect("the accepting thread")
        .expect("the binary connects to the provider");
    let mut first = [0_u8; 1];
    connection
        .read_exact(&mut first)
        .expect("the request starts");
    let [wal, shm] = wal_and_shm(&ws.db());
    for file in [ws.db(), wal.clone(), shm.clone()] {
        assert_eq!(crate::support::mode(&file), 0o600, "{}", file.display());
    }
    drop(connection);
    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .expect("the waiting thread")
        .expect("the binary exits");
    assert_eq!(status.code(), Some(7), "a cut connection: outcome unknown");
    assert!(
        !wal.exists() && !shm.exists(),
        "closed on the error path too"
    );
}

#[cfg(unix)]
#[tokio::test]
async fn a_store_readable_by_others_is_warned_about_and_left_as_it_is() {
    use std::os::unix::fs::PermissionsExt;
    let sim = simulator().await;
    let ws = Workspace::new();
    assert_eq!(
        run(&mut send(&sim.base_url(), &ws.db(), NUMBER, "tv-file"))
            .await
            .code,
        0
    );
    assert_eq!(crate::support::mode(&ws.db()), 0o600);
    let quiet = run(&mut history(&ws)).await;
    assert!(!quiet.stderr.contains("warning"), "{}", quiet.stderr);

    std::fs::set_permissions(ws.db(), std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let warned = run(&mut history(&ws)).await;
    assert_eq!(warned.code, 0, "{}", warned.all());
    let line = format!(
        "phone-verify: warning: the store {} is readable by group or others (mode 0644)",
        ws.db().display()
    );
    assert!(warned.stderr.contains(&line), "{}", warned.stderr);
    assert_eq!(
        crate::support::mode(&ws.db()),
        0o644,
        "not changed behind the user's back"
    );
    sim.shutdown().await;
}

/// A run that does not close its store leaves the WAL behind in most runs on this machine
/// (not all): each case runs three times.
#[tokio::test]
async fn no_wal_or_shm_is_left_when_a_command_succeeds_or_fails() {
    let sim = simulator().await;
    let ws = Workspace::new();
    let url = sim.base_url();
    let unreachable = "http://127.0.0.1:9";
    let numbers = ["+60123456789", "+60133456789", "+60143456789"];
    for (round, number) in numbers.into_iter().enumerate() {
        let tv = format!("tv-wal-{round}");
        let runs = [
            (run(&mut send(&url, &ws.db(), number, &tv)).await, 0),
            (run(&mut history(&ws)).await, 0),
            (
                run(&mut check(&url, &ws.db(), "tv-never-sent", CODE)).await,
                4,
            ),
            (run(&mut send(unreachable, &ws.db(), NUMBER, &tv)).await, 6),
        ];
        for (index, (done, code)) in runs.iter().enumerate() {
            assert_eq!(
                done.code,
                *code,
                "round {round}, run {index}: {}",
                done.all()
            );
            for file in wal_and_shm(&ws.db()) {
                assert!(
                    !file.exists(),
                    "round {round}, run {index} left {}",
                    file.display()
                );
            }
        }
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn the_demo_takes_its_database_as_a_path() {
    let ws = Workspace::new();
    for name in ["a?mode=memory", "e%41.db"] {
        let path = ws.dir.path().join(name);
        let demo = run(binary().args(["demo", "--json", "--database"]).arg(&path)).await;
        assert_eq!(demo.code, 0, "{}", demo.all());
        assert_eq!(demo.json()["database"], path.display().to_string());
        let written = std::fs::metadata(&path).expect("the file of that very name");
        assert!(written.len() > 0, "{name} holds the records");
    }
    assert!(!ws.dir.path().join("eA.db").exists(), "no percent-decoding");
    assert!(!ws.dir.path().join("a").exists(), "no query string");
}
