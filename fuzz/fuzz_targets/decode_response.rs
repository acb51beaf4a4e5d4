//! Any status and body: the answer decoder returns a result or a typed error, never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    let (status, body) = match input {
        [high, low, rest @ ..] => (u16::from_be_bytes([*high, *low]) % 600, rest),
        _ => (200, input),
    };
    let _ = idmeta_adapter::fuzzing::decode_send(status, Some("30"), body);
    let _ = idmeta_adapter::fuzzing::decode_check(status, None, body);
});
