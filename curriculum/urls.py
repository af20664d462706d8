from django.urls import path

from . import competence_views, exports, radiation_views, views

app_name = "curriculum"

urlpatterns = [
    path("progress/", views.my_progress, name="my_progress"),
    path("progress/portfolio/", exports.my_portfolio, name="my_portfolio"),
    path("progress/logbook.csv", exports.my_logbook_csv, name="my_logbook_csv"),
    path("progress/dops.csv", exports.my_dops_csv, name="my_dops_csv"),
    path("radiation/", radiation_views.my_radiation, name="my_radiation"),
    path("radiation/dosimetry/new/", radiation_views.my_dose_reading, name="my_dose_reading"),
    path("trainees/", views.my_trainees, name="my_trainees"),
    path("trainees/<id:pk>/", views.trainee_progress, name="trainee_progress"),
    path("trainees/<id:pk>/portfolio/", exports.trainee_portfolio, name="trainee_portfolio"),
    path("trainees/<id:pk>/logbook.csv", exports.trainee_logbook_csv, name="trainee_logbook_csv"),
    path("trainees/<id:pk>/dops.csv", exports.trainee_dops_csv, name="trainee_dops_csv"),
    path("trainees/<id:pk>/assessments/new/", views.assessment_create, name="assessment_create"),
    path(
        "trainees/<id:pk>/radiation/", radiation_views.trainee_radiation, name="trainee_radiation"
    ),
    path(
        "trainees/<id:pk>/radiation/dosimetry/new/",
        radiation_views.trainee_dose_reading,
        name="trainee_dose_reading",
    ),
    path("cohort/", views.cohort, name="cohort"),
    path("cohort/cohort.csv", exports.cohort_csv, name="cohort_csv"),
    path("cohort/committee/", competence_views.committee, name="committee"),
    path("cohort/calibration/", competence_views.calibration, name="calibration"),
    path(
        "trainees/<id:pk>/competencies/<id:competency>/decision/",
        competence_views.decision,
        name="decision",
    ),
]
