//! The Key Vault quickstart: create a secret, read it back, delete it.
//!
//! ```sh
//! cargo run --example quickstart                       # against an embedded emulator
//! KEY_VAULT_NAME=myvault cargo run --example quickstart  # against a real vault
//! cargo run --example quickstart -- --name greeting --value hello
//! printf 'greeting\nhello\n' | cargo run --example quickstart
//! ```

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use anyhow::{Context, bail};

/// Reads one answer: from the flag if given, else a prompted line from stdin.
fn answer(flag: Option<String>, prompt: &str, lines: &mut impl BufRead) -> anyhow::Result<String> {
    if let Some(value) = flag {
        return Ok(value);
    }
    if std::io::stdin().is_terminal() {
        print!("{prompt}");
        std::io::stdout().flush()?;
    }
    let mut line = String::new();
    if lines.read_line(&mut line).context("reading stdin")? == 0 {
        bail!(
            "no input: stdin ended before \"{}\" was answered (pass --name and --value, or pipe two lines)",
            prompt.trim_end_matches(" > ")
        );
    }
    let line = line.trim_end_matches(['\r', '\n']).to_owned();
    if line.is_empty() {
        bail!("empty input for \"{}\"", prompt.trim_end_matches(" > "));
    }
    Ok(line)
}

fn flags() -> anyhow::Result<(Option<String>, Option<String>)> {
    let (mut name, mut value) = (None, None);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--name" => name = Some(args.next().context("--name needs a value")?),
            "--value" => value = Some(args.next().context("--value needs a value")?),
            "-h" | "--help" => {
                println!("usage: quickstart [--name NAME] [--value VALUE]\nWithout flags, asks on stdin.");
                std::process::exit(0);
            }
            other => bail!("unknown argument `{other}` (try --help)"),
        }
    }
    Ok((name, value))
}

async fn run() -> anyhow::Result<()> {
    let (name_flag, value_flag) = flags()?;
    let vault = examples::open_vault().await?;
    let client = &vault.client;
    let mut stdin = std::io::stdin().lock();

    let secret_name = answer(name_flag, "Input a name for your secret > ", &mut stdin)?;
    let secret_value = answer(value_flag, "Input a value for your secret > ", &mut stdin)?;

    println!("Creating a secret in {} called '{secret_name}' with the value '{secret_value}' ...", vault.name);
    client.set_secret(&secret_name, &secret_value, None).await?;
    println!(" done.");

    println!("Retrieving your secret from {}.", vault.name);
    let retrieved = client.get_secret(&secret_name).await?;
    println!("Your secret is '{}'.", retrieved.value());

    println!("Deleting your secret from {} ...", vault.name);
    let poller = client.begin_delete_secret(&secret_name).await?;
    poller.await?;
    println!(" done.");

    vault.shutdown().await;
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    examples::report(run().await)
}
