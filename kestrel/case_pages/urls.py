from django.urls import path

from kestrel.case_pages import views

app_name = "case_pages"
urlpatterns = [
    path("students/<int:pk>/file/", views.student, name="student"),
    path("students/<int:pk>/file/open/", views.open_case, name="open_case"),
    path("students/<int:pk>/file/review/", views.review, name="review"),
    path("students/<int:pk>/file/close/", views.close_case, name="close_case"),
    path("students/<int:pk>/file/statuses/start/", views.start_status, name="start_status"),
    path("students/<int:pk>/file/statuses/<int:status>/end/", views.end_status, name="end_status"),
    path("students/<int:pk>/file/risk/", views.set_risk, name="set_risk"),
    path("students/<int:pk>/file/referrals/add/", views.add_referral, name="add_referral"),
    path(
        "students/<int:pk>/file/referrals/<int:referral>/outcome/",
        views.referral_outcome,
        name="referral_outcome",
    ),
    path("students/<int:pk>/file/decisions/add/", views.add_decision, name="add_decision"),
    path("students/<int:pk>/file/sharing/add/", views.add_sharing, name="add_sharing"),
    path(
        "students/<int:pk>/file/<slug:record_type>/<int:record>/correct/",
        views.correct,
        name="correct",
    ),
    path("caseload/", views.caseload, name="caseload"),
    path("caseload/awaiting-feedback/", views.awaiting_feedback, name="awaiting_feedback"),
]
