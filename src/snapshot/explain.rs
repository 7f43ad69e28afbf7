//! The resolver's decision with its inputs laid out, for `GET /v1/admin/explain`: what was
//! decided, and each rule of SPEC §3 in order with whether it matched and why.

use serde::Serialize;

use super::{InFlight, Route, Served, Snapshot, Subject};
use crate::model::{Channel, Env, RawRule, ReleaseId};

/// Why a user gets what they get: `GET /v1/admin/explain`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Explanation {
    pub revision: u64,
    /// What the resolver answers: a channel, `not_released` or `suspended` (404 on resolve).
    pub outcome: Outcome,
    /// The release answered; `null` where `GET /v1/resolve` answers 404 `not_released`.
    #[schema(required = true)]
    pub decision: Option<Decision>,
    /// The rules of SPEC §3 in order: pilot, grayscale, full.
    pub steps: Vec<Step>,
    /// The route's in-flight release serving some users, if any.
    #[schema(required = true)]
    pub in_flight: Option<InFlightExplanation>,
    /// The route's current full release, if any.
    #[schema(required = true)]
    pub full: Option<Decision>,
}

/// The answer's channel, `not_released`, or `suspended` (SPEC §11: the super app stopped
/// the mini program in every environment of the app).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Pilot,
    Grayscale,
    Full,
    NotReleased,
    Suspended,
}

/// One rule of SPEC §3 applied to this user.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Step {
    /// `pilot`, `grayscale` or `full`.
    pub rule: Channel,
    pub matched: bool,
    /// Why it matched or not, in plain words.
    pub reason: String,
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
    /// Each targeting rule (SPEC §10) with the attribute value seen and whether it held;
    /// empty without targeting.
    pub targeting: Vec<RuleExplanation>,
    /// Whether every rule held (true without targeting).
    pub targeted: bool,
    /// `targeted` and `bucket < threshold`.
    pub in_grayscale: bool,
    pub test_group_size: usize,
    pub pilot_member: bool,
}

/// One targeting rule applied to this client.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RuleExplanation {
    pub rule: RawRule,
    /// The client's value of the rule's attribute; null when absent (the rule fails).
    #[schema(required = true)]
    pub seen: Option<String>,
    pub held: bool,
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

impl InFlightExplanation {
    fn new(f: &InFlight, subject: &Subject<'_>) -> InFlightExplanation {
        let user = subject.user;
        let bucket = f.salted.bucket(user);
        let targeting: Vec<RuleExplanation> = f
            .targeting
            .as_ref()
            .map(|t| t.explain(|name| subject.attributes.get(name)))
            .unwrap_or_default()
            .into_iter()
            .map(|check| RuleExplanation {
                rule: check.rule,
                seen: check.seen.map(str::to_owned),
                held: check.held,
            })
            .collect();
        let targeted = targeting.iter().all(|r| r.held);
        InFlightExplanation {
            release_id: f.pilot.release_id,
            version: f.pilot.version.to_string(),
            salt: f.salt_str().to_string(),
            bucket,
            threshold: f.threshold,
            percentage: f64::from(f.threshold) / 10_000.0,
            in_grayscale: f.threshold > 0 && bucket < f.threshold && targeted,
            targeting,
            targeted,
            test_group_size: f.test_group.as_ref().map_or(0, |g| g.len()),
            pilot_member: f.test_group.as_ref().is_some_and(|g| g.contains(user)),
        }
    }
}

const NOT_EVALUATED: &str = "not evaluated: an earlier rule matched";

fn step(rule: Channel, matched: bool, reason: String) -> Step {
    Step {
        rule,
        matched,
        reason,
    }
}

const NO_IN_FLIGHT: &str = "no release of this route is in pilot testing or grayscale";

/// The three rules in order, each with its verdict; `chose` is what the resolver chose.
fn steps(route: Option<&Route>, f: Option<&InFlightExplanation>, chose: Outcome) -> Vec<Step> {
    vec![
        pilot_step(f),
        match f {
            _ if chose == Outcome::Pilot => step(Channel::Grayscale, false, NOT_EVALUATED.into()),
            None => step(Channel::Grayscale, false, NO_IN_FLIGHT.into()),
            Some(f) => grayscale_step(f),
        },
        match route.and_then(|r| r.full.as_ref()) {
            _ if matches!(chose, Outcome::Pilot | Outcome::Grayscale) => {
                step(Channel::Full, false, NOT_EVALUATED.into())
            }
            None => step(
                Channel::Full,
                false,
                "no release of this route is in full release".into(),
            ),
            Some(s) => step(
                Channel::Full,
                true,
                format!(
                    "release {} ({}) is in full release",
                    s.release_id, s.version
                ),
            ),
        },
    ]
}

fn pilot_step(f: Option<&InFlightExplanation>) -> Step {
    match f {
        None => step(Channel::Pilot, false, NO_IN_FLIGHT.into()),
        Some(f) if f.pilot_member => step(
            Channel::Pilot,
            true,
            format!(
                "the user is in the pilot test group of release {}",
                f.release_id
            ),
        ),
        Some(f) => step(
            Channel::Pilot,
            false,
            format!(
                "the user is not in the pilot test group of release {} ({} ids)",
                f.release_id, f.test_group_size
            ),
        ),
    }
}

fn grayscale_step(f: &InFlightExplanation) -> Step {
    if f.threshold == 0 {
        let reason = format!("release {} has no grayscale share (0 %)", f.release_id);
        return step(Channel::Grayscale, false, reason);
    }
    let below = f.bucket < f.threshold;
    let relation = if below { "below" } else { "not below" };
    let mut reason = format!(
        "bucket {} is {relation} the threshold {} ({} % of release {})",
        f.bucket, f.threshold, f.percentage, f.release_id
    );
    if let Some(failed) = f.targeting.iter().find(|r| !r.held) {
        let seen = failed
            .seen
            .as_deref()
            .map_or("absent".into(), |v| format!("{v:?}"));
        reason.push_str(&format!(
            "; targeting does not hold: attribute {} is {seen}",
            failed.rule.attribute
        ));
    }
    step(Channel::Grayscale, f.in_grayscale, reason)
}

impl Snapshot {
    /// The resolver's decision with its inputs laid out.
    pub fn explain(
        &self,
        app: &str,
        env: Env,
        mini_program: &str,
        subject: &Subject<'_>,
    ) -> Explanation {
        if self.is_suspended(app, mini_program) {
            return self.explain_suspended();
        }
        let route = self.route(app, env, mini_program).map(|r| &**r);
        let in_flight = route
            .and_then(|r| r.in_flight.as_ref())
            .map(|f| InFlightExplanation::new(f, subject));
        let decision = route.and_then(|r| r.resolve(subject)).map(Decision::from);
        let outcome = match decision.as_ref().map(|d| d.channel) {
            Some(Channel::Pilot) => Outcome::Pilot,
            Some(Channel::Grayscale) => Outcome::Grayscale,
            Some(Channel::Full) => Outcome::Full,
            None => Outcome::NotReleased,
        };
        Explanation {
            revision: self.revision,
            outcome,
            steps: steps(route, in_flight.as_ref(), outcome),
            decision,
            in_flight,
            full: route.and_then(|r| r.full.as_ref()).map(Decision::from),
        }
    }
}

const SUSPENDED: &str = "not evaluated: the super app suspended this mini program in this app";

impl Snapshot {
    /// A suspended route serves nobody whatever its releases (SPEC §11); the releases
    /// keep their status, and the admin API shows them.
    fn explain_suspended(&self) -> Explanation {
        let not_evaluated = |rule| step(rule, false, SUSPENDED.into());
        Explanation {
            revision: self.revision,
            outcome: Outcome::Suspended,
            decision: None,
            steps: [Channel::Pilot, Channel::Grayscale, Channel::Full]
                .map(not_evaluated)
                .into(),
            in_flight: None,
            full: None,
        }
    }
}
