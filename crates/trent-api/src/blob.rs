//! Base64 blobs on the wire: public [`Blob`]s and zeroizing [`SecretBlob`]s.
//!
//! Standard base64 with padding, strict (no whitespace, canonical trailing bits), by the SIMD
//! `base64-simd`; a property test holds it to the `base64` crate's strict engine.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use zeroize::Zeroizing;

const B64: base64_simd::Base64 = base64_simd::STANDARD;

/// The bytes of a base64 text (strict standard alphabet with padding).
pub fn decode(text: &[u8]) -> Option<Vec<u8>> {
    B64.decode_to_vec(text).ok()
}

/// The decoded length of a base64 text, checked, without decoding it (the model's length
/// constraints); `None` when it is not base64.
pub fn decoded_len(text: &[u8]) -> Option<usize> {
    B64.check(text).ok()?;
    B64.decoded_length(text).ok()
}

/// Base64 text of `bytes`.
pub fn encode(bytes: &[u8]) -> String {
    B64.encode_to_string(bytes)
}

/// Reads a JSON string (borrowed where the input allows) straight into decoded bytes.
struct Decoding;

impl serde::de::Visitor<'_> for Decoding {
    type Value = Vec<u8>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a base64-encoded string")
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Vec<u8>, E> {
        decode(v.as_bytes()).ok_or_else(|| E::custom("invalid base64"))
    }

    fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Vec<u8>, E> {
        // The text of a secret is itself secret: zeroized once decoded.
        let v = Zeroizing::new(v);
        self.visit_str(&v)
    }
}

/// A non-secret blob (a ciphertext, a public key), base64 on the wire.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Blob(pub Vec<u8>);

/// `bytes` as a JSON string of base64 text, handed to the serializer as raw JSON.
///
/// serde_json escapes a string byte by byte (a large blob's longest step in writing a
/// response), and base64 never needs escaping; as a `RawValue` the text is checked by
/// serde_json's word-at-a-time string scan and then copied as it is. Serializers other than
/// serde_json's see a `RawValue`, which serde_json's `Value` serializer reads as the string.
fn quoted(bytes: &[u8]) -> Option<Box<serde_json::value::RawValue>> {
    let mut text = String::with_capacity(B64.encoded_length(bytes.len()).checked_add(2)?);
    text.push('"');
    B64.encode_append(bytes, &mut text);
    text.push('"');
    serde_json::value::RawValue::from_string(text).ok()
}

impl Serialize for Blob {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match quoted(&self.0) {
            Some(raw) => raw.serialize(s),
            None => s.serialize_str(&encode(&self.0)),
        }
    }
}

impl<'de> Deserialize<'de> for Blob {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Blob, D::Error> {
        d.deserialize_str(Decoding).map(Blob)
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
        match quoted(self.0.as_slice()) {
            Some(raw) => {
                let written = raw.serialize(s);
                // The base64 text of a secret is zeroized like the secret.
                let mut text: Box<str> = raw.into();
                zeroize::Zeroize::zeroize(&mut text);
                written
            }
            None => s.serialize_str(&Zeroizing::new(encode(self.0.as_slice()))),
        }
    }
}

impl<'de> Deserialize<'de> for SecretBlob {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<SecretBlob, D::Error> {
        d.deserialize_str(Decoding).map(SecretBlob::new)
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use base64::Engine as _;
    use proptest::prelude::*;

    const REFERENCE: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

    proptest! {
        /// Encoding agrees with the `base64` crate byte for byte.
        #[test]
        fn encodes_as_the_reference(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            prop_assert_eq!(super::encode(&bytes), REFERENCE.encode(&bytes));
        }

        /// Decoding accepts exactly what the reference's strict engine accepts, with the same
        /// bytes and length: texts near base64 (its alphabet, '=', and a few strays).
        #[test]
        fn decodes_as_the_reference(text in "[A-Za-z0-9+/=]{0,64}|[A-Za-z0-9+/= \\n_-]{0,64}") {
            let reference = REFERENCE.decode(text.as_bytes()).ok();
            prop_assert_eq!(super::decode(text.as_bytes()), reference.clone());
            prop_assert_eq!(super::decoded_len(text.as_bytes()), reference.map(|b| b.len()));
        }

        /// A blob is written as the reference's base64 in a JSON string, inside a document
        /// and as a `Value`, public or secret.
        #[test]
        fn writes_the_json_string_of_its_base64(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let expected = format!("\"{}\"", REFERENCE.encode(&bytes));
            let public = super::Blob(bytes.clone());
            let secret = super::SecretBlob::new(bytes.clone());
            prop_assert_eq!(serde_json::to_string(&public).unwrap(), expected.clone());
            prop_assert_eq!(serde_json::to_string(&secret).unwrap(), expected.clone());
            let mut map = std::collections::BTreeMap::new();
            map.insert("Blob", public);
            prop_assert_eq!(
                serde_json::to_string(&map).unwrap(),
                format!("{{\"Blob\":{expected}}}")
            );
            prop_assert_eq!(
                serde_json::to_value(&secret).unwrap(),
                serde_json::Value::String(REFERENCE.encode(&bytes))
            );
        }

        /// Every encoding decodes back, including non-canonical final characters refused.
        #[test]
        fn round_trips(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let text = super::encode(&bytes);
            prop_assert_eq!(super::decode(text.as_bytes()), Some(bytes));
        }
    }

    #[test]
    fn non_canonical_padding_bits_and_whitespace_are_refused() {
        for bad in ["QQ", "QR==", "QQ==\n", " QQ==", "QQ=", "Q===", "QUJD\r\n"] {
            assert_eq!(super::decode(bad.as_bytes()), None, "{bad:?}");
            assert!(REFERENCE.decode(bad).is_err(), "{bad:?}");
        }
        assert_eq!(super::decode(b"QQ=="), Some(b"A".to_vec()));
    }

    #[test]
    fn secret_and_public_blobs_read_json_strings() {
        let blob: super::Blob = serde_json::from_str("\"AAEC\"").unwrap();
        assert_eq!(blob.0, vec![0, 1, 2]);
        let secret: super::SecretBlob = serde_json::from_value(serde_json::json!("AAEC")).unwrap();
        assert_eq!(secret.as_slice(), &[0, 1, 2]);
        assert!(serde_json::from_str::<super::Blob>("\"AAE\"").is_err());
        assert!(serde_json::from_str::<super::Blob>("7").is_err());
    }
}
