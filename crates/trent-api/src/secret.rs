//! Secret strings on the wire (an access key's secret, a session token): zeroized on drop,
//! redacted in `Debug`, sent as a plain JSON string or XML text.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use zeroize::Zeroizing;

/// A secret string: zeroized on drop, redacted in `Debug`.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct SecretString(pub Zeroizing<String>);

impl SecretString {
    pub fn new(text: String) -> SecretString {
        SecretString(Zeroizing::new(text))
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

impl From<String> for SecretString {
    fn from(text: String) -> SecretString {
        SecretString::new(text)
    }
}

impl From<&str> for SecretString {
    fn from(text: &str) -> SecretString {
        SecretString::new(text.to_owned())
    }
}

impl From<Zeroizing<String>> for SecretString {
    fn from(text: Zeroizing<String>) -> SecretString {
        SecretString(text)
    }
}

impl std::fmt::Debug for SecretString {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretString(<redacted>)")
    }
}

impl Serialize for SecretString {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for SecretString {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<SecretString, D::Error> {
        String::deserialize(d).map(SecretString::new)
    }
}

#[cfg(test)]
mod tests {
    use super::SecretString;

    #[test]
    fn secrets_are_sent_but_never_shown() {
        let secret = SecretString::from("wJalrXUtnFEMI/K7MDENG");
        assert_eq!(format!("{secret:?}"), "SecretString(<redacted>)");
        assert_eq!(
            serde_json::to_string(&secret).unwrap(),
            r#""wJalrXUtnFEMI/K7MDENG""#
        );
        let back: SecretString = serde_json::from_str(r#""abc""#).unwrap();
        assert_eq!(back.as_str(), "abc");
    }
}
