//! The root stays small: the names a handler sends, checks and wires with, the list the
//! crate's docs show, and nothing re-exported wholesale.

use std::collections::BTreeSet;

/// The root's public names, as `src/lib.rs` declares them (modules and items re-exported at
/// the root, not those of the modules).
fn root_names() -> BTreeSet<String> {
    let lib = include_str!("../../src/lib.rs");
    let mut names = BTreeSet::new();
    let mut statement = String::new();
    for line in lib
        .lines()
        .filter(|line| !line.trim_start().starts_with("//"))
    {
        if let Some(module) = line.strip_prefix("pub mod ") {
            names.insert(module.trim_end_matches(';').to_owned());
        }
        if line.starts_with("pub use ") || !statement.is_empty() {
            statement.push_str(line);
            if line.trim_end().ends_with(';') {
                let body = statement["pub use ".len()..].trim_end_matches(';');
                assert!(
                    !body.contains('*'),
                    "a glob re-export at the root: {statement}"
                );
                let (path, list) = body.split_once('{').unwrap_or(("", body));
                let _ = path;
                for name in list.trim_end_matches('}').split(',') {
                    let name = name.trim();
                    let name = name.rsplit("::").next().unwrap_or(name);
                    if !name.is_empty() {
                        names.insert(name.to_owned());
                    }
                }
                statement.clear();
            }
        }
    }
    names
}

#[test]
fn the_root_holds_about_twenty_names_and_the_modules() {
    let expected: BTreeSet<String> = [
        // Send, check, wire.
        "PhoneVerification",
        "PhoneVerificationBuilder",
        "BuildError",
        "VerificationRecords",
        "PhoneNumber",
        "TrustValidationId",
        "IdError",
        "OtpCode",
        "OtpCodeError",
        "SendCodeRequest",
        "Channel",
        "Locale",
        "LocaleError",
        "AppHash",
        "AppHashError",
        "ClientKey",
        "ClientKeyError",
        "TestNumbers",
        "TestNumbersError",
        "SentCode",
        "CheckedCode",
        "SendCodeError",
        "CheckCodeError",
        "NextStep",
        "TellsNextStep",
        "ProviderName",
        "ProviderNameError",
        "Route",
        "NumberPrefix",
        "PhoneLogGuard",
        "metric_names",
        // The modules.
        "idmeta",
        "numbers",
        "policy",
        "ports",
        "records",
        "sql",
        "testing",
        "twilio",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    assert_eq!(root_names(), expected);
}

#[test]
fn no_module_re_exports_a_crate_wholesale() {
    for (module, source) in [
        ("idmeta", include_str!("../../src/idmeta.rs")),
        ("twilio", include_str!("../../src/twilio.rs")),
        ("sql", include_str!("../../src/sql.rs")),
        ("ports", include_str!("../../src/ports.rs")),
        ("policy", include_str!("../../src/policy.rs")),
        ("records", include_str!("../../src/records.rs")),
        ("numbers", include_str!("../../src/numbers.rs")),
        ("testing", include_str!("../../src/testing.rs")),
    ] {
        for line in source.lines().filter(|line| line.contains("pub use")) {
            assert!(!line.contains('*'), "{module}: {line}");
        }
    }
}
