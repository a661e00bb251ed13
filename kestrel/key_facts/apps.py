from django.apps import AppConfig


class KeyFactsConfig(AppConfig):
    """A child's key facts, the front sheet of their case file: people with parental
    responsibility and other contacts, professionals involved, and free notes, with every change
    kept as history."""

    name = "kestrel.key_facts"
    label = "key_facts"
