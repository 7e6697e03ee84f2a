//! Seed files: fixed ids, aliases, tags and material at start-up, idempotently.

use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::KeyState;

use crate::builders::openssl;
use crate::harness::{Harness, error_of};

const SEED_YAML: &str = r#"
keys:
  - id: 0d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6
    description: payments
    material: AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=
    aliases: [alias/payments, alias/payments-v1]
    tags: { team: payments }
  - id: 1e2f3a4b-5c6d-4e7f-8091-a2b3c4d5e6f7
    region: eu-west-1
    enabled: false
"#;

fn write(dir: &std::path::Path, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[tokio::test]
async fn seeded_keys_exist_with_their_aliases_tags_and_state() {
    let tmp = tempfile::tempdir().unwrap();
    let seed = write(tmp.path(), "seed.yaml", SEED_YAML);
    let h = Harness::start_with(|o| o.seed = Some(seed.clone())).await;
    assert_eq!(
        h.server
            .seed_report
            .as_ref()
            .map(|r| (r.created, r.present)),
        Some((2, 0))
    );
    let kms = h.client();
    let m = h.describe("alias/payments").await;
    assert_eq!(m.key_id, "0d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6");
    assert_eq!(m.description.as_deref(), Some("payments"));
    let tags = kms
        .list_resource_tags()
        .key_id(&m.key_id)
        .send()
        .await
        .unwrap();
    assert_eq!(tags.tags()[0].tag_key(), "team");
    let eu = h.client_in("eu-west-1");
    let m = eu
        .describe_key()
        .key_id("1e2f3a4b-5c6d-4e7f-8091-a2b3c4d5e6f7")
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    assert_eq!(m.key_state, Some(KeyState::Disabled));

    // Restarting with the same seed changes nothing, even after the key was modified.
    kms.update_key_description()
        .key_id("0d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6")
        .description("changed")
        .send()
        .await
        .unwrap();
    let h = {
        let Harness {
            server, dir, clock, ..
        } = h;
        server.shutdown().await.unwrap();
        Harness::start_in(dir, clock, |o| o.seed = Some(seed.clone())).await
    };
    assert_eq!(
        h.server
            .seed_report
            .as_ref()
            .map(|r| (r.created, r.present)),
        Some((0, 2))
    );
    let m = h
        .client()
        .describe_key()
        .key_id("alias/payments")
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    assert_eq!(m.description.as_deref(), Some("changed"));
}

#[tokio::test]
async fn fixed_material_makes_ciphertexts_portable_between_installations() {
    let tmp = tempfile::tempdir().unwrap();
    let seed = write(tmp.path(), "seed.yaml", SEED_YAML);
    let one = Harness::start_with(|o| o.seed = Some(seed.clone())).await;
    let two = Harness::start_with(|o| o.seed = Some(seed.clone())).await;
    let blob = one
        .client()
        .encrypt()
        .key_id("alias/payments")
        .plaintext(Blob::new("portable"))
        .send()
        .await
        .unwrap()
        .ciphertext_blob
        .unwrap();
    let back = two
        .client()
        .decrypt()
        .ciphertext_blob(blob)
        .send()
        .await
        .unwrap();
    assert_eq!(back.plaintext.unwrap().as_ref(), b"portable");
}

#[tokio::test]
async fn toml_seed_files_work_too() {
    let tmp = tempfile::tempdir().unwrap();
    let seed = write(
        tmp.path(),
        "seed.toml",
        "[[keys]]\nid = \"2f3a4b5c-6d7e-4f80-91a2-b3c4d5e6f708\"\naliases = [\"alias/from-toml\"]\n",
    );
    let h = Harness::start_with(|o| o.seed = Some(seed.clone())).await;
    let m = h
        .client()
        .describe_key()
        .key_id("alias/from-toml")
        .send()
        .await
        .unwrap();
    assert_eq!(
        m.key_metadata.unwrap().key_id,
        "2f3a4b5c-6d7e-4f80-91a2-b3c4d5e6f708"
    );
}

#[tokio::test]
async fn invalid_seed_files_stop_the_start_and_create_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    for (name, text) in [
        ("bad-id.yaml", "keys:\n  - id: not-a-uuid\n"),
        (
            "bad-material.yaml",
            "keys:\n  - id: 3a4b5c6d-7e8f-4091-a2b3-c4d5e6f70819\n    material: AAEC\n",
        ),
        (
            "bad-alias.yaml",
            "keys:\n  - id: 3a4b5c6d-7e8f-4091-a2b3-c4d5e6f70819\n    aliases: [alias/aws/x]\n",
        ),
        (
            "bad-region.yaml",
            "keys:\n  - id: 3a4b5c6d-7e8f-4091-a2b3-c4d5e6f70819\n    region: mars-north-1\n",
        ),
        (
            "unknown-field.yaml",
            "keys:\n  - id: 3a4b5c6d-7e8f-4091-a2b3-c4d5e6f70819\n    colour: blue\n",
        ),
        // The second entry is bad: the first must not be created either.
        (
            "second-bad.yaml",
            "keys:\n  - id: 5c6d7e8f-9001-4a2b-b3c4-d5e6f708192a\n  - id: 3a4b5c6d-7e8f-4091-a2b3-c4d5e6f70819\n    tags: { \"aws:x\": y }\n",
        ),
    ] {
        let seed = write(tmp.path(), name, text);
        let data = tmp.path().join(format!("data-{name}"));
        let mut options = trent_server::ServerOptions::new("127.0.0.1:0".parse().unwrap(), data);
        options.seed = Some(seed);
        let err = trent_server::start(options).await.expect_err(name);
        assert!(
            matches!(err, trent_server::Failure::Config(_)),
            "{name}: {err:?}"
        );
        let err = err.message();
        assert!(err.contains("seed"), "{name}: {err}");
    }
    // Nothing of second-bad.yaml's first entry was created.
    let data = tmp.path().join("data-second-bad.yaml");
    let store = trent_store::SqliteStore::open(&data.join("trent.db")).unwrap();
    let scope = trent_core::model::Scope {
        account: trent_core::model::AccountId::parse("111122223333").unwrap(),
        region: trent_core::model::Region::parse("us-east-1").unwrap(),
    };
    let first = trent_core::model::KeyId::parse("5c6d7e8f-9001-4a2b-b3c4-d5e6f708192a").unwrap();
    use trent_core::store::Store as _;
    assert!(store.key(&scope, &first).await.unwrap().is_none());
    // A seed whose alias is taken by another key fails as a whole.
    let h = Harness::start().await;
    let other = h.key().await;
    h.client()
        .create_alias()
        .alias_name("alias/taken")
        .target_key_id(&other)
        .send()
        .await
        .unwrap();
    let seed = write(
        tmp.path(),
        "taken.yaml",
        "keys:\n  - id: 4b5c6d7e-8f90-41a2-b3c4-d5e6f708192a\n    aliases: [alias/taken]\n",
    );
    let Harness {
        server, dir, clock, ..
    } = h;
    server.shutdown().await.unwrap();
    let data = dir.path().join("data");
    let mut options = trent_server::ServerOptions::new("127.0.0.1:0".parse().unwrap(), data);
    options.seed = Some(seed);
    assert!(trent_server::start(options).await.is_err());
    let h = Harness::start_in(dir, clock, |_| {}).await;
    let (code, _) = error_of(
        h.client()
            .describe_key()
            .key_id("4b5c6d7e-8f90-41a2-b3c4-d5e6f708192a")
            .send()
            .await,
    );
    assert_eq!(code, "NotFoundException");
}

#[tokio::test]
async fn seeded_hmac_keys_give_rfc_4231_macs() {
    use aws_sdk_kms::types::MacAlgorithmSpec as M;
    let tmp = tempfile::tempdir().unwrap();
    // RFC 4231 test case 1 (key 0x0b x 20) for every hash, and test case 2 (key "Jefe").
    let tc1 = "CwsLCwsLCwsLCwsLCwsLCwsLCws="; // 20 x 0x0b
    let seed = write(
        tmp.path(),
        "hmac.yaml",
        &format!(
            "keys:\n\
             - {{id: 6d7e8f90-0000-4000-8000-000000000224, spec: HMAC_224, material: {tc1}}}\n\
             - {{id: 6d7e8f90-0000-4000-8000-000000000256, spec: HMAC_256, material: {tc1}}}\n\
             - {{id: 6d7e8f90-0000-4000-8000-000000000384, spec: HMAC_384, material: {tc1}}}\n\
             - {{id: 6d7e8f90-0000-4000-8000-000000000512, spec: HMAC_512, material: {tc1}}}\n\
             - {{id: 6d7e8f90-0000-4000-8000-00000000a256, spec: HMAC_256, usage: GENERATE_VERIFY_MAC, material: SmVmZQ==}}\n"
        ),
    );
    let h = Harness::start_with(|o| o.seed = Some(seed.clone())).await;
    let kms = h.client();
    for (id, algorithm, message, expected) in [
        (
            "6d7e8f90-0000-4000-8000-000000000224",
            M::HmacSha224,
            "Hi There",
            "896fb1128abbdf196832107cd49df33f47b4b1169912ba4f53684b22",
        ),
        (
            "6d7e8f90-0000-4000-8000-000000000256",
            M::HmacSha256,
            "Hi There",
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
        ),
        (
            "6d7e8f90-0000-4000-8000-000000000384",
            M::HmacSha384,
            "Hi There",
            "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59cfaea9ea9076ede7f4af152e8b2fa9cb6",
        ),
        (
            "6d7e8f90-0000-4000-8000-000000000512",
            M::HmacSha512,
            "Hi There",
            "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854",
        ),
        (
            "6d7e8f90-0000-4000-8000-00000000a256",
            M::HmacSha256,
            "what do ya want for nothing?",
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
        ),
    ] {
        let mac = kms
            .generate_mac()
            .key_id(id)
            .message(Blob::new(message))
            .mac_algorithm(algorithm.clone())
            .send()
            .await
            .unwrap();
        let hex: String = mac
            .mac
            .unwrap()
            .as_ref()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(hex, expected, "{algorithm:?}");
    }
}

#[tokio::test]
async fn seeded_private_keys_are_the_keys_given() {
    let tmp = tempfile::tempdir().unwrap();
    let mut entries = String::from("keys:\n");
    let mut expected = Vec::new();
    for (i, (spec, args)) in [
        (
            "ECC_NIST_P256",
            vec!["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
        ),
        (
            "ECC_SECG_P256K1",
            vec![
                "-algorithm",
                "EC",
                "-pkeyopt",
                "ec_paramgen_curve:secp256k1",
            ],
        ),
        ("ECC_NIST_EDWARDS25519", vec!["-algorithm", "ED25519"]),
        (
            "RSA_2048",
            vec!["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let pem = tmp.path().join(format!("{i}.pem"));
        let der = tmp.path().join(format!("{i}.der"));
        let mut genpkey = vec!["genpkey"];
        genpkey.extend(args);
        genpkey.extend(["-out", pem.to_str().unwrap()]);
        openssl(&genpkey);
        openssl(&[
            "pkey",
            "-in",
            pem.to_str().unwrap(),
            "-pubout",
            "-outform",
            "DER",
            "-out",
            der.to_str().unwrap(),
        ]);
        let pem_text = std::fs::read_to_string(&pem).unwrap();
        let indented: String = pem_text.lines().map(|l| format!("      {l}\n")).collect();
        let id = format!("7e8f9001-0000-4000-8000-00000000000{i}");
        entries.push_str(&format!("  - id: {id}\n    spec: {spec}\n    usage: SIGN_VERIFY\n    private_key_pem: |\n{indented}"));
        expected.push((id, std::fs::read(&der).unwrap()));
    }
    let seed = write(tmp.path(), "keys.yaml", &entries);
    let h = Harness::start_with(|o| o.seed = Some(seed.clone())).await;
    for (id, public) in expected {
        assert_eq!(h.public_key(&id).await, public, "{id}: not the seeded key");
    }
    // Restarting with the same file keeps the same keys.
    let Harness {
        server, dir, clock, ..
    } = h;
    server.shutdown().await.unwrap();
    let h = Harness::start_in(dir, clock, |o| o.seed = Some(seed.clone())).await;
    assert_eq!(
        h.server
            .seed_report
            .as_ref()
            .map(|r| (r.created, r.present)),
        Some((0, 4))
    );
}

#[tokio::test]
async fn bad_asymmetric_seeds_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    for (name, text) in [
        (
            "pem-for-symmetric.yaml",
            "keys:\n  - id: 8f900102-0000-4000-8000-000000000001\n    private_key_pem: \"-----BEGIN PRIVATE KEY-----\\nAAAA\\n-----END PRIVATE KEY-----\\n\"\n",
        ),
        (
            "material-for-rsa.yaml",
            "keys:\n  - id: 8f900102-0000-4000-8000-000000000001\n    spec: RSA_2048\n    material: AAAA\n",
        ),
        (
            "garbage-pem.yaml",
            "keys:\n  - id: 8f900102-0000-4000-8000-000000000001\n    spec: ECC_NIST_P256\n    private_key_pem: \"-----BEGIN PRIVATE KEY-----\\nAAAA\\n-----END PRIVATE KEY-----\\n\"\n",
        ),
        (
            "bad-usage.yaml",
            "keys:\n  - id: 8f900102-0000-4000-8000-000000000001\n    spec: HMAC_256\n    usage: SIGN_VERIFY\n",
        ),
        (
            "bad-spec.yaml",
            "keys:\n  - id: 8f900102-0000-4000-8000-000000000001\n    spec: RSA_1024\n",
        ),
        (
            "short-symmetric.yaml",
            "keys:\n  - id: 8f900102-0000-4000-8000-000000000001\n    material: AAAA\n",
        ),
    ] {
        let seed = write(tmp.path(), name, text);
        let mut options = trent_server::ServerOptions::new(
            "127.0.0.1:0".parse().unwrap(),
            tmp.path().join(format!("data-{name}")),
        );
        options.seed = Some(seed);
        let err = trent_server::start(options).await.expect_err(name);
        assert!(err.message().contains("8f900102"), "{name}: {err}");
    }
}

#[tokio::test]
async fn a_seeded_ed25519_key_is_the_rfc_8032_key_and_ed25519ph_follows_aws() {
    use aws_sdk_kms::types::{MessageType, SigningAlgorithmSpec};
    let tmp = tempfile::tempdir().unwrap();
    // RFC 8032, 7.3: the secret key as PKCS#8 (prefix + 32-byte seed), PEM-armoured. The
    // RFC's Ed25519ph signature itself is checked in trent-crypto's unit tests: through the
    // KMS API a DIGEST is 64 bytes, and the RFC's message is "abc".
    let seed_pem = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIIM/5iQJI3udYux3WHUgkR6adZzsHRl1W32pAbltyj1C\n-----END PRIVATE KEY-----\n";
    let seed = write(
        tmp.path(),
        "ed25519ph.yaml",
        &format!(
            "keys:\n  - id: 9f001122-0000-4000-8000-000000008032\n    spec: ECC_NIST_EDWARDS25519\n    usage: SIGN_VERIFY\n    private_key_pem: {seed_pem:?}\n"
        ),
    );
    let h = Harness::start_with(|o| o.seed = Some(seed.clone())).await;
    let kms = h.client();
    let id = "9f001122-0000-4000-8000-000000008032";
    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    let public = kms.get_public_key().key_id(id).send().await.unwrap();
    assert_eq!(
        hex(&public.public_key.unwrap().into_inner()[12..]),
        "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf"
    );
    let sign = |message: Vec<u8>, message_type: MessageType, algorithm: SigningAlgorithmSpec| {
        kms.sign()
            .key_id(id)
            .message(Blob::new(message))
            .message_type(message_type)
            .signing_algorithm(algorithm)
            .send()
    };
    // AWS: ED25519_PH_SHA_512 requires DIGEST, ED25519_SHA_512 requires RAW.
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA512, b"abc")
        .as_ref()
        .to_vec();
    let signature = sign(
        digest.clone(),
        MessageType::Digest,
        SigningAlgorithmSpec::Ed25519PhSha512,
    )
    .await
    .unwrap()
    .signature
    .unwrap();
    let ok = kms
        .verify()
        .key_id(id)
        .message(Blob::new(digest.clone()))
        .message_type(MessageType::Digest)
        .signature(signature)
        .signing_algorithm(SigningAlgorithmSpec::Ed25519PhSha512)
        .send()
        .await
        .unwrap();
    assert!(ok.signature_valid);
    for (message, message_type, algorithm) in [
        (
            b"abc".to_vec(),
            MessageType::Raw,
            SigningAlgorithmSpec::Ed25519PhSha512,
        ),
        (
            digest[..32].to_vec(),
            MessageType::Digest,
            SigningAlgorithmSpec::Ed25519PhSha512,
        ),
        (
            digest.clone(),
            MessageType::Digest,
            SigningAlgorithmSpec::Ed25519Sha512,
        ),
    ] {
        let (code, _) = error_of(sign(message, message_type.clone(), algorithm.clone()).await);
        assert_eq!(
            code, "ValidationException",
            "{algorithm:?} {message_type:?}"
        );
    }
}

#[tokio::test]
async fn seed_file_errors_never_quote_key_material() {
    let tmp = tempfile::tempdir().unwrap();
    let secret = "U2VjcmV0S2V5TWF0ZXJpYWxUaGF0TXVzdE5vdExlYWs=";
    for (name, text) in [
        ("typo.toml", format!("[[keys]]\nid = \"a1b2c3d4-0000-4000-8000-000000000001\"\nmaterail = \"{secret}\"\n")),
        ("broken.toml", format!("[[keys]]\nid = \"a1b2c3d4-0000-4000-8000-000000000001\"\nmaterial = \"{secret}\n")),
        ("typo.yaml", format!("keys:\n  - id: a1b2c3d4-0000-4000-8000-000000000001\n    materail: {secret}\n")),
        ("type.yaml", "keys:\n  - id: a1b2c3d4-0000-4000-8000-000000000001\n    material: [1234567890123456789]\n".to_owned()),
    ] {
        let seed = write(tmp.path(), name, &text);
        let mut options = trent_server::ServerOptions::new("127.0.0.1:0".parse().unwrap(), tmp.path().join(format!("data-{name}")));
        options.seed = Some(seed);
        let err = trent_server::start(options).await.expect_err(name);
        let err = err.message();
        assert!(!err.contains(secret) && !err.contains("1234567890123456789"), "{name} leaks: {err}");
        assert!(err.contains("seed file"), "{name}: {err}");
    }
}

#[tokio::test]
async fn seeded_ml_kem_keys_are_pythons_keys() {
    use aws_sdk_kms::types::EncapsulationAlgorithmSpec;
    let tmp = tempfile::tempdir().unwrap();
    // Python's cryptography makes an ML-KEM-768 key: seed-only PKCS#8 PEM and its SPKI.
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg(
            "from cryptography.hazmat.primitives.asymmetric import mlkem\n\
             from cryptography.hazmat.primitives import serialization as s\n\
             k = mlkem.MLKEM768PrivateKey.generate()\n\
             print(k.private_bytes(s.Encoding.PEM, s.PrivateFormat.PKCS8, s.NoEncryption()).decode(), end='')\n\
             print(k.public_key().public_bytes(s.Encoding.DER, s.PublicFormat.SubjectPublicKeyInfo).hex())",
        )
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let (pem, spki_hex) = text
        .rsplit_once("-----\n")
        .map(|(a, b)| (format!("{a}-----\n"), b.trim().to_owned()))
        .unwrap();
    let seed = write(
        tmp.path(),
        "mlkem.yaml",
        &format!(
            "keys:\n  - id: b2c3d4e5-0000-4000-8000-000000000768\n    spec: ML_KEM_768\n    private_key_pem: {pem:?}\n"
        ),
    );
    let h = Harness::start_with(|o| o.seed = Some(seed.clone())).await;
    let kms = h.client();
    let id = "b2c3d4e5-0000-4000-8000-000000000768";
    let public = h.public_key(id).await;
    let hex: String = public.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(hex, spki_hex, "not the seeded key");
    // What Trent encapsulates, Trent decapsulates with the seeded private key.
    let enc = kms
        .encapsulate()
        .key_id(id)
        .encapsulation_algorithm(EncapsulationAlgorithmSpec::MlKem)
        .send()
        .await
        .unwrap();
    let dec = kms
        .decapsulate()
        .key_id(id)
        .encapsulation_algorithm(EncapsulationAlgorithmSpec::MlKem)
        .shared_secret_ciphertext_blob(enc.shared_secret_ciphertext_blob.unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(dec.shared_secret, enc.shared_secret);
}
