//! Target apps and mini program versions (SPEC §1, §4).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{
    AppId, Env, EnvPolicy, Millis, MiniProgramId, PackageUrl, Sha256, TokenSha256, Version,
};

/// A target app and the policies of the environments it has.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetApp {
    pub id: AppId,
    pub environments: BTreeMap<Env, EnvPolicy>,
    /// The SHA-256 of the bearer token its clients must send with health reports
    /// (SPEC §9); `None`: reports need no token. Records from before it load as `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report_token_sha256: Option<TokenSha256>,
    pub revision: u64,
    pub updated_at: Millis,
}

impl TargetApp {
    pub fn policy(&self, env: Env) -> Option<EnvPolicy> {
        self.environments.get(&env).copied()
    }
}

/// An uploaded version of a mini program.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MiniProgramVersion {
    pub mini_program: MiniProgramId,
    pub version: Version,
    pub package_url: PackageUrl,
    pub sha256: Option<Sha256>,
    pub created_by: String,
    pub created_at: Millis,
    pub revision: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_app_from_before_report_tokens_loads_without_one() {
        let old = r#"{"id":"superapp-a","environments":{"production":{"approval":"manual","pilot_testing":false}},"revision":3,"updated_at":5}"#;
        let app: TargetApp = serde_json::from_str(old).expect("an old record loads");
        assert_eq!(app.report_token_sha256, None);
        // And an app without a token is stored as before.
        assert_eq!(serde_json::to_string(&app).expect("json"), old);
        let hash = "0f".repeat(32);
        let with = old.replace(
            r#","revision""#,
            &format!(r#","report_token_sha256":"{hash}","revision""#),
        );
        let app: TargetApp = serde_json::from_str(&with).expect("a record with a token loads");
        assert_eq!(app.report_token_sha256.map(String::from), Some(hash));
        assert_eq!(serde_json::to_string(&app).expect("json"), with);
    }
}
