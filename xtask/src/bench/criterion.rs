//! The criterion benches: which to run, and their medians read back from `target/criterion`.

use std::path::Path;

use anyhow::Context;

/// The benches: `(package, bench target)`.
pub(super) const BENCHES: &[(&str, &str)] =
    &[("azkv-pipeline", "pipeline"), ("azkv-secrets", "client"), ("azkv-models", "models"), ("azkv-cache", "cache")];

/// Ratios reported: `(label, numerator id, denominator id)`, ids as `group/function`.
pub(super) const RATIOS: &[(&str, &str, &str)] = &[
    (
        "full default pipeline / bare transport (get_secret, in memory)",
        "get_secret_in_memory/full_pipeline",
        "get_secret_in_memory/transport_only",
    ),
    (
        "`SecretClient::get_secret` / bare transport (in memory, challenge answered, JSON decoded)",
        "secret_client_in_memory/get_full_client",
        "secret_client_in_memory/get_transport_only",
    ),
    (
        "`SecretClient::set_secret` / bare transport `get` (in memory)",
        "secret_client_in_memory/set_full_client",
        "secret_client_in_memory/get_transport_only",
    ),
];

/// `(group/function, median ns)` for every benchmark criterion has results for.
pub(super) fn read_results(dir: &Path) -> anyhow::Result<Vec<(String, f64)>> {
    let mut out = Vec::new();
    for group in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let group = group?.path();
        if !group.is_dir() || group.file_name().is_some_and(|n| n == "report") {
            continue;
        }
        for function in std::fs::read_dir(&group)? {
            let function = function?.path();
            let estimates = function.join("new").join("estimates.json");
            let Ok(text) = std::fs::read_to_string(&estimates) else { continue };
            let json: serde_json::Value =
                serde_json::from_str(&text).with_context(|| format!("parsing {}", estimates.display()))?;
            let median = json["median"]["point_estimate"]
                .as_f64()
                .with_context(|| format!("no median in {}", estimates.display()))?;
            let id = format!(
                "{}/{}",
                group.file_name().unwrap_or_default().to_string_lossy(),
                function.file_name().unwrap_or_default().to_string_lossy()
            );
            out.push((id, median));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}
