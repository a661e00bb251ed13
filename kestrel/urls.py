from django.urls import include, path
from django.views.generic import RedirectView

from kestrel.access.decorators import requires
from kestrel.access.policy import PUBLIC
from kestrel.incidents.views.chronology import chronology
from kestrel.incidents.views.dashboard import dashboard
from kestrel.incidents.views.search import staff_search
from kestrel.students import urls as student_urls
from kestrel.students.views import hide_names

# A student's chronology lists incidents, so its view is the incidents app's; its address and
# name stay with the student pages ("students:chronology").
students = (
    [*student_urls.urlpatterns, path("<int:pk>/", chronology, name="chronology")],
    "students",
)

home = requires(PUBLIC)(RedirectView.as_view(pattern_name="dashboard"))

urlpatterns = [
    path("", home),
    path("dashboard/", dashboard, name="dashboard"),
    path("hide-names/", hide_names, name="hide_names"),
    path("staff/search/", staff_search, name="staff_search"),
    path("", include("kestrel.account_pages.urls")),
    path("incidents/", include("kestrel.incidents.urls")),
    path("alerts/", include("kestrel.alerts.urls")),
    path("files/", include("kestrel.files.urls")),
    path("students/", include(students)),
    path("students/", include("kestrel.key_facts.urls")),
    path("", include("kestrel.case_pages.urls")),
    path("", include("kestrel.exports.urls")),
    path("", include("kestrel.transfer_pages.urls")),
    path("library/", include("kestrel.library.urls")),
    path("training/", include("kestrel.training_pages.urls")),
    path("reports/", include("kestrel.report_pages.urls")),
    path("trust/", include("kestrel.trust_pages.urls")),
    path("school/import/", include("kestrel.roster.urls")),
    path("school/", include("kestrel.school_setup.urls")),
    path("key/", include("kestrel.access.urls")),
    path("audit/", include("kestrel.audit_pages.urls")),
]
