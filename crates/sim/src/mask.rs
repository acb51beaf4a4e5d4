//! Masking of phone numbers for logs and `Debug` output.

use std::fmt;

/// Shows a phone number with all but its last two digits replaced by `*` (`+*********91`).
pub(crate) struct Masked<'a>(pub(crate) &'a str);

impl fmt::Display for Masked<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = self.0.chars().filter(char::is_ascii_digit).count();
        let mut seen = 0;
        for c in self.0.chars() {
            if c.is_ascii_digit() {
                seen += 1;
                if seen + 2 <= digits {
                    f.write_str("*")?;
                    continue;
                }
            }
            fmt::Write::write_char(f, c)?;
        }
        Ok(())
    }
}

impl fmt::Debug for Masked<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{self}\"")
    }
}

#[cfg(test)]
mod tests {
    use super::Masked;

    #[test]
    fn only_the_last_two_digits_of_a_number_show() {
        assert_eq!(Masked("+60182258491").to_string(), "+*********91");
        assert_eq!(Masked("12").to_string(), "12");
        assert_eq!(Masked("").to_string(), "");
    }
}
