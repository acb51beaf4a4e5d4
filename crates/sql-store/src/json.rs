//! JSON arrays of strings: how the store hands a batch's list to one statement, which reads it
//! with SQLite's `json_each` or PostgreSQL's `jsonb_array_elements`, rather than a statement
//! (and a round trip) per item.

/// `items` as a JSON array of strings.
pub(crate) fn strings<'a>(items: impl IntoIterator<Item = &'a str>) -> String {
    let mut json = String::from("[");
    for (index, item) in items.into_iter().enumerate() {
        if index > 0 {
            json.push(',');
        }
        push_string(&mut json, item);
    }
    json.push(']');
    json
}

/// `rows` as a JSON array of arrays of strings.
pub(crate) fn rows<'a, R: IntoIterator<Item = &'a str>>(
    rows: impl IntoIterator<Item = R>,
) -> String {
    let mut json = String::from("[");
    for (index, row) in rows.into_iter().enumerate() {
        if index > 0 {
            json.push(',');
        }
        json.push_str(&strings(row));
    }
    json.push(']');
    json
}

/// `text` as a JSON string: quoted, with a quote, a backslash and control characters escaped.
fn push_string(json: &mut String, text: &str) {
    json.push('"');
    for character in text.chars() {
        match character {
            '"' => json.push_str("\\\""),
            '\\' => json.push_str("\\\\"),
            control if u32::from(control) < 0x20 => {
                json.push_str(&format!("\\u{:04x}", u32::from(control)));
            }
            other => json.push(other),
        }
    }
    json.push('"');
}

#[cfg(test)]
mod tests {
    use super::{rows, strings};

    #[test]
    fn strings_are_quoted_with_quotes_backslashes_and_control_characters_escaped() {
        assert_eq!(strings([]), "[]");
        assert_eq!(
            strings(["tv-1", r#"a"b\c"#, "\n"]),
            r#"["tv-1","a\"b\\c","\u000a"]"#
        );
    }

    #[test]
    fn rows_are_arrays_of_arrays() {
        assert_eq!(rows([["a", "b"], ["c", "d"]]), r#"[["a","b"],["c","d"]]"#);
        assert_eq!(rows(Vec::<[&str; 2]>::new()), "[]");
    }
}
