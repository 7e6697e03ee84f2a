//! `trent admin`: the client of the admin API. It signs each call with SigV4 using the usual
//! AWS environment (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`,
//! `AWS_REGION`) and prints the JSON answer.

use crate::failure::Failure;
use http_body_util::{BodyExt as _, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;

/// What one `trent admin` call needs.
#[derive(Clone, Debug)]
pub struct AdminCall {
    pub endpoint: String,
    pub access_key_id: String,
    pub secret: zeroize::Zeroizing<String>,
    pub session_token: Option<String>,
    pub region: String,
    pub action: String,
    pub input: Value,
}

/// `create-user` or `CreateUser` to `CreateUser`.
pub fn action_name(text: &str) -> String {
    if !text.contains('-') {
        return text.to_owned();
    }
    text.split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// Builds the input from `--input` JSON and `Name=Value` pairs (a value that parses as JSON is
/// taken as JSON, anything else as a string).
pub fn input(json: Option<&str>, pairs: &[String]) -> Result<Value, Failure> {
    let mut input = match json {
        Some(text) => {
            serde_json::from_str(text).map_err(|e| Failure::Config(format!("--input: {e}")))?
        }
        None => Value::Object(serde_json::Map::new()),
    };
    let map = input
        .as_object_mut()
        .ok_or_else(|| Failure::Config("--input must be a JSON object".to_owned()))?;
    for pair in pairs {
        let (name, value) = pair
            .split_once('=')
            .ok_or_else(|| Failure::Config(format!("'{pair}' is not Name=Value")))?;
        let value = serde_json::from_str(value).unwrap_or_else(|_| Value::String(value.to_owned()));
        map.insert(name.to_owned(), value);
    }
    Ok(input)
}

/// Sends the call; the response's JSON on success, the error's `__type: message` otherwise.
pub async fn call(call: &AdminCall) -> Result<Value, Failure> {
    call_target(
        call,
        &format!("{}{}", crate::protocols::admin::TARGET_PREFIX, call.action),
    )
    .await
}

/// Sends `call.input` to the JSON target `target` (`TrentAdmin.CreateUser`,
/// `TrentService.GenerateDataKey`), signed for KMS; `call.action` is not used.
pub async fn call_target(call: &AdminCall, target: &str) -> Result<Value, Failure> {
    let (access_key_id, secret) = (&call.access_key_id, &call.secret);
    let uri: hyper::Uri = call
        .endpoint
        .parse()
        .map_err(|e| Failure::Network(format!("endpoint {}: {e}", call.endpoint)))?;
    let host = uri
        .authority()
        .map(|a| a.as_str().to_owned())
        .ok_or_else(|| Failure::Config("the endpoint has no host".to_owned()))?;
    let body = serde_json::to_vec(&call.input).map_err(|e| Failure::Network(e.to_string()))?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(|e| Failure::Network(e.to_string()))?
        .as_secs();
    let amz_date = trent_api::sigv4::format_amz_date(i64::try_from(now).unwrap_or_default());
    let mut headers = vec![
        (
            "content-type".to_owned(),
            trent_api::CONTENT_TYPE.to_owned(),
        ),
        ("host".to_owned(), host),
        ("x-amz-date".to_owned(), amz_date),
        ("x-amz-target".to_owned(), target.to_owned()),
    ];
    if let Some(token) = &call.session_token {
        headers.push(("x-amz-security-token".to_owned(), token.clone()));
    }
    let request = trent_api::sigv4::Request {
        method: "POST",
        path: "/",
        query: "",
        headers: &headers,
        body: &body,
        body_sha256: None,
    };
    let authorization = trent_api::sigv4::sign(
        &request,
        access_key_id,
        secret,
        &call.region,
        trent_api::SIGNING_NAME,
    );
    let mut builder = hyper::Request::builder().method("POST").uri(uri);
    for (name, value) in &headers {
        builder = builder.header(name.as_str(), value.as_str());
    }
    let http_request = builder
        .header("authorization", authorization)
        .body(Full::new(Bytes::from(body)))
        .map_err(|e| Failure::Network(e.to_string()))?;
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let response = client
        .request(http_request)
        .await
        .map_err(|e| Failure::Network(format!("cannot reach {}: {e}", call.endpoint)))?;
    let status = response.status();
    let bytes = response
        .into_body()
        .collect()
        .await
        .map_err(|e| Failure::Network(e.to_string()))?
        .to_bytes();
    let value: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    if status.is_success() {
        Ok(value)
    } else {
        let kind = value
            .get("__type")
            .and_then(Value::as_str)
            .unwrap_or("error");
        let message = value
            .get("message")
            .or_else(|| value.get("Message"))
            .and_then(Value::as_str)
            .unwrap_or("");
        Err(Failure::Network(format!("{kind}: {message}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn action_names_and_inputs() {
        assert_eq!(action_name("create-user"), "CreateUser");
        assert_eq!(action_name("PutRolePolicy"), "PutRolePolicy");
        let v = input(
            Some(r#"{"UserName":"a"}"#),
            &[
                "Tags=[{\"Key\":\"k\",\"Value\":\"v\"}]".into(),
                "Status=Inactive".into(),
            ],
        )
        .unwrap();
        assert_eq!(v["UserName"], "a");
        assert_eq!(v["Status"], "Inactive");
        assert_eq!(v["Tags"][0]["Key"], "k");
        assert!(input(None, &["novalue".into()]).is_err());
    }
}
