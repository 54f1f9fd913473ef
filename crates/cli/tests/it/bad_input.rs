//! Every bad input of issue 18: one line naming the argument, exit 1, and nothing sent to the vault
//! (the emulator's request counter stays at zero).

use crate::support::{Fixture, fails};

/// Runs each case, checks its message, then that the vault saw no request at all.
fn check(f: &Fixture, cases: &[(&[&str], &str)]) {
    for (args, expected) in cases {
        let line = fails(&f.run(args));
        assert!(line.starts_with(&format!("azkv: {expected}")), "{args:?}: {line}");
    }
    assert_eq!(f.emulator.requests_served(), 0, "nothing may reach the vault");
}

#[test]
fn unknown_vaults() {
    let f = Fixture::start("bad-vault");
    check(
        &f,
        &[
            (
                &["secret", "show", "-n", "a", "--vault-name", "my_vault"],
                "--vault-name: `my_vault` is not a vault name",
            ),
            (
                &["secret", "show", "-n", "a", "--vault-url", "http://example.com"],
                "--vault-url: `http://example.com` must use https",
            ),
            (&["secret", "list", "--vault-url", "not a url"], "--vault-url: `not a url` is not a URL"),
            (
                &["secret", "list", "--vault-url", "https://v.vault.azure.net/secrets"],
                "--vault-url: `https://v.vault.azure.net/secrets` must have no path",
            ),
        ],
    );
    let mut none = f.azkv(&["secret", "list"]);
    none.env_remove("VAULT_URL");
    let line = fails(&none.output().unwrap());
    assert!(line.starts_with("azkv: --vault-url: no vault given: pass --vault-url or --vault-name"), "{line}");
    let mut bad_env = f.azkv(&["secret", "list"]);
    bad_env.env_remove("VAULT_URL").env("KEY_VAULT_NAME", "-bad-");
    let line = fails(&bad_env.output().unwrap());
    assert!(line.starts_with("azkv: KEY_VAULT_NAME: `-bad-` is not a vault name"), "{line}");
    assert_eq!(f.emulator.requests_served(), 0);
}

#[test]
fn bad_names_versions_and_ids() {
    let f = Fixture::start("bad-names");
    check(
        &f,
        &[
            (&["secret", "show", "--name", "bad_name"], "--name: invalid secret name `bad_name`"),
            (&["secret", "set", "--name", "a b", "--value", "v"], "--name: invalid secret name `a b`"),
            (&["secret", "delete", "--name", "x".repeat(128).as_str()], "--name: invalid secret name"),
            (&["secret", "show", "--name", "ok", "--version", "../x"], "--version: "),
            (&["secret", "show", "--id", "https://v.vault.azure.net/secrets/bad_name"], "--id: invalid secret name"),
            (&["secret", "show", "--id", "https://v.vault.azure.net/keys/k"], "--id: invalid secret identifier"),
            (&["secret", "show"], "--name: give the secret's --name (or its --id)"),
        ],
    );
}

#[test]
fn bad_files_encodings_and_values() {
    let f = Fixture::start("bad-files");
    std::fs::write(f.path("latin1.txt"), [b'c', b'a', b'f', 0xe9]).unwrap();
    std::fs::write(f.path("big.txt"), "x".repeat(25 * 1024 + 1)).unwrap();
    std::fs::write(f.path("ok.txt"), "fine").unwrap();
    check(
        &f,
        &[
            (&["secret", "set", "-n", "a", "--file", "missing.txt"], "--file missing.txt: cannot read: "),
            (&["secret", "set", "-n", "a", "--file", "latin1.txt"], "--file latin1.txt: not UTF-8 (byte 3 is invalid)"),
            (
                &["secret", "set", "-n", "a", "--file", "latin1.txt", "--encoding", "ascii"],
                "--file latin1.txt: not ASCII",
            ),
            (
                &["secret", "set", "-n", "a", "--file", "ok.txt", "--encoding", "utf-16"],
                "--encoding: `utf-16` is not an encoding",
            ),
            (&["secret", "set", "-n", "a", "--file", "big.txt"], "--file: secret value is 25601 bytes"),
            (
                &["secret", "set", "-n", "a", "--value", "x".repeat(25 * 1024 + 1).as_str()],
                "--value: secret value is 25601 bytes",
            ),
            (&["secret", "set", "-n", "a"], "--value: give the value with --value, --file"),
            (&["secret", "restore", "--file", "missing.bak"], "--file missing.bak: cannot read: "),
            (
                &["secret", "set", "-n", "a", "--value", "v", "--content-type", "t".repeat(256).as_str()],
                "--content-type: ",
            ),
        ],
    );
    let big = f.run_with_stdin(&["secret", "set", "-n", "a", "--value", "-"], "y".repeat(30_000).as_bytes());
    let line = fails(&big);
    assert!(line.starts_with("azkv: --value: secret value is 30000 bytes"), "{line}");
    assert_eq!(f.emulator.requests_served(), 0);
}

#[test]
fn bad_dates_tags_and_counts() {
    let f = Fixture::start("bad-dates");
    check(
        &f,
        &[
            (
                &["secret", "set", "-n", "a", "--value", "v", "--expires", "tomorrow"],
                "--expires: `tomorrow` is not an RFC 3339 date-time",
            ),
            (
                &["secret", "set", "-n", "a", "--value", "v", "--not-before", "2030-02-30"],
                "--not-before: `2030-02-30` is not",
            ),
            (&["secret", "set-attributes", "-n", "a", "--expires", "12/31/2030"], "--expires: `12/31/2030` is not"),
            (&["secret", "set", "-n", "a", "--value", "v", "--tags", "=v"], "--tags: `=v` has no key"),
            (&["secret", "set-attributes", "-n", "a", "--tags", "k=1", "k=2"], "--tags: the key `k` is given twice"),
            (&["secret", "set-attributes", "-n", "a"], "set-attributes: nothing to change"),
            (&["secret", "list", "--maxresults", "0"], "--maxresults: `0` is not a positive whole number"),
        ],
    );
}

#[test]
fn bad_runs_start_nothing() {
    let f = Fixture::start("bad-run");
    let marker = f.path("started");
    let touch = format!("touch {}", marker.display());
    check(
        &f,
        &[
            (&["run", "--env", "A=db"], "run: no command given"),
            (
                &["run", "--env", "A=@Microsoft.KeyVault(SecretUri=nope)", "--", "sh", "-c", &touch],
                "--env A=@Microsoft.KeyVault(SecretUri=nope): bad Key Vault reference: invalid secret identifier `nope`",
            ),
            (
                &["run", "--env", "A=@Microsoft.KeyVault(VaultName=v;SecretName=s)", "--", "sh", "-c", &touch],
                "--env A=@Microsoft.KeyVault(VaultName=v;SecretName=s): `v` is not a vault name",
            ),
            (&["run", "--env", "A=bad_name", "--", "sh", "-c", &touch], "--env A=bad_name: invalid secret name"),
            (&["run", "--env", "NOEQUALS", "--", "sh", "-c", &touch], "--env NOEQUALS: write NAME=SECRET"),
            (&["run", "--env-file", "missing.env", "--", "sh", "-c", &touch], "--env-file missing.env: cannot read"),
        ],
    );
    let mut parent = f.azkv(&["run", "--", "sh", "-c", &touch]);
    parent.env("DB", "@Microsoft.KeyVault(SecretUri=https://v.vault.azure.net/certificates/c)");
    let line = fails(&parent.output().unwrap());
    assert!(line.starts_with("azkv: $DB: bad Key Vault reference: "), "{line}");
    assert!(!marker.exists(), "the command never started");
    assert_eq!(f.emulator.requests_served(), 0);
}
