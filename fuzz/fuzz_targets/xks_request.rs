//! Fuzzes the XKS proxy API's path, request and response parsers.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| trent_api::fuzzing::xks_request(data));
