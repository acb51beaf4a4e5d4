//! Making codes, as the configuration says: random digits, or one fixed code. IDMeta's and
//! Twilio's routes make theirs the same way.

use rand::Rng;

use crate::config::{CodeSource, SimConfig};

/// A new code, as the configuration says.
pub(crate) fn new_code(config: &SimConfig) -> String {
    match &config.codes {
        CodeSource::Fixed(code) => code.clone(),
        CodeSource::Random => random_code(config.code_length),
    }
}

fn random_code(digits: usize) -> String {
    let mut rng = rand::rng();
    (0..digits)
        .map(|_| char::from(b'0' + rng.random_range(0..10u8)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_codes_have_the_configured_number_of_digits() {
        for digits in [4, 6, 10] {
            let code = random_code(digits);
            assert_eq!(code.len(), digits);
            assert!(code.bytes().all(|b| b.is_ascii_digit()));
        }
    }
}
