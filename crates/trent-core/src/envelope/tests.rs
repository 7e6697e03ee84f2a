//! Envelope tests: layout, round trips and malformed input.

use proptest::prelude::*;

use super::*;

fn sample_id() -> KeyId {
    KeyId::parse("1234abcd-12ab-34cd-56ef-1234567890ab").unwrap_or_else(KeyId::random)
}

#[test]
fn header_round_trips() {
    let nonces = SymmetricNonces {
        nonce: [7; 16],
        iv: [9; 12],
    };
    let mut blob = header(&sample_id(), &MaterialId([3; 32]), &nonces);
    let header_len = blob.len();
    assert_eq!(header_len, 1 + 1 + 36 + 32 + 16 + 12);
    blob.extend_from_slice(&[0xAA; 20]);
    let env = Envelope::parse(&blob);
    assert_eq!(
        env,
        Some(Envelope {
            key_id: "1234abcd-12ab-34cd-56ef-1234567890ab",
            material_id: MaterialId([3; 32]),
            nonces,
            header: blob.get(..header_len).unwrap_or_default(),
            body: blob.get(header_len..).unwrap_or_default(),
        })
    );
}

#[test]
fn rejects_short_and_foreign_blobs() {
    assert!(Envelope::parse(b"").is_none());
    assert!(Envelope::parse(&[1]).is_none());
    assert!(Envelope::parse(&[2, 36]).is_none());
    // An AWS Encryption SDK v2 message starts with 0x02.
    assert!(Envelope::parse(&[0x02; 200]).is_none());
    // A key id length of zero or beyond the limit.
    assert!(Envelope::parse(&[1, 0, 1, 2, 3]).is_none());
    assert!(Envelope::parse(&[1, 65]).is_none());
    // A header without a tag's worth of body.
    let nonces = SymmetricNonces {
        nonce: [0; 16],
        iv: [0; 12],
    };
    let mut blob = header(&sample_id(), &MaterialId([0; 32]), &nonces);
    blob.extend_from_slice(&[0; 15]);
    assert!(Envelope::parse(&blob).is_none());
}

#[test]
fn context_encoding_is_injective_and_order_free() {
    let ctx = |pairs: &[(&str, &str)]| {
        EncryptionContext(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    };
    assert_ne!(
        ctx(&[("a", "bc")]).canonical_bytes(),
        ctx(&[("ab", "c")]).canonical_bytes()
    );
    assert_ne!(
        ctx(&[("a", "b"), ("c", "d")]).canonical_bytes(),
        ctx(&[("a", "b=c"), ("", "d")]).canonical_bytes()
    );
    assert_eq!(
        ctx(&[("x", "1"), ("y", "2")]).canonical_bytes(),
        ctx(&[("y", "2"), ("x", "1")]).canonical_bytes()
    );
    assert_ne!(
        ctx(&[]).canonical_bytes(),
        ctx(&[("", "")]).canonical_bytes()
    );
}

proptest! {
    #[test]
    fn parse_never_panics(data in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = Envelope::parse(&data);
    }

    #[test]
    fn parse_inverts_header(nonce in any::<[u8; 16]>(), iv in any::<[u8; 12]>(), mat in any::<[u8; 32]>(), body in proptest::collection::vec(any::<u8>(), 16..100)) {
        let nonces = SymmetricNonces { nonce, iv };
        let mut blob = header(&sample_id(), &MaterialId(mat), &nonces);
        let h = blob.len();
        blob.extend_from_slice(&body);
        let env = Envelope::parse(&blob);
        prop_assert!(env.is_some());
        if let Some(env) = env {
            prop_assert_eq!(env.nonces, nonces);
            prop_assert_eq!(env.material_id, MaterialId(mat));
            prop_assert_eq!(env.header.len(), h);
            prop_assert_eq!(env.body, &body[..]);
        }
    }
}
