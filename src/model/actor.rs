//! Who performs an action: a person behind a bearer token, or the gateway itself (a
//! rollout plan or a guard). Both decide through the same workflow and leave the same
//! history, so automatic actions need no special case anywhere.

use std::fmt;

use super::Role;

/// The gateway's own actors (SPEC §8, §9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SystemActor {
    /// A rollout plan advancing its steps.
    Plan,
    /// A guard halting or rolling back a regression.
    Guard,
}

impl SystemActor {
    /// The name history entries carry; configured token names may not start with `system:`.
    pub fn name(self) -> &'static str {
        match self {
            SystemActor::Plan => "system:plan",
            SystemActor::Guard => "system:guard",
        }
    }
}

/// Who performs an action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// A configured token: its name and role.
    Person {
        name: String,
        role: Role,
    },
    System(SystemActor),
}

/// The prefix reserved for [`SystemActor`] names.
pub const SYSTEM_PREFIX: &str = "system:";

impl Actor {
    pub fn person(name: impl Into<String>, role: Role) -> Actor {
        Actor::Person {
            name: name.into(),
            role,
        }
    }

    /// The name recorded in history and logs.
    pub fn name(&self) -> &str {
        match self {
            Actor::Person { name, .. } => name,
            Actor::System(s) => s.name(),
        }
    }

    /// A person's role; the system has none (its permissions are its own).
    pub fn role(&self) -> Option<Role> {
        match self {
            Actor::Person { role, .. } => Some(*role),
            Actor::System(_) => None,
        }
    }
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
