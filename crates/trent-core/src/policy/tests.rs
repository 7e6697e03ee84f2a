//! Policy evaluation, data-driven: `tests/data/policy-cases.json` holds each case's key policy
//! (the AWS default one when absent), identity policies, grants, caller, action, request
//! context and the expected decision with its reason. Property tests check the laws of
//! explicit denies.

use std::collections::{BTreeMap, HashMap};

use proptest::prelude::*;
use serde::Deserialize;
use serde_json::Value;

use super::condition::{MapContext, glob, in_cidr, parse_date};
use super::document::Policy;
use super::eval::{Caller, Decision, GrantView, IdentityPolicy, Request, evaluate};

const KEY: &str = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const CASES: &[&str] = &[
    include_str!("../../tests/data/policy-cases.json"),
    include_str!("../../tests/data/policy-cases-2.json"),
];

#[derive(Deserialize)]
struct GrantCase {
    id: String,
    grantee: String,
    /// The grantee's unique id the grant was bound to.
    #[serde(default)]
    grantee_id: Option<String>,
    operations: Vec<String>,
    #[serde(default)]
    equals: Option<BTreeMap<String, String>>,
    #[serde(default)]
    subset: Option<BTreeMap<String, String>>,
}

#[derive(Deserialize)]
struct Case {
    name: String,
    caller: String,
    action: String,
    expect: String,
    #[serde(default)]
    key_policy: Option<Value>,
    #[serde(default)]
    identity: BTreeMap<String, Value>,
    #[serde(default)]
    context: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    grants: Vec<GrantCase>,
    #[serde(default)]
    encryption_context: Option<BTreeMap<String, String>>,
    #[serde(default)]
    resource: Option<String>,
    /// The caller's unique id (`AIDA...`/`AROA...`).
    #[serde(default)]
    caller_id: Option<String>,
    /// The key policy's principals bound to unique ids, by ARN.
    #[serde(default)]
    bound_principals: Option<BTreeMap<String, String>>,
}

fn default_key_policy() -> Policy {
    let scope = crate::model::Scope {
        account: crate::model::AccountId::parse("111122223333").unwrap_or_else(|| unreachable!()),
        region: crate::model::Region::parse("us-east-1").unwrap_or_else(|| unreachable!()),
    };
    Policy::parse(&crate::ops::keys::default_key_policy(&scope), true)
        .unwrap_or_else(|e| panic!("{e}"))
}

/// The decision in the cases' notation.
fn render(decision: &Decision) -> String {
    let s = |r: &super::eval::StatementRef| match &r.sid {
        Some(sid) => sid.clone(),
        None => format!("#{}", r.index),
    };
    match decision {
        Decision::AllowedByKeyPolicy(r) => format!("allow:key-policy:{}", s(r)),
        Decision::AllowedByIdentityPolicy { identity, .. } => {
            format!("allow:identity:{}:{}", identity.policy, s(identity))
        }
        Decision::AllowedAsAccountRoot(r) => format!("allow:root:{}", s(r)),
        Decision::AllowedByGrant(id) => format!("allow:grant:{id}"),
        Decision::ExplicitDenyInKeyPolicy(r) => format!("deny:explicit-key:{}", s(r)),
        Decision::ExplicitDenyInIdentityPolicy(r) => {
            format!("deny:explicit-identity:{}:{}", r.policy, s(r))
        }
        Decision::NoResourcePolicyAllows => "deny:no-resource".to_owned(),
        Decision::NoIdentityPolicyAllows => "deny:no-identity".to_owned(),
        Decision::AllowedByProxyRule(rule) => format!("allow:xks-proxy:{rule}"),
        Decision::AllowedByIdentity(r) => format!("allow:identity-only:{}:{}", r.policy, s(r)),
        Decision::Permissive => "allow:permissive".to_owned(),
    }
}

/// The caller's account, and its role for an assumed-role session.
fn caller_parts(arn: &str) -> (String, Option<String>, Option<String>) {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let account = parts.get(4).copied().unwrap_or_default().to_owned();
    let resource = parts.get(5).copied().unwrap_or_default();
    let role = resource
        .strip_prefix("assumed-role/")
        .and_then(|r| r.split('/').next())
        .map(|r| format!("arn:aws:iam::{account}:role/{r}"));
    let user = resource.strip_prefix("user/").map(str::to_owned);
    (account, role, user)
}

fn run(case: &Case) -> String {
    let key_policy = match &case.key_policy {
        Some(v) => {
            Policy::parse(&v.to_string(), true).unwrap_or_else(|e| panic!("{}: {e}", case.name))
        }
        None => default_key_policy(),
    };
    let identity: Vec<(String, Policy)> = case
        .identity
        .iter()
        .map(|(name, v)| {
            (
                name.clone(),
                Policy::parse(&v.to_string(), false)
                    .unwrap_or_else(|e| panic!("{}: {e}", case.name)),
            )
        })
        .collect();
    let identity_refs: Vec<IdentityPolicy<'_>> = identity
        .iter()
        .map(|(name, policy)| IdentityPolicy { name, policy })
        .collect();
    let (account, role, user) = caller_parts(&case.caller);
    let mut values: HashMap<String, Vec<String>> = case
        .context
        .iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
        .collect();
    // The global keys of the caller, unless the case sets them itself.
    values
        .entry("aws:principalarn".into())
        .or_insert_with(|| vec![case.caller.clone()]);
    values
        .entry("aws:principalaccount".into())
        .or_insert_with(|| vec![account.clone()]);
    values
        .entry("kms:calleraccount".into())
        .or_insert_with(|| vec![account.clone()]);
    if let Some(user) = user {
        values
            .entry("aws:username".into())
            .or_insert_with(|| vec![user]);
    }
    let ctx = MapContext(values);
    let grants: Vec<GrantView<'_>> = case
        .grants
        .iter()
        .map(|g| GrantView {
            id: &g.id,
            grantee: &g.grantee,
            grantee_id: g.grantee_id.as_deref(),
            operations: &g.operations,
            context_equals: g.equals.as_ref(),
            context_subset: g.subset.as_ref(),
        })
        .collect();
    let resource = case.resource.as_deref().unwrap_or(KEY);
    let request = Request {
        caller: Caller {
            arn: &case.caller,
            account: &account,
            role_arn: role.as_deref(),
            unique_id: case.caller_id.as_deref(),
        },
        action: &case.action,
        resource,
        resource_account: "111122223333",
        context: &ctx,
        encryption_context: case.encryption_context.as_ref(),
        bound_principals: case.bound_principals.as_ref(),
    };
    render(&evaluate(&request, &key_policy, &identity_refs, &grants))
}

#[test]
fn every_case_of_the_table() {
    let cases: Vec<Case> = CASES
        .iter()
        .flat_map(|text| serde_json::from_str::<Vec<Case>>(text).unwrap_or_else(|e| panic!("{e}")))
        .collect();
    assert!(cases.len() >= 300, "{} cases", cases.len());
    let mut names = std::collections::HashSet::new();
    for c in &cases {
        assert!(
            names.insert(c.name.as_str()),
            "duplicate case name {}",
            c.name
        );
    }
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|c| {
            let got = run(c);
            (got != c.expect).then(|| format!("{}: expected {}, got {got}", c.name, c.expect))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn malformed_documents_are_refused() {
    let bad = [
        "not json",
        "[]",
        r#"{"Statement": []}"#,
        r#"{"Version": "2020-01-01", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "kms:*"}]}"#,
        r#"{"Statement": [{"Effect": "Maybe", "Principal": "*", "Action": "kms:*"}]}"#,
        r#"{"Statement": [{"Effect": "Allow", "Action": "kms:*"}]}"#,
        r#"{"Statement": [{"Effect": "Allow", "Principal": "*"}]}"#,
        r#"{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "kms:*", "NotAction": "kms:Decrypt"}]}"#,
        r#"{"Statement": [{"Effect": "Allow", "Principal": {"AWS": "alice"}, "Action": "kms:*"}]}"#,
        r#"{"Statement": [{"Effect": "Allow", "Principal": {"Robot": "x"}, "Action": "kms:*"}]}"#,
        r#"{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "Encrypt"}]}"#,
        r#"{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "kms:*", "Condition": {"StringSort": {"a": "b"}}}]}"#,
        r#"{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "kms:*", "Condition": {"NullIfExists": {"a": "true"}}}]}"#,
        r#"{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "kms:*", "Extra": 1}]}"#,
        r#"{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "kms:*"}], "Other": 1}"#,
        "{\"Statement\": [{\"Effect\": \"Allow\", \"Principal\": \"*\", \"Action\": \"kms:*\", \"Sid\": \"\u{4e2d}\"}]}",
    ];
    for text in bad {
        assert!(Policy::parse(text, true).is_err(), "accepted: {text}");
    }
    let big = format!(
        r#"{{"Statement": [{{"Effect": "Allow", "Principal": "*", "Action": "kms:*", "Sid": "{}"}}]}}"#,
        "a".repeat(33 * 1024)
    );
    assert!(Policy::parse(&big, true).is_err(), "over 32 KB");
    // A single statement object, no Version, and an identity policy without Principal are fine.
    assert!(
        Policy::parse(
            r#"{"Statement": {"Effect": "Allow", "Principal": "*", "Action": "kms:*"}}"#,
            true
        )
        .is_ok()
    );
    assert!(
        Policy::parse(
            r#"{"Statement": [{"Effect": "Allow", "Action": "kms:*", "Resource": "*"}]}"#,
            false
        )
        .is_ok()
    );
}

#[test]
fn helpers() {
    assert!(glob("a*b?c", "aXXbYc"));
    assert!(!glob("a*b?c", "aXXbc"));
    assert!(glob("*", ""));
    assert!(glob("**a", "a"));
    assert!(!glob("", "a"));
    assert!(in_cidr("192.168.1.9", "192.168.0.0/16"));
    assert!(!in_cidr("192.169.1.9", "192.168.0.0/16"));
    assert!(!in_cidr("not an ip", "0.0.0.0/0"));
    assert_eq!(parse_date("1970-01-02"), Some(86_400_000));
    assert_eq!(parse_date("86400"), Some(86_400_000));
    assert_eq!(parse_date("2026-13-01"), None);
}

fn statement(effect: &str, action: &str) -> String {
    format!(r#"{{"Effect": "{effect}", "Principal": "*", "Action": "{action}", "Resource": "*"}}"#)
}

fn decide(statements: &[String], action: &str) -> Decision {
    let policy = Policy::parse(
        &format!(r#"{{"Statement": [{}]}}"#, statements.join(",")),
        true,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let ctx = MapContext(HashMap::new());
    let request = Request {
        caller: Caller {
            arn: "arn:aws:iam::111122223333:user/alice",
            account: "111122223333",
            role_arn: None,
            unique_id: None,
        },
        action,
        resource: KEY,
        resource_account: "111122223333",
        context: &ctx,
        encryption_context: None,
        bound_principals: None,
    };
    evaluate(&request, &policy, &[], &[])
}

fn arbitrary_statement() -> impl Strategy<Value = String> {
    let effect = prop_oneof![Just("Allow"), Just("Deny")];
    let action = prop_oneof![
        Just("kms:*"),
        Just("kms:Encrypt"),
        Just("kms:Decrypt"),
        Just("kms:Enc*"),
        Just("*"),
        Just("kms:Sign")
    ];
    (effect, action).prop_map(|(e, a)| statement(e, a))
}

proptest! {
    #[test]
    fn an_applicable_explicit_deny_is_never_overridden(others in proptest::collection::vec(arbitrary_statement(), 0..6)) {
        let mut statements = others;
        statements.push(statement("Deny", "kms:Encrypt"));
        prop_assert!(!decide(&statements, "kms:Encrypt").allowed());
    }

    #[test]
    fn adding_a_deny_never_turns_a_deny_into_an_allow(
        statements in proptest::collection::vec(arbitrary_statement(), 1..6),
        extra in prop_oneof![Just("kms:*"), Just("kms:Decrypt"), Just("kms:Encrypt")],
    ) {
        let before = decide(&statements, "kms:Encrypt").allowed();
        let mut more = statements.clone();
        more.push(statement("Deny", extra));
        let after = decide(&more, "kms:Encrypt").allowed();
        prop_assert!(!after || before, "a deny became an allow");
    }

    #[test]
    fn removing_an_allow_never_turns_a_deny_into_an_allow(
        statements in proptest::collection::vec(arbitrary_statement(), 1..6),
        index in 0usize..6,
    ) {
        let before = decide(&statements, "kms:Encrypt").allowed();
        let mut fewer = statements.clone();
        let i = index % fewer.len();
        if fewer[i].contains("\"Allow\"") && fewer.len() > 1 {
            fewer.remove(i);
            let after = decide(&fewer, "kms:Encrypt").allowed();
            prop_assert!(!after || before, "a deny became an allow");
        }
    }
}
