"""The demo school (`manage.py seed_demo`, `make run`): fictional people that match the user guides.

Not part of the product: it imports kestrel, and nothing in kestrel imports it.
"""
