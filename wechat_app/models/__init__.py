"""Typed SQLAlchemy models, one module per area; importing this package registers them all."""
from wechat_app.models.audit import AuditLog
from wechat_app.models.content import Article, Faq
from wechat_app.models.cycle import Cycle
from wechat_app.models.exam import (
    Arrangement,
    Attempt,
    AttemptAnswer,
    ExamCapture,
    FaceCheck,
    ItemAnalysis,
    Paper,
    Question,
    Result,
)
from wechat_app.models.notification import Notification
from wechat_app.models.org import AssessmentBody, Department, HealthAuthority, Institution, Province
from wechat_app.models.physician import Physician, PhysicianChange
from wechat_app.models.registration import Exemption, Registration, RegistrationEvent, RegistrationSnapshot, Upload
from wechat_app.models.review import AssessorApplication, Review
from wechat_app.models.staff import Staff
from wechat_app.models.training import (
    Course,
    CourseMedia,
    Enrolment,
    LessonProgress,
    MockPaper,
    PracticeAnswer,
    WrongAnswer,
)
from wechat_app.models.wechat import WeChatEvent, WeChatUser

__all__ = [
    "PhysicianChange", "Course", "CourseMedia", "Enrolment", "LessonProgress", "MockPaper", "PracticeAnswer", "WrongAnswer",
    "Arrangement", "Attempt", "AttemptAnswer", "ExamCapture", "FaceCheck", "ItemAnalysis", "Paper", "Question", "Result",
    "Article", "AssessorApplication", "AuditLog", "Review", "Staff", "AssessmentBody", "Cycle", "Department", "Faq", "HealthAuthority", "Institution",
    "Exemption", "Notification", "Physician", "Province", "Registration", "RegistrationEvent",
    "RegistrationSnapshot", "Upload", "WeChatEvent", "WeChatUser",
]
