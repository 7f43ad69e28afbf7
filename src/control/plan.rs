//! Turns an admin request into the [`Batch`] that would carry it out, deciding with the
//! workflow against the current state. Nothing here writes: the caller commits.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::json;

use super::ControlError;
use super::state::State;
use crate::model::{
    Actor, AppId, Env, EnvPolicy, EnvPolicyInput, Millis, MiniProgramId, Percentage, Status,
    Version,
};
use crate::release::{
    App, Batch, HistoryEntry, MiniProgramVersion, Release, ReleaseConfig, ReleaseId, TestGroup,
};
use crate::workflow::{self, Command, GoLive, Operation, Transition};

/// `POST /v1/admin/releases`, validated.
#[derive(Debug, Clone)]
pub struct CreateRelease {
    pub mini_program: MiniProgramId,
    pub version: Version,
    pub app: AppId,
    pub env: Env,
    pub config: ReleaseConfig,
    pub test_group: Option<Arc<TestGroup>>,
}

/// An action on an existing release, with its validated payload.
#[derive(Debug, Clone)]
pub enum ReleaseCommand {
    EditConfig(ReleaseConfig),
    SetTestGroup(Arc<TestGroup>),
    Apply,
    Withdraw,
    Approve,
    Reject { reason: String },
    CompleteTesting,
    GoLive(GoLive),
    Cancel,
}

impl ReleaseCommand {
    /// The workflow action this command performs.
    pub fn action(&self) -> crate::workflow::Action {
        self.command().action()
    }

    fn command(&self) -> Command {
        match self {
            ReleaseCommand::EditConfig(_) => Command::EditConfig,
            ReleaseCommand::SetTestGroup(_) => Command::SetTestGroup,
            ReleaseCommand::Apply => Command::Apply,
            ReleaseCommand::Withdraw => Command::Withdraw,
            ReleaseCommand::Approve => Command::Approve,
            ReleaseCommand::Reject { .. } => Command::Reject,
            ReleaseCommand::CompleteTesting => Command::CompleteTesting,
            ReleaseCommand::GoLive(g) => Command::GoLive(*g),
            ReleaseCommand::Cancel => Command::Cancel,
        }
    }

    fn details(&self) -> serde_json::Value {
        match self {
            ReleaseCommand::EditConfig(c) => json!({ "config": c }),
            ReleaseCommand::SetTestGroup(g) => json!({ "test_group_size": g.len() }),
            ReleaseCommand::Reject { reason } => json!({ "reason": reason }),
            ReleaseCommand::GoLive(GoLive::Full) => json!({ "type": "full" }),
            ReleaseCommand::GoLive(GoLive::Grayscale(p)) => {
                json!({ "type": "grayscale", "percentage": p })
            }
            ReleaseCommand::Apply
            | ReleaseCommand::Withdraw
            | ReleaseCommand::Approve
            | ReleaseCommand::CompleteTesting
            | ReleaseCommand::Cancel => json!({}),
        }
    }
}

fn require(actor: &Actor, op: Operation) -> Result<(), ControlError> {
    if workflow::permits(actor.role, op) {
        Ok(())
    } else {
        Err(ControlError::Forbidden { role: actor.role })
    }
}

/// Creates or replaces a target app's environment policies.
pub fn put_app(
    state: &State,
    actor: &Actor,
    id: AppId,
    environments: BTreeMap<Env, EnvPolicyInput>,
    now: Millis,
) -> Result<Batch, ControlError> {
    require(actor, Operation::PutApp)?;
    let app = build_app(id, environments, state.revision + 1, now)?;
    if let Some(old) = state.apps.get(&app.id) {
        for env in old
            .environments
            .keys()
            .filter(|e| !app.environments.contains_key(e))
        {
            let in_use = state.routes().any(|k| k.app == app.id && k.env == *env);
            if in_use {
                return Err(ControlError::EnvironmentInUse(*env));
            }
        }
    }
    Ok(Batch {
        base_revision: state.revision,
        apps: vec![app],
        ..Batch::default()
    })
}

/// Normalises a target app: production is mandatory and every policy obeys SPEC §1.
pub fn build_app(
    id: AppId,
    environments: BTreeMap<Env, EnvPolicyInput>,
    revision: u64,
    now: Millis,
) -> Result<App, ControlError> {
    if !environments.contains_key(&Env::Production) {
        return Err(ControlError::Invalid(crate::model::InvalidValue::new(
            "environments",
            "every target app has a production environment",
        )));
    }
    let environments = environments
        .into_iter()
        .map(|(env, input)| Ok((env, EnvPolicy::for_env(env, input)?)))
        .collect::<Result<BTreeMap<_, _>, ControlError>>()?;
    Ok(App {
        id,
        environments,
        revision,
        updated_at: now,
    })
}

/// Registers a new version of a mini program; versions are immutable once uploaded.
pub fn add_version(
    state: &State,
    actor: &Actor,
    mut version: MiniProgramVersion,
) -> Result<Batch, ControlError> {
    require(actor, Operation::AddVersion)?;
    let key = (version.mini_program.clone(), version.version.clone());
    if state.versions.contains_key(&key) {
        return Err(ControlError::VersionExists);
    }
    version.revision = state.revision + 1;
    version.created_by = actor.name.clone();
    Ok(Batch {
        base_revision: state.revision,
        versions: vec![version],
        ..Batch::default()
    })
}

/// Creates a release in `new_version_created`.
pub fn create_release(
    state: &State,
    actor: &Actor,
    req: CreateRelease,
    salt: String,
    now: Millis,
) -> Result<(Batch, ReleaseId), ControlError> {
    let policy = state
        .apps
        .get(&req.app)
        .ok_or(ControlError::AppNotFound)?
        .policy(req.env);
    if !state
        .versions
        .contains_key(&(req.mini_program.clone(), req.version.clone()))
    {
        return Err(ControlError::VersionNotFound);
    }
    let existing = state.released_before(&req.mini_program, &req.version, &req.app, req.env);
    workflow::decide_create(actor, req.env, policy, existing, req.test_group.is_some())?;
    let id = state.next_release_id();
    let revision = state.revision + 1;
    let release = Release {
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
        revision,
        created_at: now,
        updated_at: now,
    };
    let history = HistoryEntry {
        release_id: id,
        revision,
        at: now,
        actor: actor.name.clone(),
        action: "create".into(),
        from: None,
        to: Status::NewVersionCreated,
        details: json!({ "config": release.config, "test_group_size": release.test_group_size }),
    };
    let batch = Batch {
        base_revision: state.revision,
        releases: vec![release],
        test_groups: req.test_group.map(|g| (id, g)).into_iter().collect(),
        history: vec![history],
        ..Batch::default()
    };
    Ok((batch, id))
}

/// Performs a workflow action on release `id`.
pub fn act(
    state: &State,
    actor: &Actor,
    id: ReleaseId,
    cmd: &ReleaseCommand,
    if_match: Option<u64>,
    now: Millis,
) -> Result<Batch, ControlError> {
    let release = state
        .releases
        .get(&id)
        .ok_or(ControlError::ReleaseNotFound)?;
    let facts = state.facts(release).ok_or(ControlError::AppNotFound)?;
    let transition = workflow::decide(&facts, cmd.command(), actor)?;
    // Checked after the workflow so a forbidden or impossible action says why, not 412.
    if let Some(expected) = if_match.filter(|&rev| rev != release.revision) {
        return Err(ControlError::PreconditionFailed {
            expected,
            current: release.revision,
        });
    }
    let revision = state.revision + 1;
    let mut batch = Batch {
        base_revision: state.revision,
        ..Batch::default()
    };
    let mut next = advance(release, &transition, revision, now);
    match cmd {
        ReleaseCommand::EditConfig(config) => next.config = Arc::new(config.clone()),
        ReleaseCommand::SetTestGroup(group) => {
            next.test_group_size = group.len();
            batch.test_groups.push((id, Arc::clone(group)));
        }
        ReleaseCommand::Apply if transition.to == Status::UnderReview => {
            next.applied_by = Some(actor.name.clone());
        }
        _ => {}
    }
    if transition.to != Status::UnderReview {
        next.applied_by = None;
    }
    batch.history.push(entry(
        &next,
        actor,
        cmd.action().as_str(),
        &transition,
        cmd.details(),
    ));
    let previous_full = state.current_full(&release.route());
    if let Some(previous) = previous_full.filter(|_| transition.archives_previous_full) {
        let archive = Transition {
            from: Status::FullRelease,
            to: Status::Archived,
            percentage: Percentage::ZERO,
            archives_previous_full: false,
        };
        let archived = advance(previous, &archive, revision, now);
        let details = json!({ "superseded_by": id });
        batch
            .history
            .push(entry(&archived, actor, "archive", &archive, details));
        batch.releases.push(archived);
    }
    batch.releases.push(next);
    Ok(batch)
}

fn advance(r: &Release, t: &Transition, revision: u64, now: Millis) -> Release {
    Release {
        status: t.to,
        percentage: t.percentage,
        revision,
        updated_at: now,
        ..r.clone()
    }
}

fn entry(
    r: &Release,
    actor: &Actor,
    action: &str,
    t: &Transition,
    details: serde_json::Value,
) -> HistoryEntry {
    HistoryEntry {
        release_id: r.id,
        revision: r.revision,
        at: r.updated_at,
        actor: actor.name.clone(),
        action: action.into(),
        from: Some(t.from),
        to: t.to,
        details,
    }
}
