// mimalloc: the import pipeline allocates on one thread and frees on another, where
// glibc's allocator serialises on arena locks.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    labelterm::cli::main()
}
