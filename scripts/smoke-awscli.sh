#!/usr/bin/env bash
# Smoke test with the real AWS CLI: start `trent serve` from a fresh data directory, take the
# credentials it prints (exactly as the README tells a person to), and drive create-key,
# encrypt, decrypt, generate-data-key, aliases and tags through `aws kms`; then identities and
# authorization: `aws sts`, `trent admin`, grants and an assumed role.
#
# Then the Python clients: boto3's cloudtrail client parsing LookupEvents' times, and a request
# signed by PyPI's aws-requests-auth (which signs only host;x-amz-date).
#
# Usage: AWS_CLI=/path/to/aws scripts/smoke-awscli.sh [path/to/trent]
# AWS_CLI defaults to `aws` on the PATH (installing awscli v1 from PyPI when there is none).
# A CLI too old to read AWS_ENDPOINT_URL_KMS (v1 before 1.29, v2 before 2.13, such as
# Debian 12's 2.9) is given --endpoint-url, as the README tells its users.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
trent=${1:-$root/target/debug/trent}
[ -x "$trent" ] || { echo "smoke: no trent binary at $trent (run cargo build first)" >&2; exit 1; }

if [ -z "${AWS_CLI:-}" ]; then
    if ! command -v aws >/dev/null 2>&1; then
        venv=$root/target/tools/awscli
        if [ ! -x "$venv/bin/aws" ]; then
            echo "smoke: installing awscli into $venv"
            python3 -m venv "$venv"
            "$venv/bin/pip" install --quiet awscli
        fi
        export PATH=$venv/bin:$PATH
    fi
    AWS_CLI=$(command -v aws)
fi
cli_version=$("$AWS_CLI" --version 2>&1)
v=${cli_version#aws-cli/}
v=${v%% *}
major=${v%%.*}
minor=${v#*.}
minor=${minor%%.*}
if { [ "$major" = 1 ] && [ "$minor" -ge 29 ]; } || { [ "$major" = 2 ] && [ "$minor" -ge 13 ]; }; then
    reads_endpoint_env=1
else
    reads_endpoint_env=0
fi

pyclients=$root/target/tools/pyclients
if ! "$pyclients/bin/python" -c 'import boto3, aws_requests_auth' 2>/dev/null; then
    echo "smoke: installing boto3 and aws-requests-auth into $pyclients"
    python3 -m venv "$pyclients"
    "$pyclients/bin/pip" install --quiet boto3 aws-requests-auth
fi

work=$(mktemp -d)
pid=
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

"$trent" serve --data-dir "$work/data" --listen 127.0.0.1:0 >"$work/out" 2>"$work/err" &
pid=$!
for _ in $(seq 1 100); do
    grep -q '^export AWS_ENDPOINT_URL_KMS=' "$work/out" 2>/dev/null && break
    sleep 0.1
done
grep -q '^export AWS_ENDPOINT_URL_KMS=' "$work/out" || { cat "$work/err" >&2; echo "smoke: trent did not start" >&2; exit 1; }
# Exactly what the README says to do with the printed lines.
eval "$(grep '^export ' "$work/out")"
unset AWS_PROFILE AWS_SESSION_TOKEN
endpoint=$AWS_ENDPOINT_URL_KMS
# `aws` below is the CLI under test, told the endpoint when it cannot read it from the
# environment (Trent serves KMS, STS and CloudTrail on the one endpoint).
aws() {
    if [ "$reads_endpoint_env" = 1 ]; then
        "$AWS_CLI" "$@"
    else
        "$AWS_CLI" --endpoint-url "$endpoint" "$@"
    fi
}

passed=0
failed=0
check() { # name, expected, actual
    if [ "$2" = "$3" ]; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "FAIL $1: expected [$2], got [$3]" >&2
    fi
}

aws --version
key_id=$(aws kms create-key --description "smoke test" --tags TagKey=team,TagValue=smoke \
    --query KeyMetadata.KeyId --output text)
check "create-key returns a key id" 36 "${#key_id}"
check "describe-key state" Enabled "$(aws kms describe-key --key-id "$key_id" --query KeyMetadata.KeyState --output text)"

printf 'hello from the aws cli' >"$work/plain"
aws kms encrypt --key-id "$key_id" --plaintext "fileb://$work/plain" \
    --encryption-context purpose=smoke --query CiphertextBlob --output text | base64 -d >"$work/blob"
aws kms decrypt --ciphertext-blob "fileb://$work/blob" --encryption-context purpose=smoke \
    --query Plaintext --output text | base64 -d >"$work/back"
check "encrypt/decrypt round trip" "$(cat "$work/plain")" "$(cat "$work/back")"
wrong=$(aws kms decrypt --ciphertext-blob "fileb://$work/blob" --encryption-context purpose=other 2>&1 || true)
check "wrong context is InvalidCiphertextException" 1 "$(grep -c InvalidCiphertextException <<<"$wrong")"

aws kms create-alias --alias-name alias/smoke --target-key-id "$key_id"
check "list-aliases" alias/smoke "$(aws kms list-aliases --key-id "$key_id" --query 'Aliases[0].AliasName' --output text)"
aws kms encrypt --key-id alias/smoke --plaintext "fileb://$work/plain" --query CiphertextBlob --output text \
    | base64 -d >"$work/blob2"
check "decrypt of alias ciphertext" "$(cat "$work/plain")" \
    "$(aws kms decrypt --ciphertext-blob "fileb://$work/blob2" --query Plaintext --output text | base64 -d)"

dk=$(aws kms generate-data-key --key-id alias/smoke --key-spec AES_256 --output json)
plain_b64=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["Plaintext"])' <<<"$dk")
python3 -c 'import json,sys,base64; sys.stdout.buffer.write(base64.b64decode(json.load(sys.stdin)["CiphertextBlob"]))' <<<"$dk" >"$work/dk"
check "generate-data-key length" 32 "$(base64 -d <<<"$plain_b64" | wc -c | tr -d ' ')"
check "data key decrypts to itself" "$plain_b64" \
    "$(aws kms decrypt --ciphertext-blob "fileb://$work/dk" --query Plaintext --output text)"

aws kms tag-resource --key-id "$key_id" --tags TagKey=env,TagValue=ci
check "list-resource-tags" "env team" \
    "$(aws kms list-resource-tags --key-id "$key_id" --query 'Tags[].TagKey' --output text | tr '\t' ' ')"
aws kms untag-resource --key-id "$key_id" --tag-keys env
check "untag-resource" team "$(aws kms list-resource-tags --key-id "$key_id" --query 'Tags[].TagKey' --output text)"

aws kms disable-key --key-id "$key_id"
disabled=$(aws kms encrypt --key-id "$key_id" --plaintext "fileb://$work/plain" 2>&1 || true)
check "disabled key refuses encrypt" 1 "$(grep -c DisabledException <<<"$disabled")"
aws kms enable-key --key-id "$key_id"
check "schedule-key-deletion" PendingDeletion \
    "$(aws kms schedule-key-deletion --key-id "$key_id" --pending-window-in-days 7 --query KeyState --output text)"
aws kms cancel-key-deletion --key-id "$key_id" >/dev/null
check "cancel-key-deletion leaves it disabled" Disabled \
    "$(aws kms describe-key --key-id "$key_id" --query KeyMetadata.KeyState --output text)"
check "generate-random" 64 "$(aws kms generate-random --number-of-bytes 64 --query Plaintext --output text | base64 -d | wc -c | tr -d ' ')"
bad=$(AWS_SECRET_ACCESS_KEY=wrong aws kms list-keys 2>&1 || true)
check "wrong secret is InvalidSignatureException" 1 "$(grep -c InvalidSignatureException <<<"$bad")"

# Identities and authorization: STS, the admin CLI, grants, an assumed role.
aws kms enable-key --key-id "$key_id"
account=$(aws sts get-caller-identity --query Account --output text)
check "sts get-caller-identity" "arn:aws:iam::$account:root" \
    "$(aws sts get-caller-identity --query Arn --output text)"
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
"$trent" admin create-user UserName=smoke >/dev/null
user_key=$("$trent" admin create-access-key UserName=smoke)
user_id=$(json 'd["AccessKey"]["AccessKeyId"]' <<<"$user_key")
user_secret=$(json 'd["AccessKey"]["SecretAccessKey"]' <<<"$user_key")
as_user() { AWS_ACCESS_KEY_ID=$user_id AWS_SECRET_ACCESS_KEY=$user_secret "$@"; }
denied=$(as_user aws kms encrypt --key-id "$key_id" --plaintext "fileb://$work/plain" 2>&1 || true)
check "a user without policies is denied" 1 "$(grep -c 'AccessDeniedException.*no identity-based policy allows the kms:Encrypt action' <<<"$denied")"
"$trent" admin put-user-policy UserName=smoke PolicyName=crypto \
    'PolicyDocument={"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["kms:Encrypt","sts:AssumeRole"],"Resource":"*"}]}' >/dev/null
check "an identity policy lets the user encrypt" 1 \
    "$(as_user aws kms encrypt --key-id "$key_id" --plaintext "fileb://$work/plain" --query KeyId --output text | grep -c "$key_id")"
grant_id=$(aws kms create-grant --key-id "$key_id" --grantee-principal "arn:aws:iam::$account:user/smoke" \
    --operations Decrypt --query GrantId --output text)
check "create-grant/list-grants" "$grant_id" \
    "$(aws kms list-grants --key-id "$key_id" --query 'Grants[0].GrantId' --output text)"
check "the grant lets the user decrypt" "$(cat "$work/plain")" \
    "$(as_user aws kms decrypt --ciphertext-blob "fileb://$work/blob2" --query Plaintext --output text | base64 -d)"
aws kms revoke-grant --key-id "$key_id" --grant-id "$grant_id"
"$trent" admin create-role RoleName=smoke-role \
    "AssumeRolePolicyDocument={\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::$account:root\"},\"Action\":\"sts:AssumeRole\"}]}" >/dev/null
check "the root may not assume a role" 1 "$(aws sts assume-role --role-arn "arn:aws:iam::$account:role/smoke-role" \
    --role-session-name smoke 2>&1 | grep -c 'Roles may not be assumed by root accounts')"
creds=$(as_user aws sts assume-role --role-arn "arn:aws:iam::$account:role/smoke-role" \
    --role-session-name smoke --query 'Credentials.[AccessKeyId,SecretAccessKey,SessionToken]' --output text)
read -r sid ssecret stoken <<<"$creds"
check "assumed-role identity" "arn:aws:sts::$account:assumed-role/smoke-role/smoke" \
    "$(AWS_ACCESS_KEY_ID=$sid AWS_SECRET_ACCESS_KEY=$ssecret AWS_SESSION_TOKEN=$stoken \
        aws sts get-caller-identity --query Arn --output text)"

# The audit trail: CloudTrail's LookupEvents on the same endpoint, and trent audit verify.
# The year of a time as the CLI prints it: v2 formats ISO 8601, v1 passes epoch seconds on.
year_of() {
    python3 -c 'import datetime, sys
t = sys.stdin.read().strip()
if t.replace(".", "").isdigit():
    print(datetime.datetime.fromtimestamp(float(t), datetime.timezone.utc).year)
else:
    print(t[:4])'
}
# AWS_ENDPOINT_URL_KMS does not reach the cloudtrail client: it is always given the endpoint.
check "cloudtrail lookup-events finds the assumed-role call" AssumeRole \
    "$("$AWS_CLI" cloudtrail lookup-events --endpoint-url "$endpoint" \
        --lookup-attributes AttributeKey=EventName,AttributeValue=AssumeRole \
        --query 'Events[0].EventName' --output text)"
check "cloudtrail lookup-events reads EventTime as a time of this year" "$(date -u +%Y)" \
    "$("$AWS_CLI" cloudtrail lookup-events --endpoint-url "$endpoint" --max-results 1 \
        --query 'Events[0].EventTime' --output text | year_of)"
check "trent audit verify" 1 "$("$trent" audit verify --data-dir "$work/data" | grep -c '^intact:')"

# The root key: rotated online; what was encrypted before still decrypts, and so does the
# assumed-role session sealed before the rotation.
check "trent root-key rotate" 1 "$("$trent" root-key rotate | grep -c '"Retired": 1')"
check "decrypt after the root-key rotation" "$(cat "$work/plain")" \
    "$(aws kms decrypt --ciphertext-blob "fileb://$work/blob2" --query Plaintext --output text | base64 -d)"
check "the session survives the root-key rotation" "arn:aws:sts::$account:assumed-role/smoke-role/smoke" \
    "$(AWS_ACCESS_KEY_ID=$sid AWS_SECRET_ACCESS_KEY=$ssecret AWS_SESSION_TOKEN=$stoken \
        aws sts get-caller-identity --query Arn --output text)"

# Envelope encryption with trent encrypt / trent decrypt (AWS Encryption SDK messages).
esdk_key=$(aws kms create-key --description envelope --query KeyMetadata.Arn --output text)
head -c 100000 /dev/urandom >"$work/big"
"$trent" encrypt --key "$esdk_key" --context app=smoke -i "$work/big" -o "$work/big.msg"
"$trent" decrypt --key "$esdk_key" --context app=smoke -i "$work/big.msg" -o "$work/big.back"
check "trent encrypt/decrypt a file" "$(sha256sum <"$work/big")" "$(sha256sum <"$work/big.back")"
check "trent encrypt/decrypt a stream" "$(sha256sum <"$work/big")" \
    "$("$trent" encrypt --key "$esdk_key" -i - -o - <"$work/big" | "$trent" decrypt --discovery -i - -o - | sha256sum)"

# Python clients: boto3's cloudtrail client parses EventTime into a datetime, and
# aws-requests-auth signs host;x-amz-date only, which AWS KMS (and Trent) accept.
python_clients=$("$pyclients/bin/python" - <<'PY'
import datetime, json, os
import boto3, requests
from aws_requests_auth.aws_auth import AWSRequestsAuth

endpoint = os.environ["AWS_ENDPOINT_URL_KMS"]
region = os.environ["AWS_DEFAULT_REGION"]
events = boto3.client("cloudtrail", endpoint_url=endpoint).lookup_events(MaxResults=5)["Events"]
age = datetime.datetime.now(datetime.timezone.utc) - events[0]["EventTime"]
print("lookup_events", "recent" if abs(age) < datetime.timedelta(hours=1) else age)
auth = AWSRequestsAuth(
    aws_access_key=os.environ["AWS_ACCESS_KEY_ID"],
    aws_secret_access_key=os.environ["AWS_SECRET_ACCESS_KEY"],
    aws_host=endpoint.split("://", 1)[1],
    aws_region=region,
    aws_service="kms",
)
response = requests.post(
    endpoint,
    data="{}",
    headers={"X-Amz-Target": "TrentService.ListKeys", "Content-Type": "application/x-amz-json-1.1"},
    auth=auth,
    timeout=10,
)
signed = response.request.headers["Authorization"].split("SignedHeaders=")[1].split(",")[0]
print("aws-requests-auth", signed, response.status_code, "Keys" in response.json())
PY
)
check "boto3 cloudtrail.lookup_events parses EventTime" "lookup_events recent" "$(sed -n 1p <<<"$python_clients")"
check "aws-requests-auth (host;x-amz-date signed) lists keys" "aws-requests-auth host;x-amz-date 200 True" \
    "$(sed -n 2p <<<"$python_clients")"

echo "awscli ($cli_version): $passed passed, $failed failed"
[ "$failed" -eq 0 ]
