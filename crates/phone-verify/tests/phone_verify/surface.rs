//! The root stays small: the names a handler sends, checks and wires with, the list the
//! crate's docs show, and nothing re-exported wholesale.

use std::collections::BTreeSet;

const LIB: &str = include_str!("../../src/lib.rs");

/// The root as `src/lib.rs` declares it: the modules it declares, and the names it
/// re-exports (not those of the modules).
struct Root {
    modules: BTreeSet<String>,
    names: BTreeSet<String>,
}

fn root() -> Root {
    let mut root = Root {
        modules: BTreeSet::new(),
        names: BTreeSet::new(),
    };
    let code = LIB
        .lines()
        .filter(|line| !line.trim_start().starts_with("//"));
    for statement in statements(code, "pub use ") {
        assert!(
            !statement.contains('*'),
            "a glob re-export at the root: {statement}"
        );
        root.names.extend(imported_names(&statement));
    }
    for line in LIB.lines() {
        if let Some(module) = line.strip_prefix("pub mod ") {
            root.modules.insert(module.trim_end_matches(';').to_owned());
        }
    }
    root
}

/// The names the crate's docs list as the root's ("The root's names besides its modules"):
/// the `use phone_verify::…` statements of the code block after that sentence.
fn documented_names() -> BTreeSet<String> {
    let docs: Vec<&str> = LIB
        .lines()
        .filter_map(|line| line.strip_prefix("//!"))
        .map(str::trim)
        .collect();
    let heading = docs
        .iter()
        .position(|line| line.starts_with("The root's names besides its modules"))
        .expect("the crate's docs list the root's names");
    let block: Vec<&str> = docs[heading..]
        .iter()
        .copied()
        .skip_while(|line| !line.starts_with("```"))
        .skip(1)
        .take_while(|line| !line.starts_with("```"))
        .collect();
    statements(block.into_iter(), "use phone_verify::")
        .iter()
        .flat_map(|statement| imported_names(statement))
        .collect()
}

/// The statements that start with `prefix`, each joined onto one line, without the prefix and
/// the closing `;`.
fn statements<'a>(lines: impl Iterator<Item = &'a str>, prefix: &str) -> Vec<String> {
    let mut statements = Vec::new();
    let mut statement = String::new();
    for line in lines {
        let line = line.trim();
        if line.starts_with(prefix) || !statement.is_empty() {
            statement.push_str(line);
            statement.push(' ');
            if line.ends_with(';') {
                let body = statement[prefix.len()..].trim_end().trim_end_matches(';');
                statements.push(body.to_owned());
                statement.clear();
            }
        }
    }
    statements
}

/// The names a `use` body brings in: `a::B`, or `a::{B, C}`.
fn imported_names(body: &str) -> Vec<String> {
    let list = body.split_once('{').map_or(body, |(_, list)| list);
    list.trim_end_matches('}')
        .split(',')
        .map(|name| {
            let name = name.trim();
            name.rsplit("::").next().unwrap_or(name).to_owned()
        })
        .filter(|name| !name.is_empty())
        .collect()
}

#[test]
fn the_docs_list_every_name_of_the_root_and_no_other() {
    let root = root();
    let documented = documented_names();
    assert_eq!(
        root.names, documented,
        "src/lib.rs: the list of the root's names and its `pub use`s differ"
    );
}

#[test]
fn the_root_holds_about_twenty_names_and_the_modules() {
    let root = root();
    assert!(
        root.names.len() <= 22,
        "the root has {} names: {:?}; move the ones a handler does not send, check or wire \
         with into a module",
        root.names.len(),
        root.names
    );
    let modules: BTreeSet<String> = [
        "idmeta", "numbers", "policy", "ports", "records", "request", "sql", "testing", "twilio",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    assert_eq!(root.modules, modules);
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
        ("request", include_str!("../../src/request.rs")),
        ("testing", include_str!("../../src/testing.rs")),
    ] {
        for line in source.lines().filter(|line| line.contains("pub use")) {
            assert!(!line.contains('*'), "{module}: {line}");
        }
    }
}
