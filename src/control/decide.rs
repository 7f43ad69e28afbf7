//! Turns an admin request (or a system actor's) into the [`Batch`] that would carry it
//! out, deciding with the workflow against the current [`Replica`], and names in the
//! batch what the decision read, so the store can tell a stale base from a conflict.
//! Nothing here writes: the caller commits.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::json;

use super::ControlError;
use super::replica::Replica;
use crate::model::{
    Action, Actor, AppId, Env, EnvPolicy, EnvPolicyInput, HistoryEntry, InvalidValue, Millis,
    MiniProgramId, MiniProgramVersion, Percentage, RawPlan, Release, ReleaseConfig, ReleaseId,
    Salt, Status, TargetApp, Targeting, TestGroup, TokenSha256, Version,
};
use crate::snapshot::RouteKey;
use crate::store::{Batch, Reads};
use crate::workflow::{self, Change, Command, GoLive, Operation, Transition};

/// `POST /v1/admin/releases`, validated.
#[derive(Debug, Clone)]
pub struct CreateRelease {
    pub mini_program: MiniProgramId,
    pub version: Version,
    pub app: AppId,
    pub env: Env,
    pub config: ReleaseConfig,
    pub test_group: Option<Arc<TestGroup>>,
    /// SPEC §10: production only; no rules is no targeting.
    pub targeting: Option<Arc<Targeting>>,
}

/// What a history entry records of a command's payload and, for plan steps, of the
/// step it took (SPEC §8: an automatic step reads like the go-live a person would send).
fn details(command: &Command, transition: &Transition) -> serde_json::Value {
    let went_live = || match transition.to {
        Status::FullRelease => json!({ "type": "full" }),
        _ => json!({ "type": "grayscale", "percentage": transition.percentage }),
    };
    match command {
        Command::EditConfig(c) => json!({ "config": c }),
        Command::SetTestGroup(g) => json!({ "test_group_size": g.len() }),
        Command::Reject(reason) | Command::TakeOffline(reason) => json!({ "reason": reason }),
        Command::Rollback(reason) => json!({ "reason": reason, "restored": transition.restores }),
        Command::GoLive(GoLive::Full) => json!({ "type": "full" }),
        Command::GoLive(GoLive::Grayscale(p)) => json!({ "type": "grayscale", "percentage": p }),
        Command::GoLive(GoLive::Plan) => {
            let mut started = went_live();
            started["plan"] = json!(true);
            started
        }
        Command::PlanStep { finding: None, .. } => went_live(),
        Command::PlanStep {
            finding: Some(finding),
            ..
        } => {
            let mut stepped = went_live();
            stepped["guard"] = finding.details();
            stepped
        }
        Command::WaitForData { finding, .. }
        | Command::GuardHalt(finding)
        | Command::GuardRollback(finding) => json!({ "guard": finding.details() }),
        Command::SetPlan(spec) => json!({ "plan": RawPlan::from(&**spec) }),
        Command::SetGuard(guard) => json!({ "guard": guard }),
        Command::SetTargeting(t) => json!({ "targeting": t }),
        Command::Apply
        | Command::Withdraw
        | Command::Approve
        | Command::CompleteTesting
        | Command::Cancel
        | Command::RemovePlan
        | Command::RemoveGuard
        | Command::Pause
        | Command::Resume => json!({}),
    }
}

pub(super) fn require(actor: &Actor, op: Operation) -> Result<(), ControlError> {
    if workflow::actor_permits(actor, op) {
        Ok(())
    } else {
        Err(ControlError::Forbidden { role: actor.role() })
    }
}

/// Fails with 412 when the caller's `If-Match` is not the record's revision.
fn check_revision(if_match: Option<u64>, current: u64) -> Result<(), ControlError> {
    match if_match.filter(|&rev| rev != current) {
        Some(expected) => Err(ControlError::PreconditionFailed { expected, current }),
        None => Ok(()),
    }
}

/// A target app as a reviewer (`PUT /v1/admin/apps/{app}`) or the config file writes it.
#[derive(Debug, Clone)]
pub struct AppInput {
    pub id: AppId,
    pub environments: BTreeMap<Env, EnvPolicyInput>,
    /// `None`: the app's clients report without a token.
    pub report_token_sha256: Option<TokenSha256>,
}

/// Apps as tests and older callers name them: policies only, no report token.
impl From<(AppId, BTreeMap<Env, EnvPolicyInput>)> for AppInput {
    fn from((id, environments): (AppId, BTreeMap<Env, EnvPolicyInput>)) -> AppInput {
        AppInput {
            id,
            environments,
            report_token_sha256: None,
        }
    }
}

/// Creates or replaces a target app: its environment policies and its report token.
pub fn put_app(
    state: &Replica,
    actor: &Actor,
    input: AppInput,
    if_match: Option<u64>,
    now: Millis,
) -> Result<Batch, ControlError> {
    require(actor, Operation::PutApp)?;
    let app = build_app(input, state.revision + 1, now)?;
    if let Some(old) = state.apps.get(&app.id) {
        check_revision(if_match, old.revision)?;
        let removed = old
            .environments
            .keys()
            .filter(|e| !app.environments.contains_key(e));
        for env in removed {
            if state.routes().any(|k| k.app == app.id && k.env == *env) {
                return Err(ControlError::EnvironmentInUse(*env));
            }
        }
    }
    // The app is written, so it counts as read: a concurrent put or a create in an
    // environment removed here (creates read the app) conflicts.
    let mut batch = Batch::on(state.revision);
    batch.records.apps.push(app);
    Ok(batch)
}

/// Normalises a target app: production is mandatory and every policy obeys SPEC §1.
pub fn build_app(input: AppInput, revision: u64, now: Millis) -> Result<TargetApp, ControlError> {
    if !input.environments.contains_key(&Env::Production) {
        return Err(ControlError::Invalid(InvalidValue::new(
            "environments",
            "every target app has a production environment",
        )));
    }
    let environments = input
        .environments
        .into_iter()
        .map(|(env, input)| Ok((env, EnvPolicy::for_env(env, input)?)))
        .collect::<Result<BTreeMap<_, _>, ControlError>>()?;
    Ok(TargetApp {
        id: input.id,
        environments,
        report_token_sha256: input.report_token_sha256,
        revision,
        updated_at: now,
    })
}

/// Registers a new version of a mini program; versions are immutable once uploaded.
pub fn add_version(
    state: &Replica,
    actor: &Actor,
    mut version: MiniProgramVersion,
) -> Result<Batch, ControlError> {
    require(actor, Operation::AddVersion)?;
    let key = (version.mini_program.clone(), version.version.clone());
    if state.versions.contains_key(&key) {
        return Err(ControlError::VersionExists);
    }
    version.revision = state.revision + 1;
    version.created_by = actor.name().to_owned();
    let mut batch = Batch::on(state.revision);
    batch.records.versions.push(version);
    Ok(batch)
}

/// Creates a release in `new_version_created`.
pub fn create_release(
    state: &Replica,
    actor: &Actor,
    req: CreateRelease,
    salt: Salt,
    now: Millis,
) -> Result<(Batch, ReleaseId), ControlError> {
    let app = state.apps.get(&req.app).ok_or(ControlError::AppNotFound)?;
    let version_key = (req.mini_program.clone(), req.version.clone());
    if !state.versions.contains_key(&version_key) {
        return Err(ControlError::VersionNotFound);
    }
    let existing = state.released_before(&req.mini_program, &req.version, &req.app, req.env);
    let with_group = req.test_group.is_some();
    let targeting = req.targeting.clone().filter(|t| !t.is_empty());
    let shape = workflow::Creation {
        with_test_group: with_group,
        with_targeting: targeting.is_some(),
    };
    workflow::decide_create(actor, req.env, app.policy(req.env), existing, shape)?;
    let id = state.next_release_id();
    let mut batch = Batch::on(state.revision);
    // Rule 1 read the route; the new id must still be free. The new release is written,
    // so its id and route count as read anyway; the app's policy and the version decided.
    batch.reads = Reads {
        apps: vec![req.app.clone()],
        versions: vec![version_key],
        releases: vec![id],
        routes: vec![(req.app.clone(), req.env, req.mini_program.clone())],
    };
    let test_group = req.test_group.clone();
    let release = new_release(req, id, salt, (batch.revision(), now), targeting);
    let details = json!({ "config": release.config, "test_group_size": release.test_group_size,
        "targeting": release.targeting });
    let created = (None, Status::NewVersionCreated);
    batch
        .history
        .push(entry(&release, actor, Action::Create, created, details));
    batch
        .records
        .test_groups
        .extend(test_group.map(|g| (id, g)));
    batch.records.releases.push(release);
    Ok((batch, id))
}

/// A release as `create` makes it: `new_version_created`, at 0 %, without a plan or guard.
fn new_release(
    req: CreateRelease,
    id: ReleaseId,
    salt: Salt,
    (revision, now): (u64, Millis),
    targeting: Option<Arc<Targeting>>,
) -> Release {
    Release {
        id,
        mini_program: req.mini_program,
        version: req.version,
        app: req.app,
        env: req.env,
        status: Status::NewVersionCreated,
        percentage: Percentage::ZERO,
        salt,
        config: Arc::new(req.config),
        test_group_size: req.test_group.as_ref().map_or(0, |g| g.len()),
        applied_by: None,
        plan: None,
        guard: None,
        targeting,
        predecessor: None,
        revision,
        created_at: now,
        updated_at: now,
    }
}

/// Performs a workflow command on release `id`.
pub fn act(
    state: &Replica,
    actor: &Actor,
    id: ReleaseId,
    command: &Command,
    if_match: Option<u64>,
    now: Millis,
) -> Result<Batch, ControlError> {
    let release = state
        .releases
        .get(&id)
        .ok_or(ControlError::ReleaseNotFound)?;
    let facts = state.facts(release, now).ok_or(ControlError::AppNotFound)?;
    let transition = workflow::decide(&facts, command, actor)?;
    // Checked after the workflow so a forbidden or impossible action says why, not 412.
    check_revision(if_match, release.revision)?;
    let mut batch = Batch::on(state.revision);
    // The facts came from the app's policy and the whole route (rules 2 and 3).
    let route = RouteKey::of(release);
    batch.reads = Reads {
        apps: vec![release.app.clone()],
        routes: vec![(route.app.clone(), route.env, route.mini_program.clone())],
        ..Reads::default()
    };
    let next = carry_out(release, command, &transition, actor, &mut batch, now);
    let moved = (Some(transition.from), transition.to);
    let history = entry(
        &next,
        actor,
        command.action(),
        moved,
        details(command, &transition),
    );
    batch.history.push(history);
    let mut next = next;
    if transition.archives_previous_full
        && let Some(previous) = state.current_full(&route)
    {
        archive(previous, id, actor, &mut batch, now);
        next.predecessor = Some(previous.id);
    }
    if let Some(predecessor) = transition.restores {
        let predecessor = state
            .releases
            .get(&predecessor)
            .ok_or(ControlError::ReleaseNotFound)?;
        restore(predecessor, &next, command, actor, &mut batch, now);
    }
    batch.records.releases.push(next);
    Ok(batch)
}

/// The release after `transition`, with the command's payload applied; a new test
/// group goes into the batch beside it.
fn carry_out(
    release: &Release,
    command: &Command,
    transition: &Transition,
    actor: &Actor,
    batch: &mut Batch,
    now: Millis,
) -> Release {
    let mut next = advance(release, transition.to, transition.percentage, batch, now);
    match command {
        Command::EditConfig(config) => next.config = Arc::clone(config),
        Command::SetTestGroup(group) => {
            next.test_group_size = group.len();
            batch
                .records
                .test_groups
                .push((release.id, Arc::clone(group)));
        }
        Command::Apply
        | Command::Withdraw
        | Command::Approve
        | Command::Reject(_)
        | Command::CompleteTesting
        | Command::GoLive(_)
        | Command::Cancel
        | Command::SetPlan(_)
        | Command::RemovePlan
        | Command::Pause
        | Command::Resume
        | Command::PlanStep { .. }
        | Command::WaitForData { .. }
        | Command::SetGuard(_)
        | Command::RemoveGuard
        | Command::GuardHalt(_)
        | Command::GuardRollback(_)
        | Command::SetTargeting(_)
        | Command::TakeOffline(_)
        | Command::Rollback(_) => {}
    }
    next.plan = changed(next.plan, transition.plan.clone().map(Arc::new));
    next.guard = changed(next.guard, transition.guard.clone());
    next.targeting = changed(next.targeting, transition.targeting.clone());
    if transition.starts_review() {
        next.applied_by = Some(actor.name().to_owned());
    } else if transition.to != Status::UnderReview {
        next.applied_by = None;
    }
    next
}

/// A part of the release after a [`Change`] to it.
fn changed<T>(now: Option<T>, change: Change<T>) -> Option<T> {
    match change {
        Change::Keep => now,
        Change::Set(new) => Some(new),
        Change::Remove => None,
    }
}

/// Rule 3: the previous full release of the route, archived in the same batch.
fn archive(previous: &Release, by: ReleaseId, actor: &Actor, batch: &mut Batch, now: Millis) {
    let archived = advance(previous, Status::Archived, Percentage::ZERO, batch, now);
    let moved = (Some(previous.status), Status::Archived);
    let details = json!({ "superseded_by": by });
    batch
        .history
        .push(entry(&archived, actor, Action::Archive, moved, details));
    batch.records.releases.push(archived);
}

/// SPEC §11: the predecessor a rollback brings back to `full_release`, in the same batch
/// as the rolled-back release, with an entry in its own history.
fn restore(
    predecessor: &Release,
    rolled_back: &Release,
    command: &Command,
    actor: &Actor,
    batch: &mut Batch,
    now: Millis,
) {
    let restored = advance(
        predecessor,
        Status::FullRelease,
        Percentage::ZERO,
        batch,
        now,
    );
    let moved = (Some(predecessor.status), Status::FullRelease);
    let mut details = json!({ "rolled_back": rolled_back.id });
    if let Command::Rollback(reason) = command {
        details["reason"] = json!(reason);
    }
    batch
        .history
        .push(entry(&restored, actor, Action::Restore, moved, details));
    batch.records.releases.push(restored);
}

fn advance(r: &Release, to: Status, percentage: Percentage, b: &Batch, now: Millis) -> Release {
    Release {
        status: to,
        percentage,
        revision: b.revision(),
        updated_at: now,
        ..r.clone()
    }
}

fn entry(
    r: &Release,
    actor: &Actor,
    action: Action,
    (from, to): (Option<Status>, Status),
    details: serde_json::Value,
) -> HistoryEntry {
    HistoryEntry {
        release_id: r.id,
        revision: r.revision,
        at: r.updated_at,
        actor: actor.name().to_owned(),
        action,
        from,
        to,
        details,
    }
}
