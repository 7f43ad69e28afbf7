//! Target apps and mini program versions (SPEC §1, §4).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{AppId, Env, EnvPolicy, Millis, MiniProgramId, PackageUrl, Sha256, Version};

/// A target app and the policies of the environments it has.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetApp {
    pub id: AppId,
    pub environments: BTreeMap<Env, EnvPolicy>,
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
