//! The `trent` binary: parses the command line and hands over to `trent_server::cli`.

fn main() -> std::process::ExitCode {
    trent_server::cli::main()
}
