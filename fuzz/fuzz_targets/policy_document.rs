//! Fuzzes the policy parser and evaluator.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| trent_core::fuzzing::policy_document(data));
