//! Thin operator commands over the client: `sessions`, `users`, `groups`, `memberships`.
//! Each prints the response as pretty JSON on stdout.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use okta_idsrc_core::models::{
    GroupsRequestSchema, IdentitySourceGroupProfileForUpsert, IdentitySourceUserProfileForUpsert,
    MembershipRequestSchema, UserRequestSchema, UsersUpdateRequestSchema,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::connect::{ConnArgs, Target};
use crate::error::CliError;
use crate::input::Attribute;

/// `okta-idsrc sessions …`.
#[derive(Debug, Subcommand)]
pub(crate) enum SessionsCommand {
    /// List the identity source's sessions.
    List,
    /// Show one session.
    Get {
        /// The session id (aps…).
        id: String,
    },
    /// Cancel a CREATED or IN_PROGRESS session (its uploaded data is discarded).
    Cancel {
        /// The session id (aps…).
        id: String,
    },
    /// Start processing an IN_PROGRESS session's loads.
    Start {
        /// The session id (aps…).
        id: String,
    },
}

/// A user's body: `--json FILE|-`, or `--profile key=value …`.
#[derive(Debug, Args)]
pub(crate) struct UserBody {
    /// The request body as JSON (`{"externalId":…,"profile":{…}}`, or just the profile),
    /// from a file or `-` for stdin.
    #[arg(long, value_name = "FILE|-", conflicts_with = "profile")]
    json: Option<PathBuf>,
    /// A profile attribute, standard (email, firstName, …) or custom (repeatable).
    #[arg(long, value_name = "KEY=VALUE")]
    profile: Vec<String>,
}

/// `okta-idsrc users …`.
#[derive(Debug, Subcommand)]
pub(crate) enum UsersCommand {
    /// Show one user.
    Get {
        /// The user's external id.
        external_id: String,
    },
    /// Create a user (email and userName required).
    Create {
        /// The user's external id (or `externalId` in the JSON body).
        #[arg(long)]
        external_id: Option<String>,
        #[command(flatten)]
        body: UserBody,
    },
    /// Replace a user's profile.
    Replace {
        /// The user's external id.
        external_id: String,
        #[command(flatten)]
        body: UserBody,
    },
    /// Update a user's profile (email and userName required).
    Update {
        /// The user's external id.
        external_id: String,
        #[command(flatten)]
        body: UserBody,
    },
    /// Delete a user.
    Delete {
        /// The user's external id.
        external_id: String,
    },
}

/// A group's body: `--json FILE|-`, or `--display-name` and `--description`.
#[derive(Debug, Args)]
pub(crate) struct GroupBody {
    /// The request body as JSON (`{"externalId":…,"profile":{"displayName":…}}`), from a
    /// file or `-` for stdin.
    #[arg(long, value_name = "FILE|-", conflicts_with_all = ["display_name", "description"])]
    json: Option<PathBuf>,
    /// The group's name.
    #[arg(long)]
    display_name: Option<String>,
    /// The group's description.
    #[arg(long)]
    description: Option<String>,
}

/// `okta-idsrc groups …`.
#[derive(Debug, Subcommand)]
pub(crate) enum GroupsCommand {
    /// Show one group, by Okta id (00g…) or external id.
    Get {
        /// The group's Okta id or external id.
        id: String,
    },
    /// Create a group.
    Create {
        /// The group's external id (or `externalId` in the JSON body).
        #[arg(long)]
        external_id: Option<String>,
        #[command(flatten)]
        body: GroupBody,
    },
    /// Update a group.
    Update {
        /// The group's Okta id or external id.
        id: String,
        #[command(flatten)]
        body: GroupBody,
    },
    /// Delete a group.
    Delete {
        /// The group's Okta id or external id.
        id: String,
    },
}

/// `okta-idsrc memberships …`.
#[derive(Debug, Subcommand)]
pub(crate) enum MembershipsCommand {
    /// List a group's members (every page).
    List {
        /// The group's Okta id or external id.
        group: String,
        /// Members a page (1–1000).
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1000))]
        limit: Option<u32>,
    },
    /// Add a user to a group.
    Add {
        /// The group's Okta id or external id.
        group: String,
        /// The user's external id.
        member: String,
    },
    /// Remove a user from a group.
    Remove {
        /// The group's Okta id or external id.
        group: String,
        /// The user's external id.
        member: String,
    },
}

/// Prints `value` as pretty JSON on stdout.
fn print_json(value: &impl Serialize) -> Result<(), CliError> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| CliError::failure(format!("cannot print: {e}")))?;
    println!("{text}");
    Ok(())
}

/// Connects, runs `f`, and stops the embedded emulator, if any.
async fn with_target<F>(conn: &ConnArgs, f: F) -> Result<(), CliError>
where
    F: AsyncFnOnce(&Target) -> Result<(), CliError>,
{
    let target = conn.connect().await?;
    let result = f(&target).await;
    target.shutdown().await;
    result
}

/// Runs `okta-idsrc sessions …`.
pub(crate) async fn sessions(conn: &ConnArgs, command: SessionsCommand) -> Result<(), CliError> {
    with_target(conn, async |t: &Target| {
        let source = &t.source;
        match command {
            SessionsCommand::List => print_json(&source.list_sessions().await?),
            SessionsCommand::Get { id } => print_json(&source.get_session(id).await?),
            SessionsCommand::Cancel { id } => {
                source.delete_session(id.clone()).await?;
                print_json(&source.get_session(id).await?)
            }
            SessionsCommand::Start { id } => print_json(&source.start_import(id).await?),
        }
    })
    .await
}

/// Runs `okta-idsrc users …`.
pub(crate) async fn users(conn: &ConnArgs, command: UsersCommand) -> Result<(), CliError> {
    // Read the body before connecting: a bad body is a usage error with nothing sent.
    let body = match &command {
        UsersCommand::Create { external_id, body } => {
            Some(user_request(body, external_id.clone())?)
        }
        UsersCommand::Replace { external_id, body }
        | UsersCommand::Update { external_id, body } => {
            Some(user_request(body, Some(external_id.clone()))?)
        }
        UsersCommand::Get { .. } | UsersCommand::Delete { .. } => None,
    };
    with_target(conn, async |t: &Target| {
        let source = &t.source;
        match (command, body) {
            (UsersCommand::Get { external_id }, _) => {
                print_json(&source.get_user(external_id).await?)
            }
            (UsersCommand::Create { .. }, Some(body)) => {
                print_json(&source.create_user(body).await?)
            }
            (UsersCommand::Replace { external_id, .. }, Some(body)) => {
                print_json(&source.replace_user(external_id, body).await?)
            }
            (UsersCommand::Update { external_id, .. }, Some(body)) => {
                let update =
                    UsersUpdateRequestSchema::new().profile(body.profile.unwrap_or_default());
                print_json(&source.update_user(external_id, update).await?)
            }
            (UsersCommand::Delete { external_id }, _) => {
                source.delete_user(external_id.clone()).await?;
                print_json(&json!({ "deleted": external_id }))
            }
            (_, None) => Err(CliError::usage("a body is required")),
        }
    })
    .await
}

/// Runs `okta-idsrc groups …`.
pub(crate) async fn groups(conn: &ConnArgs, command: GroupsCommand) -> Result<(), CliError> {
    let body = match &command {
        GroupsCommand::Create { external_id, body } => {
            Some(group_request(body, external_id.clone())?)
        }
        GroupsCommand::Update { body, .. } => Some(group_request(body, None)?),
        GroupsCommand::Get { .. } | GroupsCommand::Delete { .. } => None,
    };
    with_target(conn, async |t: &Target| {
        let source = &t.source;
        match (command, body) {
            (GroupsCommand::Get { id }, _) => print_json(&source.get_group(id).await?),
            (GroupsCommand::Create { .. }, Some(body)) => {
                print_json(&source.create_group(body).await?)
            }
            (GroupsCommand::Update { id, .. }, Some(body)) => {
                print_json(&source.update_group(id, body).await?)
            }
            (GroupsCommand::Delete { id }, _) => {
                source.delete_group(id.clone()).await?;
                print_json(&json!({ "deleted": id }))
            }
            (_, None) => Err(CliError::usage("a body is required")),
        }
    })
    .await
}

/// Runs `okta-idsrc memberships …`.
pub(crate) async fn memberships(
    conn: &ConnArgs,
    command: MembershipsCommand,
) -> Result<(), CliError> {
    with_target(conn, async |t: &Target| {
        let source = &t.source;
        match command {
            MembershipsCommand::List { group, limit } => {
                let mut pager = source.membership_pager(group).limit(limit);
                let mut members = Vec::new();
                while let Some(page) = pager.next_page().await? {
                    members.extend(page.body.member_external_ids.unwrap_or_default());
                }
                print_json(&json!({ "memberExternalIds": members }))
            }
            MembershipsCommand::Add { group, member } => {
                let body = MembershipRequestSchema::new().member_external_id(member.clone());
                source.add_group_member(group.clone(), body).await?;
                print_json(&json!({ "added": { "group": group, "member": member } }))
            }
            MembershipsCommand::Remove { group, member } => {
                source
                    .remove_group_member(group.clone(), member.clone())
                    .await?;
                print_json(&json!({ "removed": { "group": group, "member": member } }))
            }
        }
    })
    .await
}

/// Reads JSON from a file or stdin (`-`).
fn read_json<T: DeserializeOwned>(path: &std::path::Path) -> Result<T, CliError> {
    crate::input::read_json_body(path).map_err(CliError::usage)
}

/// The body of a user create, replace or update.
fn user_request(
    body: &UserBody,
    external_id: Option<String>,
) -> Result<UserRequestSchema, CliError> {
    let mut request = match &body.json {
        Some(path) => {
            let value: Value = read_json(path)?;
            let is_body = value.get("profile").is_some() || value.get("externalId").is_some();
            let parsed = if is_body {
                serde_json::from_value::<UserRequestSchema>(value)
            } else {
                serde_json::from_value::<IdentitySourceUserProfileForUpsert>(value)
                    .map(|profile| UserRequestSchema::new().profile(profile))
            };
            parsed.map_err(|e| CliError::usage(format!("{}: {e}", path.display())))?
        }
        None => {
            if body.profile.is_empty() {
                return Err(CliError::usage(
                    "give the user's profile with --profile KEY=VALUE … or --json FILE",
                ));
            }
            let mut profile = IdentitySourceUserProfileForUpsert::new();
            for pair in &body.profile {
                let (key, value) = pair.split_once('=').ok_or_else(|| {
                    CliError::usage(format!("--profile {pair:?}: expected KEY=VALUE"))
                })?;
                let attribute = Attribute::from_header(key.trim()).map_err(|e| {
                    CliError::usage(format!(
                        "--profile {key}: {}",
                        e.replace("unknown column", "unknown attribute")
                    ))
                })?;
                attribute.set(&mut profile, value);
            }
            UserRequestSchema::new().profile(profile)
        }
    };
    if let Some(id) = external_id {
        request.external_id = Some(id);
    }
    Ok(request)
}

/// The body of a group create or update.
fn group_request(
    body: &GroupBody,
    external_id: Option<String>,
) -> Result<GroupsRequestSchema, CliError> {
    let mut request = match &body.json {
        Some(path) => read_json::<GroupsRequestSchema>(path)?,
        None => {
            let mut profile = IdentitySourceGroupProfileForUpsert::new();
            if let Some(name) = &body.display_name {
                profile = profile.display_name(name.clone());
            }
            if let Some(description) = &body.description {
                profile = profile.description(description.clone());
            }
            GroupsRequestSchema::new().profile(profile)
        }
    };
    if let Some(id) = external_id {
        request.external_id = Some(id);
    }
    Ok(request)
}
