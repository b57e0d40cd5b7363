fn main() -> std::process::ExitCode {
    appctl::cli::main()
}
