//! Releases (SPEC §2, §4): the record, its configuration and its history entries (the
//! pilot test group is [`super::TestGroup`]).

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{
    Action, AppId, Env, Guard, InvalidValue, Millis, MiniProgramId, Percentage, Plan, ReleaseId,
    Salt, Status, Targeting, Version,
};

/// The largest release configuration accepted, serialized as JSON.
pub const MAX_CONFIG_BYTES: usize = 64 * 1024;
/// The largest pilot test group accepted.
pub const MAX_TEST_GROUP: usize = 1_000_000;

/// Checks a host name for `network_allowlist`: RFC 1123 labels, optionally `*.` in front.
fn check_host(host: &str) -> bool {
    let name = host.strip_prefix("*.").unwrap_or(host);
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            let b = label.as_bytes();
            !b.is_empty()
                && b.len() <= 63
                && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
                && b[0] != b'-'
                && b[b.len() - 1] != b'-'
        })
}

/// What [`check_host`] accepts, for the OpenAPI description.
const HOST_PATTERN: &str = r"^(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$";

/// Release-specific configuration: a JSON object of at most 64 KiB whose
/// `network_allowlist` is a list of host names and whose `payment` is an object.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(try_from = "Value", into = "Value")]
pub struct ReleaseConfig(Map<String, Value>);

impl ReleaseConfig {
    pub fn as_map(&self) -> &Map<String, Value> {
        &self.0
    }
}

/// A JSON object: `network_allowlist` is a list of host names, `payment` an object, and
/// other keys are kept as given.
impl utoipa::PartialSchema for ReleaseConfig {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{AdditionalProperties, ArrayBuilder, ObjectBuilder, Type};
        let host = ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some("A host name; `*.` is allowed as a prefix."))
            .pattern(Some(HOST_PATTERN))
            .max_length(Some(253));
        let allowlist = ArrayBuilder::new().items(host);
        let payment = ObjectBuilder::new()
            .schema_type(Type::Object)
            .additional_properties(Some(AdditionalProperties::FreeForm(true)));
        ObjectBuilder::new()
            .schema_type(Type::Object)
            .description(Some(
                "Release-specific configuration: a JSON object of at most 64 KiB. \
                 Keys other than `network_allowlist` and `payment` are kept as given.",
            ))
            .property("network_allowlist", allowlist)
            .property("payment", payment)
            .examples([serde_json::json!({
                "network_allowlist": ["api.example.com", "*.cdn.example.com"],
                "payment": {"merchant_id": "m-1"}
            })])
            .additional_properties(Some(AdditionalProperties::FreeForm(true)))
            .into()
    }
}

impl utoipa::ToSchema for ReleaseConfig {}

impl TryFrom<Value> for ReleaseConfig {
    type Error = InvalidValue;
    fn try_from(v: Value) -> Result<Self, InvalidValue> {
        let field = "config";
        let Value::Object(map) = v else {
            return Err(InvalidValue::new(field, "must be a JSON object"));
        };
        if let Some(list) = map.get("network_allowlist") {
            let hosts = list.as_array().ok_or_else(|| {
                InvalidValue::new(field, "network_allowlist must be a list of host names")
            })?;
            for h in hosts {
                match h.as_str() {
                    Some(s) if check_host(s) => {}
                    _ => {
                        return Err(InvalidValue::new(
                            field,
                            format!("network_allowlist entry {h} is not a host name"),
                        ));
                    }
                }
            }
        }
        if map.get("payment").is_some_and(|p| !p.is_object()) {
            return Err(InvalidValue::new(field, "payment must be an object"));
        }
        let size = serde_json::to_vec(&map)
            .map(|v| v.len())
            .unwrap_or(usize::MAX);
        if size > MAX_CONFIG_BYTES {
            return Err(InvalidValue::new(field, "must be at most 64 KiB as JSON"));
        }
        Ok(ReleaseConfig(map))
    }
}

impl From<ReleaseConfig> for Value {
    fn from(c: ReleaseConfig) -> Value {
        Value::Object(c.0)
    }
}

/// One version of one mini program sent to one release target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Release {
    pub id: ReleaseId,
    pub mini_program: MiniProgramId,
    pub version: Version,
    pub app: AppId,
    pub env: Env,
    pub status: Status,
    pub percentage: Percentage,
    pub salt: Salt,
    pub config: Arc<ReleaseConfig>,
    pub test_group_size: usize,
    /// The actor whose `apply` is under review: nobody may approve their own application.
    pub applied_by: Option<String>,
    /// The rollout plan (SPEC §8); records written before plans existed have none.
    #[serde(default)]
    pub plan: Option<Arc<Plan>>,
    /// The guard (SPEC §9); records written before guards existed have none.
    #[serde(default)]
    pub guard: Option<Guard>,
    /// Who may be in the grayscale share (SPEC §10); none: everybody.
    #[serde(default)]
    pub targeting: Option<Arc<Targeting>>,
    /// The full release this one archived on reaching `full_release` (rule 3): what a
    /// `rollback` restores (SPEC §11). Records written before rollbacks existed have none.
    #[serde(default)]
    pub predecessor: Option<ReleaseId>,
    pub revision: u64,
    pub created_at: Millis,
    pub updated_at: Millis,
}

/// One accepted action in a release's life (rule 5).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub release_id: ReleaseId,
    pub revision: u64,
    pub at: Millis,
    /// The actor's name: a token name, or `system:…` for the gateway's own actors.
    pub actor: String,
    pub action: Action,
    pub from: Option<Status>,
    pub to: Status,
    pub details: Value,
}
