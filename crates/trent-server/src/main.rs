//! The `trent` binary: parses the command line and hands over to `trent_server::cli`.

/// mimalloc: the request path allocates and frees many small buffers (JSON, base64, the
/// audit event), where it measured faster than glibc's allocator (BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    trent_server::cli::main()
}
