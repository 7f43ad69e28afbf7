//! Turns an admin request (or a system actor's) into the [`Batch`] that would carry it
//! out, deciding with the workflow against the current [`Replica`], and names in the
//! batch what the decision read, so the store can tell a stale base from a conflict.
//! Nothing here writes: the caller commits.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::json;

use super::ControlError;
use super::effects::{carry_out, details, entry, on_the_route};
use super::replica::Replica;
use crate::model::{
    Action, Actor, AppId, Env, EnvPolicy, EnvPolicyInput, InvalidValue, Millis, MiniProgramId,
    MiniProgramVersion, Percentage, Release, ReleaseConfig, ReleaseId, Salt, Status, TargetApp,
    Targeting, TestGroup, TokenSha256, Version,
};
use crate::snapshot::RouteKey;
use crate::store::{Batch, Reads};
use crate::workflow::{self, Command, Operation};

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
    let mut next = carry_out(release, command, &transition, actor, &mut batch, now);
    let moved = (Some(transition.from), transition.to);
    let history = entry(
        &next,
        actor,
        command.action(),
        moved,
        details(command, &transition),
    );
    batch.history.push(history);
    on_the_route(
        state,
        &route,
        &mut next,
        (command, &transition),
        actor,
        &mut batch,
    )?;
    batch.records.releases.push(next);
    Ok(batch)
}
