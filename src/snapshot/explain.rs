//! The resolver's decision with its inputs laid out, for `GET /v1/admin/explain`.

use serde::Serialize;

use super::{Channel, Served, Snapshot};
use crate::model::Env;
use crate::release::ReleaseId;

/// Why a user gets what they get: `GET /v1/admin/explain`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Explanation {
    pub revision: u64,
    /// What the resolver answers; `null` where `GET /v1/resolve` answers 404 `not_released`.
    #[schema(required = true)]
    pub decision: Option<Decision>,
    /// The route's in-flight release serving some users, if any.
    #[schema(required = true)]
    pub in_flight: Option<InFlightExplanation>,
    /// The route's current full release, if any.
    #[schema(required = true)]
    pub full: Option<Decision>,
}

/// A release the resolver picks, and the rule of SPEC §3 that picks it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Decision {
    #[schema(value_type = u64)]
    pub release_id: ReleaseId,
    pub version: String,
    pub channel: Channel,
}

/// The in-flight release's inputs to the decision for this user.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct InFlightExplanation {
    #[schema(value_type = u64)]
    pub release_id: ReleaseId,
    pub version: String,
    pub salt: String,
    /// The user's bucket in 0..999_999 (spec gr1).
    pub bucket: u32,
    /// Parts per million; the user is in the grayscale iff `bucket < threshold`.
    pub threshold: u32,
    /// The grayscale percentage; 0 while pilot testing.
    pub percentage: f64,
    pub in_grayscale: bool,
    pub test_group_size: usize,
    pub pilot_member: bool,
}

impl From<&Served> for Decision {
    fn from(s: &Served) -> Decision {
        Decision {
            release_id: s.release_id,
            version: s.version.to_string(),
            channel: s.channel,
        }
    }
}

impl Snapshot {
    /// The resolver's decision with its inputs laid out.
    pub fn explain(&self, app: &str, env: Env, mini_program: &str, user: &str) -> Explanation {
        let route = self.route(app, env, mini_program);
        let in_flight = route.and_then(|r| r.in_flight.as_ref()).map(|f| {
            let bucket = f.salted.bucket(user);
            InFlightExplanation {
                release_id: f.pilot.release_id,
                version: f.pilot.version.to_string(),
                salt: f.salt_str().to_string(),
                bucket,
                threshold: f.threshold,
                percentage: f64::from(f.threshold) / 10_000.0,
                in_grayscale: bucket < f.threshold,
                test_group_size: f.test_group.as_ref().map_or(0, |g| g.len()),
                pilot_member: f.test_group.as_ref().is_some_and(|g| g.contains(user)),
            }
        });
        Explanation {
            revision: self.revision,
            decision: route.and_then(|r| r.resolve(user)).map(Decision::from),
            in_flight,
            full: route.and_then(|r| r.full.as_ref()).map(Decision::from),
        }
    }
}
