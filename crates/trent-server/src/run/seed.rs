//! Seed files (`--seed FILE`, YAML or TOML): keys with fixed ids, aliases, tags and optionally
//! fixed key material, created at start-up, idempotently.
//!
//! ```yaml
//! keys:
//!   - id: 1234abcd-12ab-34cd-56ef-1234567890ab
//!     account: "111122223333"          # optional: the default (or first) account
//!     region: us-east-1                # optional: us-east-1, or the account's first region
//!     spec: SYMMETRIC_DEFAULT          # optional: any KeySpec
//!     usage: ENCRYPT_DECRYPT           # optional: the spec's first usage
//!     description: payments key        # optional
//!     material: AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=   # optional, base64: 32 bytes
//!                                      # for symmetric keys, 1 to 1024 for HMAC keys
//!     private_key_pem: |               # optional, asymmetric keys: PKCS#8 (or PKCS#1 RSA) PEM
//!       -----BEGIN PRIVATE KEY-----
//!       ...
//!     aliases: [alias/payments]        # optional
//!     tags: { team: payments }         # optional
//!     enabled: true                    # optional
//! ```
//!
//! A key whose id already exists is left as it is, so restarting with the same seed file
//! changes nothing; with fixed material, ciphertexts made by one seeded Trent decrypt in any
//! other seeded from the same file.

use crate::failure::Failure;
use std::collections::BTreeMap;
use std::path::Path;

use base64::Engine as _;
use serde::Deserialize;
use trent_core::Kms;
use trent_core::model::{AccountId, AliasName, KeyId, KeySpec, KeyUsage, Region, Scope, Tag};
use trent_core::ops::keys::{SeedKey, SeedOutcome};
use trent_core::secret::Secret;
use zeroize::Zeroizing;

use crate::run::bootstrap::{DEFAULT_ACCOUNT, DEFAULT_REGION};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SeedFile {
    #[serde(default)]
    keys: Vec<SeedEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SeedEntry {
    id: String,
    account: Option<String>,
    region: Option<String>,
    #[serde(default)]
    description: String,
    spec: Option<String>,
    usage: Option<String>,
    material: Option<Zeroizing<String>>,
    private_key_pem: Option<Zeroizing<String>>,
    #[serde(default)]
    aliases: Vec<String>,
    #[serde(default)]
    tags: BTreeMap<String, String>,
    enabled: Option<bool>,
}

impl std::fmt::Debug for SeedEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SeedEntry")
            .field("id", &self.id)
            .field("aliases", &self.aliases)
            .finish_non_exhaustive()
    }
}

/// What applying a seed file did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct SeedReport {
    pub created: usize,
    pub present: usize,
}

/// A parse error without the values it may quote: a seed file holds key material, and parser
/// messages can quote the offending line or value.
fn redacted(message: &str, line: Option<usize>) -> String {
    // Keep "keys[0].material: invalid type", drop what follows (the value); keep other
    // messages' first line (field names, not values).
    let kind = ["invalid type", "invalid value", "invalid length"]
        .iter()
        .find_map(|k| message.find(*k).map(|at| message.get(..at + k.len())))
        .flatten()
        .unwrap_or_else(|| message.lines().next().unwrap_or_default())
        .to_owned();
    match line {
        Some(line) => format!("line {line}: {kind}"),
        None => kind,
    }
}

fn toml_error(text: &str, e: &toml::de::Error) -> String {
    let line = e
        .span()
        .and_then(|span| text.get(..span.start))
        .map(|before| before.lines().count().max(1));
    redacted(e.message(), line)
}

fn yaml_error(e: &serde_norway::Error) -> String {
    redacted(&e.to_string(), e.location().map(|l| l.line()))
}

fn parse(path: &Path, text: &str) -> Result<SeedFile, Failure> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase();
    match ext.as_str() {
        "toml" => toml::from_str(text).map_err(|e| Failure::Config(toml_error(text, &e))),
        "yaml" | "yml" => serde_norway::from_str(text).map_err(|e| Failure::Config(yaml_error(&e))),
        _ => toml::from_str(text)
            .map_err(|e| Failure::Config(toml_error(text, &e)))
            .or_else(|_| serde_norway::from_str(text).map_err(|e| Failure::Config(yaml_error(&e)))),
    }
}

/// Reads and applies a seed file. Every entry is checked before any key is created.
pub async fn apply(
    kms: &Kms,
    path: &Path,
    accounts: &[(AccountId, Vec<Region>)],
) -> Result<SeedReport, Failure> {
    let text =
        Zeroizing::new(std::fs::read_to_string(path).map_err(|e| {
            Failure::Config(format!("cannot read seed file {}: {e}", path.display()))
        })?);
    let file = parse(path, &text)
        .map_err(|e| Failure::Config(format!("seed file {}: {e}", path.display())))?;
    let default_account = accounts
        .iter()
        .find(|(a, _)| a.as_str() == DEFAULT_ACCOUNT)
        .or(accounts.first())
        .ok_or_else(|| {
            Failure::Config("seed file: there is no account to seed keys into".to_owned())
        })?;

    let mut seeds = Vec::new();
    for entry in file.keys {
        let at = |m: String| {
            Failure::Config(format!(
                "seed file {}: key {}: {m}",
                path.display(),
                entry.id
            ))
        };
        let id = KeyId::parse(&entry.id)
            .ok_or_else(|| at("id must be a lower-case UUID or mrk- and 32 hex digits".into()))?;
        let (account, regions) = match &entry.account {
            None => default_account.clone(),
            Some(a) => accounts
                .iter()
                .find(|(id, _)| id.as_str() == a)
                .cloned()
                .ok_or_else(|| at(format!("account {a} is not configured")))?,
        };
        let region = match &entry.region {
            Some(r) => Region::parse(r)
                .filter(|r| regions.contains(r))
                .ok_or_else(|| at(format!("region {r} is not one of the account's regions")))?,
            None => regions
                .iter()
                .find(|r| r.as_str() == DEFAULT_REGION)
                .or(regions.first())
                .cloned()
                .ok_or_else(|| at("the account has no regions".into()))?,
        };
        let spec = match &entry.spec {
            None => KeySpec::SymmetricDefault,
            Some(text) => KeySpec::parse(text).ok_or_else(|| at(format!("unknown spec {text}")))?,
        };
        let usage = match &entry.usage {
            None => None,
            Some(text) => {
                Some(KeyUsage::parse(text).ok_or_else(|| at(format!("unknown usage {text}")))?)
            }
        };
        let material = match (&entry.material, &entry.private_key_pem) {
            (Some(_), Some(_)) => {
                return Err(at(
                    "give either material or private_key_pem, not both".into()
                ));
            }
            (None, None) => None,
            (Some(b64), None) => {
                if spec.is_asymmetric() {
                    return Err(at(format!(
                        "{spec} keys take private_key_pem, not material"
                    )));
                }
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(b64.trim())
                    .map_err(|_| at("material must be base64".into()))?;
                Some(Secret::new(bytes))
            }
            (None, Some(text)) => {
                if !spec.is_asymmetric() {
                    return Err(at(format!(
                        "{spec} keys take material, not private_key_pem"
                    )));
                }
                let block =
                    pem::parse(text.as_bytes()).map_err(|e| at(format!("private_key_pem: {e}")))?;
                if !matches!(block.tag(), "PRIVATE KEY" | "RSA PRIVATE KEY") {
                    return Err(at(format!(
                        "private_key_pem holds a {}; a PKCS#8 PRIVATE KEY is expected",
                        block.tag()
                    )));
                }
                Some(Secret::new(block.into_contents()))
            }
        };
        let aliases = entry
            .aliases
            .iter()
            .map(|a| AliasName::parse(a).map_err(|e| at(e.to_string())))
            .collect::<Result<Vec<_>, _>>()?;
        // Tags and reserved aliases are checked by `prepare_seed`, before any key is written.
        let tags: Vec<Tag> = entry
            .tags
            .iter()
            .map(|(k, v)| Tag {
                key: k.clone(),
                value: v.clone(),
            })
            .collect();
        seeds.push(SeedKey {
            scope: Scope { account, region },
            id,
            spec,
            usage,
            description: entry.description.clone(),
            material,
            aliases,
            tags,
            enabled: entry.enabled.unwrap_or(true),
        });
    }
    // Prepare every key (parsing private keys, generating material) before writing any.
    let mut prepared = Vec::new();
    let mut report = SeedReport::default();
    for seed in seeds {
        let id = seed.id.clone();
        // Keys that exist are left alone; don't generate material for them.
        if kms
            .key_record(&seed.scope, &id)
            .await
            .map_err(|e| Failure::Config(format!("seed file {}: key {id}: {e}", path.display())))?
            .is_some()
        {
            report.present += 1;
            continue;
        }
        prepared.push((
            id.clone(),
            kms.prepare_seed(seed).map_err(|e| {
                Failure::Config(format!("seed file {}: key {id}: {e}", path.display()))
            })?,
        ));
    }
    for (id, seed) in prepared {
        match kms.apply_seed(seed).await {
            Ok(SeedOutcome::Created) => report.created += 1,
            Ok(SeedOutcome::AlreadyPresent) => report.present += 1,
            Err(e) => {
                return Err(Failure::Config(format!(
                    "seed file {}: key {id}: {e}",
                    path.display()
                )));
            }
        }
    }
    Ok(report)
}
