//! The JSON shapes of the API (SPEC §6). Times are RFC 3339 strings.

use chorus_app::{Me, departments::Department, people};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

pub(super) fn rfc3339(t: time::OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

#[derive(Serialize, ToSchema)]
pub struct OrgDto {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
}

#[derive(Serialize, ToSchema)]
pub struct DepartmentRef {
    pub id: Uuid,
    pub name: String,
}

#[derive(Serialize, ToSchema)]
pub struct MeDto {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    /// owner, admin, social, lead or employee.
    pub role: String,
    pub department: Option<DepartmentRef>,
    pub title: Option<String>,
    pub seniority: Option<i64>,
    /// Departments the caller leads.
    pub leads: Vec<Uuid>,
    pub organization: OrgDto,
}

impl From<&Me> for MeDto {
    fn from(me: &Me) -> Self {
        let u = &me.user;
        MeDto {
            id: u.id.0,
            email: u.email.clone(),
            name: u.name.clone(),
            role: u.role.as_str().to_owned(),
            department: u
                .department_id
                .zip(u.department.clone())
                .map(|(id, name)| DepartmentRef { id: id.0, name }),
            title: u.title.clone(),
            seniority: u.seniority,
            leads: me.caller.actor.leads.iter().map(|d| d.0).collect(),
            organization: OrgDto { id: me.org.id.0, slug: me.org.slug.clone(), name: me.org.name.clone() },
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct DepartmentDto {
    pub id: Uuid,
    pub name: String,
    /// People in it who are not deactivated.
    pub members: i64,
    pub created_at: String,
}

impl From<Department> for DepartmentDto {
    fn from(d: Department) -> Self {
        DepartmentDto { id: d.id.0, name: d.name, members: d.members, created_at: rfc3339(d.created_at) }
    }
}

#[derive(Serialize, ToSchema)]
pub struct DepartmentList {
    pub items: Vec<DepartmentDto>,
    pub next_cursor: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateDepartment {
    pub name: String,
}

#[derive(Serialize, ToSchema)]
pub struct UserDto {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub title: Option<String>,
    pub seniority: Option<i64>,
    pub role: String,
    pub department_id: Option<Uuid>,
    pub department: Option<String>,
    /// invited, active or deactivated.
    pub status: String,
    pub created_at: String,
}

impl From<people::User> for UserDto {
    fn from(u: people::User) -> Self {
        UserDto {
            id: u.id.0,
            email: u.email,
            name: u.name,
            title: u.title,
            seniority: u.seniority,
            role: u.role.as_str().to_owned(),
            department_id: u.department_id.map(|d| d.0),
            department: u.department,
            status: u.status.as_str().to_owned(),
            created_at: rfc3339(u.created_at),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct UserList {
    pub items: Vec<UserDto>,
    pub next_cursor: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    pub email: String,
    pub name: String,
    /// Default: employee.
    #[serde(default)]
    pub role: Option<String>,
    #[serde(default)]
    pub department_id: Option<Uuid>,
    #[serde(default)]
    pub title: Option<String>,
    /// 1 (junior) to 5 (executive).
    #[serde(default)]
    pub seniority: Option<i64>,
}

impl From<CreateUser> for people::NewPerson {
    fn from(c: CreateUser) -> Self {
        people::NewPerson {
            email: c.email,
            name: c.name,
            role: c.role,
            department_id: c.department_id.map(|d| d.to_string()),
            title: c.title,
            seniority: c.seniority.map(|s| s.to_string()),
        }
    }
}

/// `Some(None)` for an explicit `null`, `None` when the field is absent.
pub(super) fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub title: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>)]
    pub seniority: Option<Option<i64>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Uuid>)]
    pub department_id: Option<Option<Uuid>>,
    #[serde(default)]
    pub role: Option<String>,
    /// active or deactivated.
    #[serde(default)]
    pub status: Option<String>,
}

impl From<UpdateUser> for people::PersonChanges {
    fn from(u: UpdateUser) -> Self {
        people::PersonChanges {
            name: u.name,
            title: u.title.map(Option::unwrap_or_default),
            seniority: u.seniority.map(|s| s.map(|s| s.to_string()).unwrap_or_default()),
            department_id: u.department_id.map(|d| d.map(|d| d.to_string()).unwrap_or_default()),
            role: u.role,
            status: u.status,
        }
    }
}
