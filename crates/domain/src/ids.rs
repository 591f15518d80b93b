//! Typed ids: a `UserId` can never be passed where an `OrgId` is expected.
//! All are UUIDv7, so they sort by creation time (which keyset pagination relies on).

use std::{fmt, str::FromStr};
use uuid::Uuid;

macro_rules! typed_id {
    ($($(#[$meta:meta])* $name:ident),* $(,)?) => {$(
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A fresh, time-ordered id.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }

        impl From<Uuid> for $name {
            fn from(id: Uuid) -> Self {
                Self(id)
            }
        }
    )*};
}

typed_id!(
    /// An organization: the tenant every other row belongs to.
    OrgId,
    /// A person in an organization.
    UserId,
    DepartmentId,
    /// A personal access token (the id, never the secret).
    TokenId,
    InvitationId,
    AuditEventId,
    JobId,
    /// Anything a person hands the social team (SPEC §2 step 1).
    SubmissionId,
    /// An uploaded file.
    MediaId,
    RevisionId,
    CommentId,
    /// A recorded workflow transition.
    TransitionId,
    CampaignId,
    /// A messaging goal (content pillar).
    PillarId,
    /// A brand-guideline rule.
    RuleId,
    /// An RSS/Atom subscription of a department (or of the whole organization).
    FeedId,
    /// An article in the curation inbox, one per canonical URL per organization.
    CurationItemId,
    NotificationId,
    /// A company-wide or department announcement.
    AnnouncementId,
    /// A company account on a network (or the built-in blog, or a webhook).
    ChannelId,
    /// One submission placed on one channel.
    PostId,
    /// An anonymous knowledge survey (its responses have random ids of their own, no typed id:
    /// a UUIDv7 would carry the time of answering).
    SurveyId,
    QuestionId,
    /// A version of the social media policy.
    PolicyVersionId,
    /// A recorded social-readiness self-assessment.
    ReadinessId,
    /// An item of the readiness action checklist.
    ActionItemId,
    /// A confirmed mentee–mentor pair.
    MentoringPairId,
    /// A session a mentoring pair logged.
    MentoringSessionId,
    /// A training course.
    CourseId,
    /// A lesson of a course.
    LessonId,
    /// A question of a course's quiz.
    QuizQuestionId,
    /// A rule that assigns a course where a survey shows a gap.
    TrainingRuleId,
    /// A public thank-you.
    ShoutoutId,
    /// An item of the rewards catalog.
    RewardId,
    /// A request to spend points on a reward.
    RedemptionId,
);

typed_id!(
    /// A social session (a one-off or weekly event).
    EventId,
    /// An account of the company's own on a network (the "follow us" directory).
    CompanyAccountId,
    /// An entry of a department's follow list.
    FollowEntryId,
    /// A Slack or Teams incoming webhook.
    ChatIntegrationId,
);
