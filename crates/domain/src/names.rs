//! Stable names of unit enums: one list per enum gives both directions, so a name written to a
//! record or a metric always reads back as the variant it came from.

/// A stable name that names no variant (a record written by a newer version, or damaged).
/// The name itself is left out of the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not a known {what}")]
pub struct UnknownName {
    what: &'static str,
}

impl UnknownName {
    /// A name that is not one of `what`'s (`"error class"`, `"check verdict"`, ...).
    pub fn new(what: &'static str) -> Self {
        Self { what }
    }

    /// What the name should have named.
    pub fn what(&self) -> &'static str {
        self.what
    }
}

/// Gives a unit enum its stable lowercase names from one list: `as_str` (an exhaustive
/// `match`: a variant left out of the list does not compile), `Display` (the same name) and
/// `FromStr` (the reverse, [`UnknownName`] for any other string).
///
/// The second form is for a vocabulary that also keeps a value nobody named (`Other`, holding
/// the provider's raw value): after the list, `other: PATTERN => RAW` says which variant that
/// is and how to read its raw value. `stable_name` gives the stable name of every other
/// variant (`None` for that one), `as_str` the stable name or the raw value, `Display` the
/// same, and `FromStr` reads the stable names only: a raw value is not a name.
///
/// For the enums of this workspace; not part of the API.
#[doc(hidden)]
#[macro_export]
macro_rules! stable_names {
    ($ty:ident, $what:literal, { $($variant:ident => $name:literal),+ $(,)? },
        other: $other:pat => $raw:expr) => {
        impl $ty {
            /// The stable lowercase name of this meaning; `None` for a value kept as the
            /// provider sent it.
            // The `other` pattern binds the raw value, which this function does not need.
            #[allow(unused_variables)]
            pub fn stable_name(&self) -> ::std::option::Option<&'static str> {
                match self {
                    $(Self::$variant => ::std::option::Option::Some($name),)+
                    $other => ::std::option::Option::None,
                }
            }

            /// The stable lowercase name, or the provider's raw value when the meaning has no
            /// name.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $name,)+
                    $other => $raw,
                }
            }
        }

        $crate::stable_names!(@display_and_parse $ty, $what, { $($variant => $name),+ });
    };
    ($ty:ident, $what:literal, { $($variant:ident => $name:literal),+ $(,)? }) => {
        impl $ty {
            /// The stable lowercase name, as records and metrics spell it.
            pub fn as_str(&self) -> &'static str {
                match self {
                    $(Self::$variant => $name,)+
                }
            }
        }

        $crate::stable_names!(@display_and_parse $ty, $what, { $($variant => $name),+ });
    };
    // Both forms: `Display` is `as_str`, `FromStr` reads the stable names only.
    (@display_and_parse $ty:ident, $what:literal, { $($variant:ident => $name:literal),+ }) => {
        impl ::std::fmt::Display for $ty {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $ty {
            type Err = $crate::UnknownName;

            /// The variant `name` names, as its stable name spells it (a raw value kept as
            /// the provider sent it is not a name).
            fn from_str(name: &str) -> ::std::result::Result<Self, Self::Err> {
                match name {
                    $($name => Ok(Self::$variant),)+
                    _ => Err($crate::UnknownName::new($what)),
                }
            }
        }
    };
}
