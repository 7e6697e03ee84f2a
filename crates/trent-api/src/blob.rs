//! Base64 blobs on the wire: public [`Blob`]s and zeroizing [`SecretBlob`]s.

use base64::Engine as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use zeroize::Zeroizing;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// A non-secret blob (a ciphertext, a public key), base64 on the wire.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Blob(pub Vec<u8>);

impl Serialize for Blob {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&B64.encode(&self.0))
    }
}

impl<'de> Deserialize<'de> for Blob {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Blob, D::Error> {
        let s = String::deserialize(d)?;
        B64.decode(s.as_bytes())
            .map(Blob)
            .map_err(serde::de::Error::custom)
    }
}

/// A secret blob (a plaintext, a data key): zeroized on drop, redacted in `Debug`.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct SecretBlob(pub Zeroizing<Vec<u8>>);

impl SecretBlob {
    pub fn new(bytes: Vec<u8>) -> SecretBlob {
        SecretBlob(Zeroizing::new(bytes))
    }

    pub fn as_slice(&self) -> &[u8] {
        &self.0
    }
}

impl std::fmt::Debug for SecretBlob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecretBlob(<{} bytes redacted>)", self.0.len())
    }
}

impl Serialize for SecretBlob {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let encoded = Zeroizing::new(B64.encode(self.0.as_slice()));
        s.serialize_str(&encoded)
    }
}

impl<'de> Deserialize<'de> for SecretBlob {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<SecretBlob, D::Error> {
        let s = Zeroizing::new(String::deserialize(d)?);
        B64.decode(s.as_bytes())
            .map(SecretBlob::new)
            .map_err(serde::de::Error::custom)
    }
}

/// A timestamp: AWS sends epoch seconds as a JSON number, with a fraction when there is one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct EpochMillis(pub i64);

impl Serialize for EpochMillis {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.0 % 1000 == 0 {
            s.serialize_i64(self.0 / 1000)
        } else {
            // Exact for any date within ±285,000 years: the millisecond count fits in 53 bits.
            let millis = i32::try_from(self.0 % 1000).unwrap_or(0);
            let whole = self.0 / 1000;
            let text = format!("{whole}.{:03}", millis.unsigned_abs());
            s.serialize_f64(text.parse().unwrap_or_default())
        }
    }
}

impl<'de> Deserialize<'de> for EpochMillis {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<EpochMillis, D::Error> {
        let v = serde_json::Number::deserialize(d)?;
        if let Some(i) = v.as_i64() {
            return Ok(EpochMillis(i.saturating_mul(1000)));
        }
        // Parse "seconds.fraction" textually to stay clear of float casts.
        let text = v.to_string();
        let (whole, frac) = text.split_once('.').unwrap_or((&text, "0"));
        let whole: i64 = whole.parse().map_err(serde::de::Error::custom)?;
        let frac: String = frac.chars().chain("000".chars()).take(3).collect();
        let frac: i64 = frac.parse().map_err(serde::de::Error::custom)?;
        Ok(EpochMillis(whole.saturating_mul(1000).saturating_add(frac)))
    }
}
