//! The front door under hostile clients, with raw sockets: silent, slow and unfinished
//! connections are closed within their timeouts, connection caps refuse at once and recover,
//! h2c is off unless asked for, and partial bodies cannot grow the server's memory.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpSocket, TcpStream};
use trent_server::http::front_door::Limits;

use crate::harness::Harness;

/// The longest any test waits for the server to act; the timeouts under test are far shorter.
const PATIENCE: Duration = Duration::from_secs(20);

fn short(limits: Limits) -> Limits {
    Limits {
        header_timeout: Duration::from_secs(600),
        body_timeout: Duration::from_secs(600),
        idle_timeout: Duration::from_secs(600),
        ..limits
    }
}

async fn connect_from(source: &str, server: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(format!("{source}:0").parse().unwrap()).unwrap();
    socket.connect(server).await.unwrap()
}

/// Reads until the server closes the connection (or resets it); what it sent first.
async fn until_closed(stream: &mut TcpStream) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    tokio::time::timeout(PATIENCE, async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => out.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await
    .expect("the server closes the connection");
    out
}

/// Sends `GET /health` and reads one response: its status line and body.
async fn health(stream: &mut TcpStream) -> (String, String) {
    stream
        .write_all(b"GET /health HTTP/1.1\r\nhost: localhost\r\n\r\n")
        .await
        .unwrap();
    read_response(stream).await
}

async fn read_response(stream: &mut TcpStream) -> (String, String) {
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    tokio::time::timeout(PATIENCE, async {
        loop {
            if let Some(end) = find(&data, b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&data[..end]).to_lowercase();
                let length = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length: "))
                    .map_or(0, |v| v.trim().parse::<usize>().unwrap());
                if data.len() >= end + 4 + length {
                    let status = head.lines().next().unwrap().to_owned();
                    let body = String::from_utf8_lossy(&data[end + 4..end + 4 + length]);
                    return (status, body.into_owned());
                }
            }
            let n = stream.read(&mut buf).await.unwrap();
            assert!(
                n > 0,
                "closed mid-response: {:?}",
                String::from_utf8_lossy(&data)
            );
            data.extend_from_slice(&buf[..n]);
        }
    })
    .await
    .expect("a response")
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[tokio::test]
async fn a_silent_connection_and_an_unfinished_head_are_closed() {
    let h = Harness::start_with(|o| {
        o.limits = Limits {
            header_timeout: Duration::from_millis(300),
            ..short(Limits::default())
        }
    })
    .await;
    let addr = h.server.local_addr;
    // Nothing at all.
    let mut silent = TcpStream::connect(addr).await.unwrap();
    assert!(until_closed(&mut silent).await.is_empty());
    // Half a head, then nothing: the head timeout runs from its first byte.
    let mut slow = TcpStream::connect(addr).await.unwrap();
    slow.write_all(
        b"POST / HTTP/1.1\r\nhost: localhost\r\nx-amz-target: TrentService.ListKeys\r\n",
    )
    .await
    .unwrap();
    assert!(until_closed(&mut slow).await.is_empty());
    // After a request, half of the next head: the same.
    let mut kept = TcpStream::connect(addr).await.unwrap();
    assert_eq!(health(&mut kept).await.0, "http/1.1 200 ok");
    kept.write_all(b"GET /health HTTP/1.1\r\n").await.unwrap();
    assert!(until_closed(&mut kept).await.is_empty());
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed() {
    let h = Harness::start_with(|o| {
        o.limits = Limits {
            idle_timeout: Duration::from_millis(300),
            ..short(Limits::default())
        }
    })
    .await;
    let mut stream = TcpStream::connect(h.server.local_addr).await.unwrap();
    assert_eq!(health(&mut stream).await.0, "http/1.1 200 ok");
    assert_eq!(health(&mut stream).await.0, "http/1.1 200 ok");
    assert!(until_closed(&mut stream).await.is_empty());
}

#[tokio::test]
async fn a_body_that_never_ends_is_answered_and_closed() {
    let h = Harness::start_with(|o| {
        o.limits = Limits {
            body_timeout: Duration::from_millis(300),
            ..short(Limits::default())
        }
    })
    .await;
    let mut stream = TcpStream::connect(h.server.local_addr).await.unwrap();
    stream
        .write_all(
            b"POST / HTTP/1.1\r\nhost: localhost\r\nx-amz-target: TrentService.ListKeys\r\n\
              content-type: application/x-amz-json-1.1\r\ncontent-length: 1000\r\n\r\n{\"Limit\":",
        )
        .await
        .unwrap();
    let (status, body) = read_response(&mut stream).await;
    assert_eq!(status, "http/1.1 408 request timeout");
    assert!(body.contains("RequestTimeoutException"), "{body}");
    until_closed(&mut stream).await;
}

#[tokio::test]
async fn connection_caps_refuse_at_once_and_recover() {
    let h = Harness::start_with(|o| {
        o.limits = Limits {
            max_connections: 3,
            max_connections_per_ip: 2,
            ..short(Limits::default())
        }
    })
    .await;
    let addr = h.server.local_addr;
    let refused = |(status, body): (String, String)| {
        assert_eq!(status, "http/1.1 503 service unavailable");
        assert!(
            body.contains("\"__type\":\"ThrottlingException\""),
            "{body}"
        );
    };
    // Two silent connections fill 127.0.0.1's share; its third is turned away.
    let first = connect_from("127.0.0.1", addr).await;
    let second = connect_from("127.0.0.1", addr).await;
    let mut third = connect_from("127.0.0.1", addr).await;
    refused(health(&mut third).await);
    until_closed(&mut third).await;
    // Another address still gets in, until the total is reached.
    let mut other = connect_from("127.0.0.2", addr).await;
    assert_eq!(health(&mut other).await.0, "http/1.1 200 ok");
    let mut fourth = connect_from("127.0.0.3", addr).await;
    refused(health(&mut fourth).await);

    // Once the silent ones go, 127.0.0.1 is served again: a signed call through the SDK
    // (which retries a refusal as it retries throttling).
    drop((first, second));
    drop(other);
    let config = h
        .config_for("us-east-1", &h.access_key_id, &h.secret)
        .retry_config(aws_sdk_kms::config::retry::RetryConfig::standard().with_max_attempts(10))
        .build();
    let kms = aws_sdk_kms::Client::from_conf(config);
    kms.list_keys()
        .send()
        .await
        .expect("served once the caps free up");
}

#[tokio::test]
async fn h2c_is_off_unless_asked_for() {
    async fn h2_health(addr: SocketAddr) -> Result<(u16, u32), String> {
        let tcp = TcpStream::connect(addr).await.unwrap();
        let (mut send, mut conn) = h2::client::handshake(tcp)
            .await
            .map_err(|e| e.to_string())?;
        let request = axum::http::Request::get("http://localhost/health")
            .body(())
            .unwrap();
        let (response, _) = send
            .send_request(request, true)
            .map_err(|e| e.to_string())?;
        let response = tokio::select! {
            r = response => r.map_err(|e| e.to_string())?,
            c = &mut conn => return Err(format!("connection ended: {c:?}")),
        };
        Ok((
            response.status().as_u16(),
            u32::try_from(conn.max_concurrent_send_streams()).unwrap(),
        ))
    }
    let off = Harness::start().await;
    assert!(h2_health(off.server.local_addr).await.is_err());
    let on = Harness::start_with(|o| {
        o.limits = Limits {
            h2c: true,
            max_streams_per_connection: 7,
            ..Limits::default()
        }
    })
    .await;
    // Served, and the server's SETTINGS bound the streams.
    assert_eq!(h2_health(on.server.local_addr).await, Ok((200, 7)));
}

/// docs/configuration.md's bound on what partial bodies can add to the server's memory with
/// the default limits: the body budget (64 MiB) plus a head buffer (64 KiB) for each of the
/// 4,096 connections the cap admits.
const PARTIAL_BODY_BOUND_KIB: u64 = 64 * 1024 + 4096 * 64;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partial_bodies_stay_within_the_memory_bound() {
    let tmp = tempfile::tempdir().unwrap();
    let trent = crate::binary::Trent::start(&tmp.path().join("data"), &[]);
    let url = trent.var("AWS_ENDPOINT_URL_KMS");
    let addr: SocketAddr = url.trim_start_matches("http://").parse().unwrap();
    let before = crate::harness::memory_kib(trent.pid()).0;
    // 5,000 requests from ten addresses, each declaring a 250 KB body and sending 64 KiB
    // of it, then waiting.
    let head = b"POST / HTTP/1.1\r\nhost: localhost\r\nx-amz-target: TrentService.Encrypt\r\n\
                 content-type: application/x-amz-json-1.1\r\ncontent-length: 250000\r\n\r\n";
    let chunk = vec![b'A'; 64 * 1024];
    let mut held = Vec::new();
    for i in 0..5000u32 {
        let source = format!("127.0.1.{}", 1 + i % 10);
        let socket = TcpSocket::new_v4().unwrap();
        socket.bind(format!("{source}:0").parse().unwrap()).unwrap();
        let Ok(mut stream) = socket.connect(addr).await else {
            continue;
        };
        if stream.write_all(head).await.is_ok() {
            let _ =
                tokio::time::timeout(Duration::from_millis(200), stream.write_all(&chunk)).await;
        }
        held.push(stream);
    }
    let after = crate::harness::memory_kib(trent.pid()).0;
    let grown = after.saturating_sub(before);
    eprintln!("partial bodies: server resident memory {before} -> {after} KiB");
    assert!(
        grown < PARTIAL_BODY_BOUND_KIB,
        "5,000 partial bodies grew the server from {before} to {after} KiB"
    );
    // And the server still answers a signed call from another address.
    drop(held);
    let kms = trent.client();
    kms.list_keys().send().await.expect("still serving");
    let (status, log) = trent.stop();
    assert!(status.success(), "{log}");
}
