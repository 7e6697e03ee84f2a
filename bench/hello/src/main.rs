//! The load benchmarks' reference server: reads each request's whole body and answers 200 with 11 bytes.
//!
//! `hello [-H ADDRESS] [-p PORT] [PORT | ADDRESS:PORT]` listens on 127.0.0.1:3000 unless told
//! otherwise (ADDRESS is an IP address; `-H`/`-p` are the options bench/peer_bench.py gives a
//! server). It runs `WORKERS` tokio workers, else one per core it may use: one when started
//! under `taskset -c 0`, as a server under test is.

use std::error::Error;
use std::net::{IpAddr, SocketAddr};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

/// The answer to every request, whatever its path or body.
const ANSWER: &[u8] = b"{\"ok\":true}";

async fn answer(request: Request<Incoming>) -> Result<Response<Full<Bytes>>, hyper::Error> {
    // A server under test reads the body it must authenticate; so does this one.
    request.into_body().collect().await?;
    let mut response = Response::new(Full::new(Bytes::from_static(ANSWER)));
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/x-amz-json-1.1"),
    );
    Ok(response)
}

/// The address to listen on, from the command line.
fn address(mut args: impl Iterator<Item = String>) -> Result<SocketAddr, String> {
    let mut host = String::from("127.0.0.1");
    let mut port = String::from("3000");
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-H" => host = args.next().ok_or("-H needs an IP address")?,
            "-p" => port = args.next().ok_or("-p needs a port")?,
            _ => match arg.rsplit_once(':') {
                Some((h, p)) => (host, port) = (h.to_owned(), p.to_owned()),
                None => port = arg.clone(),
            },
        }
    }
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let ip: IpAddr = host
        .parse()
        .map_err(|e| format!("{host} is not an IP address: {e}"))?;
    let port: u16 = port
        .parse()
        .map_err(|e| format!("{port} is not a port: {e}"))?;
    Ok(SocketAddr::new(ip, port))
}

async fn serve(addr: SocketAddr, workers: usize) -> Result<(), Box<dyn Error>> {
    let listener = TcpListener::bind(addr).await?;
    eprintln!("hello: listening on http://{addr} with {workers} worker(s)");
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                eprintln!("hello: accept: {e}");
                continue;
            }
        };
        // Nagle's algorithm would hold small answers back; Trent turns it off too.
        if let Err(e) = stream.set_nodelay(true) {
            eprintln!("hello: TCP_NODELAY: {e}");
        }
        tokio::spawn(async move {
            // A connection that fails or is dropped concerns only its client.
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service_fn(answer))
                .await;
        });
    }
}

fn main() -> Result<(), Box<dyn Error>> {
    let addr = address(std::env::args().skip(1))?;
    let workers = match std::env::var("WORKERS") {
        Ok(n) => n.parse::<usize>()?,
        Err(_) => std::thread::available_parallelism()?.get(),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()?;
    runtime.block_on(serve(addr, workers))
}
