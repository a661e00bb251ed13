from django.apps import AppConfig


class StudentsConfig(AppConfig):
    name = "kestrel.students"
    label = "students"
