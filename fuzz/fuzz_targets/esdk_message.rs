//! Fuzzes the AWS Encryption SDK message reader (header, frames, footer).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| trent_esdk::fuzzing::message(data));
