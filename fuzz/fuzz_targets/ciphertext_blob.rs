//! Fuzzes the ciphertext blob parser.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| trent_core::fuzzing::ciphertext_blob(data));
