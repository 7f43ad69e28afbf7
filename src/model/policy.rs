//! Target-app policies per environment (SPEC §1).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{Env, InvalidValue};

/// How a release target approves applications.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Approval {
    #[default]
    Auto,
    Manual,
}

/// The effective policy of one release target (SPEC §1 "Target-app policy").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
pub struct EnvPolicy {
    pub approval: Approval,
    pub pilot_testing: bool,
}

/// A policy as written by a reviewer or in the config file; fields the environment fixes
/// may be omitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, try_from = "PolicyObject")]
pub struct EnvPolicyInput {
    #[serde(default)]
    pub approval: Option<Approval>,
    #[serde(default)]
    pub pilot_testing: Option<bool>,
}

/// The wire form of [`EnvPolicyInput`]: a JSON or TOML table, never an array (serde's
/// derived structs would also take `[approval, pilot_testing]`).
#[derive(Deserialize)]
#[serde(transparent)]
struct PolicyObject(serde_json::Map<String, serde_json::Value>);

impl TryFrom<PolicyObject> for EnvPolicyInput {
    type Error = String;
    fn try_from(PolicyObject(map): PolicyObject) -> Result<Self, String> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Fields {
            #[serde(default)]
            approval: Option<Approval>,
            #[serde(default)]
            pilot_testing: Option<bool>,
        }
        let f: Fields =
            serde_json::from_value(serde_json::Value::Object(map)).map_err(|e| e.to_string())?;
        Ok(EnvPolicyInput {
            approval: f.approval,
            pilot_testing: f.pilot_testing,
        })
    }
}

impl EnvPolicy {
    /// Applies the rules SPEC §1 fixes per environment, refusing settings that contradict them.
    pub fn for_env(env: Env, input: EnvPolicyInput) -> Result<EnvPolicy, InvalidValue> {
        let field = "environments";
        match env {
            Env::Production => {
                if input.approval == Some(Approval::Auto) {
                    return Err(InvalidValue::new(
                        field,
                        "production approval is always manual",
                    ));
                }
                Ok(EnvPolicy {
                    approval: Approval::Manual,
                    pilot_testing: input.pilot_testing.unwrap_or(false),
                })
            }
            Env::Sandbox => Ok(EnvPolicy {
                approval: input.approval.unwrap_or(Approval::Auto),
                pilot_testing: input.pilot_testing.unwrap_or(false),
            }),
            Env::Development | Env::Test => {
                if input.approval == Some(Approval::Manual) || input.pilot_testing == Some(true) {
                    return Err(InvalidValue::new(
                        field,
                        format!("{env} approves automatically and has no pilot testing"),
                    ));
                }
                Ok(EnvPolicy {
                    approval: Approval::Auto,
                    pilot_testing: false,
                })
            }
        }
    }
}
