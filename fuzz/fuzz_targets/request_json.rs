//! Fuzzes request body parsing and model-driven validation for every operation.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| trent_api::fuzzing::request_json(data));
