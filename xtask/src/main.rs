//! Project automation: `cargo xtask test`, `cargo xtask codegen`, `cargo xtask bench`.

mod bench;
mod bench_load;
mod codegen;
mod examples;
mod flags;
mod test;
mod tidy;

use std::path::PathBuf;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((command, rest)) = args.split_first() else {
        eprintln!("{}", flags::HELP);
        anyhow::bail!("no command given");
    };
    match command.as_str() {
        "test" => test::run(rest),
        "bench" => bench::run(rest),
        "codegen" => codegen::run(rest),
        "help" | "--help" | "-h" => {
            println!("{}", flags::HELP);
            Ok(())
        }
        other => anyhow::bail!("unknown command `{other}`\n{}", flags::HELP),
    }
}

/// The workspace root.
pub(crate) fn project_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask lives in the workspace").to_path_buf()
}
