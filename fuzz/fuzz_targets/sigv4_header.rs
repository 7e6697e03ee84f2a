//! Fuzzes the SigV4 `Authorization` header parser and verifier.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| trent_api::fuzzing::sigv4_header(data));
