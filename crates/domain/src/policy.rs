//! Authorization, decided in one pure function from (actor, action, resource).
//!
//! The use-case layer calls [`authorize`] before every action, for pages, API and CLI alike, so a
//! rule lives in exactly one place and the matrix test in `web` can check it end to end.

use crate::{DepartmentId, OrgId, Role, UserId};

/// Who is acting. The CLI acts as [`Actor::operator`]: whoever can run `chorus` on the server
/// already holds the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub org_id: OrgId,
    /// `None` for the operator at the command line.
    pub user_id: Option<UserId>,
    pub role: Role,
    pub department_id: Option<DepartmentId>,
    /// Departments this person leads.
    pub leads: Vec<DepartmentId>,
}

impl Actor {
    /// The server operator, acting through the command line, with an owner's rights.
    pub fn operator(org_id: OrgId) -> Self {
        Self { org_id, user_id: None, role: Role::Owner, department_id: None, leads: Vec::new() }
    }

    pub fn is(&self, user: UserId) -> bool {
        self.user_id == Some(user)
    }
}

/// The person an action is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Subject {
    pub user_id: UserId,
    pub role: Role,
}

/// Everything a person can ask to do. Later features add variants here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// See the people and departments of one's organization.
    ViewDirectory,
    /// Create, rename and remove departments; name their leads.
    ManageDepartments,
    /// Invite someone with the given role (also CSV import, which invites as employees).
    InvitePerson {
        role: Role,
    },
    /// Change one's name or title.
    EditPerson {
        subject: Subject,
    },
    /// Move a person to another department or change their seniority.
    MovePerson {
        subject: Subject,
    },
    ChangeRole {
        subject: Subject,
        to: Role,
    },
    Deactivate {
        subject: Subject,
    },
    Reactivate {
        subject: Subject,
    },
    ViewAuditLog,
    /// Create, list and revoke one's own personal access tokens.
    ManageOwnTokens,
    /// Keep the brand-guideline rules, campaigns and messaging goals.
    ManageGuidelines,
    /// Change organization settings (such as the department-lead review stage).
    ManageSettings,
    /// Add company channels and tune their cadence; see the publishing calendar's details.
    ManageChannels,
    /// Turn approved content into posts, schedule, reschedule and cancel them.
    SchedulePosts,
    /// See the background jobs that ran out of attempts (dead letters) and retry them.
    HandleFailedJobs,
    /// See the analytics dashboards: the whole organization (`None`), or one department's.
    ViewAnalytics {
        department: Option<DepartmentId>,
    },
    /// Write, open and close knowledge surveys; publish policy versions; keep the readiness
    /// assessment, training and mentoring (SPEC §1: the people who run the programme).
    ManageEnablement,
    /// Read survey results and participation, and the policy acknowledgement report: admins and
    /// the social media team, who turn the gaps into training.
    ViewEnablementReports,
}

/// Why an action was refused; safe to show to the person who asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Denied(pub &'static str);

/// The whole authorization policy.
pub fn authorize(actor: &Actor, action: Action) -> Result<(), Denied> {
    let admin = actor.role.is_admin();
    let owner = actor.role == Role::Owner;
    let only_admins = Denied("only owners and admins can do this");
    let only_owners = Denied("only an owner can change an owner or make someone an owner");
    match action {
        Action::ViewDirectory | Action::ManageOwnTokens => Ok(()),
        Action::ManageDepartments
        | Action::ViewAuditLog
        | Action::ManageSettings
        | Action::ManageEnablement => admin.then_some(()).ok_or(only_admins),
        Action::ManageChannels | Action::SchedulePosts | Action::HandleFailedJobs => (admin
            || actor.role == Role::Social)
            .then_some(())
            .ok_or(Denied("only the social media team, owners and admins can do this")),
        Action::ViewAnalytics { department } => {
            let team = admin || actor.role == Role::Social;
            let lead = department.is_some_and(|d| actor.leads.contains(&d));
            (team || lead)
                .then_some(())
                .ok_or(Denied("analytics are for the social media team, admins, and each department's leads"))
        }
        Action::ViewEnablementReports => (admin || actor.role == Role::Social)
            .then_some(())
            .ok_or(Denied("survey results are for admins and the social media team")),
        Action::ManageGuidelines => (admin || actor.role == Role::Social)
            .then_some(())
            .ok_or(Denied("only the social media team, owners and admins can do this")),
        Action::InvitePerson { role } => {
            if !admin {
                Err(only_admins)
            } else if role == Role::Owner && !owner {
                Err(only_owners)
            } else {
                Ok(())
            }
        }
        Action::EditPerson { subject } => {
            if subject.role == Role::Owner && !owner && !actor.is(subject.user_id) {
                Err(only_owners)
            } else if admin || actor.is(subject.user_id) {
                Ok(())
            } else {
                Err(Denied("you can only edit your own profile"))
            }
        }
        Action::ChangeRole { subject, to } => {
            if !admin {
                Err(only_admins)
            } else if actor.is(subject.user_id) {
                Err(Denied("you cannot change your own role; ask another owner or admin"))
            } else if (subject.role == Role::Owner || to == Role::Owner) && !owner {
                Err(only_owners)
            } else {
                Ok(())
            }
        }
        Action::MovePerson { subject } => {
            if !admin {
                Err(only_admins)
            } else if subject.role == Role::Owner && !owner {
                Err(only_owners)
            } else {
                Ok(())
            }
        }
        Action::Deactivate { subject } | Action::Reactivate { subject } => {
            if !admin {
                Err(only_admins)
            } else if actor.is(subject.user_id) {
                Err(Denied("you cannot deactivate yourself"))
            } else if subject.role == Role::Owner && !owner {
                Err(only_owners)
            } else {
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(role: Role) -> Actor {
        Actor { org_id: OrgId::new(), user_id: Some(UserId::new()), role, department_id: None, leads: vec![] }
    }

    fn subject(role: Role) -> Subject {
        Subject { user_id: UserId::new(), role }
    }

    #[test]
    fn everyone_sees_the_directory_and_manages_their_own_tokens() {
        for role in Role::ALL {
            assert!(authorize(&actor(role), Action::ViewDirectory).is_ok());
            assert!(authorize(&actor(role), Action::ManageOwnTokens).is_ok());
        }
    }

    #[test]
    fn only_admins_manage_people_departments_and_audit() {
        for role in Role::ALL {
            let a = actor(role);
            let expected = role.is_admin();
            assert_eq!(authorize(&a, Action::ManageDepartments).is_ok(), expected, "{role}");
            assert_eq!(authorize(&a, Action::ViewAuditLog).is_ok(), expected, "{role}");
            assert_eq!(authorize(&a, Action::ManageSettings).is_ok(), expected, "{role}");
            assert_eq!(authorize(&a, Action::ManageEnablement).is_ok(), expected, "{role}");
            assert_eq!(
                authorize(&a, Action::ViewEnablementReports).is_ok(),
                expected || role == Role::Social,
                "{role}"
            );
            assert_eq!(
                authorize(&a, Action::ManageChannels).is_ok(),
                expected || role == Role::Social,
                "{role}"
            );
            assert_eq!(
                authorize(&a, Action::SchedulePosts).is_ok(),
                expected || role == Role::Social,
                "{role}"
            );
            assert_eq!(
                authorize(&a, Action::ManageGuidelines).is_ok(),
                expected || role == Role::Social,
                "{role}"
            );
            assert_eq!(
                authorize(&a, Action::InvitePerson { role: Role::Employee }).is_ok(),
                expected,
                "{role}"
            );
            assert_eq!(
                authorize(&a, Action::Deactivate { subject: subject(Role::Employee) }).is_ok(),
                expected,
                "{role}"
            );
        }
    }

    #[test]
    fn leads_see_only_their_own_departments_analytics() {
        let (mine, other) = (DepartmentId::new(), DepartmentId::new());
        let lead = Actor { leads: vec![mine], ..actor(Role::Employee) };
        assert!(authorize(&lead, Action::ViewAnalytics { department: Some(mine) }).is_ok());
        assert!(authorize(&lead, Action::ViewAnalytics { department: Some(other) }).is_err());
        assert!(authorize(&lead, Action::ViewAnalytics { department: None }).is_err());
        assert!(authorize(&actor(Role::Employee), Action::ViewAnalytics { department: Some(mine) }).is_err());
        for role in [Role::Social, Role::Admin, Role::Owner] {
            assert!(authorize(&actor(role), Action::ViewAnalytics { department: None }).is_ok());
            assert!(authorize(&actor(role), Action::ViewAnalytics { department: Some(other) }).is_ok());
        }
    }

    #[test]
    fn admins_cannot_touch_owners_or_make_owners() {
        let admin = actor(Role::Admin);
        assert!(authorize(&admin, Action::InvitePerson { role: Role::Owner }).is_err());
        assert!(
            authorize(&admin, Action::ChangeRole { subject: subject(Role::Employee), to: Role::Owner })
                .is_err()
        );
        assert!(
            authorize(&admin, Action::ChangeRole { subject: subject(Role::Owner), to: Role::Admin }).is_err()
        );
        assert!(authorize(&admin, Action::Deactivate { subject: subject(Role::Owner) }).is_err());
        let owner = actor(Role::Owner);
        assert!(
            authorize(&owner, Action::ChangeRole { subject: subject(Role::Owner), to: Role::Admin }).is_ok()
        );
    }

    #[test]
    fn nobody_changes_their_own_role_or_deactivates_themselves() {
        let owner = actor(Role::Owner);
        let me = Subject { user_id: owner.user_id.expect("person"), role: Role::Owner };
        assert!(authorize(&owner, Action::ChangeRole { subject: me, to: Role::Employee }).is_err());
        assert!(authorize(&owner, Action::Deactivate { subject: me }).is_err());
    }

    #[test]
    fn people_edit_their_own_profile_only() {
        let employee = actor(Role::Employee);
        let me = Subject { user_id: employee.user_id.expect("person"), role: Role::Employee };
        assert!(authorize(&employee, Action::EditPerson { subject: me }).is_ok());
        assert!(authorize(&employee, Action::EditPerson { subject: subject(Role::Employee) }).is_err());
    }
}
