//! Metric keys built without an allocation a call.
//!
//! The `metrics` macros build a key's labels into a new `Vec` at every call when a label's
//! value is not a literal: four to six allocations a send, about a quarter of what the library
//! adds to one (issue 29). Here each distinct set of labels is kept once for the life of the
//! process (leaked on purpose: a key's labels must be `'static` to be borrowed), and a key
//! borrows it. A thread looks a set up in its own table first, then in the process's, and
//! only the first use of a set anywhere copies it.
//!
//! The sets are bounded by what the labels can be: the use cases' enums, the providers the
//! program configured, the stores' engine names and the country calling codes of numbers (at
//! most a thousand), the same keys a recorder keeps for the life of the process anyway.
//!
//! Nothing is cached between calls but the labels: each call still asks the recorder of the
//! moment (a thread's local one, the global one, or none) for its handle, so a recorder
//! installed after the first send sees every later one.

use std::cell::RefCell;
use std::sync::{LazyLock, Mutex, PoisonError};

use metrics::{Counter, Gauge, Histogram, Key, Label, Level, Metadata, SharedString};
use rustc_hash::FxHashSet;

/// Every set of labels interned in the process. Hashed by a fast hasher without a random
/// seed: the sets are few and bounded (above), so no caller can flood a bucket.
static INTERNED: LazyLock<Mutex<FxHashSet<&'static [Label]>>> = LazyLock::new(Mutex::default);

thread_local! {
    /// The sets this thread has used: looked up without a lock.
    static SEEN: RefCell<FxHashSet<&'static [Label]>> = RefCell::default();
}

/// The label values of the country calling codes, `"0"` to `"999"`, made once: a value
/// borrowed from a number would not be `'static`.
static CALLING_CODES: LazyLock<Box<[String]>> =
    LazyLock::new(|| (0..1000).map(|code: u16| code.to_string()).collect());

/// Where the metrics say they come from (as the macros' default does).
static METADATA: Metadata<'static> =
    Metadata::new(module_path!(), Level::INFO, Some(module_path!()));

/// The process's copy of `labels`, made on its first use.
pub(super) fn interned(labels: &[Label]) -> &'static [Label] {
    SEEN.with(|seen| {
        if let Some(set) = seen.borrow().get(labels) {
            return *set;
        }
        let set = {
            let mut sets = INTERNED.lock().unwrap_or_else(PoisonError::into_inner);
            match sets.get(labels) {
                Some(set) => *set,
                None => {
                    let set: &'static [Label] = Box::leak(labels.to_vec().into_boxed_slice());
                    sets.insert(set);
                    set
                }
            }
        };
        seen.borrow_mut().insert(set);
        set
    })
}

/// The value of a `country_code` label: the calling code's digits without `+` (`60`),
/// borrowed from a table made once for the codes a number can have.
pub(super) fn calling_code(calling_code: &str) -> SharedString {
    let digits = calling_code.trim_start_matches('+');
    let tabled = digits
        .parse::<usize>()
        .ok()
        .and_then(|code| CALLING_CODES.get(code))
        .filter(|tabled| tabled.as_str() == digits);
    match tabled {
        Some(tabled) => SharedString::const_str(tabled.as_str()),
        None => SharedString::from(digits.to_owned()),
    }
}

/// The key `name` with `labels`, its labels interned.
fn key(name: &'static str, labels: &[Label]) -> Key {
    Key::from_static_parts(name, interned(labels))
}

/// The counter `name` with `labels`, from the recorder of the moment.
pub(super) fn counter(name: &'static str, labels: &[Label]) -> Counter {
    let key = key(name, labels);
    metrics::with_recorder(|recorder| recorder.register_counter(&key, &METADATA))
}

/// The gauge `name` with `labels`, from the recorder of the moment.
pub(super) fn gauge(name: &'static str, labels: &[Label]) -> Gauge {
    let key = key(name, labels);
    metrics::with_recorder(|recorder| recorder.register_gauge(&key, &METADATA))
}

/// The histogram `name` with `labels`, from the recorder of the moment.
pub(super) fn histogram(name: &'static str, labels: &[Label]) -> Histogram {
    let key = key(name, labels);
    metrics::with_recorder(|recorder| recorder.register_histogram(&key, &METADATA))
}

#[cfg(test)]
mod tests {
    use std::ptr;

    use metrics::Label;

    use super::{calling_code, interned};

    #[test]
    fn a_set_of_labels_is_copied_once_and_then_borrowed() {
        let labels = [
            Label::new("provider", "idmeta"),
            Label::new("country_code", calling_code("+60")),
        ];
        let first = interned(&labels);
        let again = interned(&labels.clone());
        assert_eq!(first, &labels[..]);
        assert!(ptr::eq(first, again), "the second use copied the set again");
        let elsewhere = std::thread::spawn(move || interned(&labels))
            .join()
            .expect("the thread ran");
        assert!(
            ptr::eq(elsewhere, first),
            "another thread made its own copy"
        );
        let other = interned(&[Label::new("provider", "twilio")]);
        assert_ne!(other, first);
    }

    #[test]
    fn a_calling_code_is_its_digits_whatever_the_table_holds() {
        assert_eq!(&*calling_code("+60"), "60");
        assert_eq!(&*calling_code("+1"), "1");
        assert_eq!(&*calling_code("+998"), "998");
        // Never a code of a parsed number, but never a different label either.
        assert_eq!(&*calling_code("+060"), "060");
        assert_eq!(&*calling_code("+12345"), "12345");
    }
}
