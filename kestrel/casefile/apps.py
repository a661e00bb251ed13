from django.apps import AppConfig


class CaseFileConfig(AppConfig):
    """The child's case file as practice requires it: dated statuses (Child in Need, Child
    Protection Plan, Looked After, ...), the risk level, reviews, referrals chased until feedback
    comes, decisions with their reasons, information shared or not, and the case's outcome."""

    name = "kestrel.casefile"
    label = "casefile"
