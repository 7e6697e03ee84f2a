//! The protocols the endpoint speaks, each translating `trent-api` shapes to `trent-core`
//! calls: the KMS operations (`kms/`), STS, the admin API and CloudTrail's LookupEvents.

pub mod admin;
pub mod cloudtrail;
pub mod kms;
pub mod sts;
