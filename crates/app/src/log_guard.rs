//! A `tracing` layer that drops every log record of the dependencies that write phone numbers in
//! clear, whatever the rest of the subscriber's filtering says.
//!
//! A target directive such as `rlibphonenumber=off` is not enough: `EnvFilter` enables
//! everything inside a span that a span or field directive names (`[send_code]=trace`,
//! `[{phone}]=trace`), whatever its target, and a more specific target directive
//! (`rlibphonenumber::phonenumberutil=trace`) wins over a shorter one. A layer is a separate,
//! global filter: the subscriber records an event only when every layer enables it, so no
//! directive of another layer can re-enable what this one refuses.

use phone_verify_domain::PHONE_LOGGING_TARGETS;
use tracing::subscriber::Interest;
use tracing::{Event, Metadata, Subscriber};
use tracing_subscriber::layer::{Context, Layer};

/// Refuses, for the whole subscriber, every span and event whose target starts with one of
/// [`PHONE_LOGGING_TARGETS`] (`rlibphonenumber`, and so each of its modules), including `log`
/// records forwarded by the `tracing-log` bridge (which asks the subscriber with the record's
/// own target, its module path, before it dispatches). Everything else is left to the other
/// layers.
///
/// Add it to the subscriber next to your filter; its place in the stack does not matter:
///
/// ```
/// use phone_verify_app::PhoneLogGuard;
/// use tracing_subscriber::layer::SubscriberExt as _;
/// use tracing_subscriber::EnvFilter;
///
/// let subscriber = tracing_subscriber::registry()
///     .with(PhoneLogGuard::new())
///     .with(EnvFilter::new("trace,[{phone}]=trace,rlibphonenumber=trace"))
///     .with(tracing_subscriber::fmt::layer());
/// tracing::subscriber::with_default(subscriber, || {
///     assert!(!tracing::enabled!(target: "rlibphonenumber::phonenumberutil", tracing::Level::ERROR));
///     assert!(tracing::enabled!(target: "my_app", tracing::Level::TRACE));
/// });
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct PhoneLogGuard {
    _private: (),
}

impl PhoneLogGuard {
    /// The guard (it has no settings: there is nothing to configure about not leaking).
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether records of `target` (a `tracing` target or a `log` record's target, which is
    /// its module path) are refused.
    ///
    /// ```
    /// use phone_verify_app::PhoneLogGuard;
    ///
    /// assert!(PhoneLogGuard::refuses("rlibphonenumber"));
    /// assert!(PhoneLogGuard::refuses("rlibphonenumber::phonenumberutil::phonenumberutil_internal"));
    /// assert!(!PhoneLogGuard::refuses("phone_verify_app::send_code"));
    /// ```
    pub fn refuses(target: &str) -> bool {
        PHONE_LOGGING_TARGETS
            .iter()
            .any(|refused| target.starts_with(refused))
    }
}

impl<S: Subscriber> Layer<S> for PhoneLogGuard {
    fn register_callsite(&self, metadata: &'static Metadata<'static>) -> Interest {
        if Self::refuses(metadata.target()) {
            Interest::never()
        } else {
            Interest::always()
        }
    }

    fn enabled(&self, metadata: &Metadata<'_>, _: Context<'_, S>) -> bool {
        !Self::refuses(metadata.target())
    }

    /// Asked for every event, even one whose callsite another subscriber of the process made
    /// "always" interesting (which skips [`Layer::enabled`]).
    fn event_enabled(&self, event: &Event<'_>, _: Context<'_, S>) -> bool {
        !Self::refuses(event.metadata().target())
    }
}
