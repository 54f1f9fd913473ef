//! What `azkv run` resolves: `NAME=SECRET[@VERSION]` bindings and App Service Key Vault references
//! (`@Microsoft.KeyVault(SecretUri=...)`, `@Microsoft.KeyVault(VaultName=...;SecretName=...;SecretVersion=...)`).

use azkv_models::{IdentifierKind, SecretIdentifier};

use crate::error::{CliError, Result};
use crate::parse;

/// One variable to fill with a secret's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Binding {
    /// The environment variable.
    pub(crate) var: String,
    /// Where it came from, for errors: `--env DB=db-password`, `env-file .env:3`, `$DB`.
    pub(crate) origin: String,
    /// The secret.
    pub(crate) secret: SecretRef,
}

/// A secret to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SecretRef {
    /// The vault's URL; `None` for the vault of `--vault-url`/`--vault-name`.
    pub(crate) vault_url: Option<String>,
    /// The secret's name.
    pub(crate) name: String,
    /// The version; `None` for the latest.
    pub(crate) version: Option<String>,
}

const PREFIX: &str = "@Microsoft.KeyVault(";

/// Whether `value` is a Key Vault reference (it may still be a malformed one).
pub(crate) fn is_reference(value: &str) -> bool {
    value.trim_start().starts_with(PREFIX)
}

/// Parses a Key Vault reference; `origin` names it in errors.
pub(crate) fn reference(origin: &str, value: &str) -> Result<SecretRef> {
    let bad = |why: String| CliError::arg(origin, format!("bad Key Vault reference: {why}"));
    let inner = value.trim().strip_prefix(PREFIX).and_then(|rest| rest.strip_suffix(')')).ok_or_else(|| {
        bad("write @Microsoft.KeyVault(SecretUri=...) or @Microsoft.KeyVault(VaultName=...;SecretName=...)".into())
    })?;
    let mut fields: Vec<(String, &str)> = Vec::new();
    for part in inner.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let (key, val) = part.split_once('=').ok_or_else(|| bad(format!("`{part}` is not KEY=VALUE")))?;
        fields.push((key.trim().to_ascii_lowercase(), val.trim()));
    }
    let field = |name: &str| fields.iter().find(|(k, _)| k == name).map(|(_, v)| *v);
    if let Some((key, _)) =
        fields.iter().find(|(k, _)| !["secreturi", "vaultname", "secretname", "secretversion"].contains(&k.as_str()))
    {
        return Err(bad(format!("unknown field `{key}`")));
    }
    if let Some(uri) = field("secreturi") {
        if fields.len() > 1 {
            return Err(bad("SecretUri takes no other field".into()));
        }
        let id = SecretIdentifier::parse(uri).map_err(|e| bad(e.to_string()))?;
        if id.kind() != IdentifierKind::Secret {
            return Err(bad(format!("`{uri}` is not a /secrets/ URI")));
        }
        return Ok(SecretRef {
            vault_url: Some(id.vault_url().to_owned()),
            name: id.name().to_owned(),
            version: id.version().map(str::to_owned),
        });
    }
    let (Some(vault), Some(name)) = (field("vaultname"), field("secretname")) else {
        return Err(bad("give SecretUri, or VaultName and SecretName".into()));
    };
    parse::vault_name(origin, vault)?;
    parse::secret_name(origin, name)?;
    let version = field("secretversion").filter(|v| !v.is_empty());
    if let Some(v) = version {
        parse::secret_version(origin, v)?;
    }
    Ok(SecretRef {
        vault_url: Some(format!("https://{vault}.vault.azure.net")),
        name: name.to_owned(),
        version: version.map(str::to_owned),
    })
}

/// Parses `NAME=SECRET[@VERSION]` or `NAME=@Microsoft.KeyVault(...)`; `origin` names it in errors.
pub(crate) fn binding(origin: &str, text: &str) -> Result<Binding> {
    let (var, target) = text
        .split_once('=')
        .ok_or_else(|| CliError::arg(origin, "write NAME=SECRET[@VERSION] (the variable, then the secret)"))?;
    let var = var.trim();
    env_var_name(origin, var)?;
    let target = target.trim();
    let secret = if is_reference(target) {
        reference(origin, target)?
    } else {
        let (name, version) = match target.split_once('@') {
            Some((name, version)) => (name, Some(version)),
            None => (target, None),
        };
        parse::secret_name(origin, name)?;
        if let Some(v) = version {
            parse::secret_version(origin, v)?;
        }
        SecretRef { vault_url: None, name: name.to_owned(), version: version.map(str::to_owned) }
    };
    Ok(Binding { var: var.to_owned(), origin: origin.to_owned(), secret })
}

/// The bindings of an env file's text: one per line, blank lines and `#` comments skipped, an
/// optional `export ` prefix; `file` names the file in errors.
pub(crate) fn env_file(file: &str, text: &str) -> Result<Vec<Binding>> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        out.push(binding(&format!("--env-file {file}:{}", i + 1), line)?);
    }
    Ok(out)
}

/// A variable name a child can be given: non-empty, no `=` or NUL.
fn env_var_name(origin: &str, var: &str) -> Result<()> {
    if var.is_empty() || var.contains(['=', '\0']) || var.chars().any(char::is_whitespace) {
        return Err(CliError::arg(origin, format!("`{var}` is not a variable name")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(vault: Option<&str>, name: &str, version: Option<&str>) -> SecretRef {
        SecretRef { vault_url: vault.map(str::to_owned), name: name.into(), version: version.map(str::to_owned) }
    }

    #[test]
    fn secret_uri_references() {
        let r = reference("$A", "@Microsoft.KeyVault(SecretUri=https://myvault.vault.azure.net/secrets/db/)").unwrap();
        assert_eq!(r, secret(Some("https://myvault.vault.azure.net"), "db", None));
        let r = reference("$A", "@Microsoft.KeyVault(SecretUri=https://127.0.0.1:8443/secrets/db/abc123)").unwrap();
        assert_eq!(r, secret(Some("https://127.0.0.1:8443"), "db", Some("abc123")));
    }

    #[test]
    fn vault_name_references() {
        let r = reference("$A", "@Microsoft.KeyVault(VaultName=myvault;SecretName=db;SecretVersion=v1)").unwrap();
        assert_eq!(r, secret(Some("https://myvault.vault.azure.net"), "db", Some("v1")));
        let r = reference("$A", "@Microsoft.KeyVault(vaultname=myvault; secretname=db)").unwrap();
        assert_eq!(r, secret(Some("https://myvault.vault.azure.net"), "db", None));
    }

    #[test]
    fn bad_references_name_their_origin() {
        for bad in [
            "@Microsoft.KeyVault(SecretUri=not a url)",
            "@Microsoft.KeyVault(SecretUri=https://v.vault.azure.net/keys/k)",
            "@Microsoft.KeyVault(SecretUri=https://v.vault.azure.net/deletedsecrets/k)",
            "@Microsoft.KeyVault(SecretUri=ftp://v/secrets/k)",
            "@Microsoft.KeyVault(SecretUri=https://v.vault.azure.net/secrets/bad_name)",
            "@Microsoft.KeyVault(SecretUri=https://v.vault.azure.net/secrets/a;VaultName=v)",
            "@Microsoft.KeyVault(VaultName=myvault)",
            "@Microsoft.KeyVault(VaultName=x;SecretName=db)",
            "@Microsoft.KeyVault(VaultName=myvault;SecretName=db;Color=red)",
            "@Microsoft.KeyVault(SecretUri=https://v.vault.azure.net/secrets/a",
            "@Microsoft.KeyVault(nonsense)",
        ] {
            let e = reference("$DB", bad).unwrap_err().to_string();
            assert!(e.starts_with("$DB: "), "{bad}: {e}");
        }
        assert!(is_reference(" @Microsoft.KeyVault(x"));
        assert!(!is_reference("plain"));
    }

    #[test]
    fn bindings_and_env_files() {
        let b = binding("--env", "DB=db-password@abc").unwrap();
        assert_eq!((b.var.as_str(), b.secret), ("DB", secret(None, "db-password", Some("abc"))));
        let b = binding("--env", "DB=@Microsoft.KeyVault(VaultName=myvault;SecretName=db)").unwrap();
        assert_eq!(b.secret.vault_url.as_deref(), Some("https://myvault.vault.azure.net"));
        for bad in ["DB", "=db", "DB=bad_name", "DB=", "DB=a@b/c", "A B=c"] {
            assert!(binding("--env X", bad).unwrap_err().to_string().starts_with("--env X: "), "{bad}");
        }
        let file = "# comment\n\nA=one\nexport B = two@v2\n";
        let got = env_file(".env", file).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[1].secret, secret(None, "two", Some("v2")));
        let e = env_file(".env", "A=one\nbroken\n").unwrap_err().to_string();
        assert!(e.starts_with("--env-file .env:2: "), "{e}");
    }
}
